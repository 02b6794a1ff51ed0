// Package wasmbuild builds the WebAssembly guest (wasm/guest) with the
// project's one set of flags, for `make wasm` (cmd/wasmbuild) and for the
// tests and benchmarks that load the module.
package wasmbuild

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Package is the guest's import path.
const Package = "./wasm/guest"

// TestTags adds the exports the host's tests use (a runaway loop, a crash,
// memory exhaustion, hostile answers); the module users get is built
// without it.
const TestTags = "portolan_testexports"

// KernelTag makes the guest import its numeric kernels from the
// portolan_accel module (internal/kernelabi, docs/WASM.md §7); every
// build of the guest has it.
const KernelTag = "portolan_accel"

// Args returns the go command's arguments that build the guest into out:
// -trimpath and an empty build ID so that the same sources give the same
// bytes on any machine; -s -w drop the name section and DWARF (function
// names in trap messages), which are not needed to run it.
func Args(out string, tags ...string) []string {
	return args(out, "-s -w -buildid=", tags)
}

func args(out, ldflags string, tags []string) []string {
	args := []string{"build", "-trimpath", "-buildvcs=false", "-buildmode=c-shared", "-ldflags=" + ldflags}
	args = append(args, "-tags="+strings.Join(append([]string{KernelTag}, tags...), ","))
	return append(args, "-o", out, Package)
}

// Env returns the environment of the build: the current one with the
// target set and every variable that could change the output fixed.
func Env() []string {
	env := os.Environ()
	return append(env, "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOWASM=", "GOFLAGS=", "GOEXPERIMENT=")
}

// Build builds the guest into out from the module rooted at root. Extra
// go flags (such as -a) go before the package.
func Build(ctx context.Context, root, out string, extra []string, tags ...string) error {
	return build(ctx, root, Args(out, tags...), extra)
}

// BuildNamed builds the guest as Build does but keeps the name section
// (function names), for CodeByPackage.
func BuildNamed(ctx context.Context, root, out string) error {
	return build(ctx, root, args(out, "-buildid=", nil), nil)
}

func build(ctx context.Context, root string, args, extra []string) error {
	args = append(args[:1], append(append([]string{}, extra...), args[1:]...)...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Env = root, Env()
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("wasmbuild: go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return nil
}

// KernelSource is the kernel module's WebAssembly text, and
// KernelModule the committed module assembled from it
// (wasm/kernels).
const (
	KernelSource = "wasm/kernels/kernels.wat"
	KernelModule = "wasm/kernels/portolan_accel.wasm"
)

// ErrNoAssembler is returned by AssembleKernels when wabt's wat2wasm or
// binaryen's wasm-opt is not installed (scripts/setup.sh installs both).
var ErrNoAssembler = errors.New("wasmbuild: wat2wasm or wasm-opt is not installed (Debian: apt-get install wabt binaryen; scripts/setup.sh does)")

// KernelOptFlags are wasm-opt's flags for the kernel module: its usual
// optimisations, and small functions (the exponential, the gates' lane
// helpers, the product's store) inlined into their loops, which V8 does
// not do itself (Node 20) and which make them 1.4 times faster there.
var KernelOptFlags = []string{"-O3", "--always-inline-max-function-size=400", "--enable-simd"}

// AssembleKernels assembles the kernel module's text with wabt's
// wat2wasm into out, then optimises it with binaryen's wasm-opt
// (KernelOptFlags). The versions of Debian 12 (wabt 1.0.32, binaryen 108)
// give the committed bytes.
func AssembleKernels(ctx context.Context, root, out string) error {
	wat2wasm, err := exec.LookPath("wat2wasm")
	if err != nil {
		return ErrNoAssembler
	}
	wasmOpt, err := exec.LookPath("wasm-opt")
	if err != nil {
		return ErrNoAssembler
	}
	raw := out + ".raw"
	defer os.Remove(raw)
	if b, err := exec.CommandContext(ctx, wat2wasm, filepath.Join(root, KernelSource), "-o", raw).CombinedOutput(); err != nil {
		return fmt.Errorf("wasmbuild: wat2wasm: %v\n%s", err, b)
	}
	args := append(append([]string{}, KernelOptFlags...), raw, "-o", out)
	if b, err := exec.CommandContext(ctx, wasmOpt, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("wasmbuild: wasm-opt: %v\n%s", err, b)
	}
	return nil
}

// ModuleRoot returns the directory of the main module's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("wasmbuild: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("wasmbuild: not inside the module")
	}
	return filepath.Dir(gomod), nil
}

// GzipSize returns the size of data compressed with gzip at the best
// compression level (what a web server's static gzip would send).
func GzipSize(data []byte) int {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(data)
	w.Close()
	return buf.Len()
}
