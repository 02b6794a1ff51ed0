// Package host runs Portolan as a sandboxed WebAssembly plugin in
// wazero: the guest module (wasm/guest, built by `make wasm`) computes;
// this package gives it no filesystem, network, arguments or
// environment, bounds its memory, stops calls whose context ends and
// replaces an instance that traps. Its API mirrors sdk:
//
//	h, err := host.New(ctx, guestWasm, host.NewConfig())
//	m, err := h.Open(ctx, bundle)
//	d, err := m.Destinations(sdk.NewConfig().WithTopK(5))
//	pred, err := d.Predict(ctx, track)
//
// A Host is safe for concurrent use: it keeps a pool of instances and
// serves each call on an idle one (streams stay on the instance that
// holds their state).
//
// The guest's numeric kernels (products, attention's softmax, gates, row
// kernels) run as this process's native code on the guest's memory by
// default, bounds-checked (Config.WithKernels; docs/WASM.md §7). With
// internal/wasmrun it is the only package of the project that imports
// wazero.
package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/portolan-sdk/portolan/internal/wasmrun"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/portolan-sdk/portolan/wasm/abi"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Host runs guest instances.
type Host struct {
	cfg      Config
	rt       wazero.Runtime
	cache    wazero.CompilationCache
	compiled wazero.CompiledModule
	kernels  *wasmrun.Linker

	mu      sync.Mutex
	slots   []slot
	waiters []chan struct{}
	closed  bool
}

// slot holds one instance (nil until first used, and after a fault).
type slot struct {
	in   *instance
	busy bool
	gen  uint64 // counts the instances the slot has had
}

// New compiles the guest module (a .wasm file's bytes) for the config.
// Instances are started on first use.
func New(ctx context.Context, guest []byte, cfg Config) (*Host, error) {
	if cfg.instances < 1 || cfg.memoryPages < 1 || cfg.memoryPages > 65536 || cfg.callTimeout < 0 {
		return nil, fmt.Errorf("host: config instances %d (≥ 1), memory pages %d (1..65536), call timeout %v (≥ 0)",
			cfg.instances, cfg.memoryPages, cfg.callTimeout)
	}
	rc := wazero.NewRuntimeConfig().WithMemoryLimitPages(cfg.memoryPages).WithCloseOnContextDone(cfg.interruptible)
	h := &Host{cfg: cfg, slots: make([]slot, cfg.instances)}
	if cfg.cacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cfg.cacheDir)
		if err != nil {
			return nil, fmt.Errorf("host: compilation cache: %w", err)
		}
		h.cache = c
		rc = rc.WithCompilationCache(c)
	}
	h.rt = wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, h.rt); err != nil {
		h.Close(ctx)
		return nil, fmt.Errorf("host: WASI: %w", err)
	}
	var err error
	if h.compiled, err = h.rt.CompileModule(ctx, guest); err != nil {
		h.Close(ctx)
		return nil, fmt.Errorf("host: compile the guest: %w", err)
	}
	for _, name := range exportNames {
		if _, ok := h.compiled.ExportedFunctions()[name]; !ok {
			h.Close(ctx)
			return nil, fmt.Errorf("%w: no export %q", ErrGuest, name)
		}
	}
	if h.kernels, err = wasmrun.NewLinker(ctx, h.rt, h.compiled, cfg.kernels.k); err != nil {
		h.Close(ctx)
		if errors.Is(err, wasmrun.ErrUnknownImport) {
			return nil, fmt.Errorf("%w: %w", ErrGuest, err)
		}
		return nil, fmt.Errorf("host: kernels: %w", err)
	}
	return h, nil
}

// NewFromFile is New with the module read from a file.
func NewFromFile(ctx context.Context, path string, cfg Config) (*Host, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return New(ctx, b, cfg)
}

// Close stops every instance and frees the compiled code. Calls in
// progress fail.
func (h *Host) Close(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	for _, w := range h.waiters {
		close(w)
	}
	h.waiters = nil
	h.mu.Unlock()
	var err error
	if h.rt != nil {
		err = h.rt.Close(ctx)
	}
	if h.cache != nil {
		err = errors.Join(err, h.cache.Close(ctx))
	}
	return err
}

