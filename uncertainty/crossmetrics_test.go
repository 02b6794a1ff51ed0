package uncertainty

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/portolan-sdk/portolan/internal/testpy"
	"github.com/stretchr/testify/require"
)

// TestMetricsMatchTrainer scores the same predictions with these metrics
// and with the trainer's (training/portolan_train/metrics.py, what its CV
// and RESULTS.md report) and requires the same numbers: counts (PICP,
// MACE, the calibration curve) exactly, sums to 1e-12 relative.
func TestMetricsMatchTrainer(t *testing.T) {
	py := testpy.Python(t)
	r := rand.New(rand.NewPCG(7, 11))
	const n = 257
	m := Metrics{Y: make([]float64, n), Mu: make([]float64, n), Var: make([]float64, n)}
	for i := range m.Y {
		m.Mu[i] = 100 + 40*r.NormFloat64()
		m.Var[i] = math.Pow(5+float64(i%9), 2) // ties: the ENCE bins must sort stably
		m.Y[i] = m.Mu[i] + 1.3*math.Sqrt(m.Var[i])*r.NormFloat64()
	}
	data, err := json.Marshal(map[string][]float64{"y": m.Y, "mu": m.Mu, "var": m.Var})
	require.NoError(t, err)
	in := filepath.Join(t.TempDir(), "pred.json")
	require.NoError(t, os.WriteFile(in, data, 0o644))
	out, err := exec.Command(py, filepath.Join("..", "training", "tests", "crossmetrics.py"), "regression", in).CombinedOutput()
	require.NoError(t, err, "%s", out)
	var got struct {
		R2, RMSE, MAE, NLL, CRPS, MACE, PICP90, ENCE, Sharpness float64
		Calibration                                             [][2]float64
	}
	require.NoError(t, json.Unmarshal(out, &got))
	for _, c := range []struct {
		name       string
		py, golang float64
	}{
		{"r2", got.R2, m.R2()}, {"rmse", got.RMSE, m.RMSE()}, {"mae", got.MAE, m.MAE()}, {"nll", got.NLL, m.NLL()},
		{"crps", got.CRPS, m.CRPS()}, {"ence", got.ENCE, m.ENCE(10)}, {"sharpness", got.Sharpness, m.Sharpness()},
	} {
		require.InEpsilon(t, c.py, c.golang, 1e-12, c.name)
	}
	require.Equal(t, got.PICP90, m.PICP(0.9))
	require.Equal(t, got.MACE, m.MACE())
	curve := m.CalibrationCurve()
	require.Len(t, got.Calibration, len(Levels))
	for i, p := range Levels {
		require.Equal(t, p, got.Calibration[i][0], "level %d", i)
		require.Equal(t, curve[i], got.Calibration[i][1], "level %v", p)
	}
	require.Greater(t, m.MACE(), 0.02, "a miscalibrated set (σ too small by 1.3), so the counts are not trivial")
}
