package models

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/portolan-sdk/portolan/export"
	"github.com/stretchr/testify/require"
)

func loadTD(t testing.TB) *TD {
	b, err := export.ReadFile(filepath.Join(testdata, "models", "td-demo.portolan"))
	require.NoError(t, err)
	m, err := NewTD(b)
	require.NoError(t, err)
	return m
}

// TestTDConformance checks MC samples and their statistics for the
// reference seed against the PyTorch vectors.
func TestTDConformance(t *testing.T) {
	m := loadTD(t)
	b, err := export.ReadFile(filepath.Join(testdata, "conformance", "td-demo.vectors.portolan"))
	require.NoError(t, err)
	get := func(name string) ([]float32, []int) {
		tn, err := b.Tensor(name)
		require.NoError(t, err)
		v, err := tn.Float32s()
		require.NoError(t, err)
		return v, tn.Shape
	}
	x, shape := get("x_raw")
	refMu, _ := get("sample_mean")
	refVar, _ := get("sample_var")
	refMean, _ := get("mean")
	refEpi, _ := get("epistemic")
	refAle, _ := get("aleatoric")
	L, err := b.Config.Int("samples", 0)
	require.NoError(t, err)
	seed, err := b.Config.Int("seed", 0)
	require.NoError(t, err)
	tol := b.Config["tolerance"].(map[string]any)
	rel, abs := tol["stats_rel"].(float64), tol["stats_abs"].(float64)
	within := func(got float64, want float32, what string) {
		require.LessOrEqual(t, math.Abs(got-float64(want)), abs+rel*math.Abs(float64(want)), "%s: got %v want %v", what, got, want)
	}
	w := m.NewWork(L)
	N, T, D := shape[0], shape[1], shape[2]
	for n := 0; n < N; n++ {
		require.NoError(t, m.Sample(w, x[n*T*D:(n+1)*T*D], n, uint64(seed)))
		var mean, ale float64
		for s := 0; s < L; s++ {
			within(w.Mu[s], refMu[n*L+s], "sample mean")
			within(w.Var[s], refVar[n*L+s], "sample variance")
			mean += w.Mu[s]
			ale += w.Var[s]
		}
		mean /= float64(L)
		var epi float64
		for s := 0; s < L; s++ {
			epi += (w.Mu[s] - mean) * (w.Mu[s] - mean)
		}
		within(mean, refMean[n], "mean")
		within(epi/float64(L), refEpi[n], "epistemic")
		within(ale/float64(L), refAle[n], "aleatoric")
	}
}

func TestTDBadInput(t *testing.T) {
	m := loadTD(t)
	w := m.NewWork(4)
	require.ErrorIs(t, m.Sample(w, make([]float32, 3), 0, 1), ErrInput)
	x := make([]float32, m.T*m.D)
	x[5] = float32(math.Inf(1))
	require.ErrorIs(t, m.Sample(w, x, 0, 1), ErrInput)
	x[5] = 0
	require.NoError(t, m.Sample(w, x, 0, 1))
	allocs := testing.AllocsPerRun(10, func() { _ = m.Sample(w, x, 0, 1) })
	require.Zero(t, allocs)
}
