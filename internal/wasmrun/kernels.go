// Package wasmrun links a WebAssembly guest to the kernels of its
// portolan_accel imports in wazero (internal/kernelabi, docs/WASM.md §7):
// this process's native accel kernels on the guest's memory, bounds
// checked; the SIMD128 kernel module (wasm/kernels), one instance beside
// each guest instance; or stubs that report none. wasm/host builds on it,
// and RunCommand runs a WASI command (a benchmark or test program built
// for wasip1 with the portolan_accel tag) with them.
package wasmrun

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
	"unsafe"

	"github.com/portolan-sdk/portolan/accel"
	"github.com/portolan-sdk/portolan/internal/kernelabi"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Kernels chooses what a guest's portolan_accel imports get.
type Kernels struct {
	Kind   Kind
	Module []byte // the kernel module, for Wasm
	// Stats, when set, counts the calls to each native kernel and the time
	// spent in them (for finding where a guest's time goes; it costs two
	// clock readings per call).
	Stats *Stats
}

// Stats are the calls to each ABI function (kernelabi.Funcs order) and
// the time spent in them. One guest at a time may update them.
type Stats struct {
	Calls []int
	Time  []time.Duration
}

// Kind is a kind of kernels.
type Kind int

const (
	Native Kind = iota // this process's accel kernels
	None               // stubs: abi_version 0, the guest runs its Go code
	Wasm               // a kernel module (wasm/kernels) per guest instance
)

func (k Kernels) String() string {
	switch k.Kind {
	case None:
		return "none"
	case Wasm:
		return "wasm"
	}
	return "native"
}

// Linker holds the portolan_accel module of a runtime: one host module
// (native kernels, stubs, or for wasm kernels the module that forwards
// each guest's calls to its own instance of the compiled kernel module).
type Linker struct {
	kind  Kind
	bound sync.Map // wasm kernels: guest api.Module → its bound kernel instance
	wasm  wazero.CompiledModule
}

// ErrUnknownImport is returned by NewLinker for a guest that imports a
// portolan_accel function the ABI does not have (or with another
// signature).
var ErrUnknownImport = errors.New("unknown portolan_accel import")

// guestMemoryModule is the module name under which the kernel module
// imports the guest's memory.
const guestMemoryModule = "guest"

