package sdk

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/stretchr/testify/require"
)

// positionOf is point p of track tr as a merged AIS position.
func positionOf(tr *trajectory.Track, p *trajectory.Point) ais.Position {
	pos := ais.Position{MMSI: tr.MMSI, Time: p.Time, Lat: p.Lat, Lon: p.Lon, SOG: p.SOG, COG: p.COG,
		Heading: p.Heading, ROT: p.ROT, NavStatus: p.NavStatus}
	pos.Static.ShipType, pos.Static.Draught, pos.Static.ETATime = tr.ShipType, p.Draught, p.ETA
	return pos
}

// requireSamePrediction checks that a stream's answer is the batch one.
func requireSamePrediction(t *testing.T, want, got *Prediction, msg ...any) {
	t.Helper()
	require.Equal(t, want.MMSI, got.MMSI, msg...)
	require.Equal(t, want.Departure, got.Departure, msg...)
	require.True(t, want.Depart.Equal(got.Depart), msg...)
	require.True(t, want.At.Equal(got.At), msg...)
	require.Equal(t, want.Cells, got.Cells, msg...)
	require.Equal(t, len(want.Top), len(got.Top), msg...)
	for i := range want.Top {
		require.InDelta(t, want.Top[i].Prob, got.Top[i].Prob, 1e-4, msg...)
		if want.Top[i].Prob-got.Top[i].Prob > 1e-4 || (i+1 < len(want.Top) && want.Top[i].Prob-want.Top[i+1].Prob > 1e-4) {
			require.Equal(t, want.Top[i].Locode, got.Top[i].Locode, msg...)
		}
	}
	require.InDelta(t, want.ETAHours, got.ETAHours, 1e-3, msg...)
}

// TestStreamMatchesPredictOnPrefixes: after every few positions, a
// stream answers what Predict answers on the track so far — ErrNoVoyage in
// port and before a voyage holds two positions, else the same prediction —
// on the demo bundle and on one with port areas (visits, departures).
func TestStreamMatchesPredictOnPrefixes(t *testing.T) {
	areas, err := demoWithAreas(t, nil).Destinations(NewConfig().WithTopK(3))
	require.NoError(t, err)
	ctx := context.Background()
	for name, d := range map[string]*Destinations{"vocabulary": openWAY(t), "areas": areas} {
		t.Run(name, func(t *testing.T) {
			answered, inPort, fromPort := 0, 0, 0
			for _, tr := range simTracks(t, 12, 6, 6) {
				s, err := d.NewStream(tr.MMSI, tr.ShipType)
				require.NoError(t, err)
				step := 1 + len(tr.Points)/60
				for i := range tr.Points {
					pos := positionOf(tr, &tr.Points[i])
					got, gerr := s.Push(ctx, &pos)
					if i%step != 0 && i != len(tr.Points)-1 {
						continue
					}
					want, werr := d.Predict(ctx, &trajectory.Track{MMSI: tr.MMSI, ShipType: tr.ShipType, Points: tr.Points[:i+1]})
					if werr != nil {
						require.ErrorIs(t, werr, ErrNoVoyage)
						require.ErrorIs(t, gerr, ErrNoVoyage, "vessel %d after %d positions", tr.MMSI, i+1)
						inPort++
						continue
					}
					require.NoError(t, gerr, "vessel %d after %d positions", tr.MMSI, i+1)
					requireSamePrediction(t, want, got, "vessel %d after %d positions", tr.MMSI, i+1)
					answered++
					if want.Departure != "" {
						fromPort++
					}
				}
			}
			require.Greater(t, answered, 150)
			require.Greater(t, inPort, 10)
			require.Greater(t, fromPort, 50)
		})
	}
}

// anchored is a vessel lying at anchor outside every port for the given
// time, one position every interval, with a little GPS jitter, after a
// short passage (so that a voyage is in progress).
func anchored(mmsi uint32, lat, lon float64, d, interval time.Duration) *trajectory.Track {
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	tr := &trajectory.Track{MMSI: mmsi, ShipType: ais.Opt[int]{V: 80, Valid: true}}
	for k := 0; k < 12; k++ {
		tr.Points = append(tr.Points, trajectory.Point{Time: t0.Add(time.Duration(k) * 10 * time.Minute), Lat: lat, Lon: lon - 0.6 + 0.05*float64(k),
			SOG: ais.Opt[float64]{V: 11, Valid: true}, COG: ais.Opt[float64]{V: 90, Valid: true}})
	}
	at := tr.Points[len(tr.Points)-1].Time
	for k := 1; time.Duration(k)*interval <= d; k++ {
		j := float64(k%7) * 1e-5
		tr.Points = append(tr.Points, trajectory.Point{Time: at.Add(time.Duration(k) * interval), Lat: lat + j, Lon: lon + j,
			SOG: ais.Opt[float64]{V: 0.1, Valid: true}, NavStatus: ais.Opt[int]{V: 1, Valid: true}})
	}
	return tr
}

