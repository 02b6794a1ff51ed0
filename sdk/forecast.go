package sdk

import (
	"context"
	"fmt"

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

// ForecastSet forecasts every series of a set read by package timeseries:
// it matches the set's columns to the model's features by name
// (timeseries.Set.Match: reordered columns are put in order, renamed,
// missing or unknown ones refused), checks the shape, and fills gaps with
// the scaler mean, the value the trainer filled them with. It changes set.
func (f *Forecaster) ForecastSet(ctx context.Context, set *timeseries.Set) ([]Forecast, error) {
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
	in := make([][]float32, len(set.IDs))
	for i := range in {
		in[i] = set.Series(i)
	}
	return f.Forecast(ctx, in)
}

// Forecast predicts series (each T×D raw values, row-major) with
// Config.samples Monte Carlo samples drawn from the shared generator
// (docs/RNG.md): series i uses sample counters i·L + s, so results do not
// depend on batching and match the PyTorch reference for the same seed.
func (f *Forecaster) Forecast(ctx context.Context, series [][]float32) ([]Forecast, error) {
	w := f.m.NewWork(f.cfg.samples)
	out := make([]Forecast, len(series))
	for i, x := range series {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := f.m.Sample(w, x, i, f.cfg.seed); err != nil {
			return nil, fmt.Errorf("series %d: %w", i, err)
		}
		s, err := uncertainty.Summarize(w.Mu, w.Var)
		if err != nil {
			return nil, fmt.Errorf("series %d: %w", i, err)
		}
		lo, hi := s.Interval(0.9)
		out[i] = Forecast{Summary: s, Lo90: lo, Hi90: hi,
			Samples: append([]float64(nil), w.Mu...), SampleVar: append([]float64(nil), w.Var...)}
	}
	return out, nil
}
