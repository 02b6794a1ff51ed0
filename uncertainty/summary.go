package uncertainty

import (
	"errors"
	"fmt"
	"math"
)

// ErrInput is returned for empty, mismatched or non-finite inputs.
var ErrInput = errors.New("uncertainty: invalid input")

// Summary is a predictive distribution from Monte Carlo samples.
type Summary struct {
	Mean      float64 `json:"mean"`      // (1/L) Σ μ_s
	Epistemic float64 `json:"epistemic"` // (1/L) Σ (μ_s − Mean)²
	Aleatoric float64 `json:"aleatoric"` // (1/L) Σ σ²_s
	Total     float64 `json:"total"`     // Epistemic + Aleatoric
}

// Std returns the predictive standard deviation, sqrt(Total).
func (s Summary) Std() float64 { return math.Sqrt(s.Total) }

// Interval returns the central Gaussian interval at level (e.g. 0.9):
// Mean ∓ z·Std with z = Φ⁻¹((1+level)/2).
func (s Summary) Interval(level float64) (lo, hi float64) {
	z := normalQuantile(0.5 + level/2)
	return s.Mean - z*s.Std(), s.Mean + z*s.Std()
}

// Summarize combines per-sample means mu and variances sigma2 (equal
// lengths, variances ≥ 0) by the law of total variance.
func Summarize(mu, sigma2 []float64) (Summary, error) {
	if len(mu) == 0 || len(mu) != len(sigma2) {
		return Summary{}, fmt.Errorf("%w: %d means and %d variances", ErrInput, len(mu), len(sigma2))
	}
	var s Summary
	for i, m := range mu {
		if !finite(m) || !finite(sigma2[i]) || sigma2[i] < 0 {
			return Summary{}, fmt.Errorf("%w: sample %d is μ=%v σ²=%v", ErrInput, i, m, sigma2[i])
		}
		s.Mean += m
		s.Aleatoric += sigma2[i]
	}
	n := float64(len(mu))
	s.Mean /= n
	s.Aleatoric /= n
	for _, m := range mu {
		s.Epistemic += (m - s.Mean) * (m - s.Mean)
	}
	s.Epistemic /= n
	s.Total = s.Epistemic + s.Aleatoric
	return s, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