// NewLinker instantiates the portolan_accel module of the kernels in rt
// (once per runtime), after checking that the guest imports nothing from
// portolan_accel but the ABI's functions.
func NewLinker(ctx context.Context, rt wazero.Runtime, guest wazero.CompiledModule, kernels Kernels) (*Linker, error) {
	for _, f := range guest.ImportedFunctions() {
		mod, name, _ := f.Import()
		if mod != kernelabi.Module {
			continue
		}
		want, ok := kernelabi.Lookup(name)
		if !ok || !sameSignature(want, f.ParamTypes(), f.ResultTypes()) {
			return nil, fmt.Errorf("%w: %s.%s%v→%v", ErrUnknownImport, mod, name, f.ParamTypes(), f.ResultTypes())
		}
	}
	k := &Linker{kind: kernels.Kind}
	b := rt.NewHostModuleBuilder(kernelabi.Module)
	switch k.kind {
	case Wasm:
		cm, err := rt.CompileModule(ctx, kernels.Module)
		if err != nil {
			return nil, fmt.Errorf("compile the kernel module: %w", err)
		}
		k.wasm = cm
		exports := cm.ExportedFunctions()
		for _, f := range kernelabi.Funcs {
			e, ok := exports[f.Name]
			if !ok || !sameSignature(f, e.ParamTypes(), e.ResultTypes()) {
				return nil, fmt.Errorf("the kernel module does not export %s with its signature", f.Name)
			}
		}
		for _, imp := range cm.ImportedMemories() {
			if mod, name, _ := imp.Import(); mod != guestMemoryModule || name != "memory" {
				return nil, fmt.Errorf("the kernel module imports memory %s.%s (want %s.memory)", mod, name, guestMemoryModule)
			}
		}
		if len(cm.ImportedFunctions()) > 0 {
			return nil, fmt.Errorf("the kernel module imports functions")
		}
		for i, f := range kernelabi.Funcs {
			b.NewFunctionBuilder().WithGoModuleFunction(k.forward(i), valueTypes(f.Params), valueTypes(f.Results)).Export(f.Name)
		}
	case None:
		for _, f := range kernelabi.Funcs {
			b.NewFunctionBuilder().WithGoModuleFunction(stubKernel(f.Name), valueTypes(f.Params), valueTypes(f.Results)).Export(f.Name)
		}
	default:
		if s := kernels.Stats; s != nil {
			s.Calls, s.Time = make([]int, len(kernelabi.Funcs)), make([]time.Duration, len(kernelabi.Funcs))
		}
		for i, f := range kernelabi.Funcs {
			fn := nativeKernel(f.Name)
			if s := kernels.Stats; s != nil {
				inner := fn
				fn = func(ctx context.Context, m api.Module, st []uint64) {
					t := time.Now()
					inner(ctx, m, st)
					s.Time[i] += time.Since(t)
					s.Calls[i]++
				}
			}
			b.NewFunctionBuilder().WithGoModuleFunction(fn, valueTypes(f.Params), valueTypes(f.Results)).Export(f.Name)
		}
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

// Instantiate starts a guest instance linked to its kernels (cfg must
// not run a start function that calls them): for wasm kernels, a kernel
// instance on the new guest's memory, to which the shared forwarding
// module sends that guest's calls. Close the guest with Close.
func (k *Linker) Instantiate(ctx context.Context, rt wazero.Runtime, guest wazero.CompiledModule, cfg wazero.ModuleConfig) (api.Module, error) {
	mod, err := rt.InstantiateModule(ctx, guest, cfg)
	if err != nil || k.kind != Wasm {
		return mod, err
	}
	// the kernel instance exists only once the guest (its memory) does;
	// the guest calls none of its imports before _initialize
	kctx := experimental.WithImportResolver(ctx, func(name string) api.Module {
		if name == guestMemoryModule {
			return mod
		}
		return nil
	})
	km, err := rt.InstantiateModule(kctx, k.wasm, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		mod.Close(ctx)
		return nil, fmt.Errorf("instantiate the kernel module: %w", err)
	}
	fns := make([]api.Function, len(kernelabi.Funcs))
	for i, f := range kernelabi.Funcs {
		fns[i] = km.ExportedFunction(f.Name)
	}
	k.bound.Store(mod, bound{km, fns})
	return mod, nil
}

// bound is the kernel instance of a guest instance.
type bound struct {
	mod api.Module
	fns []api.Function
}

// Close closes a guest instance and its kernel instance.
func (k *Linker) Close(ctx context.Context, guest api.Module) error {
	err := guest.Close(ctx)
	if b, ok := k.bound.LoadAndDelete(guest); ok {
		b.(bound).mod.Close(ctx)
	}
	return err
}

// forward is the host function of ABI function i for wasm kernels: it
// calls the kernel instance bound to the calling guest.
func (k *Linker) forward(i int) api.GoModuleFunc {
	name := kernelabi.Funcs[i].Name
	return func(ctx context.Context, caller api.Module, stack []uint64) {
		b, ok := k.bound.Load(caller)
		if !ok {
			faultf("%s: no kernel instance for this guest", name)
		}
		if err := b.(bound).fns[i].CallWithStack(ctx, stack); err != nil {
			panic(err)
		}
	}
}

func sameSignature(f kernelabi.Func, params, results []api.ValueType) bool {
	return string(valueTypes(f.Params)) == string(params) && string(valueTypes(f.Results)) == string(results)
}

func valueTypes(ts []kernelabi.ValueType) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueType(t)
	}
	return out
}

// gemmBand is how many rows of a gemm call run between two looks at the
// call's context.
const gemmBand = 48

// kernelFault is what a native kernel panics with when the guest names a
// range outside its memory; wazero turns it into the call's error.
type kernelFault struct{ msg string }

func (f kernelFault) Error() string { return "portolan_accel: " + f.msg }

func faultf(format string, args ...any) { panic(kernelFault{fmt.Sprintf(format, args...)}) }

func stubKernel(name string) api.GoModuleFunc {
	if name == kernelabi.FnVersion {
		return func(_ context.Context, _ api.Module, stack []uint64) { stack[0] = 0 }
	}
	return func(context.Context, api.Module, []uint64) {
		faultf("%s called, but this host supplies no kernels (abi_version is 0)", name)
	}
}

// mem is a guest's linear memory during one kernel call (it cannot grow
// while the guest waits for the call).
type mem []byte

func memOf(m api.Module) mem {
	b, _ := m.Memory().Read(0, m.Memory().Size())
	return mem(b)
}

// count reads an i32 argument that counts elements (not negative).
func count(v uint64, what string) int {
	n := int32(uint32(v))
	if n < 0 {
		faultf("%s %d is negative", what, n)
	}
	return int(n)
}

// f32s returns the n float32s at byte offset ptr, checking that they lie
// inside the memory and are aligned.
func (m mem) f32s(ptr uint64, n int, what string) []float32 {
	return view[float32](m, ptr, n, what, "floats")
}

