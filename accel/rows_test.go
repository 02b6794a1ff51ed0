package accel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// refLayerNorm is LayerNorm(x + y)·w + b in float64.
func refLayerNorm(x, y, w, b []float32, eps float32) []float64 {
	n := float64(len(x))
	var mean, vr float64
	for i := range x {
		mean += float64(x[i]) + float64(y[i])
	}
	mean /= n
	for i := range x {
		d := float64(x[i]) + float64(y[i]) - mean
		vr += d * d
	}
	inv := 1 / math.Sqrt(vr/n+float64(eps))
	out := make([]float64, len(x))
	for i := range x {
		out[i] = (float64(x[i])+float64(y[i])-mean)*inv*float64(w[i]) + float64(b[i])
	}
	return out
}

// TestRowKernels checks AddLayerNorm, ReLU, SegmentMeanMax and
// WeightedMax4 against float64 references for every implementation, at
// lengths around the 8-lane blocks, with NaN guards around every buffer.
func TestRowKernels(t *testing.T) {
	eachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(41, 42))
		for _, n := range []int{1, 7, 8, 9, 16, 64, 100, 128, 256} {
			name := fmt.Sprintf("n=%d", n)
			x, okx := guarded(r, n)
			y, oky := guarded(r, n)
			w, okw := guarded(r, n)
			b, okb := guarded(r, n)
			for i := range x {
				x[i] = 3 + 2*x[i] // an offset mean, as residual streams have
			}
			want := refLayerNorm(x, y, w, b, 1e-6)
			dst, okd := guarded(r, n)
			AddLayerNorm(dst, x, y, w, b, 1e-6)
			for i := range dst {
				require.InDelta(t, want[i], float64(dst[i]), 2e-5*(1+math.Abs(want[i])), "%s LN %d", name, i)
			}
			AddLayerNorm(x, x, y, w, b, 1e-6) // in place
			for i := range x {
				require.InDelta(t, want[i], float64(x[i]), 2e-5*(1+math.Abs(want[i])), "%s LN in place %d", name, i)
			}
			require.True(t, okx() && oky() && okw() && okb() && okd(), "guards %s", name)

			relu := append([]float32(nil), y...)
			relu[n/2] = float32(math.NaN())
			ReLU(relu)
			for i, v := range relu {
				switch {
				case i == n/2:
					require.True(t, math.IsNaN(float64(v)), "%s: ReLU(NaN)", name)
				default:
					require.Equal(t, max(y[i], 0), v, "%s ReLU %d", name, i)
				}
			}

			const segs = 5
			u, oku := guarded(r, segs*n)
			mean, mx := make([]float32, segs), make([]float32, segs)
			SegmentMeanMax(mean, mx, u, n)
			for s := 0; s < segs; s++ {
				var sum float64
				m := math.Inf(-1)
				for _, v := range u[s*n : (s+1)*n] {
					sum += float64(v)
					m = math.Max(m, float64(v))
				}
				require.InDelta(t, sum/float64(n), float64(mean[s]), 1e-6*float64(n), "%s mean %d", name, s)
				require.Equal(t, float32(m), mx[s], "%s max %d", name, s)
			}
			require.True(t, oku(), "guards %s", name)

			stride := n + 3
			v, okv := guarded(r, 3*stride+n)
			pool, okp := guarded(r, n)
			a := [4]float32{0.5, 1.5, 0.25, 1}
			WeightedMax4(pool, v, stride, &a)
			for j := 0; j < n; j++ {
				want := float32(math.Inf(-1))
				for c := 0; c < 4; c++ {
					want = max(want, a[c]*v[c*stride+j])
				}
				require.Equal(t, want, pool[j], "%s pool %d", name, j)
			}
			require.True(t, okv() && okp(), "guards %s", name)
		}
		require.Panics(t, func() {
			AddLayerNorm(make([]float32, 8), make([]float32, 8), make([]float32, 7), make([]float32, 8), make([]float32, 8), 0)
		})
		require.Panics(t, func() { SegmentMeanMax(make([]float32, 2), make([]float32, 2), make([]float32, 15), 8) })
		require.Panics(t, func() { WeightedMax4(make([]float32, 8), make([]float32, 30), 8, &[4]float32{}) })
	})
}

// FuzzRowKernels compares the active row and gate kernels with the
// generic ones.
func FuzzRowKernels(f *testing.F) {
	f.Add(uint8(16), int64(1))
	f.Fuzz(func(t *testing.T, nn uint8, seed int64) {
		n := int(nn%200) + 1
		r := rand.New(rand.NewPCG(uint64(seed), 9))
		x, y, w, b := randVecR(r, n), randVecR(r, n), randVecR(r, n), randVecR(r, n)
		fast := make([]float32, n)
		AddLayerNorm(fast, x, y, w, b, 1e-5)
		restore := ForceGeneric()
		gen := make([]float32, n)
		AddLayerNorm(gen, x, y, w, b, 1e-5)
		mean, mx := make([]float32, 3), make([]float32, 3)
		u := randVecR(r, 3*n)
		SegmentMeanMax(mean, mx, u, n)
		restore()
		fmean, fmx := make([]float32, 3), make([]float32, 3)
		SegmentMeanMax(fmean, fmx, u, n)
		for i := range fast {
			if math.Abs(float64(fast[i]-gen[i])) > 4e-5*(1+math.Abs(float64(gen[i]))) {
				t.Fatalf("%s LayerNorm[%d] = %v, generic %v", Implementation(), i, fast[i], gen[i])
			}
		}
		for s := range mean {
			if fmx[s] != mx[s] || math.Abs(float64(fmean[s]-mean[s])) > 1e-6*float64(n) {
				t.Fatalf("%s segment %d: mean %v max %v, generic %v %v", Implementation(), s, fmean[s], fmx[s], mean[s], mx[s])
			}
		}
		// the gate kernels, on pre-activations of a few units' scale
		gi, gh := randVecR(r, 3*n), randVecR(r, 3*n)
		for i := range gi {
			gi[i] *= 3
		}
		hf, hg := append([]float32(nil), x...), append([]float32(nil), x...)
		GRUGates(hf, gi, gh, n)
		restore = ForceGeneric()
		GRUGates(hg, gi, gh, n)
		restore()
		g4 := append(gi, gh[:n]...)
		cf, cg := append([]float32(nil), y...), append([]float32(nil), y...)
		lf, lg := make([]float32, n), make([]float32, n)
		LSTMGates(lf, cf, g4, n)
		restore = ForceGeneric()
		LSTMGates(lg, cg, g4, n)
		restore()
		for i := 0; i < n; i++ {
			if math.Abs(float64(hf[i]-hg[i])) > 2e-6*(1+math.Abs(float64(hg[i]))) ||
				math.Abs(float64(lf[i]-lg[i])) > 2e-6 || math.Abs(float64(cf[i]-cg[i])) > 2e-6*(1+math.Abs(float64(cg[i]))) {
				t.Fatalf("%s gates[%d]: GRU %v (generic %v), LSTM h %v c %v (generic %v %v)", Implementation(), i, hf[i], hg[i], lf[i], cf[i], lg[i], cg[i])
			}
		}
	})
}
