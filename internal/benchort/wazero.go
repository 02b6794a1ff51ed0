package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/portolan-sdk/portolan/internal/kernelabi"
	"github.com/portolan-sdk/portolan/internal/wasmrun"
)

// wazeroCmd runs the benchmark program compiled to WebAssembly (this
// package built with GOOS=wasip1 GOARCH=wasm and the portolan_accel tag)
// in wazero, with the host's native kernels, the SIMD128 kernel module or
// none, and passes its JSON line through: the plugin's figure.
//
//	benchort wazero --wasm FILE [--kernels host|simd128|none] [--kernel-module FILE] [--interruptible] [--dir DIR] [--cache DIR] [--stats] run [flags]
//
// Its cold start counts from this process's start (compiling the module
// included), its peak RSS is this process's. With --stats and host
// kernels it prints to stderr, per inference, the calls to each kernel and
// the time spent in them (docs/BENCHMARKS.md, "Where the time goes").
func wazeroCmd(args []string) error {
	fs := flag.NewFlagSet("wazero", flag.ContinueOnError)
	wasm := fs.String("wasm", "", "the benchmark program built for wasip1")
	kernels := fs.String("kernels", "host", "host, simd128 or none")
	module := fs.String("kernel-module", "build/wasm/portolan_accel.wasm", "the SIMD128 kernel module (for --kernels simd128)")
	interruptible := fs.Bool("interruptible", false, "wazero's interruptible mode (WithCloseOnContextDone)")
	dir := fs.String("dir", "/", "the directory the program may read (the cases and bundles)")
	cache := fs.String("cache", "", "a compilation cache directory (default none)")
	stats := fs.Bool("stats", false, "print the host kernels' calls and time per inference to stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	prog, err := os.ReadFile(*wasm)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	cmd := wasmrun.Command{Module: prog, Args: append([]string{"benchort"}, fs.Args()...), Dirs: []string{*dir},
		Stdout: &out, Stderr: os.Stderr, Interruptible: *interruptible, CacheDir: *cache}
	switch *kernels {
	case "host":
		cmd.Kernels = wasmrun.Kernels{Kind: wasmrun.Native}
		if *stats {
			cmd.Kernels.Stats = &wasmrun.Stats{}
		}
	case "none":
		cmd.Kernels = wasmrun.Kernels{Kind: wasmrun.None}
	case "simd128":
		m, err := os.ReadFile(*module)
		if err != nil {
			return err
		}
		cmd.Kernels = wasmrun.Kernels{Kind: wasmrun.Wasm, Module: m}
	default:
		return fmt.Errorf("--kernels %q (host, simd128 or none)", *kernels)
	}
	var started time.Time
	cmd.Started = func() { started = time.Now() }
	if err := cmd.Run(context.Background()); err != nil {
		return err
	}
	res, err := passThrough(out.Bytes(), ms(started.Sub(start)))
	if err == nil && cmd.Kernels.Stats != nil {
		printStats(cmd.Kernels.Stats, res)
	}
	return err
}

// printStats prints the kernels' calls and time per inference: every
// inference the program ran (the first, the warm-up and the timed runs)
// made the same calls.
func printStats(s *wasmrun.Stats, res *Result) {
	runs := 1 + res.WarmupRuns + len(res.TimesMs)
	var total time.Duration
	for i, f := range kernelabi.Funcs {
		if s.Calls[i] == 0 {
			continue
		}
		total += s.Time[i]
		fmt.Fprintf(os.Stderr, "%-16s %8.0f calls %8.3f ms per inference\n", f.Name, float64(s.Calls[i])/float64(runs),
			ms(s.Time[i])/float64(runs))
	}
	fmt.Fprintf(os.Stderr, "%-16s %8s       %8.3f ms per inference (of %.3f ms median)\n", "kernels", "", ms(total)/float64(runs), res.Median())
}

// passThrough prints the runner line the program printed, its cold start
// moved back by the time before the program started (here: compiling and
// instantiating it) and with this process's peak RSS.
func passThrough(out []byte, before float64) (*Result, error) {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var res Result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		return nil, fmt.Errorf("the program's output: %w", err)
	}
	res.ColdMs += before
	res.PeakRSSKB = peakRSSKB()
	return &res, json.NewEncoder(os.Stdout).Encode(&res)
}