// acquire waits for an idle slot (want < 0: any; else that one) and marks
// it busy. It prefers slots whose instance is running.
func (h *Host) acquire(ctx context.Context, want int) (int, error) {
	for {
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return 0, ErrClosed
		}
		pick := -1
		for i := range h.slots {
			if h.slots[i].busy || (want >= 0 && i != want) {
				continue
			}
			if pick < 0 || (h.slots[pick].in == nil && h.slots[i].in != nil) {
				pick = i
			}
		}
		if pick >= 0 {
			h.slots[pick].busy = true
			h.mu.Unlock()
			return pick, nil
		}
		w := make(chan struct{})
		h.waiters = append(h.waiters, w)
		h.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// release marks a slot idle and wakes the waiters.
func (h *Host) release(i int) {
	h.mu.Lock()
	h.slots[i].busy = false
	for _, w := range h.waiters {
		close(w)
	}
	h.waiters = nil
	h.mu.Unlock()
}

// with runs fn on the instance of a slot (want < 0: any slot), starting
// the instance if needed, under the call timeout. It returns the slot
// and its generation. When fn fails with anything but the guest's own
// error (*abi.Error), the instance is discarded: the next call on the
// slot starts a new one.
func (h *Host) with(ctx context.Context, want int, fn func(ctx context.Context, in *instance) error) (int, uint64, error) {
	if h.cfg.callTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.cfg.callTimeout)
		defer cancel()
	}
	i, err := h.acquire(ctx, want)
	if err != nil {
		return 0, 0, err
	}
	defer h.release(i)
	s := &h.slots[i] // only this goroutine touches a busy slot
	if s.in == nil {
		if s.in, err = h.newInstance(ctx); err != nil {
			return i, s.gen, err
		}
	}
	gen := s.gen
	if err := ctx.Err(); err != nil {
		return i, gen, err
	}
	err = fn(ctx, s.in)
	var ge *abi.Error
	var rf refused
	if err != nil && !errors.As(err, &ge) && !errors.As(err, &rf) {
		err = h.fault(ctx, s.in, err)
		s.in.close(context.Background())
		s.in = nil
		s.gen++
	}
	return i, gen, err
}

// refused marks an error found before the guest was called: the instance
// is fine.
type refused struct{ err error }

func refuse(err error) error    { return refused{err} }
func (r refused) Error() string { return r.err.Error() }
func (r refused) Unwrap() error { return r.err }

// call sends a request to an export on a slot (want < 0: any) and hands
// the answer to decode, inside the slot: an answer that does not decode
// discards the instance like a trap. req builds the request on the
// instance (it may first load a model there).
func (h *Host) call(ctx context.Context, want int, export string, req func(in *instance) ([]byte, error), decode func([]byte) error) (int, uint64, error) {
	return h.with(ctx, want, func(ctx context.Context, in *instance) error {
		r, err := req(in)
		if err != nil {
			return err
		}
		ans, err := in.call(ctx, export, r)
		if err != nil {
			return err
		}
		if err := decode(ans); err != nil {
			return fmt.Errorf("%w: %w", ErrAnswer, err)
		}
		return nil
	})
}

func fixed(req []byte) func(*instance) ([]byte, error) {
	return func(*instance) ([]byte, error) { return req, nil }
}

// Call sends a raw msgpack request to one of the guest's call exports
// (docs/WASM.md) on any instance and returns its raw answer. It suits
// self-contained requests (decode_ais, conformance); requests that name
// model or stream handles must use the typed API, since handles belong to
// one instance.
func (h *Host) Call(ctx context.Context, export string, req []byte) ([]byte, error) {
	var ans []byte
	_, _, err := h.call(ctx, -1, export, fixed(req), func(b []byte) error { ans = b; return nil })
	return ans, err
}

// DecodeAIS decodes AIS text (NMEA, MarineCadastre or DMA CSV) in the
// guest and returns its positions, static data merged, in input order.
func (h *Host) DecodeAIS(ctx context.Context, data []byte) ([]ais.Position, error) {
	var ps []ais.Position
	_, _, err := h.call(ctx, -1, abi.ExportDecodeAIS, fixed((&abi.DecodeRequest{AIS: data}).Append(nil)), func(b []byte) error {
		var err error
		ps, err = abi.DecodeDecodeAnswer(b)
		return err
	})
	return ps, err
}
