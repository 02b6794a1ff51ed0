// Command wasmbuild builds the WebAssembly guest for `make wasm`:
//
//	go run ./internal/wasmbuild/cmd/wasmbuild -o build/wasm/portolan.wasm [-check] [-budget 3000000]
//
// and assembles the SIMD128 kernel module (wasm/kernels/kernels.wat, with
// wabt's wat2wasm, optimised by binaryen's wasm-opt) beside it as
// portolan_accel.wasm, failing when the result differs from the committed
// wasm/kernels/portolan_accel.wasm or is over 100 KB. Without the tools it
// copies the committed module and says so (under CI, where
// scripts/setup.sh installs them, it fails).
//
// It prints the module's raw and gzip sizes. With -check it builds a
// second time from scratch (go build -a) and fails unless the two modules
// are byte-identical; with -budget it fails when the raw size is over it;
// with -sizes it prints the module's sections and the code of each Go
// package (from a second build that keeps function names).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/portolan-sdk/portolan/internal/wasmbuild"
	"github.com/portolan-sdk/portolan/wasm/kernels"
)

func main() {
	out := flag.String("o", "build/wasm/portolan.wasm", "output file")
	check := flag.Bool("check", false, "rebuild from scratch and require identical bytes")
	budget := flag.Int("budget", 0, "largest raw size in bytes (0: no limit)")
	sizes := flag.Int("sizes", 0, "print the sections and the code of the N largest packages")
	flag.Parse()
	if err := run(*out, *check, *budget, *sizes); err != nil {
		fmt.Fprintln(os.Stderr, "wasmbuild:", err)
		os.Exit(1)
	}
}

func run(out string, check bool, budget, sizes int) error {
	ctx := context.Background()
	root, err := wasmbuild.ModuleRoot()
	if err != nil {
		return err
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := wasmbuild.Build(ctx, root, out, nil); err != nil {
		return err
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	rel, _ := filepath.Rel(root, out)
	fmt.Printf("%s: %d bytes raw, %d gzip (-9)\n", rel, len(data), wasmbuild.GzipSize(data))
	if check {
		again := out + ".check"
		defer os.Remove(again)
		if err := wasmbuild.Build(ctx, root, again, []string{"-a"}); err != nil {
			return err
		}
		data2, err := os.ReadFile(again)
		if err != nil {
			return err
		}
		if !bytes.Equal(data, data2) {
			return fmt.Errorf("two builds differ (%d and %d bytes): the build is not reproducible", len(data), len(data2))
		}
		fmt.Println("reproducible: a rebuild from scratch (go build -a) gives the same bytes")
	}
	if sizes > 0 {
		if err := printSizes(ctx, root, data, sizes); err != nil {
			return err
		}
	}
	if budget > 0 && len(data) > budget {
		return fmt.Errorf("%d bytes is over the budget of %d", len(data), budget)
	}
	return kernelModule(ctx, root, filepath.Join(filepath.Dir(out), kernels.FileName))
}

// kernelModule assembles the kernel module into out and checks it against
// the committed one.
func kernelModule(ctx context.Context, root, out string) error {
	committed, err := os.ReadFile(filepath.Join(root, wasmbuild.KernelModule))
	if err != nil {
		return err
	}
	rel, _ := filepath.Rel(root, out)
	err = wasmbuild.AssembleKernels(ctx, root, out)
	if errors.Is(err, wasmbuild.ErrNoAssembler) && os.Getenv("CI") == "" {
		fmt.Printf("%s: %v; copied the committed module\n", rel, err)
		return os.WriteFile(out, committed, 0o644)
	}
	if err != nil {
		return err
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d bytes raw, %d gzip (-9), assembled from %s\n", rel, len(data), wasmbuild.GzipSize(data), wasmbuild.KernelSource)
	if !bytes.Equal(data, committed) {
		return fmt.Errorf("%s differs from the committed %s: copy it there and commit it", rel, wasmbuild.KernelModule)
	}
	if len(data) > kernels.MaxSize {
		return fmt.Errorf("the kernel module's %d bytes are over its budget of %d", len(data), kernels.MaxSize)
	}
	return nil
}

func printSizes(ctx context.Context, root string, data []byte, n int) error {
	secs, err := wasmbuild.Sections(data)
	if err != nil {
		return err
	}
	fmt.Printf("sections: code %d, data %d, other %d bytes\n", secs["code"], secs["data"], len(data)-secs["code"]-secs["data"])
	dir, err := os.MkdirTemp("", "wasmbuild")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	named := filepath.Join(dir, "named.wasm")
	if err := wasmbuild.BuildNamed(ctx, root, named); err != nil {
		return err
	}
	nd, err := os.ReadFile(named)
	if err != nil {
		return err
	}
	pkgs, err := wasmbuild.CodeByPackage(nd)
	if err != nil {
		return err
	}
	for _, p := range pkgs[:min(n, len(pkgs))] {
		fmt.Printf("%9d  %s\n", p.Bytes, p.Package)
	}
	return nil
}
