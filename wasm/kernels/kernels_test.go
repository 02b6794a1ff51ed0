package kernels

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/portolan-sdk/portolan/accel"
	"github.com/portolan-sdk/portolan/internal/half"
	"github.com/portolan-sdk/portolan/internal/kernelabi"
	"github.com/portolan-sdk/portolan/internal/wasmbuild"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// The SIMD128 module, run by wazero (which implements WebAssembly SIMD),
// against accel's generic Go code: on amd64 and in WebAssembly, Go rounds
// every float32 product and sum as the module does, so the results must
// be bit-identical (equal as floats: the sign of a zero may differ);
// where Go fuses multiply-adds (arm64) they are compared within rounding.

// exact reports whether Go's generic kernels round as the module does
// here.
var exact = runtime.GOARCH == "amd64" || runtime.GOARCH == "wasm"

// rig is the kernel module instantiated on a memory of its own.
type rig struct {
	t   testing.TB
	ctx context.Context
	mem api.Memory
	fns map[string]api.Function
	top uint32 // next free offset
}

// memoryModule exports one memory of 64 pages (4 MiB), as "memory".
var memoryModule = []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
	5, 3, 1, 0, 64, // memory section: one memory, min 64 pages
	7, 10, 1, 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0, // export "memory"
}

func newRig(t testing.TB) *rig {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	t.Cleanup(func() { rt.Close(ctx) })
	g, err := rt.InstantiateWithConfig(ctx, memoryModule, wazero.NewModuleConfig().WithName("guest"))
	require.NoError(t, err)
	k, err := rt.InstantiateWithConfig(ctx, Module, wazero.NewModuleConfig().WithName("kernels"))
	require.NoError(t, err)
	r := &rig{t: t, ctx: ctx, mem: g.Memory(), fns: map[string]api.Function{}}
	for _, f := range kernelabi.Funcs {
		fn := k.ExportedFunction(f.Name)
		require.NotNil(t, fn, f.Name)
		require.Equal(t, f.Params, kernelTypes(fn.Definition().ParamTypes()), f.Name)
		require.Equal(t, f.Results, kernelTypes(fn.Definition().ResultTypes()), f.Name)
		r.fns[f.Name] = fn
	}
	return r
}

func kernelTypes(ts []api.ValueType) []kernelabi.ValueType {
	var out []kernelabi.ValueType
	for _, t := range ts {
		out = append(out, kernelabi.ValueType(t))
	}
	return out
}

// reset frees every buffer; skew shifts the next one by 4·skew bytes (so
// that vectors start at any 4-byte alignment).
func (r *rig) reset(skew int) { r.top = 64 + 4*uint32(skew&3) }

// put copies x into fresh memory and returns its offset.
func (r *rig) put(x []float32) uint32 {
	p := r.top
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	require.True(r.t, r.mem.Write(p, b))
	r.top += uint32(len(b)+15) &^ 15
	return p
}

func (r *rig) get(p uint32, n int) []float32 {
	b, ok := r.mem.Read(p, uint32(4*n))
	require.True(r.t, ok)
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func (r *rig) call(name string, args ...uint64) uint64 {
	res, err := r.fns[name].Call(r.ctx, args...)
	require.NoError(r.t, err, name)
	if len(res) == 0 {
		return 0
	}
	return res[0]
}

func f32(v float32) uint64 { return api.EncodeF32(v) }

// same requires got to equal want element by element: as floats (NaN
// equal to NaN) where the rounding is the same, else within a relative
// 1e-5 of the largest magnitude.
func same(t testing.TB, want, got []float32, what string) {
	t.Helper()
	require.Equal(t, len(want), len(got), what)
	scale := 0.0
	for _, v := range want {
		if !math.IsInf(float64(v), 0) && !math.IsNaN(float64(v)) {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
	}
	for i := range want {
		w, g := want[i], got[i]
		if w == g || (w != w && g != g) {
			continue
		}
		if !exact && math.Abs(float64(w-g)) <= 1e-5*math.Max(1, scale) {
			continue
		}
		require.Failf(t, "differs", "%s[%d]: kernel %v (%08x), generic %v (%08x)", what, i, g, math.Float32bits(g), w, math.Float32bits(w))
	}
}

func randVec(r *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * scale)
	}
	return v
}

// generic runs f with accel's generic kernels.
func generic(f func()) {
	restore := accel.ForceGeneric()
	defer restore()
	f()
}

