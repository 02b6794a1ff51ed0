package sdk

import (
	"context"
	"errors"
	"maps"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// configKeys are the config keys of each model kind that size or scale
// something at inference.
var configKeys = map[string][]string{
	"way": {"d_model", "n_blocks", "n_heads", "d_k", "d_ffn", "sub_len", "n_features", "gru_layers", "n_ports", "n_ship", "max_len", "eta_scale", "ln_eps"},
	"td":  {"T", "D", "hidden", "dense", "layers", "heads", "alpha", "tau", "y_mean", "y_std", "kind", "backbone", "ffn", "ln_eps", "norm_first"},
}

// FuzzBundleConfig sets config values of the demo bundles (WAY, TD, and
// the transformer TD when k1 ≥ 128) to arbitrary integers and floats: the
// runtime refuses the bundle (a config outside docs/MODELS.md's limits,
// or tensors that do not fit it) or runs it, and what it runs answers
// with finite numbers or an error — never a panic, never an allocation a
// config value asks for (forecasters run under a 64 MiB working-memory
// cap).
func FuzzBundleConfig(f *testing.F) {
	f.Add(false, uint8(5), int64(1<<20), uint8(11), 1e300)
	f.Add(false, uint8(10), int64(6), uint8(12), 0.5)
	f.Add(true, uint8(0), int64(4096), uint8(9), -1.0)
	f.Add(true, uint8(2), int64(0), uint8(7), math.Inf(1))
	f.Add(true, uint8(132), int64(8192), uint8(0), 4096.0) // transformer ffn, T
	f.Add(true, uint8(133), int64(0), uint8(5), 3.0)       // transformer ln_eps, heads
	bundles := map[string]*export.Bundle{}
	for kind, name := range map[string]string{"way": "way-demo.portolan", "td": "td-demo.portolan", "transformer": "td-transformer-mc-td.portolan"} {
		b, err := export.ReadFile(filepath.Join(testdata, "models", name))
		if err != nil {
			f.Fatal(err)
		}
		bundles[kind] = b
	}
	track := simTracks(f, 11, 2, 3)[0]
	_, set := tdSeries(f)
	tdSet := make([]Series, len(set.IDs))
	for i := range tdSet {
		tdSet[i] = Series{Key: uint64(i), Values: set.Series(i)}
	}
	trSeries := randomSeries(8, 6*5) // the transformer's T × D
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, td bool, k1 uint8, v1 int64, k2 uint8, v2 float64) {
		kind := "way"
		if td {
			kind = "td"
		}
		bundle := kind
		if td && k1 >= 128 {
			bundle = "transformer"
		}
		b := *bundles[bundle] // shallow: only the config is replaced
		b.Config = maps.Clone(b.Config)
		keys := configKeys[kind]
		b.Config[keys[int(k1)%len(keys)]] = v1
		b.Config[keys[int(k2)%len(keys)]] = v2
		m, err := newModel(&b)
		if err != nil {
			return
		}
		if td {
			fc, err := m.Forecaster(NewConfig().WithSamples(3).WithMaxWorkBytes(64 << 20))
			if err != nil {
				return
			}
			series := trSeries
			if bundle == "td" {
				series = tdSet
			}
			out, err := fc.ForecastSeries(ctx, series)
			if err != nil {
				return
			}
			for _, o := range out {
				if !finite(o.Mean, o.Total, o.Lo90, o.Hi90) {
					t.Fatalf("a non-finite forecast: %+v", o.Summary)
				}
			}
			return
		}
		d, err := m.Destinations(NewConfig())
		if err != nil {
			return
		}
		p, err := d.Predict(ctx, track)
		if err != nil {
			return
		}
		if !finite(p.ETAHours) || len(p.Top) == 0 || !finite(p.Top[0].Prob) {
			t.Fatalf("a non-finite prediction: %+v", p)
		}
	})
}

// FuzzStream reads arbitrary bytes as the positions of three vessels
// (time steps, moves, speeds, absent and non-finite values, late and
// repeated times) and pushes them through streams and a manager with a
// tight memory cap: no panic, errors only ErrNoVoyage, finite answers, the
// same answer from a stream and the manager while it holds the vessel,
// and memory within bounds.
func FuzzStream(f *testing.F) {
	f.Add([]byte("\x00\x10\x05\x05\x60\x00\x01\x10\x05\x05\x60\x00\x00\x10\x05\x05\x60\x00"))
	f.Add([]byte("\x02\xff\xff\x00\x00\x07\x02\x00\x00\x00\x00\x07\x02\x01\x80\x80\xff\x03"))
	d := openWAY(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		evicted := map[uint32]bool{}
		m, err := d.NewManager(NewManagerConfig().WithMaxBytes(1 << 20).WithMaxVessels(2).
			WithOnEvict(func(e Eviction) { evicted[e.MMSI] = true }))
		if err != nil {
			t.Fatal(err)
		}
		streams := map[uint32]*Stream{}
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		at := [3]time.Time{t0, t0, t0}
		lat, lon := [3]float64{51.9, 10, 40}, [3]float64{4.0, -30, 13}
		for i := 0; i+6 <= len(data); i += 6 {
			c := data[i : i+6]
			v := int(c[0]) % 3
			mmsi := uint32(244000001 + v)
			at[v] = at[v].Add(time.Duration(int8(c[1])) * 37 * time.Second) // may go back: late positions
			lat[v] += float64(int8(c[2])) * 1e-3
			lon[v] += float64(int8(c[3])) * 1e-3
			p := ais.Position{MMSI: mmsi, Time: at[v], Lat: lat[v], Lon: lon[v]}
			switch flags := c[5]; {
			case flags&1 != 0:
				p.SOG = ais.Opt[float64]{V: float64(c[4]) / 8, Valid: true}
			case flags&2 != 0:
				p.SOG = ais.Opt[float64]{V: math.NaN(), Valid: true}
			case flags&4 != 0:
				p.COG = ais.Opt[float64]{V: math.Inf(-1), Valid: true}
			}
			if c[5]&8 != 0 {
				p.Static.ShipType = ais.Opt[int]{V: int(c[4]), Valid: true}
			}
			s := streams[mmsi]
			if s == nil {
				if s, err = d.NewStream(mmsi, ais.Opt[int]{}); err != nil {
					t.Fatal(err)
				}
				streams[mmsi] = s
			}
			got, err := s.Push(ctx, &p)
			check(t, got, err)
			if s.Bytes() > 1<<20 {
				t.Fatalf("a stream holds %d bytes", s.Bytes())
			}
			mp, merr := m.Push(ctx, &p)
			check(t, mp, merr)
			if !evicted[mmsi] && ((err == nil) != (merr == nil) || (err == nil && !samePrediction(got, mp))) {
				t.Fatalf("the manager answers %v / %v, the stream %v / %v", mp, merr, got, err)
			}
		}
		if st := m.Stats(); st.Bytes > 1<<20 || st.Vessels > 2 {
			t.Fatalf("the manager holds %d bytes, %d vessels", st.Bytes, st.Vessels)
		}
	})
}

func check(t *testing.T, p *Prediction, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrNoVoyage) {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !finite(p.ETAHours, p.Lat, p.Lon) || p.Cells < 1 || len(p.Top) == 0 {
		t.Fatalf("a bad prediction: %+v", p)
	}
	for _, c := range p.Top {
		if !finite(c.Prob) || c.Prob < 0 || c.Prob > 1 {
			t.Fatalf("a bad probability: %+v", p)
		}
	}
}
