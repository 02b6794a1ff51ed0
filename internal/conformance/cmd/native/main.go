// Command native is the conformance target of a native build: it
// evaluates every vector with the kernels of the platform it was built for
// and prints one JSON result per line (docs/CONFORMANCE.md).
//
//	native [-target NAME] VECTORS_DIR MODELS_DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/portolan-sdk/portolan/internal/conformance"
	"github.com/portolan-sdk/portolan/internal/conformance/matrix"
)

func main() {
	target := flag.String("target", "native", "the target's name in the results")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: native [-target NAME] VECTORS_DIR MODELS_DIR")
		os.Exit(2)
	}
	if err := matrix.RunDir(os.Stdout, *target, flag.Arg(0), flag.Arg(1), conformance.Evaluate); err != nil {
		fmt.Fprintln(os.Stderr, "native:", err)
		os.Exit(1)
	}
}
