package sdk

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/models"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/portolan-sdk/portolan/trajectory/sim"
	"github.com/stretchr/testify/require"
)

var testdata = filepath.Join("..", "testdata")

func openWAY(t testing.TB) *Destinations {
	m, err := Open(filepath.Join(testdata, "models", "way-demo.portolan"))
	require.NoError(t, err)
	require.Equal(t, "way", m.Kind())
	d, err := m.Destinations(NewConfig().WithTopK(3))
	require.NoError(t, err)
	return d
}

func simTracks(t testing.TB, seed uint64, vessels int, days float64) []*trajectory.Track {
	f, err := sim.NewFleet(sim.BuiltinNetwork(), sim.BuiltinPorts, sim.Config{Seed: seed, Vessels: vessels, Days: days})
	require.NoError(t, err)
	tracks, err := f.Tracks()
	require.NoError(t, err)
	return tracks
}

func TestPredictAllSample(t *testing.T) {
	d := openWAY(t)
	f, err := os.Open(filepath.Join(testdata, "ais", "sample.nmea"))
	require.NoError(t, err)
	defer f.Close()
	pr, err := ais.OpenPositions(f, ais.Options{})
	require.NoError(t, err)
	calls := 0
	res, err := d.PredictAll(context.Background(), pr, func(done, total int) { calls++ })
	require.NoError(t, err)
	require.Len(t, res, 8)
	require.Equal(t, 8, calls)
	ok := 0
	for _, r := range res {
		if r.Err != nil {
			require.True(t, errors.Is(r.Err, ErrNoVoyage), "%v", r.Err)
			continue
		}
		ok++
		p := r.Prediction
		require.Len(t, p.Top, 3)
		var sum float64
		for i, c := range p.Top {
			require.NotEmpty(t, c.Locode)
			sum += c.Prob
			if i > 0 {
				require.LessOrEqual(t, c.Prob, p.Top[i-1].Prob)
			}
		}
		require.LessOrEqual(t, sum, 1.0+1e-9)
		require.GreaterOrEqual(t, p.ETAHours, 0.0)
		require.True(t, p.ETA.After(p.At) || p.ETAHours == 0)
		require.Greater(t, p.Cells, 0)
	}
	require.Greater(t, ok, 4)
}

// TestStreamMatchesBatch pushes tracks position by position and compares
// the final prediction with Predict on the whole track.
// It runs on the demo bundle (format 1.0, vocabulary ports at 5 km) and
// on the same bundle with port areas of 5-8 km and an extra port.
func TestStreamMatchesBatch(t *testing.T) {
	areas, err := demoWithAreas(t, nil).Destinations(NewConfig().WithTopK(3))
	require.NoError(t, err)
	for name, d := range map[string]*Destinations{"vocabulary": openWAY(t), "areas": areas} {
		t.Run(name, func(t *testing.T) { streamMatchesBatch(t, d) })
	}
}

func streamMatchesBatch(t *testing.T, d *Destinations) {
	ctx := context.Background()
	compared := 0
	for _, tr := range simTracks(t, 11, 12, 8) {
		// cut the track in the middle of a voyage: drop the last points until it does not end in port
		for cut := len(tr.Points); cut > 10; cut -= 7 {
			sub := &trajectory.Track{MMSI: tr.MMSI, ShipType: tr.ShipType, Points: tr.Points[:cut]}
			want, err := d.Predict(ctx, sub)
			if err != nil {
				continue
			}
			s, err := d.NewStream(tr.MMSI, tr.ShipType)
			require.NoError(t, err)
			var got *Prediction
			for i := range sub.Points {
				p := sub.Points[i]
				pos := ais.Position{MMSI: tr.MMSI, Time: p.Time, Lat: p.Lat, Lon: p.Lon, SOG: p.SOG, COG: p.COG,
					Heading: p.Heading, ROT: p.ROT, NavStatus: p.NavStatus}
				pos.Static.ShipType, pos.Static.Draught = tr.ShipType, p.Draught
				if p.ETA.Valid {
					pos.Static.ETATime = p.ETA
				}
				got, err = s.Push(ctx, &pos)
			}
			require.NoError(t, err, "vessel %d", tr.MMSI)
			require.Equal(t, want.Departure, got.Departure)
			require.Equal(t, want.Cells, got.Cells)
			require.Equal(t, want.Top[0].Locode, got.Top[0].Locode)
			for i := range want.Top {
				require.InDelta(t, want.Top[i].Prob, got.Top[i].Prob, 1e-4)
			}
			require.InDelta(t, want.ETAHours, got.ETAHours, 1e-3)
			compared++
			break
		}
	}
	require.Greater(t, compared, 6)
}

