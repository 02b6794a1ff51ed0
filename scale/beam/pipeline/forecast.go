package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/timeseries"
)

// SeriesItem is one series on its way to the model: its place in the
// output (file index << 32 | series index), its id, its Monte Carlo key
// and its T×D values ready for the model (sdk.Forecaster.SeriesOf).
type SeriesItem struct {
	Order     int64
	ID        string
	Key       uint64
	Values    []float32
	Target    float64
	HasTarget bool
}

// forecasterOf opens a temporal-dropout model with the pipeline's
// settings.
func forecasterOf(ctx context.Context, model string, samples int, seed uint64) (*sdk.Forecaster, error) {
	m, err := openModel(ctx, model)
	if err != nil {
		return nil, err
	}
	return m.Forecaster(sdk.NewConfig().WithSamples(samples).WithSeed(seed))
}

// readSeriesFn reads one series file — long-format CSV, or a float32 or
// float64 .npy of shape (N, T, D) — and emits its series matched to the
// model's features, as portolan forecast reads them.
type readSeriesFn struct {
	Model   string
	Samples int
	Seed    uint64

	f *sdk.Forecaster
}

func (r *readSeriesFn) Setup(ctx context.Context) (err error) {
	r.f, err = forecasterOf(ctx, r.Model, r.Samples, r.Seed)
	return err
}

func (r *readSeriesFn) ProcessElement(ctx context.Context, index int, file string, emit func(SeriesItem)) error {
	ext := strings.ToLower(path.Ext(file))
	if ext == ".portolan" {
		return fmt.Errorf("%s: td shards are read by portolan forecast only; give the series as CSV or .npy", file)
	}
	data, err := readFile(ctx, file)
	if err != nil {
		return err
	}
	var set *timeseries.Set
	if ext == ".npy" {
		set, err = timeseries.ReadNPY(bytes.NewReader(data))
	} else {
		set, err = timeseries.ReadCSV(bytes.NewReader(data))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	series, err := r.f.SeriesOf(set)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	beam.NewCounter(namespace, "series files").Inc(ctx, 1)
	beam.NewCounter(namespace, "series").Inc(ctx, int64(len(series)))
	for i, s := range series {
		it := SeriesItem{Order: int64(index)<<32 | int64(i), ID: set.IDs[i], Key: s.Key, Values: s.Values, Target: set.Target[i]}
		it.HasTarget = !math.IsNaN(it.Target)
		if !it.HasTarget {
			it.Target = 0
		}
		emit(it)
	}
	return nil
}

// forecastFn forecasts series in batches of Batch.
type forecastFn struct {
	Model   string
	Samples int
	Seed    uint64
	Batch   int

	f       *sdk.Forecaster
	pending []SeriesItem
}

func (r *forecastFn) Setup(ctx context.Context) (err error) {
	r.f, err = forecasterOf(ctx, r.Model, r.Samples, r.Seed)
	return err
}

func (r *forecastFn) ProcessElement(ctx context.Context, it SeriesItem, emit func(Answer)) error {
	r.pending = append(r.pending, it)
	if len(r.pending) >= r.Batch {
		return r.forecast(ctx, emit)
	}
	return nil
}

func (r *forecastFn) FinishBundle(ctx context.Context, emit func(Answer)) error {
	return r.forecast(ctx, emit)
}

func (r *forecastFn) forecast(ctx context.Context, emit func(Answer)) error {
	if len(r.pending) == 0 {
		return nil
	}
	in := make([]sdk.Series, len(r.pending))
	for i, it := range r.pending {
		in[i] = sdk.Series{Key: it.Key, Values: it.Values}
	}
	out, err := r.f.ForecastSeries(ctx, in)
	if err != nil {
		return err
	}
	for i, fc := range out {
		it := &r.pending[i]
		row := forecastRow{ID: it.ID, Forecast: fc, Std: fc.Std()}
		if it.HasTarget {
			t := it.Target
			row.Target = &t
		}
		line, err := json.Marshal(row)
		if err != nil {
			return err
		}
		emit(Answer{Order: it.Order, Line: string(line)})
	}
	beam.NewCounter(namespace, "forecasts").Inc(ctx, int64(len(out)))
	r.pending = r.pending[:0]
	return nil
}
