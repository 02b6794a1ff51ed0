package wasmrun

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// Command is a WASI command module to run: a Go main package (a
// benchmark or a test binary) built with GOOS=wasip1 GOARCH=wasm and,
// to use kernels, the portolan_accel tag.
type Command struct {
	Module         []byte
	Args           []string // os.Args, the program's name first
	Dirs           []string // host directories it may read, each at its own path
	Stdout, Stderr io.Writer
	Kernels        Kernels
	// Interruptible turns on wazero's WithCloseOnContextDone, as
	// wasm/host's interruptible mode.
	Interruptible bool
	// CacheDir, when set, keeps the compiled code between runs.
	CacheDir string
	// Started, when set, is called once the module is compiled and
	// instantiated, just before it runs.
	Started func()
}

// Run runs the command to completion with the real clocks; a non-zero
// exit status is an error (*sys.ExitError).
func (c Command) Run(ctx context.Context) error {
	rc := wazero.NewRuntimeConfig().WithCloseOnContextDone(c.Interruptible)
	if c.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(c.CacheDir)
		if err != nil {
			return err
		}
		defer cache.Close(ctx)
		rc = rc.WithCompilationCache(cache)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	defer rt.Close(ctx)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		return err
	}
	cm, err := rt.CompileModule(ctx, c.Module)
	if err != nil {
		return fmt.Errorf("compile: %w", err)
	}
	l, err := NewLinker(ctx, rt, cm, c.Kernels)
	if err != nil {
		return err
	}
	fs := wazero.NewFSConfig()
	for _, d := range c.Dirs {
		fs = fs.WithReadOnlyDirMount(d, d)
	}
	cfg := wazero.NewModuleConfig().WithName("").WithArgs(c.Args...).WithFSConfig(fs).
		WithStdout(orDiscard(c.Stdout)).WithStderr(orDiscard(c.Stderr)).
		WithSysWalltime().WithSysNanotime().WithSysNanosleep().WithStartFunctions()
	mod, err := l.Instantiate(ctx, rt, cm, cfg)
	if err != nil {
		return err
	}
	defer l.Close(ctx, mod)
	start := mod.ExportedFunction("_start")
	if start == nil {
		return errors.New("not a WASI command: no _start")
	}
	if c.Started != nil {
		c.Started()
	}
	_, err = start.Call(ctx)
	var exit *sys.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 0 {
		return nil
	}
	return err
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
