package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/portolan-sdk/portolan/wasm/abi"
)

// Model is a bundle opened in a host. Each instance loads it on first use
// (the host keeps the bundle's bytes); Close releases it everywhere.
type Model struct {
	h      *Host
	bundle []byte
	info   abi.ModelInfo
	closed atomic.Bool
}

// baseMemory is about what a fresh instance holds before a request: the Go
// runtime and its heap.
const baseMemory = 8 << 20

// Open loads a bundle (a .portolan file's bytes) into an instance, which
// checks it, and returns the model. A bundle that cannot fit in an
// instance's memory limit beside its own request copy is refused with
// ErrMemoryLimit before the guest sees it.
func (h *Host) Open(ctx context.Context, bundle []byte) (*Model, error) {
	limit := uint64(h.cfg.memoryPages) << 16
	if need := baseMemory + 2*uint64(len(bundle)); need > limit {
		return nil, fmt.Errorf("%w: a bundle of %.1f MiB needs at least %.1f MiB in the guest (a copy to read and the decoded model); the limit is %.1f MiB (Config.WithMemoryLimitPages)",
			ErrMemoryLimit, mib(len(bundle)), mib(int(need)), mib(int(limit)))
	}
	m := &Model{h: h, bundle: append([]byte(nil), bundle...)}
	_, _, err := h.with(ctx, -1, func(ctx context.Context, in *instance) error {
		_, err := m.load(ctx, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func mib(n int) float64 { return float64(n) / (1 << 20) }

// OpenFile is Open with the bundle read from a file.
func (h *Host) OpenFile(ctx context.Context, path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := h.Open(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// load returns the model's handle in the instance, loading it there first
// if needed.
func (m *Model) load(ctx context.Context, in *instance) (uint32, error) {
	if m.closed.Load() {
		return 0, refuse(ErrClosed)
	}
	if h, ok := in.models[m]; ok {
		return h, nil
	}
	ans, err := in.call(ctx, abi.ExportLoad, (&abi.LoadRequest{Bundle: m.bundle}).Append(nil))
	if err != nil {
		return 0, err
	}
	info, err := abi.DecodeModelInfo(ans)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrAnswer, err)
	}
	if m.info.Kind == "" {
		m.info = *info // set once, by Open, before the model is shared
	}
	in.models[m] = info.Handle
	return info.Handle, nil
}

// Kind returns the bundle's model kind ("way" or "td").
func (m *Model) Kind() string { return m.info.Kind }

// Features returns the model's input feature names.
func (m *Model) Features() []string { return m.info.Features }

// Ports returns the destinations a WAY model predicts, in vocabulary order
// (without "unknown").
func (m *Model) Ports() []export.Port { return m.info.Ports }

// Close releases the model in every instance. Later calls fail with
// ErrClosed.
func (m *Model) Close(ctx context.Context) error {
	if m.closed.Swap(true) {
		return nil
	}
	var errs []error
	for i := range m.h.cfg.instances {
		_, _, err := m.h.with(ctx, i, func(ctx context.Context, in *instance) error {
			h, ok := in.models[m]
			if !ok {
				return nil
			}
			delete(in.models, m)
			_, err := in.call(ctx, abi.ExportRelease, (&abi.HandleRequest{Key: "handle", Handle: h}).Append(nil))
			return err
		})
		if err != nil && !errors.Is(err, ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// request builds a request for the model on an instance, loading the model
// there first.
func (m *Model) request(ctx context.Context, build func(handle uint32) []byte) func(*instance) ([]byte, error) {
	return func(in *instance) ([]byte, error) {
		h, err := m.load(ctx, in)
		if err != nil {
			return nil, err
		}
		return build(h), nil
	}
}

// Destinations predicts where vessels are heading with a WAY model, as
// sdk.Destinations does; cfg's top-k applies.
type Destinations struct {
	m    *Model
	topK int
}

// Destinations returns the destination predictor of a WAY model.
func (m *Model) Destinations(cfg sdk.Config) (*Destinations, error) {
	if m.Kind() != "way" {
		return nil, fmt.Errorf("%w: %q model has no destination head", sdk.ErrKind, m.Kind())
	}
	if k := cfg.TopK(); k < 1 || k > abi.MaxTopK {
		return nil, fmt.Errorf("host: top-k %d (1..%d)", k, abi.MaxTopK)
	}
	return &Destinations{m: m, topK: cfg.TopK()}, nil
}

// Predict cleans a vessel's track, finds its voyage in progress and
// predicts its destination and ETA, as sdk.Destinations.Predict does. It
// returns an error matching sdk.ErrNoVoyage when the track ends in port or
// holds too little.
func (d *Destinations) Predict(ctx context.Context, t *trajectory.Track) (*sdk.Prediction, error) {
	rs, err := d.predict(ctx, nil, trackPositions(t))
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("%w: %d vessels for one track", ErrAnswer, len(rs))
	}
	return rs[0].Prediction, rs[0].Err
}

// PredictAll reads every position from r and predicts each vessel's voyage
// in progress, in MMSI order, as sdk.Destinations.PredictAll does (in one
// call to one instance).
func (d *Destinations) PredictAll(ctx context.Context, r ais.PositionReader) ([]sdk.VesselResult, error) {
	var ps []ais.Position
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		ps = append(ps, *p)
	}
	return d.predict(ctx, nil, ps)
}

// PredictAIS is PredictAll on AIS text (NMEA, MarineCadastre or DMA CSV),
// decoded inside the guest.
func (d *Destinations) PredictAIS(ctx context.Context, data []byte) ([]sdk.VesselResult, error) {
	if data == nil {
		data = []byte{}
	}
	return d.predict(ctx, data, nil)
}

func (d *Destinations) predict(ctx context.Context, text []byte, ps []ais.Position) ([]sdk.VesselResult, error) {
	var out []sdk.VesselResult
	_, _, err := d.m.h.call(ctx, -1, abi.ExportPredict, d.m.request(ctx, func(h uint32) []byte {
		return (&abi.PredictRequest{Handle: h, TopK: d.topK, AIS: text, Positions: ps}).Append(nil)
	}), func(b []byte) error {
		var err error
		out, err = abi.DecodePredictAnswer(b)
		return err
	})
	return out, err
}

// trackPositions turns a track's points back into positions, the inverse
// of trajectory.Collect for one vessel.
func trackPositions(t *trajectory.Track) []ais.Position {
	ps := make([]ais.Position, len(t.Points))
	for i, p := range t.Points {
		ps[i] = ais.Position{MMSI: t.MMSI, Time: p.Time, Lat: p.Lat, Lon: p.Lon, SOG: p.SOG, COG: p.COG,
			Heading: p.Heading, ROT: p.ROT, NavStatus: p.NavStatus,
			Static: ais.Static{Name: t.Name, ShipType: t.ShipType, Draught: p.Draught, ETATime: p.ETA}}
	}
	return ps
}

// Stream predicts one vessel's destination as its positions arrive, as
// sdk.Stream does. Its state lives in one instance; if that instance is
// replaced (after a trap or a stopped call) the stream fails with
// ErrStreamLost. Not safe for concurrent use.
type Stream struct {
	d       *Destinations
	slot    int
	gen     uint64
	handle  uint32
	mmsi    uint32
	dropped int
}

// NewStream starts a stream for a vessel, with its AIS ship type if known.
func (d *Destinations) NewStream(ctx context.Context, mmsi uint32, shipType ais.Opt[int]) (*Stream, error) {
	s := &Stream{d: d, mmsi: mmsi}
	var err error
	s.slot, s.gen, err = d.m.h.call(ctx, -1, abi.ExportStreamOpen, d.m.request(ctx, func(h uint32) []byte {
		return (&abi.StreamOpenRequest{Handle: h, MMSI: mmsi, ShipType: shipType, TopK: d.topK}).Append(nil)
	}), func(b []byte) error {
		var err error
		s.handle, err = abi.DecodeStreamOpenAnswer(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// on runs a stream call on the stream's instance, if it is still the one.
func (s *Stream) on(ctx context.Context, export string, req []byte, decode func([]byte) error) error {
	_, _, err := s.d.m.h.call(ctx, s.slot, export, func(in *instance) ([]byte, error) {
		h := s.d.m.h
		h.mu.Lock()
		gen := h.slots[s.slot].gen
		h.mu.Unlock()
		if gen != s.gen {
			return nil, refuse(ErrStreamLost)
		}
		return req, nil
	}, decode)
	return err
}

// Push takes the vessel's next position and returns the updated
// prediction, or an error matching sdk.ErrNoVoyage while the vessel is in
// port.
func (s *Stream) Push(ctx context.Context, p *ais.Position) (*sdk.Prediction, error) {
	return s.PushAll(ctx, []ais.Position{*p})
}

// PushAll pushes positions in time order in one call and returns the
// prediction after the last.
func (s *Stream) PushAll(ctx context.Context, ps []ais.Position) (*sdk.Prediction, error) {
	var r *abi.StreamResult
	err := s.on(ctx, abi.ExportStreamPush, (&abi.StreamPushRequest{Stream: s.handle, Positions: ps}).Append(nil), func(b []byte) error {
		var err error
		r, err = abi.DecodeStreamResult(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.dropped = r.Dropped
	return r.Prediction, r.Err
}

// Dropped returns how many positions cleaning has dropped.
func (s *Stream) Dropped() int { return s.dropped }

// Close frees the stream's state in its instance.
func (s *Stream) Close(ctx context.Context) error {
	err := s.on(ctx, abi.ExportStreamClose, (&abi.HandleRequest{Key: "stream", Handle: s.handle}).Append(nil), abi.DecodeEmpty)
	if errors.Is(err, ErrStreamLost) {
		return nil // its state went with the instance
	}
	return err
}

// Forecaster runs a temporal-dropout model, as sdk.Forecaster does.
type Forecaster struct {
	m       *Model
	samples int
	seed    uint64
}

// Forecaster returns the forecaster of a "td" model; cfg's samples and
// seed apply.
func (m *Model) Forecaster(cfg sdk.Config) (*Forecaster, error) {
	if m.Kind() != "td" {
		return nil, fmt.Errorf("%w: %q model is not a time-series regressor", sdk.ErrKind, m.Kind())
	}
	if n := cfg.Samples(); n < 1 || n > abi.MaxSamples {
		return nil, fmt.Errorf("host: samples %d (1..%d)", n, abi.MaxSamples)
	}
	return &Forecaster{m: m, samples: cfg.Samples(), seed: cfg.Seed()}, nil
}

// Steps and Features return the input shape the model expects.
func (f *Forecaster) Steps() int    { return f.m.info.Steps }
func (f *Forecaster) Features() int { return len(f.m.info.Features) }

// Forecast predicts series (each Steps × Features raw values, row-major;
// NaN for a gap, filled with the model's feature means), series i keyed i.
func (f *Forecaster) Forecast(ctx context.Context, series [][]float32) ([]sdk.Forecast, error) {
	out, err := f.ForecastKeys(ctx, series, nil)
	if err != nil {
		return nil, err
	}
	fs := make([]sdk.Forecast, len(out))
	for i := range out {
		fs[i] = out[i].Forecast
	}
	return fs, nil
}

// ForecastKeys is Forecast with each series' Monte Carlo key given
// (docs/RNG.md); nil keys series by row.
func (f *Forecaster) ForecastKeys(ctx context.Context, series [][]float32, keys []uint64) ([]abi.KeyedForecast, error) {
	var out []abi.KeyedForecast
	_, _, err := f.m.h.call(ctx, -1, abi.ExportForecast, f.m.request(ctx, func(h uint32) []byte {
		return (&abi.ForecastRequest{Handle: h, Series: series, Samples: f.samples, Seed: f.seed, Keys: keys}).Append(nil)
	}), func(b []byte) error {
		var err error
		out, err = abi.DecodeForecastAnswer(b)
		if err == nil && len(out) != len(series) {
			err = fmt.Errorf("%d forecasts for %d series", len(out), len(series))
		}
		return err
	})
	return out, err
}