// TestStreamMemoryFollowsTheVoyage: a vessel lying in one grid cell for
// two days (8,640 positions) holds no more at the end than after the
// first hour, and still answers what Predict answers on its whole
// track; a long voyage holds at most the window of cells the model reads.
func TestStreamMemoryFollowsTheVoyage(t *testing.T) {
	d := openWAY(t)
	ctx := context.Background()
	tr := anchored(244123456, 47.3, -20.4, 2*24*time.Hour, 20*time.Second)
	s, err := d.NewStream(tr.MMSI, tr.ShipType)
	require.NoError(t, err)
	var afterHour int
	var got *Prediction
	for i := range tr.Points {
		pos := positionOf(tr, &tr.Points[i])
		got, err = s.Push(ctx, &pos)
		if i == 0 {
			require.ErrorIs(t, err, ErrNoVoyage, "one position is no voyage")
			continue
		}
		require.NoError(t, err)
		if i == 12+180 {
			afterHour = s.Bytes()
		}
	}
	require.Equal(t, afterHour, s.Bytes(), "two days in one cell hold what one hour holds")
	require.Less(t, s.Bytes(), 32<<10)
	want, err := d.Predict(ctx, tr)
	require.NoError(t, err)
	requireSamePrediction(t, want, got)

	// a voyage of many cells: the window caps the cells kept
	m, err := Open(testdata + "/models/way-demo.portolan")
	require.NoError(t, err)
	d8, err := m.Destinations(NewConfig().WithTopK(3).WithMaxCells(8))
	require.NoError(t, err)
	long := &trajectory.Track{MMSI: 244123457}
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for k := 0; k < 4000; k++ { // 0.02° per position westward: 80° of longitude, 80 cells
		long.Points = append(long.Points, trajectory.Point{Time: t0.Add(time.Duration(k) * 6 * time.Minute), Lat: 10.5, Lon: 60 - 0.02*float64(k),
			SOG: ais.Opt[float64]{V: 12, Valid: true}})
	}
	s, err = d8.NewStream(long.MMSI, long.ShipType)
	require.NoError(t, err)
	peak := 0
	for i := range long.Points {
		pos := positionOf(long, &long.Points[i])
		got, err = s.Push(ctx, &pos)
		require.True(t, err == nil || i == 0, "position %d: %v", i, err)
		if i >= 1000 {
			peak = max(peak, s.Bytes())
		}
	}
	require.Equal(t, 8, got.Cells)
	require.Less(t, peak, 96<<10, "80 cells in, the stream holds the 8-cell window (and at most 64 closed cells more)")
	want, err = d8.Predict(ctx, long)
	require.NoError(t, err)
	requireSamePrediction(t, want, got)
}

// TestStreamInPortHoldsNothing: a harbour craft moving about a port area
// for days (never stopping long enough for a visit after its first, never
// leaving) holds a bounded amount, and answers as Predict does.
func TestStreamInPortHoldsNothing(t *testing.T) {
	d, err := demoWithAreas(t, nil).Destinations(NewConfig().WithTopK(3))
	require.NoError(t, err)
	port := d.Ports().At(0)
	ctx := context.Background()
	tr := &trajectory.Track{MMSI: 244123458, ShipType: ais.Opt[int]{V: 52, Valid: true}}
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for k := 0; k < 15000; k++ { // 1.7 days, every 10 s: stopped for an hour, then circling at 4 knots
		sog := 4.0
		if k < 360 {
			sog = 0
		}
		a := float64(k) / 500
		tr.Points = append(tr.Points, trajectory.Point{Time: t0.Add(time.Duration(k) * 10 * time.Second),
			Lat: port.Lat + 0.01*math.Sin(a), Lon: port.Lon + 0.01*math.Cos(a), SOG: ais.Opt[float64]{V: sog, Valid: true}})
	}
	s, err := d.NewStream(tr.MMSI, tr.ShipType)
	require.NoError(t, err)
	var got *Prediction
	peak := 0
	for i := range tr.Points {
		pos := positionOf(tr, &tr.Points[i])
		got, err = s.Push(ctx, &pos)
		if i%3000 == 0 || i == 180 || i == 181 || i == 361 { // in the stop, at the visit, leaving the stop
			want, werr := d.Predict(ctx, &trajectory.Track{MMSI: tr.MMSI, ShipType: tr.ShipType, Points: tr.Points[:i+1]})
			if werr != nil {
				require.ErrorIs(t, err, ErrNoVoyage, "after %d positions", i+1)
			} else {
				require.NoError(t, err)
				requireSamePrediction(t, want, got, "after %d positions", i+1)
			}
		}
		peak = max(peak, s.Bytes())
	}
	require.Less(t, peak, 32<<10)
	want, err := d.Predict(ctx, tr)
	require.NoError(t, err)
	requireSamePrediction(t, want, got)
	require.Equal(t, portName(port), got.Departure)
}

