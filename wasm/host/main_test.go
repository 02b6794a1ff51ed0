package host

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/portolan-sdk/portolan/internal/wasmbuild"
)

// The guest is too large to commit, so TestMain builds it, with the test
// exports (test_spin, test_crash, test_grow, test_echo, test_oob) beside
// the ones users get. The module as users get it is run by the
// conformance matrix and examples/wasm-plugin.
var guestWasm []byte

// cacheDir is the compilation cache the tests share: each of the two
// modes compiles once.
var cacheDir string

var testdata = filepath.Join("..", "..", "testdata")

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "portolan-guest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	cacheDir = filepath.Join(dir, "cache")
	root, err := wasmbuild.ModuleRoot()
	if err == nil {
		err = wasmbuild.Build(context.Background(), root, filepath.Join(dir, "guest.wasm"), nil, wasmbuild.TestTags)
	}
	if err == nil {
		guestWasm, err = os.ReadFile(filepath.Join(dir, "guest.wasm"))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "build the guest:", err)
		return 1
	}
	// fill the compilation cache for both modes at once
	errs := make(chan error, 2)
	for _, interruptible := range []bool{false, true} {
		go func() {
			ctx := context.Background()
			h, err := New(ctx, guestWasm, NewConfig().WithInterruptible(interruptible).WithCompilationCache(cacheDir))
			if err == nil {
				err = h.Close(ctx)
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			fmt.Fprintln(os.Stderr, "compile the guest:", err)
			return 1
		}
	}
	return m.Run()
}
