package uncertainty

import (
	"fmt"
	"math"
	"sort"
)

// Metrics scores Gaussian predictions N(Mu[i], Var[i]) against targets Y.
// Fields must have equal lengths and positive variances; Check says so.
type Metrics struct {
	Y, Mu, Var []float64
}

// Check validates the inputs.
func (m Metrics) Check() error {
	if len(m.Y) == 0 || len(m.Y) != len(m.Mu) || len(m.Y) != len(m.Var) {
		return fmt.Errorf("%w: %d targets, %d means, %d variances", ErrInput, len(m.Y), len(m.Mu), len(m.Var))
	}
	for i := range m.Y {
		if !finite(m.Y[i]) || !finite(m.Mu[i]) || !finite(m.Var[i]) || m.Var[i] <= 0 {
			return fmt.Errorf("%w: row %d is y=%v μ=%v σ²=%v", ErrInput, i, m.Y[i], m.Mu[i], m.Var[i])
		}
	}
	return nil
}

func (m Metrics) n() float64 { return float64(len(m.Y)) }

// MAE is (1/n) Σ |y − μ|.
func (m Metrics) MAE() float64 {
	var s float64
	for i, y := range m.Y {
		s += math.Abs(y - m.Mu[i])
	}
	return s / m.n()
}

// RMSE is sqrt((1/n) Σ (y − μ)²).
func (m Metrics) RMSE() float64 {
	var s float64
	for i, y := range m.Y {
		s += (y - m.Mu[i]) * (y - m.Mu[i])
	}
	return math.Sqrt(s / m.n())
}

// R2 is 1 − Σ (y − μ)² / Σ (y − ȳ)².
func (m Metrics) R2() float64 {
	var mean, ss, st float64
	for _, y := range m.Y {
		mean += y
	}
	mean /= m.n()
	for i, y := range m.Y {
		ss += (y - m.Mu[i]) * (y - m.Mu[i])
		st += (y - mean) * (y - mean)
	}
	return 1 - ss/st
}

// NLL is the mean Gaussian negative log-likelihood,
// (1/n) Σ ½ log(2π σ²) + (y − μ)²/(2σ²).
func (m Metrics) NLL() float64 {
	var s float64
	for i, y := range m.Y {
		d := y - m.Mu[i]
		s += 0.5*math.Log(2*math.Pi*m.Var[i]) + d*d/(2*m.Var[i])
	}
	return s / m.n()
}

// CRPS is the mean continuous ranked probability score of the Gaussians,
// (1/n) Σ σ [z(2Φ(z) − 1) + 2φ(z) − 1/√π] with z = (y − μ)/σ.
func (m Metrics) CRPS() float64 {
	var s float64
	for i, y := range m.Y {
		sd := math.Sqrt(m.Var[i])
		z := (y - m.Mu[i]) / sd
		s += sd * (z*(2*normalCDF(z)-1) + 2*normalPDF(z) - 1/math.Sqrt(math.Pi))
	}
	return s / m.n()
}

// PICP is the share of targets inside the central Gaussian interval at
// level: |y − μ| ≤ Φ⁻¹((1+level)/2)·σ.
func (m Metrics) PICP(level float64) float64 {
	z := normalQuantile(0.5 + level/2)
	in := 0
	for i, y := range m.Y {
		if math.Abs(y-m.Mu[i]) <= z*math.Sqrt(m.Var[i]) {
			in++
		}
	}
	return float64(in) / m.n()
}

// Levels are the central-interval levels calibration is measured at:
// 0.05, 0.10, …, 0.95 (as in portolan_train.metrics).
var Levels = func() []float64 {
	l := make([]float64, 19)
	for i := range l {
		l[i] = 0.05 * float64(i+1)
	}
	return l
}()

// MACE is the mean absolute calibration error over Levels (for central
// intervals, the expected calibration error ECE):
// (1/K) Σ_k |PICP(p_k) − p_k|.
func (m Metrics) MACE() float64 {
	var s float64
	for _, p := range Levels {
		s += math.Abs(m.PICP(p) - p)
	}
	return s / float64(len(Levels))
}

