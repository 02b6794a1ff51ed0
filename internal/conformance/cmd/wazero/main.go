// Command wazero is the conformance target of the WebAssembly module in
// wazero: it calls the module's conformance export for every vector and
// prints one JSON result per line (docs/CONFORMANCE.md).
//
//	wazero -wasm build/wasm/portolan.wasm [-interruptible=false] [-target NAME] VECTORS_DIR MODELS_DIR
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/portolan-sdk/portolan/internal/conformance"
	"github.com/portolan-sdk/portolan/internal/conformance/matrix"
	"github.com/portolan-sdk/portolan/wasm/abi"
	"github.com/portolan-sdk/portolan/wasm/host"
)

func main() {
	wasm := flag.String("wasm", "build/wasm/portolan.wasm", "the module (make wasm)")
	interruptible := flag.Bool("interruptible", true, "wazero's interruptible mode (WithCloseOnContextDone)")
	target := flag.String("target", "wazero", "the target's name in the results")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: wazero -wasm FILE [-interruptible=BOOL] [-target NAME] VECTORS_DIR MODELS_DIR")
		os.Exit(2)
	}
	if err := run(*wasm, *interruptible, *target, flag.Arg(0), flag.Arg(1)); err != nil {
		fmt.Fprintln(os.Stderr, "wazero:", err)
		os.Exit(1)
	}
}

func run(wasm string, interruptible bool, target, dir, models string) error {
	ctx := context.Background()
	h, err := host.NewFromFile(ctx, wasm, host.NewConfig().WithInstances(1).WithInterruptible(interruptible))
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
