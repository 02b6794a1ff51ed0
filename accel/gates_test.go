package accel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func sigma64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// TestGateKernels checks GRUGates and LSTMGates against float64
// references on random pre-activations (including large ones), for every
// implementation and widths around the 8-lane blocks, with NaN guards.
func TestGateKernels(t *testing.T) {
	eachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(31, 32))
		for _, H := range []int{1, 7, 8, 9, 16, 63, 64, 100, 128} {
			rows := 3
			name := fmt.Sprintf("H=%d", H)
			h, okh := guarded(r, rows*H)
			gi, oki := guarded(r, rows*3*H)
			gh, okg := guarded(r, rows*3*H)
			for i := range gi {
				gi[i] *= 4
				if i%17 == 3 {
					gi[i] = float32(r.NormFloat64() * 100) // saturating
				}
			}
			h0 := append([]float32(nil), h...)
			GRUGates(h, gi, gh, H)
			require.True(t, okh() && oki() && okg(), "guards %s", name)
			for row := 0; row < rows; row++ {
				for j := 0; j < H; j++ {
					x := func(g []float32, k int) float64 { return float64(g[row*3*H+k*H+j]) }
					rr := sigma64(x(gi, 0) + x(gh, 0))
					z := sigma64(x(gi, 1) + x(gh, 1))
					n := math.Tanh(x(gi, 2) + rr*x(gh, 2))
					want := (1-z)*n + z*float64(h0[row*H+j])
					require.InDelta(t, want, float64(h[row*H+j]), 4e-6, "GRU %s row %d j %d", name, row, j)
				}
			}
			hh, okh2 := guarded(r, rows*H)
			c, okc := guarded(r, rows*H)
			g, okg2 := guarded(r, rows*4*H)
			for i := range g {
				g[i] *= 4
				if i%13 == 5 {
					g[i] = float32(r.NormFloat64() * 100)
				}
			}
			c0 := append([]float32(nil), c...)
			LSTMGates(hh, c, g, H)
			require.True(t, okh2() && okc() && okg2(), "guards %s", name)
			for row := 0; row < rows; row++ {
				for j := 0; j < H; j++ {
					x := func(k int) float64 { return float64(g[row*4*H+k*H+j]) }
					cw := sigma64(x(1))*float64(c0[row*H+j]) + sigma64(x(0))*math.Tanh(x(2))
					hw := sigma64(x(3)) * math.Tanh(cw)
					require.InDelta(t, cw, float64(c[row*H+j]), 4e-6*math.Max(1, math.Abs(cw)), "LSTM c %s row %d j %d", name, row, j)
					require.InDelta(t, hw, float64(hh[row*H+j]), 4e-6, "LSTM h %s row %d j %d", name, row, j)
				}
			}
		}
		// NaN pre-activations give NaN, not a plausible number
		h := []float32{0, 0, 0, 0, 0, 0, 0, 0}
		gi := make([]float32, 24)
		gi[2] = float32(math.NaN())
		GRUGates(h, gi, make([]float32, 24), 8)
		require.True(t, math.IsNaN(float64(h[2])))
		require.False(t, math.IsNaN(float64(h[3])))
		require.Panics(t, func() { GRUGates(h, gi[:23], gi, 8) })
		require.Panics(t, func() { LSTMGates(h, h, gi, 8) })
	})
}
