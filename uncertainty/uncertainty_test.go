package uncertainty

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSummarize(t *testing.T) {
	// μ = 1, 3 → mean 2, epistemic 1; σ² = 2, 4 → aleatoric 3; total 4
	s, err := Summarize([]float64{1, 3}, []float64{2, 4})
	require.NoError(t, err)
	require.Equal(t, Summary{Mean: 2, Epistemic: 1, Aleatoric: 3, Total: 4}, s)
	require.Equal(t, 2.0, s.Std())
	lo, hi := s.Interval(0.9)
	require.InDelta(t, 2-1.6448536*2, lo, 1e-6)
	require.InDelta(t, 2+1.6448536*2, hi, 1e-6)
	_, err = Summarize(nil, nil)
	require.ErrorIs(t, err, ErrInput)
	_, err = Summarize([]float64{1}, []float64{-1})
	require.ErrorIs(t, err, ErrInput)
	_, err = Summarize([]float64{math.NaN()}, []float64{1})
	require.ErrorIs(t, err, ErrInput)
}

func TestMetricsHandValues(t *testing.T) {
	m := Metrics{Y: []float64{0}, Mu: []float64{0}, Var: []float64{1}}
	require.NoError(t, m.Check())
	require.InDelta(t, 2/math.Sqrt(2*math.Pi)-1/math.Sqrt(math.Pi), m.CRPS(), 1e-12)
	require.InDelta(t, 0.5*math.Log(2*math.Pi), m.NLL(), 1e-12)
	require.Equal(t, 1.0, m.Sharpness())

	m = Metrics{Y: []float64{1, 2, 3}, Mu: []float64{2, 3, 4}, Var: []float64{1, 1, 1}}
	require.Equal(t, 1.0, m.RMSE())
	require.Equal(t, 1.0, m.MAE())
	require.Equal(t, -0.5, m.R2()) // 1 − 3/2

	// interval score at 90% for y outside the interval by 1: width 2·1.6449 + (2/0.1)·1
	m = Metrics{Y: []float64{1.6448536269514722 + 1}, Mu: []float64{0}, Var: []float64{1}}
	require.InDelta(t, 2*1.6448536269514722+20, m.IntervalScore(0.9), 1e-9)
	require.Equal(t, 0.0, m.PICP(0.9))

	require.ErrorIs(t, Metrics{Y: []float64{1}, Mu: []float64{1}, Var: []float64{0}}.Check(), ErrInput)
	require.ErrorIs(t, Metrics{Y: []float64{1, 2}, Mu: []float64{1}, Var: []float64{1}}.Check(), ErrInput)
}

// gaussianData draws y ~ N(0, trueVar_i) with predicted variance
// scale²·trueVar_i: scale 1 is calibrated, below 1 overconfident.
func gaussianData(n int, scale float64) Metrics {
	r := rand.New(rand.NewPCG(1, 2))
	m := Metrics{Y: make([]float64, n), Mu: make([]float64, n), Var: make([]float64, n)}
	for i := range m.Y {
		v := 0.5 + 3*r.Float64()
		m.Y[i] = r.NormFloat64() * math.Sqrt(v)
		m.Var[i] = v * scale * scale
	}
	return m
}

func TestCalibrationMetrics(t *testing.T) {
	good := gaussianData(20000, 1)
	bad := gaussianData(20000, 0.5)
	require.Less(t, good.MACE(), 0.01)
	require.Greater(t, bad.MACE(), 0.15)
	require.Less(t, good.RMSCE(), 0.012)
	require.Less(t, good.MiscalibrationArea(), 0.01)
	require.Greater(t, bad.MiscalibrationArea(), 0.15)
	require.Less(t, good.ENCE(10), 0.05)
	require.InDelta(t, 1.0, bad.ENCE(10), 0.1) // RMSE is twice the predicted σ: |σ − 2σ|/σ = 1
	require.Less(t, good.UCE(10), 0.1)
	require.InDelta(t, 0.9, good.PICP(0.9), 0.01)
}

func TestRecalibration(t *testing.T) {
	bad := gaussianData(20000, 0.5)
	s, err := StdScaling(bad)
	require.NoError(t, err)
	require.InDelta(t, 2.0, s, 0.05) // σ was half the truth

	iso, err := FitIsotonic(bad)
	require.NoError(t, err)
	// overconfident: the nominal 95% quantile is exceeded far more than 5% of the time
	require.Less(t, iso.Map(0.95), 0.93)
	require.InDelta(t, 0.5, iso.Map(0.5), 0.02)
	require.InDelta(t, 0.95, iso.Map(iso.Inverse(0.95)), 1e-3)
	require.Equal(t, 0.0, iso.Map(-1))
	require.Equal(t, 1.0, iso.Map(2))
}
