// Command benchort is Portolan's side of `make bench-ort`
// (docs/BENCHMARKS.md, "Against ONNX Runtime"): its run subcommand runs one
// benchmark case with the Go runtime and prints the runner protocol's JSON
// line, and its compare subcommand runs every runner (Portolan native and
// noasm builds, onnxruntime-node and onnxruntime-web through
// scripts/bench-ort/ort.mjs) over every case, interleaved round by round,
// checks their outputs against the PyTorch reference and writes the
// results into docs/BENCHMARKS.md with an SVG plot.
//
//	benchort run --case DIR [--threads 1] [--warmup-ms 1000] [--min-ms 2000] [--min-runs 10]
//	benchort compare --dir build/bench-ort [--rounds 5] [--doc docs/BENCHMARKS.md] [--svg docs/bench-ort.svg]
//
// A runner is any program that takes --case, --threads, --warmup-ms,
// --min-ms and --min-runs and prints one JSON object (see Result); more
// runners (the wasm builds in wazero, Node or Chromium) are more rows in
// runners().
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchort run|compare|wazero [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = runCmd(os.Args[2:])
	case "compare":
		err = compareCmd(os.Args[2:])
	case "wazero":
		err = wazeroCmd(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q (run, compare or wazero)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchort:", err)
		os.Exit(1)
	}
}
