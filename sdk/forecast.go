package sdk

import (
	"context"
	"fmt"

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

// Forecaster returns the forecaster of a "td" model.
func (m *Model) Forecaster(cfg Config) (*Forecaster, error) {
	if m.td == nil {
		return nil, fmt.Errorf("%w: %q model is not a time-series regressor", ErrKind, m.Kind())
	}
	if err := cfg.check(); err != nil {
		return nil, err
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
// SeriesOf, then ForecastSeries. It changes set.
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
// missing or unknown ones refused), checks the shape, fills gaps with the
// scaler mean (the value the trainer filled them with) and keys each
// series by SeriesKey of its id (by its index when set.Indexed). Series i
// is set's series i. It changes set.
func (f *Forecaster) SeriesOf(set *timeseries.Set) ([]Series, error) {
	if names := f.m.Preprocessing.Features; len(names) > 0 {
		if err := set.Match(names); err != nil {
			return nil, err
		}
	}
	if set.T != f.m.T || set.D != f.m.D {
		return nil, fmt.Errorf("%w: series are %d steps × %d features, the model takes %d × %d", ErrShape, set.T, set.D, f.m.T, f.m.D)
	}
	fill := f.m.Preprocessing.Mean
	if len(fill) == 0 {
		fill = make([]float32, f.m.D) // a bundle without a scaler: gaps read as 0
	}
	set.Fill(fill)
	in := make([]Series, len(set.IDs))
	for i, id := range set.IDs {
		in[i] = Series{Key: SeriesKey(id), Values: set.Series(i)} // Monte Carlo keyed by the series id
		if set.Indexed {
			in[i].Key = uint64(i) // an .npy row: keyed by its index
		}
	}
	return in, nil
}

// forecastBatch is how many series one model call takes (the context is
// checked between calls).
const forecastBatch = 64

// Forecast predicts series (each T×D raw values, row-major) keyed by their
// index: series i has key i, the key of row i of an .npy input. Use
// ForecastSeries to give each series its own key (SeriesKey of its id).
func (f *Forecaster) Forecast(ctx context.Context, series [][]float32) ([]Forecast, error) {
	in := make([]Series, len(series))
	for i, x := range series {
		in[i] = Series{Key: uint64(i), Values: x}
	}
	return f.ForecastSeries(ctx, in)
}

// ForecastSeries predicts each series with Config.samples Monte Carlo
// samples drawn from the shared generator under the series' key and
// Config's seed (docs/RNG.md), in batches on Config's threads.
func (f *Forecaster) ForecastSeries(ctx context.Context, series []Series) ([]Forecast, error) {
	w := f.m.NewWork(f.cfg.samples)
	w.SetThreads(f.cfg.threads)
	L, TD := f.cfg.samples, f.m.T*f.m.D
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
			if len(series[i].Values) != TD {
				return nil, fmt.Errorf("series %d: %w: %d values, want %d×%d", i, models.ErrInput, len(series[i].Values), f.m.T, f.m.D)
			}
			x = append(x, series[i].Values...)
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
				return nil, fmt.Errorf("series %d: %w", i, err)
			}
			lo, hi := s.Interval(0.9)
			out[i] = Forecast{Summary: s, Lo90: lo, Hi90: hi, Samples: mu, SampleVar: vr}
		}
	}
	return out, nil
}
