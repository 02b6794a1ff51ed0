package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/portolan-sdk/portolan/internal/wasmrun"
	"github.com/portolan-sdk/portolan/wasm/abi"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// instance is one guest module instance. It serves one call at a time
// (its slot is held by the caller).
type instance struct {
	mod     api.Module
	kernels *wasmrun.Linker
	mem     api.Memory
	fns     map[string]api.Function
	stderr  *tail
	models  map[*Model]uint32 // guest handles of the models loaded here

	req    uint32 // a request buffer from alloc, reused
	reqCap uint32
}

// The exports an instance looks up once.
var exportNames = []string{abi.ExportVersion, abi.ExportAlloc, abi.ExportFree, abi.ExportAnswerPtr, abi.ExportAnswerLen,
	abi.ExportErrorPtr, abi.ExportErrorLen, abi.ExportLoad, abi.ExportRelease, abi.ExportDecodeAIS, abi.ExportPredict,
	abi.ExportStreamOpen, abi.ExportStreamPush, abi.ExportStreamClose, abi.ExportForecast, abi.ExportConformance}

// newInstance instantiates the guest without a filesystem, network,
// arguments or environment, runs its _initialize and checks its ABI
// version.
func (h *Host) newInstance(ctx context.Context) (*instance, error) {
	stderr := &tail{max: 4 << 10}
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions().WithStderr(stderr)
	mod, err := h.kernels.Instantiate(ctx, h.rt, h.compiled, cfg)
	if err != nil {
		return nil, fmt.Errorf("host: instantiate the guest: %w", err)
	}
	in := &instance{mod: mod, kernels: h.kernels, mem: mod.Memory(), fns: map[string]api.Function{}, stderr: stderr, models: map[*Model]uint32{}}
	if _, err := in.raw(ctx, abi.ExportInitialize); err != nil {
		in.close(ctx)
		return nil, h.fault(ctx, in, fmt.Errorf("host: the guest's _initialize: %w", err))
	}
	for _, name := range exportNames {
		if in.fns[name] = mod.ExportedFunction(name); in.fns[name] == nil {
			in.close(ctx)
			return nil, fmt.Errorf("%w: no export %q", ErrGuest, name)
		}
	}
	v, err := in.raw(ctx, abi.ExportVersion)
	if err != nil || len(v) != 1 || int32(v[0]) != abi.Version {
		in.close(ctx)
		return nil, fmt.Errorf("%w: abi_version gives %v (%v), want %d", ErrGuest, v, err, abi.Version)
	}
	return in, nil
}

func (in *instance) close(ctx context.Context) { in.kernels.Close(ctx, in.mod) }

// raw calls an export by name with integer arguments.
func (in *instance) raw(ctx context.Context, name string, args ...uint64) ([]uint64, error) {
	f := in.fns[name]
	if f == nil {
		if f = in.mod.ExportedFunction(name); f == nil {
			return nil, fmt.Errorf("%w: no export %q", ErrGuest, name)
		}
	}
	return f.Call(ctx, args...)
}

// u32 calls an export that returns one i32.
func (in *instance) u32(ctx context.Context, name string, args ...uint64) (uint32, error) {
	r, err := in.raw(ctx, name, args...)
	if err != nil {
		return 0, err
	}
	if len(r) != 1 {
		return 0, fmt.Errorf("%w: %s returned %d values", ErrGuest, name, len(r))
	}
	return uint32(r[0]), nil
}

// call writes req into the instance, calls the export and returns a copy
// of the answer. A failed call (the guest's status) is an *abi.Error;
// any other error means the instance is unusable.
func (in *instance) call(ctx context.Context, export string, req []byte) ([]byte, error) {
	if err := in.request(ctx, req); err != nil {
		return nil, err
	}
	st, err := in.u32(ctx, export, uint64(in.req), uint64(len(req)))
	if err != nil {
		return nil, err
	}
	if st != 0 {
		msg, err := in.read(ctx, abi.ExportErrorPtr, abi.ExportErrorLen)
		if err != nil {
			return nil, err
		}
		return nil, &abi.Error{Status: abi.Status(int32(st)), Message: string(msg)}
	}
	return in.read(ctx, abi.ExportAnswerPtr, abi.ExportAnswerLen)
}

// request copies req into the instance's request buffer, growing it when
// needed.
func (in *instance) request(ctx context.Context, req []byte) error {
	if uint64(len(req)) > abi.MaxRequest {
		return fmt.Errorf("%w: a request of %d bytes (the guest takes at most %d)", ErrMemoryLimit, len(req), abi.MaxRequest)
	}
	if n := uint32(max(len(req), 1)); n > in.reqCap {
		if in.req != 0 {
			if _, err := in.raw(ctx, abi.ExportFree, uint64(in.req)); err != nil {
				return err
			}
			in.req, in.reqCap = 0, 0
		}
		size := max(n, 64<<10)
		p, err := in.u32(ctx, abi.ExportAlloc, uint64(size))
		if err != nil {
			return err
		}
		if p == 0 {
			return fmt.Errorf("%w: the guest refused to allocate %d bytes", ErrAnswer, size)
		}
		in.req, in.reqCap = p, size
	}
	if !in.mem.Write(in.req, req) {
		return fmt.Errorf("%w: the request buffer lies outside the guest's memory", ErrAnswer)
	}
	return nil
}

// read copies the bytes the guest points at with the two exports.
func (in *instance) read(ctx context.Context, ptrExport, lenExport string) ([]byte, error) {
	p, err := in.u32(ctx, ptrExport)
	if err != nil {
		return nil, err
	}
	n, err := in.u32(ctx, lenExport)
	if err != nil {
		return nil, err
	}
	b, ok := in.mem.Read(p, n)
	if !ok {
		return nil, fmt.Errorf("%w: %d bytes at %#x lie outside its %d bytes of memory", ErrAnswer, n, p, in.mem.Size())
	}
	return append([]byte(nil), b...), nil
}

// fault turns an error that left the instance unusable into the host's
// error: a context that ended, memory exhaustion or a trap, with the
// guest's last output on stderr (a Go panic message).
func (h *Host) fault(ctx context.Context, in *instance, err error) error {
	var exit *sys.ExitError
	if ce := ctx.Err(); ce != nil && !errors.As(err, &exit) { // stopped inside a kernel call
		return fmt.Errorf("%w: %w", ErrStopped, ce)
	}
	if errors.As(err, &exit) {
		switch exit.ExitCode() {
		case sys.ExitCodeDeadlineExceeded, sys.ExitCodeContextCanceled:
			if ce := ctx.Err(); ce != nil {
				return fmt.Errorf("%w: %w", ErrStopped, ce)
			}
			return fmt.Errorf("%w: %v", ErrStopped, err)
		}
	}
	if errors.Is(err, ErrAnswer) || errors.Is(err, ErrGuest) {
		return err
	}
	out := in.stderr.String()
	limit := uint64(h.cfg.memoryPages) << 16
	if strings.Contains(out, "out of memory") || uint64(in.mem.Size())+h.growSlack() > limit {
		return fmt.Errorf("%w: the guest ran out of its %d MiB (%v)", ErrMemoryLimit, limit>>20, err)
	}
	if out != "" {
		return fmt.Errorf("%w: %v; guest stderr: %s", ErrTrap, err, lastLines(out, 8))
	}
	return fmt.Errorf("%w: %v", ErrTrap, err)
}

// growSlack is how close to the limit memory must be for a trap to count
// as exhaustion: the Go runtime grows the heap in steps of a few MiB.
func (h *Host) growSlack() uint64 { return 8 << 20 }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