func TestIdentity(t *testing.T) {
	r := newRig(t)
	require.Equal(t, uint64(kernelabi.Version), r.call(kernelabi.FnVersion))
	require.Equal(t, uint64(kernelabi.ImplSIMD128), r.call(kernelabi.FnImplementation))
	require.Equal(t, 12, kernelabi.TileRows(int32(r.call(kernelabi.FnGemmPanel))))
	require.LessOrEqual(t, len(Module), MaxSize)
}

// TestModuleUpToDate: the committed module is what wat2wasm and wasm-opt
// make of kernels.wat.
func TestModuleUpToDate(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "k.wasm")
	err = wasmbuild.AssembleKernels(context.Background(), root, out)
	if errors.Is(err, wasmbuild.ErrNoAssembler) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	require.NoError(t, err)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	require.True(t, bytes.Equal(got, Module), "portolan_accel.wasm is stale: make wasm, then copy build/wasm/portolan_accel.wasm to wasm/kernels")
}

// TestDequantF16All converts every binary16 value.
func TestDequantF16All(t *testing.T) {
	r := newRig(t)
	r.reset(0)
	src := make([]byte, 2*65536)
	want := make([]float32, 65536)
	for i := range want {
		binary.LittleEndian.PutUint16(src[2*i:], uint16(i))
		want[i] = half.ToFloat32(uint16(i))
	}
	ps := r.top
	require.True(t, r.mem.Write(ps, src))
	r.top += uint32(len(src))
	dst := r.put(make([]float32, 65536))
	r.call(kernelabi.FnDequantF16, uint64(dst), uint64(ps), 65536)
	got := r.get(dst, 65536)
	for i := range want {
		if want[i] != want[i] {
			require.True(t, got[i] != got[i], "%04x: NaN stays NaN", i)
			continue
		}
		require.Equal(t, math.Float32bits(want[i]), math.Float32bits(got[i]), "%04x", i)
	}
}

// TestExpSpecial: the exponential's special and boundary values, where
// the polynomial switches to 0, subnormals and infinity.
func TestExpSpecial(t *testing.T) {
	r := newRig(t)
	x := []float32{0, -0.0, 1, -1, 88, 88.72, 88.72283, 88.7229, 89, 1e30, float32(math.Inf(1)), float32(math.NaN()),
		-87, -87.3, -87.4, -100, -103, -103.97, -103.98, -104, -1e30, float32(math.Inf(-1)), 0.3465736, -0.3465736, 1e-10}
	for n := 0; n <= len(x); n++ {
		r.reset(n)
		px, pd := r.put(x[:n]), r.put(make([]float32, n))
		r.call(kernelabi.FnExp, uint64(pd), uint64(px), uint64(n))
		want := make([]float32, n)
		generic(func() { accel.Exp(want, x[:n]) })
		same(t, want, r.get(pd, n), "exp")
	}
}