func TestForecast(t *testing.T) {
	m, err := Open(filepath.Join(testdata, "models", "td-demo.portolan"))
	require.NoError(t, err)
	f, err := m.Forecaster(NewConfig().WithSamples(20).WithSeed(1))
	require.NoError(t, err)
	// the reference vectors' inputs and series keys give the reference statistics
	vb, err := export.ReadFile(filepath.Join(testdata, "conformance", "td-demo.vectors.portolan"))
	require.NoError(t, err)
	xt, _ := vb.Tensor("x_raw")
	x, _ := xt.Float32s()
	mt, _ := vb.Tensor("mean")
	mean, _ := mt.Float32s()
	ids := vb.Config["ids"].([]any)
	T, D := f.Steps(), f.Features()
	var series []Series
	var plain [][]float32
	for i := 0; i < xt.Shape[0]; i++ {
		series = append(series, Series{Key: SeriesKey(ids[i].(string)), Values: x[i*T*D : (i+1)*T*D]})
		plain = append(plain, x[i*T*D:(i+1)*T*D])
	}
	out, err := f.ForecastSeries(context.Background(), series)
	require.NoError(t, err)
	for i, fc := range out {
		require.InDelta(t, float64(mean[i]), fc.Mean, 1e-5*math.Abs(float64(mean[i]))+1e-6)
		require.InDelta(t, fc.Total, fc.Epistemic+fc.Aleatoric, 1e-9)
		require.Less(t, fc.Lo90, fc.Mean)
		require.Greater(t, fc.Hi90, fc.Mean)
		require.Len(t, fc.Samples, 20)
	}
	// a series keeps its samples alone and at another position, on more threads
	f2, err := m.Forecaster(NewConfig().WithSamples(20).WithSeed(1).WithThreads(2))
	require.NoError(t, err)
	one, err := f2.ForecastSeries(context.Background(), []Series{series[5]})
	require.NoError(t, err)
	require.Equal(t, out[5], one[0])
	moved, err := f.ForecastSeries(context.Background(), append([]Series{series[5]}, series...))
	require.NoError(t, err)
	require.Equal(t, out[5], moved[0])
	require.Equal(t, out[5], moved[6])
	// plain series are keyed by their index
	byIndex, err := f.Forecast(context.Background(), plain)
	require.NoError(t, err)
	keyed := make([]Series, len(plain))
	for i := range plain {
		keyed[i] = Series{Key: uint64(i), Values: plain[i]}
	}
	want, err := f.ForecastSeries(context.Background(), keyed)
	require.NoError(t, err)
	require.Equal(t, want, byIndex)

	_, err = f.Forecast(context.Background(), [][]float32{{1, 2}})
	require.ErrorIs(t, err, models.ErrInput)
	_, err = m.Destinations(NewConfig())
	require.ErrorIs(t, err, ErrKind)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = f.Forecast(ctx, plain)
	require.ErrorIs(t, err, context.Canceled)
}

func TestSeriesKey(t *testing.T) {
	require.Equal(t, uint64(0x2FDBE201783AE13E), SeriesKey("site00")) // docs/RNG.md
	require.Equal(t, uint64(0xCBF29CE484222325), SeriesKey(""))
	require.NotEqual(t, SeriesKey("site01"), SeriesKey("site10"))
}

