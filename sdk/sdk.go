// Package sdk is the small public API of the Portolan runtime: open a
// bundle, predict vessel destinations and ETAs from AIS (for whole tracks
// or streaming, position by position), and forecast time series with
// uncertainty.
//
//	m, err := sdk.Open("way.portolan")
//	p, err := m.Destinations(sdk.NewConfig().WithTopK(5))
//	pred, err := p.Predict(ctx, track)
//
// Models and predictors are immutable and safe for concurrent use;
// streams are per vessel and not.
package sdk

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/models"
	"github.com/portolan-sdk/portolan/trajectory"
)

var (
	// ErrKind is returned when a model is asked for a task its kind does not do.
	ErrKind = errors.New("sdk: the model does not do this")
	// ErrNoVoyage is returned when a track holds no voyage to predict:
	// too few clean positions, or the vessel is in port.
	ErrNoVoyage = errors.New("sdk: no voyage in progress")
	// ErrBundle is returned when a bundle's preprocessing does not fit
	// this runtime (unknown features, no vocabulary, bad port areas).
	ErrBundle = errors.New("sdk: bundle does not fit this runtime")
	// ErrShape is returned for inputs whose shape is not the model's.
	ErrShape = errors.New("sdk: input shape does not fit the model")
	// ErrFeatures is returned when a WAY bundle's feature names are not
	// the ones this runtime computes (trajectory.FeatureNames): a model
	// trained on other features, or on an older encoding of them, would
	// give wrong answers.
	ErrFeatures = errors.New("sdk: model features differ")
	// ErrLimit is returned for a Config setting out of its range, and for
	// an input over a limit the Config sets (bundle size, series per call).
	ErrLimit = errors.New("sdk: over a limit")
	// ErrOutput is returned when the model gives a non-finite or
	// out-of-range answer (an ETA beyond a century, a NaN probability or
	// forecast): a broken or hostile bundle (weights that overflow, an
	// extreme eta_scale). Such an answer is never returned as a number.
	ErrOutput = errors.New("sdk: the model gave a non-finite or out-of-range output")
)

// Config holds prediction options and the limits that bound what one
// call may cost. It is immutable: With* methods return a changed copy.
// Values outside a setting's range are refused where the Config is used
// (Open*, Destinations, Forecaster), with an error naming the setting.
type Config struct {
	samples     int
	seed        uint64
	topK        int
	threads     int
	ports       *trajectory.Ports
	bundleBytes int64
	cells       int
	series      int
	workBytes   int64
}

// Defaults and ranges of Config's limits.
const (
	// DefaultMaxBundleBytes is the largest bundle Open reads by default
	// (256 MiB; the demo bundles are under 1 MiB). The range is
	// 1 KiB..2 GiB (export.MaxBodySize).
	DefaultMaxBundleBytes = 256 << 20
	// DefaultMaxSeries is how many series one forecast call takes at most
	// by default (2^20; the range is 1..2^24).
	DefaultMaxSeries = 1 << 20
	// DefaultMaxWorkBytes is how much working memory a forecaster may
	// need beside its model by default (1 GiB; the demo model needs about
	// 0.8 MiB at 20 samples, 330 MiB at 10,000). The range is 1 MiB..1 TiB.
	DefaultMaxWorkBytes = 1 << 30
)

// NewConfig returns the defaults: 20 Monte Carlo samples, seed 1, top 5,
// one thread (edge devices run single-threaded unless told otherwise),
// bundles of at most DefaultMaxBundleBytes, voyages of the model's
// max_len cells, forecast calls of at most DefaultMaxSeries series.
func NewConfig() Config {
	return Config{samples: 20, seed: 1, topK: 5, threads: 1, bundleBytes: DefaultMaxBundleBytes, series: DefaultMaxSeries, workBytes: DefaultMaxWorkBytes}
}

// WithThreads sets how many goroutines a call may use (default 1, at most
// 1024): PredictAll shares vessels among them, Forecast its batches of
// series, and single predictions their matrix products and attention
// heads. Results are bit-identical for any count.
func (c Config) WithThreads(n int) Config { c.threads = n; return c }

// WithSamples sets the Monte Carlo samples of a forecast (default 20,
// 1..models.MaxSamples).
func (c Config) WithSamples(n int) Config { c.samples = n; return c }

// WithSeed sets the seed of the shared random generator (default 1).
func (c Config) WithSeed(s uint64) Config { c.seed = s; return c }

// WithTopK sets how many destinations a prediction lists (default 5,
// 1..1000).
func (c Config) WithTopK(k int) Config { c.topK = k; return c }

// WithPorts sets the port catalogue destination predictors find port
// visits with, instead of the port areas the bundle carries (the
// default). Ports outside the model's vocabulary still end voyages; a
// voyage from one of them has an unknown departure.
func (c Config) WithPorts(p *trajectory.Ports) Config { c.ports = p; return c }

// WithMaxBundleBytes sets the largest bundle OpenWithConfig and
// OpenBytesWithConfig accept (default DefaultMaxBundleBytes, 1 KiB..2
// GiB): a larger file is refused before it is read.
func (c Config) WithMaxBundleBytes(n int64) Config { c.bundleBytes = n; return c }

