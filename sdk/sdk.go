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
)

// Config holds prediction options. It is immutable: With* methods return
// a changed copy.
type Config struct {
	samples int
	seed    uint64
	topK    int
	threads int
	ports   *trajectory.Ports
}

// NewConfig returns the defaults: 20 Monte Carlo samples, seed 1, top 5,
// one thread (edge devices run single-threaded unless told otherwise).
func NewConfig() Config { return Config{samples: 20, seed: 1, topK: 5, threads: 1} }

// WithThreads sets how many goroutines a call may use (default 1):
// PredictAll shares vessels among them, Forecast its batches of series,
// and single predictions their matrix products and attention heads.
// Results are bit-identical for any count.
func (c Config) WithThreads(n int) Config { c.threads = n; return c }

// WithSamples sets the Monte Carlo samples of a forecast (default 20).
func (c Config) WithSamples(n int) Config { c.samples = n; return c }

// WithSeed sets the seed of the shared random generator (default 1).
func (c Config) WithSeed(s uint64) Config { c.seed = s; return c }

// WithTopK sets how many destinations a prediction lists (default 5).
func (c Config) WithTopK(k int) Config { c.topK = k; return c }

// WithPorts sets the port catalogue destination predictors find port
// visits with, instead of the port areas the bundle carries (the
// default). Ports outside the model's vocabulary still end voyages; a
// voyage from one of them has an unknown departure.
func (c Config) WithPorts(p *trajectory.Ports) Config { c.ports = p; return c }

// Samples, Seed and TopK return the settings (for hosts that run the
// runtime elsewhere, such as wasm/host).
func (c Config) Samples() int { return c.samples }

// Seed returns the seed of the shared random generator.
func (c Config) Seed() uint64 { return c.seed }

// TopK returns how many destinations a prediction lists.
func (c Config) TopK() int { return c.topK }

func (c Config) check() error {
	if c.samples < 1 || c.samples > models.MaxSamples || c.topK < 1 || c.topK > 1000 || c.threads < 1 || c.threads > 1024 {
		return fmt.Errorf("sdk: config samples %d (1..%d), top-k %d (1..1000), threads %d (1..1024)", c.samples, models.MaxSamples, c.topK, c.threads)
	}
	if c.ports != nil && c.ports.Len() == 0 {
		return fmt.Errorf("sdk: config ports: the catalogue is empty")
	}
	return nil
}

// Model is an opened bundle.
type Model struct {
	Bundle *export.Bundle
	way    *models.WAY
	td     *models.TD
}

// Open reads and validates a bundle file and builds its model.
func Open(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := OpenBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// OpenBytes builds a model from a bundle in memory.
func OpenBytes(data []byte) (*Model, error) {
	b, err := export.Unmarshal(data)
	if err != nil {
		return nil, err
	}
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
	return m, nil
}

// Kind returns the bundle's model kind ("way" or "td").
func (m *Model) Kind() string { return m.Bundle.Kind }
