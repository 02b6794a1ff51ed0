package wasmrun

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/portolan-sdk/portolan/accel"
	"github.com/portolan-sdk/portolan/internal/kernelabi"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// memPages is the size of the test guest's memory.
const memPages = 2

// memoryGuest instantiates a module that only exports a memory of
// memPages pages: the caller the native kernels see.
func memoryGuest(t testing.TB) api.Module {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	t.Cleanup(func() { rt.Close(ctx) })
	mod, err := rt.Instantiate(ctx, []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
		5, 3, 1, 0, memPages,
		7, 10, 1, 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0})
	require.NoError(t, err)
	return mod
}

// callNative runs a native kernel and returns its fault, if any; any
// other panic fails the test (a range the checks let through).
func callNative(t testing.TB, mod api.Module, name string, stack []uint64) (fault error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(kernelFault)
			if !ok {
				t.Fatalf("%s%v: panic %v, want a kernel fault or none", name, stack, r)
			}
			fault = f
		}
	}()
	nativeKernel(name)(context.Background(), mod, stack)
	return nil
}

// TestNativeBounds: ranges outside the guest's memory, misaligned or
// negative are faults, never reads or writes outside it.
func TestNativeBounds(t *testing.T) {
	mod := memoryGuest(t)
	size := uint64(memPages << 16)
	end := func(n uint64) uint64 { return size - 4*n } // the last n floats
	i32 := func(v int32) uint64 { return uint64(uint32(v)) }
	for _, c := range []struct {
		name  string
		stack []uint64
		fault bool
	}{
		{kernelabi.FnDot, []uint64{0, end(8), 8}, false},
		{kernelabi.FnDot, []uint64{0, end(8), 9}, true},
		{kernelabi.FnDot, []uint64{2, 64, 4}, true}, // misaligned
		{kernelabi.FnDot, []uint64{0, 64, i32(-1)}, true},
		{kernelabi.FnExp, []uint64{end(3), end(3), 3}, false},
		{kernelabi.FnExp, []uint64{end(3), 0, 4}, true},
		{kernelabi.FnMax, []uint64{0, 0}, false},
		{kernelabi.FnMax, []uint64{size, 1}, true},
		{kernelabi.FnExpShiftSum, []uint64{0, size/4 + 1, 0}, true},
		{kernelabi.FnAddLayerNorm, []uint64{0, 0, 0, 0, end(16), 16, 0}, false},
		{kernelabi.FnAddLayerNorm, []uint64{0, 0, 0, end(15), 0, 16, 0}, true},
		{kernelabi.FnReLU, []uint64{math.MaxUint32 - 3, 1}, true},
		{kernelabi.FnSegMeanMax, []uint64{0, 0, end(12), 4, 3}, false},
		{kernelabi.FnSegMeanMax, []uint64{0, 0, end(12), 4, 4}, true},
		{kernelabi.FnSegMeanMax, []uint64{0, 0, 0, 0, 4}, true},
		{kernelabi.FnSegMeanMax, []uint64{0, 0, 0, 1 << 30, 1 << 30}, true},
		{kernelabi.FnWeightedMax4, []uint64{0, end(3*8 + 4), 8, 0, 4}, false},
		{kernelabi.FnWeightedMax4, []uint64{0, end(3*8 + 4), 8, 0, 5}, true},
		{kernelabi.FnWeightedMax4, []uint64{0, 0, 3, 0, 4}, true}, // stride under n
		{kernelabi.FnGRUGates, []uint64{0, 0, end(3 * 16), 8, 2}, false},
		{kernelabi.FnGRUGates, []uint64{0, 0, end(3 * 16), 8, 3}, true},
		{kernelabi.FnGRUGates, []uint64{0, 0, 0, 1 << 20, 1 << 20}, true},
		{kernelabi.FnLSTMGates, []uint64{0, 0, end(4 * 16), 16, 1}, false},
		{kernelabi.FnLSTMGates, []uint64{0, end(8), 0, 16, 1}, true},
		{kernelabi.FnGemm, []uint64{12, uint64(kernelabi.Native.Panel), 8, 0, 8, end(uint64(8 * kernelabi.Native.Panel)), 0, uint64(kernelabi.Native.Panel), api.EncodeF32(1)}, false},
		{kernelabi.FnGemm, []uint64{12, uint64(kernelabi.Native.Panel), 8, end(8), 8, 0, 0, uint64(kernelabi.Native.Panel), api.EncodeF32(1)}, true},
		{kernelabi.FnGemm, []uint64{2, uint64(kernelabi.Native.Panel), 8, 0, 7, 0, 0, uint64(kernelabi.Native.Panel), api.EncodeF32(1)}, true}, // lda under k
		{kernelabi.FnGemm, []uint64{2, 8, 8, 0, 8, 0, 0, 8, api.EncodeF32(1)}, true},                                                           // another panel width
		{kernelabi.FnGemm, []uint64{1 << 30, uint64(kernelabi.Native.Panel), 1 << 30, 0, 1 << 30, 0, 0, 1 << 30, api.EncodeF32(1)}, true},
		{kernelabi.FnDequantF16, []uint64{0, 1, 2}, true}, // misaligned halves
		{kernelabi.FnDequantF16, []uint64{0, size - 4, 2}, false},
		{kernelabi.FnDequantInt8, []uint64{0, size - 6, 0, 2, 3}, false},
		{kernelabi.FnDequantInt8, []uint64{0, size - 6, 0, 2, 4}, true},
	} {
		err := callNative(t, mod, c.name, append([]uint64(nil), c.stack...))
		require.Equal(t, c.fault, err != nil, "%s%v: %v", c.name, c.stack, err)
	}
}

