package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/portolan-sdk/portolan/internal/wasmrun"
)

// wazeroCmd runs the benchmark program compiled to WebAssembly (this
// package built with GOOS=wasip1 GOARCH=wasm and the portolan_accel tag)
// in wazero, with the host's native kernels, the SIMD128 kernel module or
// none, and passes its JSON line through: the plugin's figure.
//
//	benchort wazero --wasm FILE [--kernels host|simd128|none] [--kernel-module FILE] [--interruptible] [--dir DIR]... run [flags]
func wazeroCmd(args []string) error {
	fs := flag.NewFlagSet("wazero", flag.ContinueOnError)
	wasm := fs.String("wasm", "", "the benchmark program built for wasip1")
	kernels := fs.String("kernels", "host", "host, simd128 or none")
	module := fs.String("kernel-module", "build/wasm/portolan_accel.wasm", "the SIMD128 kernel module (for --kernels simd128)")
	interruptible := fs.Bool("interruptible", false, "wazero's interruptible mode (WithCloseOnContextDone)")
	dir := fs.String("dir", "/", "the directory the program may read (the cases and bundles)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	prog, err := os.ReadFile(*wasm)
	if err != nil {
		return err
	}
	cmd := wasmrun.Command{Module: prog, Args: append([]string{"benchort"}, fs.Args()...), Dirs: []string{*dir},
		Stdout: os.Stdout, Stderr: os.Stderr, Interruptible: *interruptible}
	switch *kernels {
	case "host":
		cmd.Kernels = wasmrun.Kernels{Kind: wasmrun.Native}
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
	return cmd.Run(context.Background())
}
