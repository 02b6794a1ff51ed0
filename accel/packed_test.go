package accel

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSgemmPacked checks packed products (f32, f16, int8 weights) against
// Sgemm on the dequantised weights, under every implementation, including
// a B packed under one implementation and used under another.
func TestSgemmPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	m, in, out := 37, 300, 70 // Linear: x m×in, W out×in
	x := randVecR(r, m*in)
	w := randVecR(r, out*in)
	h := make([]uint16, len(w))
	wh := make([]float32, len(w))
	q := make([]int8, len(w))
	scales := make([]float32, out)
	wq := make([]float32, len(w))
	for i, v := range w {
		h[i] = f32ToF16(v)
		wh[i] = F16ToF32(h[i])
		q[i] = int8(r.IntN(255) - 127)
	}
	for j := range scales {
		scales[j] = 0.02 * float32(j+1)
		for p := 0; p < in; p++ {
			wq[j*in+p] = scales[j] * float32(q[j*in+p])
		}
	}
	for _, packedUnder := range levels {
		restore, _ := use(packedUnder)
		pf := PackB(true, in, out, w, in)
		ph := PackBF16(in, out, h)
		pq := PackBInt8(in, out, q, scales)
		restore()
		eachImpl(t, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				pb   *PackedB
				ref  []float32
			}{{"f32", pf, w}, {"f16", ph, wh}, {"int8", pq, wq}} {
				want := make([]float32, m*out)
				Sgemm(false, true, m, out, in, 1, x, in, tc.ref, in, 0, want, out)
				abs := make([]float32, m*out) // Σ|x·w|, the scale of rounding errors
				Sgemm(false, true, m, out, in, 1, absVec(x), in, absVec(tc.ref), in, 0, abs, out)
				got := make([]float32, m*out)
				for i := range got {
					got[i] = 5 // beta 0 overwrites
				}
				SgemmPacked(false, m, 1, x, in, tc.pb, 0, got, out)
				for i := range want {
					require.InDelta(t, want[i], got[i], 2*dotTol(in, float64(abs[i])), "%s packed under %s, element %d", tc.name, packedUnder, i)
				}
			}
		})
	}
	require.Panics(t, func() { PackBInt8(2, 2, make([]int8, 4), make([]float32, 1)) })
	sm := []float32{1, 2, 3}
	SoftmaxMaskedInPlace(sm, []float32{0, -1e9, 0})
	require.Equal(t, float32(0), sm[1])
	require.InDelta(t, 1, sm[0]+sm[2], 1e-6)
}

// BenchmarkLinearPacked compares a Linear-shaped product with B packed per
// call (Sgemm) and once (SgemmPacked): 512 rows, 64 → 64, as WAY's blocks.
func BenchmarkLinearPacked(b *testing.B) {
	m, in, out := 512, 64, 128
	x, w, c := randVec(m*in), randVec(out*in), make([]float32, m*out)
	pw := PackB(true, in, out, w, in)
	flops := 2 * float64(m*in*out)
	b.Run("sgemm", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			Sgemm(false, true, m, out, in, 1, x, in, w, in, 0, c, out)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("packed", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			SgemmPacked(false, m, 1, x, in, pw, 0, c, out)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

func absVec(x []float32) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		if v < 0 {
			v = -v
		}
		out[i] = v
	}
	return out
}
