// Command wazero is the conformance target of the WebAssembly module in
// wazero: it calls the module's conformance export for every vector and
// prints one JSON result per line (docs/CONFORMANCE.md).
//
//	wazero -wasm build/wasm/portolan.wasm [-interruptible=false] [-kernels none|host|simd128] [-target NAME] VECTORS_DIR MODELS_DIR
//
// -kernels chooses the guest's portolan_accel kernels: none (its generic
// Go code), host (this process's native kernels) or simd128 (the SIMD128
// kernel module beside the -wasm file, portolan_accel.wasm).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/portolan-sdk/portolan/internal/conformance"
	"github.com/portolan-sdk/portolan/internal/conformance/matrix"
	"github.com/portolan-sdk/portolan/wasm/abi"
	"github.com/portolan-sdk/portolan/wasm/host"
	wasmkernels "github.com/portolan-sdk/portolan/wasm/kernels"
)

func main() {
	wasm := flag.String("wasm", "build/wasm/portolan.wasm", "the module (make wasm)")
	interruptible := flag.Bool("interruptible", true, "wazero's interruptible mode (WithCloseOnContextDone)")
	kernels := flag.String("kernels", "none", "the guest's kernels: none, host or simd128")
	target := flag.String("target", "wazero", "the target's name in the results")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: wazero -wasm FILE [-interruptible=BOOL] [-kernels KIND] [-target NAME] VECTORS_DIR MODELS_DIR")
		os.Exit(2)
	}
	cfg := host.NewConfig().WithInstances(1).WithInterruptible(*interruptible)
	switch *kernels {
	case "none":
		cfg = cfg.WithKernels(host.NoKernels())
	case "host":
		cfg = cfg.WithKernels(host.NativeKernels())
	case "simd128":
		mod, err := os.ReadFile(filepath.Join(filepath.Dir(*wasm), wasmkernels.FileName))
		if err != nil {
			fmt.Fprintln(os.Stderr, "wazero:", err)
			os.Exit(1)
		}
		cfg = cfg.WithKernels(host.WasmKernels(mod))
	default:
		fmt.Fprintf(os.Stderr, "wazero: -kernels %q (none, host or simd128)\n", *kernels)
		os.Exit(2)
	}
	if err := run(*wasm, cfg, *target, flag.Arg(0), flag.Arg(1)); err != nil {
		fmt.Fprintln(os.Stderr, "wazero:", err)
		os.Exit(1)
	}
}

func run(wasm string, cfg host.Config, target, dir, models string) error {
	ctx := context.Background()
	h, err := host.NewFromFile(ctx, wasm, cfg)
	if err != nil {
		return err
	}
	defer h.Close(ctx)
	return matrix.RunDir(os.Stdout, target, dir, models, func(vectors, model []byte) conformance.Result {
		ans, err := h.Call(ctx, abi.ExportConformance, (&abi.ConformanceRequest{Vectors: vectors, Model: model}).Append(nil))
		if err != nil {
			return conformance.Result{Error: err.Error()}
		}
		r, err := matrix.DecodeResult(ans)
		if err != nil {
			return conformance.Result{Error: err.Error()}
		}
		return r
	})
}