// view returns the n values of type T at byte offset ptr, checking that
// they lie inside the memory and are aligned to T's size; unit names them
// in the fault.
func view[T float32 | uint16](m mem, ptr uint64, n int, what, unit string) []T {
	p := uint64(uint32(ptr))
	if n == 0 {
		return nil
	}
	size := uint64(unsafe.Sizeof(*new(T)))
	if p%size != 0 || p+size*uint64(n) > uint64(len(m)) {
		faultf("%s: %d %s at %#x lie outside the guest's %d bytes of memory or are misaligned", what, n, unit, p, len(m))
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&m[p])), n)
}

// extent is the elements a rows×cols matrix with row stride ld spans,
// refusing a stride under cols.
func extent(rows, cols, ld int, what string) int {
	if rows == 0 || cols == 0 {
		return 0
	}
	if ld < cols {
		faultf("%s: row stride %d under its %d columns", what, ld, cols)
	}
	e := uint64(rows-1)*uint64(ld) + uint64(cols)
	if e > math.MaxInt32 {
		faultf("%s: %d×%d with stride %d is larger than any memory", what, rows, cols, ld)
	}
	return int(e)
}

// product is a×b elements, refusing sizes larger than any memory.
func product(a, b int, what string) int {
	e := uint64(a) * uint64(b)
	if e > math.MaxInt32 {
		faultf("%s: %d×%d elements is larger than any memory", what, a, b)
	}
	return int(e)
}

