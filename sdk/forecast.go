package sdk

import (
	"context"
	"fmt"
	"math"

	"github.com/portolan-sdk/portolan/internal/rng"
	"github.com/portolan-sdk/portolan/models"
	"github.com/portolan-sdk/portolan/timeseries"
	"github.com/portolan-sdk/portolan/uncertainty"
)

// Forecast is a prediction with Monte Carlo temporal-dropout uncertainty.
// The field tags are the answer schema (docs/SCHEMA.md).
type Forecast struct {
	uncertainty.Summary
	Lo90      float64   `json:"lo90"` // central 90% Gaussian interval
	Hi90      float64   `json:"hi90"`
	Samples   []float64 `json:"samples"`    // per-sample means (μ_s)
	SampleVar []float64 `json:"sample_var"` // per-sample variances (σ²_s)
}

// Series is one input series of a forecast: T×D raw values, row-major,
// and the key its Monte Carlo masks are drawn with (docs/RNG.md). The same
// key, seed and values give the same samples in any batch, at any
// position, on every target and in the PyTorch reference.
type Series struct {
	Key    uint64
	Values []float32
}

// SeriesKey returns the default key of a series identified by a string
// (a CSV id): the FNV-1a 64-bit hash of its UTF-8 bytes.
func SeriesKey(id string) uint64 { return rng.KeyOf(id) }

// Forecaster runs a temporal-dropout regressor.
type Forecaster struct {
	cfg Config
	m   *models.TD
}