// TestStreamRefusals: a non-ship MMSI, another vessel's position, a
// cancelled context, and late, duplicate or impossible positions.
func TestStreamRefusals(t *testing.T) {
	d := openWAY(t)
	for _, mmsi := range []uint32{2442001, 992441234, 111244000, 970123456, 0} { // base station, AtoN, SAR aircraft, SART, none
		_, err := d.NewStream(mmsi, ais.Opt[int]{})
		require.ErrorIs(t, err, ErrNoVoyage, "MMSI %d", mmsi)
	}
	s, err := d.NewStream(244000001, ais.Opt[int]{})
	require.NoError(t, err)
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	_, err = s.Push(context.Background(), &ais.Position{MMSI: 244000002, Time: t0, Lat: 50, Lon: 1})
	require.Error(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Push(ctx, &ais.Position{MMSI: 244000001, Time: t0, Lat: 50, Lon: 1})
	require.ErrorIs(t, err, context.Canceled)
	ctx = context.Background()
	for k, p := range []ais.Position{
		{Time: t0, Lat: 50, Lon: 1},
		{Time: t0.Add(time.Minute), Lat: 50, Lon: 1.01},
		{Time: t0.Add(30 * time.Second), Lat: 50, Lon: 1.005},    // late
		{Time: t0.Add(time.Minute), Lat: 50, Lon: 1.01},          // duplicate time
		{Time: t0.Add(2 * time.Minute), Lat: 55, Lon: 1.01},      // 300 nm in a minute
		{Time: t0.Add(3 * time.Minute), Lat: math.NaN(), Lon: 1}, // off the globe
		{Time: t0.Add(4 * time.Minute), Lat: 50, Lon: 1.02, SOG: ais.Opt[float64]{V: math.NaN(), Valid: true},
			COG: ais.Opt[float64]{V: math.Inf(1), Valid: true}}, // non-finite optional values read as absent
	} {
		p.MMSI = 244000001
		pred, err := s.Push(ctx, &p)
		if k == 0 {
			require.ErrorIs(t, err, ErrNoVoyage, "one position is no voyage")
			continue
		}
		require.NoError(t, err, "position %d", k)
		require.False(t, math.IsNaN(pred.ETAHours))
	}
	require.Equal(t, 4, s.Dropped())
}

// TestStreamRefusesNonFiniteOutput: a bundle whose weights overflow gives
// ErrOutput from Predict, PredictAll and streams, never an infinite ETA.
func TestStreamRefusesNonFiniteOutput(t *testing.T) {
	d := hostileWAY(t)
	ctx := context.Background()
	tr := simTracks(t, 11, 3, 4)[0]
	_, err := d.Predict(ctx, tr)
	require.ErrorIs(t, err, ErrOutput)
	res, err := d.PredictAll(ctx, &sliceReader{ps: trackPositions(tr)}, nil)
	require.NoError(t, err)
	require.Len(t, res, 1)
	require.ErrorIs(t, res[0].Err, ErrOutput)
	require.Nil(t, res[0].Prediction)
	s, err := d.NewStream(tr.MMSI, tr.ShipType)
	require.NoError(t, err)
	failed := 0
	for i := range tr.Points {
		pos := positionOf(tr, &tr.Points[i])
		if _, err := s.Push(ctx, &pos); err != nil && !errors.Is(err, ErrNoVoyage) {
			require.ErrorIs(t, err, ErrOutput)
			failed++
		}
	}
	require.Greater(t, failed, 0)
}

func trackPositions(tr *trajectory.Track) []ais.Position {
	out := make([]ais.Position, len(tr.Points))
	for i := range tr.Points {
		out[i] = positionOf(tr, &tr.Points[i])
	}
	return out
}
