package pipeline

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

func init() {
	register.Function3x1(expandFn)
	register.Emitter2[int, string]()
	register.DoFn4x1[context.Context, int, string, func(uint32, []byte), error](&readAISFn{})
	register.Emitter2[uint32, []byte]()
	register.DoFn4x1[context.Context, uint32, func(*[]byte) bool, func(Answer), error](&vesselFn{})
	register.Iter1[[]byte]()
	register.Emitter1[Answer]()
	register.DoFn1x2[Answer, int, Answer](&shardFn{})
	register.DoFn3x1[context.Context, int, func(*Answer) bool, error](&writeFn{})
	register.Iter1[Answer]()
	register.DoFn4x1[context.Context, int, string, func(SeriesItem), error](&readSeriesFn{})
	register.Emitter1[SeriesItem]()
	register.DoFn3x1[context.Context, SeriesItem, func(Answer), error](&forecastFn{})
	beam.RegisterType(reflect.TypeOf((*Answer)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*SeriesItem)(nil)).Elem())
}

// PredictOptions configures the destination pipeline. Zero fields take
// their defaults.
type PredictOptions struct {
	// Inputs are file patterns (globs) of a registered Beam filesystem
	// (local paths, gs://…): NMEA or CSV, plain or compressed with gzip,
	// zstd or bzip2, or zip archives, as portolan predict reads them.
	Inputs []string
	// CSVMap is a column mapping for CSV inputs of other layouts (the
	// --csv-map syntax of portolan, README "AIS inputs").
	CSVMap string
	// Model is the WAY bundle (a local path or gs://…); each worker
	// process reads it once.
	Model string
	// TopK is the destinations listed per vessel (default 5).
	TopK int
	// Idle: a vessel silent for longer than this (in the input's time)
	// starts afresh: its answer is the voyage in progress after its last
	// such silence, as portolan predict --idle answers it (which notices a
	// silence at its periodic sweeps, so up to a quarter of Idle later).
	// The default is 24 hours; negative never.
	Idle time.Duration
	// MaxHeld bounds the records of one vessel a worker holds at once to
	// put them in time order (default 1,048,576, about 250 MB); a vessel
	// with more is read in spans of whole hours (see DropTooDense).
	MaxHeld int
	// Batch is how many vessels go through the model at once (default 64).
	Batch int
	// Out is the prefix of the output files: Out.jsonl and Out.geojson
	// (with Shards > 1, Out-SSSSS-of-NNNNN.jsonl …), sorted by MMSI.
	Out string
	// Shards is the number of output files of each kind (default 1).
	Shards int
	// ShipsOnly drops positions of ids that are not ships' (search and
	// rescue aircraft, aids to navigation, placeholder ids such as
	// 123456789 shared by many transponders) before the shuffle, counted
	// as "dropped: invalid MMSI"; they get no row. By default they travel
	// and get the "no_voyage" row portolan predict gives them.
	ShipsOnly bool
}

func (o *PredictOptions) defaults() error {
	switch {
	case len(o.Inputs) == 0:
		return fmt.Errorf("pipeline: no input files")
	case o.Model == "":
		return fmt.Errorf("pipeline: no model")
	case o.Out == "":
		return fmt.Errorf("pipeline: no output prefix")
	case o.TopK < 0 || o.MaxHeld < 0 || o.Batch < 0 || o.Shards < 0:
		return fmt.Errorf("pipeline: negative top-k, max-held, batch or shards")
	}
	if o.TopK == 0 {
		o.TopK = 5
	}
	if o.Idle == 0 {
		o.Idle = 24 * time.Hour
	}
	if o.MaxHeld == 0 {
		o.MaxHeld = 1 << 20
	}
	if o.Batch == 0 {
		o.Batch = 64
	}
	if o.Shards == 0 {
		o.Shards = 1
	}
	return nil
}

// Predict adds the destination pipeline to s: AIS files → per-vessel
// predictions of the voyage in progress, written as JSON lines and
// GeoJSON.
func Predict(s beam.Scope, o PredictOptions) error {
	if err := o.defaults(); err != nil {
		return err
	}
	s = s.Scope("Predict")
	records := readAIS(s, o.Inputs, &readAISFn{CSVMap: o.CSVMap, ShipsOnly: o.ShipsOnly})
	grouped := beam.GroupByKey(s, records)
	answers := beam.ParDo(s.Scope("Vessels"), &vesselFn{Model: o.Model, TopK: o.TopK, IdleNs: int64(o.Idle),
		MaxHeld: o.MaxHeld, Batch: o.Batch}, grouped)
	writeAnswers(s, answers, o.Out, o.Shards, true)
	return nil
}

// ReadAIS reads AIS files into a PCollection<KV<uint32, []byte>> of each
// vessel's records (MMSI, encoded batch), ready for the shuffle by MMSI.
func ReadAIS(s beam.Scope, patterns []string, csvMap string) beam.PCollection {
	return readAIS(s, patterns, &readAISFn{CSVMap: csvMap})
}

func readAIS(s beam.Scope, patterns []string, fn *readAISFn) beam.PCollection {
	s = s.Scope("ReadAIS")
	return beam.ParDo(s, fn, matchFiles(s, patterns))
}

// ForecastOptions configures the forecast pipeline. Zero fields take their
// defaults.
type ForecastOptions struct {
	// Series are file patterns of series: long-format CSV (id, step,
	// features…, [target]) or .npy (N, T, D), as portolan forecast reads
	// them.
	Series []string
	// Model is the temporal-dropout bundle.
	Model string
	// Samples (default 20) and Seed (portolan forecast's default is 1) of
	// the Monte Carlo forecast; each series is keyed by its id, so its
	// samples do not depend on the batch it runs in.
	Samples int
	Seed    uint64
	// Batch is how many series go through the model at once (default 64).
	Batch int
	// Out is the prefix of the output files (Out.jsonl, or shards).
	Out    string
	Shards int
}

// Forecast adds the forecast pipeline to s: series files → forecasts with
// uncertainty, written as JSON lines in input order (file, then series).
func Forecast(s beam.Scope, o ForecastOptions) error {
	switch {
	case len(o.Series) == 0:
		return fmt.Errorf("pipeline: no series files")
	case o.Model == "":
		return fmt.Errorf("pipeline: no model")
	case o.Out == "":
		return fmt.Errorf("pipeline: no output prefix")
	case o.Samples < 0 || o.Batch < 0 || o.Shards < 0:
		return fmt.Errorf("pipeline: negative samples, batch or shards")
	}
	if o.Samples == 0 {
		o.Samples = 20
	}
	if o.Batch == 0 {
		o.Batch = 64
	}
	if o.Shards == 0 {
		o.Shards = 1
	}
	s = s.Scope("Forecast")
	files := matchFiles(s, o.Series)
	series := beam.ParDo(s, &readSeriesFn{Model: o.Model, Samples: o.Samples, Seed: o.Seed}, files)
	series = beam.Reshuffle(s, series)
	answers := beam.ParDo(s, &forecastFn{Model: o.Model, Samples: o.Samples, Seed: o.Seed, Batch: o.Batch}, series)
	writeAnswers(s, answers, o.Out, o.Shards, false)
	return nil
}