// WithMaxCells sets how many grid cells of a voyage a destination
// predictor reads: the last n (default 0: the model's max_len, as it was
// trained; 1..max_len). A smaller window bounds the work and the memory of
// predictions and streams (a stream's caches grow with its cells up to
// it) at the cost of answers that differ from the model's on longer
// voyages.
func (c Config) WithMaxCells(n int) Config { c.cells = n; return c }

// WithMaxSeries sets how many series one Forecast, ForecastSeries or
// ForecastSet call takes (default DefaultMaxSeries, 1..2^24); more is
// refused with ErrLimit before any work.
func (c Config) WithMaxSeries(n int) Config { c.series = n; return c }

// WithMaxWorkBytes sets how much working memory a forecaster may need
// beside its model (default DefaultMaxWorkBytes, 1 MiB..1 TiB): the
// activations of one chunk of Monte Carlo samples on each thread
// (models.TD.WorkBytes), which grow with the model's steps, width and
// the samples. Forecaster refuses a model and Config over it with
// ErrLimit, before any forecast allocates.
func (c Config) WithMaxWorkBytes(n int64) Config { c.workBytes = n; return c }

// Samples, Seed and TopK return the settings (for hosts that run the
// runtime elsewhere, such as wasm/host).
func (c Config) Samples() int { return c.samples }

// Seed returns the seed of the shared random generator.
func (c Config) Seed() uint64 { return c.seed }

// TopK returns how many destinations a prediction lists.
func (c Config) TopK() int { return c.topK }

func (c Config) check() error {
	if c.samples < 1 || c.samples > models.MaxSamples || c.topK < 1 || c.topK > 1000 || c.threads < 1 || c.threads > 1024 {
		return fmt.Errorf("%w: config samples %d (1..%d), top-k %d (1..1000), threads %d (1..1024)", ErrLimit, c.samples, models.MaxSamples, c.topK, c.threads)
	}
	if c.cells < 0 || c.series < 1 || c.series > 1<<24 || c.workBytes < 1<<20 || c.workBytes > 1<<40 {
		return fmt.Errorf("%w: config max cells %d (0 for the model's, else 1..max_len), max series %d (1..2^24), max work bytes %d (1 MiB..1 TiB)",
			ErrLimit, c.cells, c.series, c.workBytes)
	}
	if c.ports != nil && c.ports.Len() == 0 {
		return fmt.Errorf("sdk: config ports: the catalogue is empty")
	}
	return nil
}

// Model is an opened bundle.
type Model struct {
	// Bundle is the bundle's header: kind, config, preprocessing and
	// producer. Its Tensors are released once the model is built: the
	// model keeps its weights in its own layout, so an open model holds
	// them once, and the bytes it was opened from can be reused.
	Bundle *export.Bundle
	way    *models.WAY
	td     *models.TD
}

// Open reads and validates a bundle file and builds its model, with
// NewConfig's limits.
func Open(path string) (*Model, error) { return OpenWithConfig(path, NewConfig()) }

// OpenWithConfig is Open with cfg's limits: a file larger than
// Config.WithMaxBundleBytes is refused (ErrLimit) before it is read.
func OpenWithConfig(path string, cfg Config) (*Model, error) {
	if err := cfg.checkBundleBytes(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > cfg.bundleBytes {
		return nil, fmt.Errorf("%s: %w: the bundle is %d bytes, over the limit of %d (Config.WithMaxBundleBytes)", path, ErrLimit, st.Size(), cfg.bundleBytes)
	}
	data, err := io.ReadAll(io.LimitReader(f, cfg.bundleBytes+1))
	if err != nil {
		return nil, err
	}
	m, err := OpenBytesWithConfig(data, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// OpenBytes builds a model from a bundle in memory, with NewConfig's
// limits.
func OpenBytes(data []byte) (*Model, error) { return OpenBytesWithConfig(data, NewConfig()) }

// OpenBytesWithConfig is OpenBytes with cfg's limits.
func OpenBytesWithConfig(data []byte, cfg Config) (*Model, error) {
	if err := cfg.checkBundleBytes(); err != nil {
		return nil, err
	}
	if int64(len(data)) > cfg.bundleBytes {
		return nil, fmt.Errorf("%w: the bundle is over %d bytes (Config.WithMaxBundleBytes)", ErrLimit, cfg.bundleBytes)
	}
	b, err := export.Unmarshal(data)
	if err != nil {
		return nil, err
	}
	return newModel(b)
}

// newModel builds the model of a decoded bundle.
func newModel(b *export.Bundle) (*Model, error) {
	var err error
	m := &Model{Bundle: b}
	switch b.Kind {
	case "way":
		m.way, err = models.NewWAY(b)
	case "td":
		m.td, err = models.NewTD(b)
	default:
		err = fmt.Errorf("%w: bundle kind %q", ErrKind, b.Kind)
	}
	if err != nil {
		return nil, err
	}
	// The model holds its weights in its own layout (packed, or compact
	// f16/int8 panels): the bundle's copies would double what an open model
	// keeps resident, and keep the whole file alive when they alias it.
	b.Tensors = nil
	return m, nil
}

func (c Config) checkBundleBytes() error {
	if c.bundleBytes < 1<<10 || c.bundleBytes > export.HeaderSize+export.MaxBodySize {
		return fmt.Errorf("%w: config max bundle bytes %d (1 KiB..2 GiB)", ErrLimit, c.bundleBytes)
	}
	return nil
}

// Kind returns the bundle's model kind ("way" or "td").
func (m *Model) Kind() string { return m.Bundle.Kind }
