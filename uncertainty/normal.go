package uncertainty

import "math"

// The standard normal distribution from the math package's error
// functions: the same figures as a statistics library's to a few ulps, at
// no cost in code size (a WebAssembly module that imports gonum's
// distributions for these three functions grows by about 130 KB).

// normalCDF is Φ(z).
func normalCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// normalPDF is φ(z).
func normalPDF(z float64) float64 { return math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) }

// normalQuantile is Φ⁻¹(p) for p in (0, 1); ±Inf at 0 and 1, NaN outside.
// math.Erfcinv loses digits in the tails (it computes Erfinv(1−x)), so its
// answer for the lower half is refined by two Halley steps on Φ, which
// math.Erfc gives to full relative precision there; the upper half is the
// lower half's mirror (1 − p is exact for p ≥ ½).
func normalQuantile(p float64) float64 {
	switch {
	case math.IsNaN(p) || p < 0 || p > 1:
		return math.NaN()
	case p > 0.5:
		return -normalQuantile(1 - p)
	case p == 0:
		return math.Inf(-1)
	}
	z := -math.Sqrt2 * math.Erfcinv(2*p)
	for range 2 {
		d := normalPDF(z)
		if d == 0 { // p below about 1e-308: Erfcinv's answer stands
			break
		}
		u := (normalCDF(z) - p) / d
		z -= u / (1 + z*u/2)
	}
	return z
}
