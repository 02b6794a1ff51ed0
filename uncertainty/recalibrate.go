package uncertainty

import (
	"math"
	"sort"
)

// StdScaling fits the factor s that rescales predicted standard deviations
// (σ' = s·σ) to minimise the Gaussian NLL on held-out data (Levi et al.
// 2019): s² = (1/n) Σ (y − μ)²/σ².
func StdScaling(m Metrics) (float64, error) {
	if err := m.Check(); err != nil {
		return 0, err
	}
	var s float64
	for i, y := range m.Y {
		d := y - m.Mu[i]
		s += d * d / m.Var[i]
	}
	return math.Sqrt(s / m.n()), nil
}

// Isotonic is a recalibration map of predicted CDF levels (Kuleshov et al.
// 2018): fitted on held-out data with isotonic regression of the empirical
// frequency of y ≤ F⁻¹(p) on p, it maps a nominal level to a calibrated one.
type Isotonic struct {
	x, y []float64 // knots, increasing; linear interpolation between them
}

// FitIsotonic fits the map from the predictive CDF values F_i(y_i) of the
// held-out rows (pool adjacent violators).
func FitIsotonic(m Metrics) (*Isotonic, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	p := make([]float64, len(m.Y))
	for i, y := range m.Y {
		p[i] = normalCDF((y - m.Mu[i]) / math.Sqrt(m.Var[i]))
	}
	sort.Float64s(p)
	n := float64(len(p))
	// empirical frequency of F ≤ p_i is (i+1)/n; PAV on (p_i, (i+1)/n) is
	// already monotone, so blocks only merge ties
	type block struct{ x, y, w float64 }
	var bs []block
	for i, v := range p {
		bs = append(bs, block{v, float64(i+1) / n, 1})
		for len(bs) > 1 && bs[len(bs)-2].y >= bs[len(bs)-1].y {
			a, b := bs[len(bs)-2], bs[len(bs)-1]
			w := a.w + b.w
			bs = append(bs[:len(bs)-2], block{(a.x*a.w + b.x*b.w) / w, (a.y*a.w + b.y*b.w) / w, w})
		}
	}
	iso := &Isotonic{x: []float64{0}, y: []float64{0}}
	for _, b := range bs {
		if b.x > iso.x[len(iso.x)-1] {
			iso.x = append(iso.x, b.x)
			iso.y = append(iso.y, b.y)
		}
	}
	iso.x = append(iso.x, 1)
	iso.y = append(iso.y, 1)
	return iso, nil
}

// Map returns the calibrated level for nominal level p in [0, 1].
func (r *Isotonic) Map(p float64) float64 { return interp(r.x, r.y, p) }

// Inverse returns the nominal level whose calibrated level is q: to get a
// calibrated 90% interval, use the Gaussian quantiles at Inverse(0.05) and
// Inverse(0.95).
func (r *Isotonic) Inverse(q float64) float64 { return interp(r.y, r.x, q) }

// interp interpolates linearly in the increasing knots xs → ys at v,
// clamped to [0, 1]; at a flat run of xs it takes the run's right end.
func interp(xs, ys []float64, v float64) float64 {
	v = math.Min(1, math.Max(0, v))
	i := sort.SearchFloat64s(xs, v)
	if i == 0 {
		return ys[0]
	}
	if i >= len(xs) {
		return ys[len(ys)-1]
	}
	x0, x1 := xs[i-1], xs[i]
	if x1 == x0 {
		return ys[i]
	}
	return ys[i-1] + (ys[i]-ys[i-1])*(v-x0)/(x1-x0)
}