// kernelCase runs one kernel on random inputs shaped by n and the seed
// and compares it with the generic code.
func kernelCase(t testing.TB, r *rig, which int, seed uint64, n, m int) {
	rnd := rand.New(rand.NewPCG(seed, uint64(which)))
	r.reset(int(seed))
	switch which % 13 {
	case 0: // dot
		x, y := randVec(rnd, n, 1), randVec(rnd, n, 1)
		got := api.DecodeF32(r.call(kernelabi.FnDot, uint64(r.put(x)), uint64(r.put(y)), uint64(n)))
		var want float32
		generic(func() { want = accel.Dot(x, y) })
		same(t, []float32{want}, []float32{got}, "dot")
	case 1: // exp, in place and not, over the whole range
		x := randVec(rnd, n, 40)
		px := r.put(x)
		pd := px
		if seed&1 == 0 {
			pd = r.put(make([]float32, n))
		}
		r.call(kernelabi.FnExp, uint64(pd), uint64(px), uint64(n))
		want := make([]float32, n)
		generic(func() { accel.Exp(want, x) })
		same(t, want, r.get(pd, n), "exp")
	case 2: // max and exp_shift_sum (a softmax row)
		if n == 0 {
			require.Equal(t, float32(math.Inf(-1)), api.DecodeF32(r.call(kernelabi.FnMax, 64, 0)))
			return
		}
		x := randVec(rnd, n, 5)
		px := r.put(x)
		m := api.DecodeF32(r.call(kernelabi.FnMax, uint64(px), uint64(n)))
		wm := x[0]
		for _, v := range x {
			wm = max(wm, v)
		}
		require.Equal(t, wm, m, "max")
		sum := api.DecodeF32(r.call(kernelabi.FnExpShiftSum, uint64(px), uint64(n), f32(m)))
		want := make([]float32, n)
		for i, v := range x {
			want[i] = v - m
		}
		generic(func() { accel.Exp(want, want) })
		var s [4]float32
		q := n &^ 3
		for i := 0; i < q; i++ {
			s[i&3] += want[i]
		}
		ws := (s[0] + s[1]) + (s[2] + s[3])
		for _, v := range want[q:] {
			ws += v
		}
		same(t, want, r.get(px, n), "exp_shift_sum x")
		same(t, []float32{ws}, []float32{sum}, "exp_shift_sum")
	case 3: // add_layer_norm, into dst, x or y
		x, y, w, b := randVec(rnd, n, 2), randVec(rnd, n, 1), randVec(rnd, n, 1), randVec(rnd, n, 1)
		for i := range x {
			x[i] += 3
		}
		px, py, pw, pb := r.put(x), r.put(y), r.put(w), r.put(b)
		pd := []uint32{r.put(make([]float32, n)), px, py}[seed%3]
		r.call(kernelabi.FnAddLayerNorm, uint64(pd), uint64(px), uint64(py), uint64(pw), uint64(pb), uint64(n), f32(1e-6))
		want := make([]float32, n)
		generic(func() { accel.AddLayerNorm(want, x, y, w, b, 1e-6) })
		same(t, want, r.get(pd, n), "add_layer_norm")
	case 4: // relu, with NaN and −0
		x := randVec(rnd, n, 1)
		if n > 2 {
			x[seed%uint64(n)], x[(seed+1)%uint64(n)] = float32(math.NaN()), float32(math.Copysign(0, -1))
		}
		px := r.put(x)
		r.call(kernelabi.FnReLU, uint64(px), uint64(n))
		want := append([]float32(nil), x...)
		generic(func() { accel.ReLU(want) })
		same(t, want, r.get(px, n), "relu")
	case 5: // seg_mean_max
		seg, segs := n%37+1, m%7
		x := randVec(rnd, seg*segs, 3)
		pmean, pmx := r.put(make([]float32, segs)), r.put(make([]float32, segs))
		r.call(kernelabi.FnSegMeanMax, uint64(pmean), uint64(pmx), uint64(r.put(x)), uint64(seg), uint64(segs))
		mean, mx := make([]float32, segs), make([]float32, segs)
		generic(func() { accel.SegmentMeanMax(mean, mx, x, seg) })
		same(t, mean, r.get(pmean, segs), "seg_mean_max mean")
		same(t, mx, r.get(pmx, segs), "seg_mean_max max")
	case 6: // weighted_max4
		stride := n + m%5
		u := randVec(rnd, 3*stride+n, 2)
		var a [4]float32
		copy(a[:], randVec(rnd, 4, 1))
		pd := r.put(make([]float32, n))
		r.call(kernelabi.FnWeightedMax4, uint64(pd), uint64(r.put(u)), uint64(stride), uint64(r.put(a[:])), uint64(n))
		want := make([]float32, n)
		generic(func() { accel.WeightedMax4(want, u, stride, &a) })
		same(t, want, r.get(pd, n), "weighted_max4")
	case 7: // gru_gates
		hidden, rows := n%70+1, m%4+1
		h, gi, gh := randVec(rnd, rows*hidden, 1), randVec(rnd, 3*rows*hidden, 3), randVec(rnd, 3*rows*hidden, 3)
		ph := r.put(h)
		r.call(kernelabi.FnGRUGates, uint64(ph), uint64(r.put(gi)), uint64(r.put(gh)), uint64(hidden), uint64(rows))
		generic(func() { accel.GRUGates(h, gi, gh, hidden) })
		same(t, h, r.get(ph, rows*hidden), "gru_gates")
	case 8: // lstm_gates
		hidden, rows := n%70+1, m%4+1
		h, c, g := make([]float32, rows*hidden), randVec(rnd, rows*hidden, 1), randVec(rnd, 4*rows*hidden, 3)
		ph, pc := r.put(h), r.put(c)
		r.call(kernelabi.FnLSTMGates, uint64(ph), uint64(pc), uint64(r.put(g)), uint64(hidden), uint64(rows))
		generic(func() { accel.LSTMGates(h, c, g, hidden) })
		same(t, h, r.get(ph, rows*hidden), "lstm_gates h")
		same(t, c, r.get(pc, rows*hidden), "lstm_gates c")
	case 9: // gemm: a tile of up to 12 rows against a 32-wide panel, depth ≤ 256
		const nr = 32
		rows, k := m%12+1, n%256+1
		lda, ldc := k+int(seed%5), nr+int(seed%3)
		a, b, c := randVec(rnd, (rows-1)*lda+k, 1), randVec(rnd, k*nr, 1), randVec(rnd, (rows-1)*ldc+nr, 1)
		alpha := []float32{1, 0.125, -2}[seed%3]
		pc := r.put(c)
		r.call(kernelabi.FnGemm, uint64(rows), nr, uint64(k), uint64(r.put(a)), uint64(lda), uint64(r.put(b)), uint64(pc), uint64(ldc), f32(alpha))
		generic(func() { accel.Sgemm(false, false, rows, nr, k, alpha, a, lda, b, nr, 1, c, ldc) })
		same(t, c, r.get(pc, len(c)), "gemm")
	case 10: // dequant_f16 of random halves
		src := make([]byte, 2*n+2)
		want := make([]float32, n)
		for i := range want {
			h := uint16(rnd.Uint32())
			binary.LittleEndian.PutUint16(src[2+2*i:], h)
			want[i] = half.ToFloat32(h)
		}
		ps := r.top
		require.True(t, r.mem.Write(ps, src))
		r.top += uint32(len(src)+15) &^ 15
		pd := r.put(make([]float32, n))
		r.call(kernelabi.FnDequantF16, uint64(pd), uint64(ps+2), uint64(n)) // 2-byte aligned
		same(t, want, r.get(pd, n), "dequant_f16")
	case 11: // dequant_int8
		rows, cols := m%5, n%40+1
		src := make([]byte, rows*cols)
		for i := range src {
			src[i] = byte(rnd.Uint32())
		}
		scales := randVec(rnd, cols, 0.01)
		ps := r.top + uint32(seed%4) // any byte alignment
		require.True(t, r.mem.Write(ps, src))
		r.top += uint32(len(src)+20) &^ 15
		pd := r.put(make([]float32, rows*cols))
		r.call(kernelabi.FnDequantInt8, uint64(pd), uint64(ps), uint64(r.put(scales)), uint64(rows), uint64(cols))
		want := make([]float32, rows*cols)
		for i := range want {
			want[i] = scales[i%cols] * float32(int8(src[i]))
		}
		same(t, want, r.get(pd, rows*cols), "dequant_int8")
	case 12: // gemm with a deep product, against a float64 reference
		const nr = 32
		rows, k := m%12+1, 257+n%300
		a, b, c := randVec(rnd, rows*k, 1), randVec(rnd, k*nr, 1), make([]float32, rows*nr)
		pc := r.put(c)
		r.call(kernelabi.FnGemm, uint64(rows), nr, uint64(k), uint64(r.put(a)), uint64(k), uint64(r.put(b)), uint64(pc), nr, f32(1))
		got := r.get(pc, rows*nr)
		for i := 0; i < rows; i++ {
			for j := 0; j < nr; j++ {
				var s, abs float64
				for p := 0; p < k; p++ {
					s += float64(a[i*k+p]) * float64(b[p*nr+j])
					abs += math.Abs(float64(a[i*k+p]) * float64(b[p*nr+j]))
				}
				require.InDelta(t, s, float64(got[i*nr+j]), float64(k+1)*0x1p-23*abs+1e-30, "gemm k=%d [%d][%d]", k, i, j)
			}
		}
	}
}

// TestKernels runs every kernel at lengths around the 4-lane blocks.
func TestKernels(t *testing.T) {
	r := newRig(t)
	for which := 0; which < 13; which++ {
		for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 128, 255, 256} {
			for m := 0; m < 13; m += 4 {
				kernelCase(t, r, which, uint64(n*31+m), n, m)
			}
		}
	}
}

// FuzzKernels runs random kernels, lengths and alignments.
func FuzzKernels(f *testing.F) {
	for i := 0; i < 13; i++ {
		f.Add(uint8(i), uint64(i), uint16(37*i), uint8(i))
	}
	r := newRig(f)
	f.Fuzz(func(t *testing.T, which uint8, seed uint64, n uint16, m uint8) {
		r.t = t
		kernelCase(t, r, int(which), seed, int(n%1500), int(m))
	})
}
