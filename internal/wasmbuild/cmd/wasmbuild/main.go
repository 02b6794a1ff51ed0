// Command wasmbuild builds the WebAssembly guest for `make wasm`:
//
//	go run ./internal/wasmbuild/cmd/wasmbuild -o build/wasm/portolan.wasm [-check] [-budget 3000000]
//
// It prints the module's raw and gzip sizes. With -check it builds a
// second time from scratch (go build -a) and fails unless the two modules
// are byte-identical; with -budget it fails when the raw size is over it.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/portolan-sdk/portolan/internal/wasmbuild"
)

func main() {
	out := flag.String("o", "build/wasm/portolan.wasm", "output file")
	check := flag.Bool("check", false, "rebuild from scratch and require identical bytes")
	budget := flag.Int("budget", 0, "largest raw size in bytes (0: no limit)")
	flag.Parse()
	if err := run(*out, *check, *budget); err != nil {
		fmt.Fprintln(os.Stderr, "wasmbuild:", err)
		os.Exit(1)
	}
}

func run(out string, check bool, budget int) error {
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
	if budget > 0 && len(data) > budget {
		return fmt.Errorf("%d bytes is over the budget of %d", len(data), budget)
	}
	return nil
}