// nativeKernel implements one ABI function with this process's accel on
// the calling guest's memory.
func nativeKernel(name string) api.GoModuleFunc {
	switch name {
	case kernelabi.FnVersion:
		return func(_ context.Context, _ api.Module, st []uint64) { st[0] = kernelabi.Version }
	case kernelabi.FnImplementation:
		return func(_ context.Context, _ api.Module, st []uint64) { st[0] = kernelabi.ImplHost }
	case kernelabi.FnGemmPanel:
		return func(_ context.Context, _ api.Module, st []uint64) { st[0] = uint64(kernelabi.Native.Panel) }
	case kernelabi.FnGemm:
		return func(ctx context.Context, mod api.Module, st []uint64) {
			m := memOf(mod)
			rows, nr, k := count(st[0], "rows"), count(st[1], "nr"), count(st[2], "k")
			lda, ldc := count(st[4], "lda"), count(st[7], "ldc")
			if rows == 0 || k == 0 {
				return
			}
			if nr != kernelabi.Native.Panel {
				faultf("gemm: panel width %d, this host's is %d", nr, kernelabi.Native.Panel)
			}
			a := m.f32s(st[3], extent(rows, k, lda, "gemm A"), "gemm A")
			b := m.f32s(st[5], product(k, nr, "gemm B"), "gemm B")
			c := m.f32s(st[6], extent(rows, nr, ldc, "gemm C"), "gemm C")
			// the guest's tiles have at most 12 rows; a longer call (a guest
			// that asks for a whole product, or a hostile one) is computed
			// in bands of rows and stops between them when ctx ends
			alpha := api.DecodeF32(st[8])
			for i := 0; i < rows; i += gemmBand {
				if i > 0 && ctx.Err() != nil {
					faultf("gemm stopped: %v", ctx.Err())
				}
				r := min(gemmBand, rows-i)
				kernelabi.Native.Gemm(r, nr, k, a[i*lda:], lda, b, c[i*ldc:], ldc, alpha)
			}
		}
	case kernelabi.FnDot:
		return func(_ context.Context, mod api.Module, st []uint64) {
			m := memOf(mod)
			n := count(st[2], "n")
			st[0] = api.EncodeF32(accel.Dot(m.f32s(st[0], n, "dot x"), m.f32s(st[1], n, "dot y")))
		}
	case kernelabi.FnExp:
		return func(_ context.Context, mod api.Module, st []uint64) {
			m := memOf(mod)
			n := count(st[2], "n")
			accel.Exp(m.f32s(st[0], n, "exp dst"), m.f32s(st[1], n, "exp x"))
		}
	case kernelabi.FnMax:
		return func(_ context.Context, mod api.Module, st []uint64) {
			m := memOf(mod)
			x := m.f32s(st[0], count(st[1], "n"), "max x")
			if len(x) == 0 {
				st[0] = api.EncodeF32(float32(math.Inf(-1)))
				return
			}
			st[0] = api.EncodeF32(kernelabi.Native.Max(x))
		}
	case kernelabi.FnExpShiftSum:
		return func(_ context.Context, mod api.Module, st []uint64) {
			m := memOf(mod)
			x := m.f32s(st[0], count(st[1], "n"), "exp_shift_sum x")
			st[0] = api.EncodeF32(kernelabi.Native.ExpShiftSum(x, api.DecodeF32(st[2])))
		}
	case kernelabi.FnAddLayerNorm:
		return func(_ context.Context, mod api.Module, st []uint64) {
			m := memOf(mod)
			n := count(st[5], "n")
			if n == 0 {
				return
			}
			accel.AddLayerNorm(m.f32s(st[0], n, "add_layer_norm dst"), m.f32s(st[1], n, "add_layer_norm x"),
				m.f32s(st[2], n, "add_layer_norm y"), m.f32s(st[3], n, "add_layer_norm w"), m.f32s(st[4], n, "add_layer_norm b"),
				api.DecodeF32(st[6]))
		}
	case kernelabi.FnReLU:
		return func(_ context.Context, mod api.Module, st []uint64) {
			m := memOf(mod)
			accel.ReLU(m.f32s(st[0], count(st[1], "n"), "relu x"))
		}
	case kernelabi.FnSegMeanMax:
		return func(_ context.Context, mod api.Module, st []uint64) {
			m := memOf(mod)
			seg, segs := count(st[3], "seg"), count(st[4], "segments")
			if segs == 0 {
				return
			}
			if seg == 0 {
				faultf("seg_mean_max: segments of 0 elements")
			}
			accel.SegmentMeanMax(m.f32s(st[0], segs, "seg_mean_max mean"), m.f32s(st[1], segs, "seg_mean_max mx"),
				m.f32s(st[2], product(segs, seg, "seg_mean_max x"), "seg_mean_max x"), seg)
		}
	case kernelabi.FnWeightedMax4:
		return func(_ context.Context, mod api.Module, st []uint64) {
			m := memOf(mod)
			stride, n := count(st[2], "stride"), count(st[4], "n")
			if n == 0 {
				return
			}
			u := m.f32s(st[1], extent(4, n, stride, "weighted_max4 u"), "weighted_max4 u")
			a := m.f32s(st[3], 4, "weighted_max4 a")
			accel.WeightedMax4(m.f32s(st[0], n, "weighted_max4 dst"), u, stride, (*[4]float32)(a))
		}
	case kernelabi.FnGRUGates:
		return func(_ context.Context, mod api.Module, st []uint64) {
			m := memOf(mod)
			hidden, rows := count(st[3], "hidden"), count(st[4], "rows")
			n := product(hidden, rows, "gru_gates h")
			if n == 0 {
				return
			}
			accel.GRUGates(m.f32s(st[0], n, "gru_gates h"), m.f32s(st[1], product(3, n, "gru_gates gi"), "gru_gates gi"),
				m.f32s(st[2], 3*n, "gru_gates gh"), hidden)
		}
	case kernelabi.FnLSTMGates:
		return func(_ context.Context, mod api.Module, st []uint64) {
			m := memOf(mod)
			hidden, rows := count(st[3], "hidden"), count(st[4], "rows")
			n := product(hidden, rows, "lstm_gates h")
			if n == 0 {
				return
			}
			accel.LSTMGates(m.f32s(st[0], n, "lstm_gates h"), m.f32s(st[1], n, "lstm_gates c"),
				m.f32s(st[2], product(4, n, "lstm_gates g"), "lstm_gates g"), hidden)
		}
	case kernelabi.FnDequantF16:
		return func(_ context.Context, mod api.Module, st []uint64) {
			m := memOf(mod)
			n := count(st[2], "n")
			accel.DequantF16(m.f32s(st[0], n, "dequant_f16 dst"), m.u16s(st[1], n, "dequant_f16 src"))
		}
	case kernelabi.FnDequantInt8:
		return func(_ context.Context, mod api.Module, st []uint64) {
			m := memOf(mod)
			rows, cols := count(st[3], "rows"), count(st[4], "cols")
			n := product(rows, cols, "dequant_int8")
			if n == 0 {
				return
			}
			src := m.bytes(st[1], n, "dequant_int8 src")
			accel.DequantInt8(m.f32s(st[0], n, "dequant_int8 dst"), unsafe.Slice((*int8)(unsafe.Pointer(&src[0])), n),
				m.f32s(st[2], cols, "dequant_int8 scales"))
		}
	}
	panic("host: no native kernel " + name)
}

// u16s is f32s for uint16s (2-byte aligned).
func (m mem) u16s(ptr uint64, n int, what string) []uint16 {
	return view[uint16](m, ptr, n, what, "halves")
}

// bytes returns the n bytes at ptr.
func (m mem) bytes(ptr uint64, n int, what string) []byte {
	p := uint64(uint32(ptr))
	if p+uint64(n) > uint64(len(m)) {
		faultf("%s: %d bytes at %#x lie outside the guest's %d bytes of memory", what, n, p, len(m))
	}
	return m[p : p+uint64(n)]
}
