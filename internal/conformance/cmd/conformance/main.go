// Command conformance builds every conformance target once, runs every
// vector of testdata/conformance on each and prints the target × vector
// matrix (docs/CONFORMANCE.md). It exits 1 when a cell fails, or when a
// target is skipped under CI.
//
//	go run ./internal/conformance/cmd/conformance [-wasm build/wasm/portolan.wasm] [-target 'name[:kernels]=command' ...]
//
// A target's optional :kernels is the accel implementation every one of
// its results must report (generic, simd128, host, …).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/portolan-sdk/portolan/internal/conformance/matrix"
)

type targetFlags []matrix.Target

func (t *targetFlags) String() string { return fmt.Sprint(*t) }

func (t *targetFlags) Set(s string) error {
	name, cmd, ok := strings.Cut(s, "=")
	name, kernels, _ := strings.Cut(name, ":")
	if !ok || name == "" || cmd == "" {
		return fmt.Errorf("want name[:kernels]=command, got %q", s)
	}
	*t = append(*t, matrix.Target{Name: name, Command: cmd, Kernels: kernels})
	return nil
}

func main() {
	wasm := flag.String("wasm", "build/wasm/portolan.wasm", "the WebAssembly module (make wasm)")
	vectors := flag.String("vectors", "testdata/conformance", "vector files")
	models := flag.String("models", "testdata/models", "model bundles the vectors name")
	build := flag.String("build", "build/conformance", "where the target binaries go")
	var extra targetFlags
	flag.Var(&extra, "target", "another target, name[:kernels]=command (repeatable); the command gets the vectors and models directories as arguments")
	flag.Parse()
	ok, err := run(*wasm, *vectors, *models, *build, extra)
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

func run(wasm, vectors, models, build string, extra []matrix.Target) (bool, error) {
	if _, err := os.Stat(wasm); err != nil {
		return false, fmt.Errorf("%v (run make wasm first)", err)
	}
	vs, err := matrix.Vectors(vectors, models)
	if err != nil {
		return false, err
	}
	targets, err := buildTargets(build, wasm)
	if err != nil {
		return false, err
	}
	targets = append(targets, extra...)
	ctx := context.Background()
	var outs []matrix.Outcome
	for _, t := range targets {
		start := time.Now()
		o := matrix.Run(ctx, t, vectors, models)
		if t.Skip == "" {
			fmt.Fprintf(os.Stderr, "conformance: %s ran in %.1fs\n", t.Name, time.Since(start).Seconds())
		}
		outs = append(outs, o)
	}
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.Name
	}
	m := matrix.Collect(names, outs)
	if err := m.Print(os.Stdout); err != nil {
		return false, err
	}
	ok := m.OK()
	if skipped := m.Skipped(); len(skipped) > 0 && os.Getenv("CI") != "" {
		fmt.Printf("FAIL: under CI every target must run; skipped: %s (scripts/setup.sh installs qemu-user-static)\n", strings.Join(skipped, ", "))
		ok = false
	}
	if ok {
		fmt.Println("conformance: all pass")
	}
	return ok, nil
}

// buildTargets builds the native and wazero target commands (each once)
// and returns the default targets.
func buildTargets(dir, wasm string) ([]matrix.Target, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	bin := func(name string) string { return filepath.Join(dir, name) }
	goBuild := func(out, pkg string, env []string, args ...string) error {
		cmd := exec.Command("go", append(append([]string{"build", "-o", out}, args...), pkg)...)
		cmd.Env = append(os.Environ(), env...)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s (%s): %v\n%s", pkg, strings.Join(env, " "), err, b)
		}
		return nil
	}
	const native, wazero = "./internal/conformance/cmd/native", "./internal/conformance/cmd/wazero"
	var ts []matrix.Target
	add := func(name, out string, env []string, runner string, args ...string) error {
		t := matrix.Target{Name: name}
		if runner != "" {
			if _, err := exec.LookPath(runner); err != nil {
				t.Skip = runner + " is not installed (scripts/setup.sh installs qemu-user-static)"
				ts = append(ts, t)
				return nil
			}
			runner += " "
		}
		if err := goBuild(bin(out), native, env, args...); err != nil {
			return err
		}
		t.Command = runner + bin(out) + " -target " + name
		if strings.Contains(strings.Join(env, " "), "riscv64") {
			t.Kernels = "generic" // the satellite-class CPU: no assembly kernels
		}
		ts = append(ts, t)
		return nil
	}
	if err := add("native", "native", nil, ""); err != nil {
		return nil, err
	}
	if err := add("noasm", "native-noasm", nil, "", "-tags", "noasm"); err != nil {
		return nil, err
	}
	for _, arch := range []struct{ goarch, qemu string }{{"arm64", "qemu-aarch64-static"}, {"riscv64", "qemu-riscv64-static"}} {
		runner := arch.qemu
		if runtime.GOARCH == arch.goarch {
			runner = ""
		}
		if err := add(arch.goarch, "native-"+arch.goarch, []string{"GOARCH=" + arch.goarch}, runner); err != nil {
			return nil, err
		}
	}
	if err := goBuild(bin("wazero"), wazero, nil); err != nil {
		return nil, err
	}
	// the plain guest (stub kernels), then with the host's native kernels
	// and with the SIMD128 kernel module
	wz := func(name, kernels, impl string, interruptible bool) matrix.Target {
		return matrix.Target{Name: name, Kernels: impl, Command: fmt.Sprintf("%s -wasm %s -interruptible=%v -kernels %s -target %s",
			bin("wazero"), wasm, interruptible, kernels, name)}
	}
	ts = append(ts,
		wz("wazero", "none", "generic", true),
		wz("wazero-trusted", "none", "generic", false),
		wz("wazero-host", "host", "host", true),
		wz("wazero-simd128", "simd128", "simd128", true))
	return ts, nil
}