// Forecaster returns the forecaster of a "td" model. A model whose
// forecasts under cfg (samples, threads) would need more working memory
// than Config.WithMaxWorkBytes is refused with ErrLimit.
func (m *Model) Forecaster(cfg Config) (*Forecaster, error) {
	if m.td == nil {
		return nil, fmt.Errorf("%w: %q model is not a time-series regressor", ErrKind, m.Kind())
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if need := int64(cfg.threads) * m.td.WorkBytes(cfg.samples, forecastBatch); need > cfg.workBytes {
		return nil, fmt.Errorf("%w: forecasts of %d samples on %d threads need %d MiB of working memory (T %d, hidden %d), over the limit of %d MiB (Config.WithMaxWorkBytes)",
			ErrLimit, cfg.samples, cfg.threads, need>>20, m.td.T, m.td.Hidden, cfg.workBytes>>20)
	}
	return &Forecaster{cfg: cfg, m: m.td}, nil
}

// Steps and Features return the input shape the model expects.
func (f *Forecaster) Steps() int    { return f.m.T }
func (f *Forecaster) Features() int { return f.m.D }

// FeatureNames returns the names of the D input features in input order
// (nil when the bundle has none).
func (f *Forecaster) FeatureNames() []string {
	return append([]string(nil), f.m.Preprocessing.Features...)
}

// ForecastSet forecasts every series of a set read by package timeseries,
// each keyed by SeriesKey of its id (by its index when set.Indexed):
// SeriesOf, then ForecastSeries. It reorders set's columns.
func (f *Forecaster) ForecastSet(ctx context.Context, set *timeseries.Set) ([]Forecast, error) {
	in, err := f.SeriesOf(set)
	if err != nil {
		return nil, err
	}
	return f.ForecastSeries(ctx, in)
}

// SeriesOf prepares a set read by package timeseries for ForecastSeries:
// it matches the set's columns to the model's features by name
// (timeseries.Set.Match: reordered columns are put in order, renamed,
// missing or unknown ones refused), checks the shape and applies the
// missing-value policy (timeseries.Set.Check: a series with no observed
// value, or a feature never observed, is refused naming it); gaps are
// filled with the scaler mean, the value the trainer filled them with,
// when the series are forecast. Each series is keyed by SeriesKey of its
// id (by its index when set.Indexed); series i is set's series i. It
// reorders set's columns; the values themselves are left as they are.
func (f *Forecaster) SeriesOf(set *timeseries.Set) ([]Series, error) {
	if names := f.m.Preprocessing.Features; len(names) > 0 {
		if err := set.Match(names); err != nil {
			return nil, err
		}
	}
	if set.T != f.m.T || set.D != f.m.D {
		return nil, fmt.Errorf("%w: series are %d steps × %d features, the model takes %d × %d", ErrShape, set.T, set.D, f.m.T, f.m.D)
	}
	if err := f.checkCount(len(set.IDs)); err != nil {
		return nil, err
	}
	if err := set.Check(); err != nil {
		return nil, err
	}
	in := make([]Series, len(set.IDs))
	for i, id := range set.IDs {
		in[i] = Series{Key: SeriesKey(id), Values: set.Series(i)} // Monte Carlo keyed by the series id
		if set.Indexed {
			in[i].Key = uint64(i) // an .npy row: keyed by its index
		}
	}
	return in, nil
}

// checkCount refuses more series than Config.WithMaxSeries allows.
func (f *Forecaster) checkCount(n int) error {
	if n > f.cfg.series {
		return fmt.Errorf("%w: %d series in one call, over the limit of %d (Config.WithMaxSeries)", ErrLimit, n, f.cfg.series)
	}
	return nil
}

// forecastBatch is how many series one model call takes (the context is
// checked between calls).
const forecastBatch = 64

// Forecast predicts series (each T×D raw values, row-major, NaN for a
// missing value) keyed by their index: series i has key i, the key of row
// i of an .npy input. Use ForecastSeries to give each series its own key
// (SeriesKey of its id).
func (f *Forecaster) Forecast(ctx context.Context, series [][]float32) ([]Forecast, error) {
	in := make([]Series, len(series))
	for i, x := range series {
		in[i] = Series{Key: uint64(i), Values: x}
	}
	return f.ForecastSeries(ctx, in)
}

// ForecastSeries predicts each series with Config.samples Monte Carlo
// samples drawn from the shared generator under the series' key and
// Config's seed (docs/RNG.md), in batches on Config's threads. Values are
// raw (unscaled), NaN for a missing value: each series must pass the
// missing-value policy (timeseries.CheckSeries; the error names the
// series by its index), and its gaps are filled with the scaler mean. The
// series are not changed. A forecast the model makes non-finite is
// refused with ErrOutput.
func (f *Forecaster) ForecastSeries(ctx context.Context, series []Series) ([]Forecast, error) {
	if err := f.checkCount(len(series)); err != nil {
		return nil, err
	}
	T, D := f.m.T, f.m.D
	for i := range series {
		if len(series[i].Values) != T*D {
			return nil, fmt.Errorf("series %d: %w: %d values, want %d×%d", i, models.ErrInput, len(series[i].Values), T, D)
		}
		if err := timeseries.CheckSeries(series[i].Values, T, D, f.m.Preprocessing.Features); err != nil {
			return nil, fmt.Errorf("series %d: %w", i, err)
		}
	}
	fill := f.m.Preprocessing.Mean
	if len(fill) != D {
		fill = make([]float32, D) // a bundle without a scaler: gaps read as 0
	}
	w := f.m.NewWork(f.cfg.samples)
	w.SetThreads(f.cfg.threads)
	L, TD := f.cfg.samples, T*D
	out := make([]Forecast, len(series))
	x := make([]float32, 0, min(forecastBatch, len(series))*TD)
	keys := make([]uint64, 0, forecastBatch)
	for b0 := 0; b0 < len(series); b0 += forecastBatch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b1 := min(len(series), b0+forecastBatch)
		x, keys = x[:0], keys[:0]
		for i := b0; i < b1; i++ {
			for j, v := range series[i].Values {
				if v != v { // NaN: a gap
					v = fill[j%D]
				}
				x = append(x, v)
			}
			keys = append(keys, series[i].Key)
		}
		if err := f.m.SampleBatch(w, x, keys, f.cfg.seed); err != nil {
			return nil, fmt.Errorf("series %d..%d: %w", b0, b1-1, err)
		}
		for i := b0; i < b1; i++ {
			mu := append([]float64(nil), w.Mu[(i-b0)*L:(i-b0+1)*L]...)
			vr := append([]float64(nil), w.Var[(i-b0)*L:(i-b0+1)*L]...)
			s, err := uncertainty.Summarize(mu, vr)
			if err != nil {
				return nil, fmt.Errorf("series %d: %w: %v", i, ErrOutput, err)
			}
			lo, hi := s.Interval(0.9)
			if !finite(s.Mean, s.Epistemic, s.Aleatoric, s.Total, lo, hi) {
				return nil, fmt.Errorf("series %d: %w: mean %v, variance %v", i, ErrOutput, s.Mean, s.Total)
			}
			out[i] = Forecast{Summary: s, Lo90: lo, Hi90: hi, Samples: mu, SampleVar: vr}
		}
	}
	return out, nil
}

// finite reports whether every value is finite.
func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