// CalibrationCurve returns the observed coverage PICP(p) at each of
// Levels: the points of a reliability diagram (perfect calibration is the
// diagonal).
func (m Metrics) CalibrationCurve() []float64 {
	out := make([]float64, len(Levels))
	for i, p := range Levels {
		out[i] = m.PICP(p)
	}
	return out
}

// RMSCE is the root mean squared calibration error over Levels,
// sqrt((1/K) Σ_k (PICP(p_k) − p_k)²).
func (m Metrics) RMSCE() float64 {
	var s float64
	for _, p := range Levels {
		d := m.PICP(p) - p
		s += d * d
	}
	return math.Sqrt(s / float64(len(Levels)))
}

// MiscalibrationArea is the area between the calibration curve and the
// diagonal, ∫₀¹ |PICP(p) − p| dp, by the trapezoid rule on 0, Levels, 1.
func (m Metrics) MiscalibrationArea() float64 {
	ps := append(append([]float64{0}, Levels...), 1)
	var area float64
	for i := 1; i < len(ps); i++ {
		a := math.Abs(m.PICP(ps[i-1]) - ps[i-1])
		b := math.Abs(m.PICP(ps[i]) - ps[i])
		area += (a + b) / 2 * (ps[i] - ps[i-1])
	}
	return area
}

// Sharpness is the mean predictive standard deviation, (1/n) Σ σ.
func (m Metrics) Sharpness() float64 {
	var s float64
	for _, v := range m.Var {
		s += math.Sqrt(v)
	}
	return s / m.n()
}

// IntervalScore is the mean interval (Winkler) score of the central
// interval [l, u] at level with α = 1 − level:
// (1/n) Σ (u − l) + (2/α)(l − y)·[y < l] + (2/α)(y − u)·[y > u].
func (m Metrics) IntervalScore(level float64) float64 {
	z := normalQuantile(0.5 + level/2)
	alpha := 1 - level
	var s float64
	for i, y := range m.Y {
		sd := math.Sqrt(m.Var[i])
		l, u := m.Mu[i]-z*sd, m.Mu[i]+z*sd
		s += u - l
		if y < l {
			s += 2 / alpha * (l - y)
		}
		if y > u {
			s += 2 / alpha * (y - u)
		}
	}
	return s / m.n()
}

// bins sorts rows by predicted σ into k equal-count bins and returns, per
// bin, the root mean variance (RMV) and the RMSE.
func (m Metrics) bins(k int) (rmv, rmse []float64) {
	idx := make([]int, len(m.Y))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return m.Var[idx[a]] < m.Var[idx[b]] })
	k = max(1, min(k, len(idx)))
	for b := 0; b < k; b++ {
		lo, hi := b*len(idx)/k, (b+1)*len(idx)/k
		var v, e float64
		for _, i := range idx[lo:hi] {
			v += m.Var[i]
			e += (m.Y[i] - m.Mu[i]) * (m.Y[i] - m.Mu[i])
		}
		n := float64(hi - lo)
		rmv = append(rmv, math.Sqrt(v/n))
		rmse = append(rmse, math.Sqrt(e/n))
	}
	return rmv, rmse
}

// ENCE is the expected normalised calibration error over k bins of
// predicted σ (Levi et al. 2019): (1/k) Σ_b |RMV_b − RMSE_b| / RMV_b.
func (m Metrics) ENCE(k int) float64 {
	rmv, rmse := m.bins(k)
	var s float64
	for b := range rmv {
		s += math.Abs(rmv[b]-rmse[b]) / rmv[b]
	}
	return s / float64(len(rmv))
}

// UCE is the uncertainty calibration error over k equal-count bins of
// predicted variance (Laves et al. 2020): Σ_b (n_b/n) |MSE_b − MV_b|.
func (m Metrics) UCE(k int) float64 {
	rmv, rmse := m.bins(k)
	var s float64
	for b := range rmv {
		s += math.Abs(rmse[b]*rmse[b]-rmv[b]*rmv[b]) / float64(len(rmv)) // equal-count bins: n_b/n = 1/k
	}
	return s
}