// FuzzNativeBounds calls every native kernel with arbitrary arguments: a
// fault or a result, never another panic.
func FuzzNativeBounds(f *testing.F) {
	f.Add(uint8(0), uint64(1), uint32(0), uint32(16))
	f.Add(uint8(3), uint64(2), uint32(1<<16), uint32(5))
	mod := memoryGuest(f)
	f.Fuzz(func(t *testing.T, which uint8, seed uint64, near, span uint32) {
		fn := kernelabi.Funcs[int(which)%len(kernelabi.Funcs)]
		r := rand.New(rand.NewPCG(seed, uint64(near)))
		stack := make([]uint64, max(len(fn.Params), len(fn.Results)))
		for i, p := range fn.Params {
			if p == kernelabi.F32 {
				stack[i] = api.EncodeF32(float32(r.NormFloat64()))
				continue
			}
			switch r.IntN(4) { // an offset near the end, a small count, anything
			case 0:
				stack[i] = uint64(memPages<<16) - uint64(near%4096)
			case 1:
				stack[i] = uint64(span % 70)
			case 2:
				stack[i] = uint64(kernelabi.Native.Panel)
			default:
				stack[i] = uint64(r.Uint32())
			}
		}
		callNative(t, mod, fn.Name, stack)
	})
}

// TestNativeAgrees: a native kernel computes on the guest's memory what
// accel computes on the same values.
func TestNativeAgrees(t *testing.T) {
	mod := memoryGuest(t)
	m := mod.Memory()
	put := func(p uint32, x []float32) {
		b := make([]byte, 4*len(x))
		for i, v := range x {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		require.True(t, m.Write(p, b))
	}
	get := func(p uint32, n int) []float32 {
		b, ok := m.Read(p, uint32(4*n))
		require.True(t, ok)
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return out
	}
	r := rand.New(rand.NewPCG(1, 2))
	vec := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	// a tile: 5 rows, depth 40, A row stride 41, C row stride panel+3
	nr := kernelabi.Native.Panel
	a, b, c := vec(4*41+40), vec(40*nr), vec(4*(nr+3)+nr)
	put(0, a)
	put(4096, b)
	put(32768, c)
	require.NoError(t, callNative(t, mod, kernelabi.FnGemm, []uint64{5, uint64(nr), 40, 0, 41, 4096, 32768, uint64(nr + 3), api.EncodeF32(0.5)}))
	accel.Sgemm(false, false, 5, nr, 40, 0.5, a, 41, b, nr, 1, c, nr+3)
	got := get(32768, len(c))
	for i := range c {
		require.InDelta(t, c[i], got[i], 1e-4, "gemm %d", i)
	}
	x := vec(100)
	put(0, x)
	st := []uint64{0, 100, 0}
	require.NoError(t, callNative(t, mod, kernelabi.FnMax, st))
	mx := api.DecodeF32(st[0])
	st = []uint64{0, 100, api.EncodeF32(mx)}
	require.NoError(t, callNative(t, mod, kernelabi.FnExpShiftSum, st))
	var want float64
	for _, v := range x {
		want += math.Exp(float64(v - mx))
	}
	require.InDelta(t, want, float64(api.DecodeF32(st[0])), 1e-4*want)
}

// TestNativeGemmStops: a long gemm call looks at its context between
// bands of rows.
func TestNativeGemmStops(t *testing.T) {
	mod := memoryGuest(t)
	nr := uint64(kernelabi.Native.Panel)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stack := []uint64{100, nr, 1, 0, 1, 4096, 8192, nr, api.EncodeF32(1)}
	func() {
		defer func() {
			f, ok := recover().(kernelFault)
			require.True(t, ok)
			require.Contains(t, f.Error(), "stopped")
		}()
		nativeKernel(kernelabi.FnGemm)(ctx, mod, stack)
	}()
	stack[0] = gemmBand // one band: nothing to stop between
	nativeKernel(kernelabi.FnGemm)(ctx, mod, stack)
}

// TestStats: with Stats, the native kernels count their calls.
func TestStats(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	// a guest whose export v returns portolan_accel.abi_version()
	guest := []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
		1, 5, 1, 0x60, 0, 1, 0x7f, // type 0: () → i32
		2, 30, 1, 14, 'p', 'o', 'r', 't', 'o', 'l', 'a', 'n', '_', 'a', 'c', 'c', 'e', 'l',
		11, 'a', 'b', 'i', '_', 'v', 'e', 'r', 's', 'i', 'o', 'n', 0, 0, // import function 0
		3, 2, 1, 0, // function 1 of type 0
		7, 5, 1, 1, 'v', 0, 1, // export v
		10, 6, 1, 4, 0, 0x10, 0, 0x0b, // its body: call 0
	}
	cm, err := rt.CompileModule(ctx, guest)
	require.NoError(t, err)
	s := &Stats{}
	l, err := NewLinker(ctx, rt, cm, Kernels{Kind: Native, Stats: s})
	require.NoError(t, err)
	mod, err := l.Instantiate(ctx, rt, cm, wazero.NewModuleConfig())
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		v, err := mod.ExportedFunction("v").Call(ctx)
		require.NoError(t, err)
		require.Equal(t, []uint64{kernelabi.Version}, v)
	}
	require.Equal(t, 3, s.Calls[0])
	require.Equal(t, 0, s.Calls[1])
	require.NoError(t, l.Close(ctx, mod))
}
