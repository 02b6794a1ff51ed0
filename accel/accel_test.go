package accel

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDotAndLinear(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5}
	y := []float32{5, 4, 3, 2, 1}
	require.Equal(t, float32(35), Dot(x, y))
	require.Panics(t, func() { Dot(x, y[:4]) })
	// 2 rows of x (in=3) through W (out=2): W = [[1,0,-1],[2,1,0]], b = [0.5, -1]
	dst := make([]float32, 4)
	Linear(dst, []float32{1, 2, 3, 4, 5, 6}, []float32{1, 0, -1, 2, 1, 0}, []float32{0.5, -1}, 2, 3, 2)
	require.Equal(t, []float32{-1.5, 3, -1.5, 12}, dst)
}

func TestSoftmaxLayerNorm(t *testing.T) {
	x := []float32{1, 2, 3, -1e9}
	SoftmaxInPlace(x)
	e := []float64{math.Exp(-2), math.Exp(-1), 1}
	s := e[0] + e[1] + e[2]
	require.InDelta(t, e[0]/s, x[0], 1e-7)
	require.InDelta(t, 1/s, x[2], 1e-7)
	require.Equal(t, float32(0), x[3])

	d := make([]float32, 4)
	LayerNorm(d, []float32{1, 2, 3, 4}, []float32{1, 1, 2, 1}, []float32{0, 0, 0, 1}, 0)
	sd := math.Sqrt(1.25)
	require.InDelta(t, -1.5/sd, d[0], 1e-6)
	require.InDelta(t, 2*0.5/sd, d[2], 1e-6)
	require.InDelta(t, 1.5/sd+1, d[3], 1e-6)
}

func TestGates(t *testing.T) {
	// GRU with zero pre-activations: r = z = 0.5, n = 0 → h = 0.5·h
	h := []float32{2, -4}
	GRUGates(h, make([]float32, 6), make([]float32, 6), 2)
	require.Equal(t, []float32{1, -2}, h)
	// LSTM with zero pre-activations: i = f = o = 0.5, g = 0 → c = 0.5c, h = 0.5·tanh(c)
	hh, c := []float32{0, 0}, []float32{2, -2}
	LSTMGates(hh, c, make([]float32, 8), 2)
	require.Equal(t, []float32{1, -1}, c)
	require.InDelta(t, 0.5*math.Tanh(1), hh[0], 1e-7)
}