func TestOpenErrors(t *testing.T) {
	_, err := OpenBytes([]byte("not a bundle"))
	require.ErrorIs(t, err, export.ErrBadMagic)
	_, err = Open(filepath.Join(testdata, "conformance", "td-demo.vectors.portolan"))
	require.ErrorIs(t, err, ErrKind)
	m, err := Open(filepath.Join(testdata, "models", "way-demo.portolan"))
	require.NoError(t, err)
	_, err = m.Forecaster(NewConfig())
	require.ErrorIs(t, err, ErrKind)
	_, err = m.Destinations(NewConfig().WithTopK(0))
	require.Error(t, err)
	d, err := m.Destinations(NewConfig())
	require.NoError(t, err)
	_, err = d.NewStream(992441234, ais.Opt[int]{}) // an AtoN, not a ship
	require.ErrorIs(t, err, ErrNoVoyage)
}

// TestStreamWindowSlides runs a model whose window holds 6 cells, so the
// stream must slide (re-evaluating the kept cells) and still match the
// batch predictor, which keeps the last 6 cells.
func TestStreamWindowSlides(t *testing.T) {
	b, err := export.ReadFile(filepath.Join(testdata, "models", "way-demo.portolan"))
	require.NoError(t, err)
	b.Config["max_len"] = int64(6)
	data, err := export.Marshal(b)
	require.NoError(t, err)
	m, err := OpenBytes(data)
	require.NoError(t, err)
	d, err := m.Destinations(NewConfig().WithTopK(3))
	require.NoError(t, err)
	ctx := context.Background()
	compared := 0
	for _, tr := range simTracks(t, 11, 6, 8) {
		want, err := d.Predict(ctx, tr)
		if err != nil || want.Cells < 6 {
			continue
		}
		s, err := d.NewStream(tr.MMSI, tr.ShipType)
		require.NoError(t, err)
		var got *Prediction
		for _, p := range tr.Points {
			pos := ais.Position{MMSI: tr.MMSI, Time: p.Time, Lat: p.Lat, Lon: p.Lon, SOG: p.SOG, COG: p.COG,
				Heading: p.Heading, ROT: p.ROT, NavStatus: p.NavStatus}
			pos.Static.ShipType, pos.Static.Draught, pos.Static.ETATime = tr.ShipType, p.Draught, p.ETA
			got, err = s.Push(ctx, &pos)
		}
		require.NoError(t, err)
		require.Equal(t, 6, got.Cells)
		for i := range want.Top {
			require.Equal(t, want.Top[i].Locode, got.Top[i].Locode)
			require.InDelta(t, want.Top[i].Prob, got.Top[i].Prob, 1e-4)
		}
		require.InDelta(t, want.ETAHours, got.ETAHours, 1e-3)
		compared++
	}
	require.Greater(t, compared, 1)
}

// TestOpenReleasesTensors: an open model keeps its weights once, in its
// own layout; the bytes it was opened from can be overwritten without
// changing its answers.
func TestOpenReleasesTensors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testdata, "models", "way-demo.portolan"))
	require.NoError(t, err)
	tracks := simTracks(t, 3, 4, 5)
	predict := func(m *Model) []*Prediction {
		d, err := m.Destinations(NewConfig().WithTopK(3))
		require.NoError(t, err)
		var out []*Prediction
		for _, tr := range tracks {
			if p, err := d.Predict(context.Background(), tr); err == nil {
				out = append(out, p)
			}
		}
		require.NotEmpty(t, out)
		return out
	}
	fresh, err := OpenBytes(append([]byte(nil), data...))
	require.NoError(t, err)
	want := predict(fresh)

	m, err := OpenBytes(data)
	require.NoError(t, err)
	require.Nil(t, m.Bundle.Tensors)
	require.Equal(t, "way", m.Bundle.Kind)
	require.NotEmpty(t, m.Bundle.Preprocessing.Features)
	for i := range data {
		data[i] = 0xa5
	}
	require.Equal(t, want, predict(m))
}
