package sdk

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/portolan-sdk/portolan/trajectory/sim"
	"github.com/stretchr/testify/require"
)

func samplePositions(t testing.TB) ais.PositionReader {
	data, err := os.ReadFile(filepath.Join(testdata, "ais", "sample.nmea"))
	require.NoError(t, err)
	pr, err := ais.OpenPositions(bytes.NewReader(data), ais.Options{})
	require.NoError(t, err)
	return pr
}

func requireSameResults(t *testing.T, want, got []VesselResult) {
	t.Helper()
	require.Equal(t, len(want), len(got))
	for i := range want {
		w, g := want[i], got[i]
		require.Equal(t, w.MMSI, g.MMSI)
		require.Equal(t, w.Name, g.Name)
		if w.Err != nil {
			require.ErrorIs(t, g.Err, ErrNoVoyage, "vessel %d", w.MMSI)
			continue
		}
		require.NoError(t, g.Err, "vessel %d", w.MMSI)
		require.Equal(t, w.Prediction, g.Prediction, "vessel %d", w.MMSI)
	}
}

// TestPredictReaderMatchesPredictAll: on input in time order, the bounded
// reader answers exactly what the batch path answers, on any number of
// threads.
func TestPredictReaderMatchesPredictAll(t *testing.T) {
	d := openWAY(t)
	ctx := context.Background()
	want, err := d.PredictAll(ctx, samplePositions(t), nil)
	require.NoError(t, err)
	m, err := Open(filepath.Join(testdata, "models", "way-demo.portolan"))
	require.NoError(t, err)
	for _, threads := range []int{1, 3} {
		dt, err := m.Destinations(NewConfig().WithTopK(3).WithThreads(threads))
		require.NoError(t, err)
		got, st, err := dt.PredictReader(ctx, samplePositions(t), IngestConfig{}, nil)
		require.NoError(t, err)
		requireSameResults(t, want, got)
		require.Equal(t, 8, st.Vessels)
		require.Equal(t, st.Answered+st.NoVoyage, 8)
		require.Greater(t, st.Answered, 4)
		require.Equal(t, st.Positions, st.Kept+sum(st.Dropped))
	}

	// a simulated fleet with many port calls
	var buf bytes.Buffer
	f, err := sim.NewFleet(sim.BuiltinNetwork(), sim.BuiltinPorts, sim.Config{Seed: 21, Vessels: 30, Days: 9})
	require.NoError(t, err)
	_, err = f.WriteNMEA(&buf)
	require.NoError(t, err)
	open := func() ais.PositionReader {
		pr, err := ais.OpenPositions(bytes.NewReader(buf.Bytes()), ais.Options{})
		require.NoError(t, err)
		return pr
	}
	want, err = d.PredictAll(ctx, open(), nil)
	require.NoError(t, err)
	answered := 0
	got, st, err := d.PredictReader(ctx, open(), IngestConfig{}, func(n int) { answered = n })
	require.NoError(t, err)
	requireSameResults(t, want, got)
	require.Equal(t, 30, answered)
	require.Less(t, st.Peak, 31)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestPredictReaderEvictsIdleVessels: a vessel that falls silent is
// answered when it has been idle for IngestConfig.Idle, with the answer
// Predict gives on its track up to then, and let go.
func TestPredictReaderEvictsIdleVessels(t *testing.T) {
	d := openWAY(t)
	ctx := context.Background()
	tracks := simTracks(t, 13, 6, 6)
	// vessel 0 stops reporting after its first 40% of points; the rest go on
	quiet := tracks[0]
	cut := len(quiet.Points) * 2 / 5
	var positions []ais.Position
	for _, tr := range tracks {
		pts := tr.Points
		if tr == quiet {
			pts = pts[:cut]
		}
		for _, p := range pts {
			pos := ais.Position{MMSI: tr.MMSI, Time: p.Time, Lat: p.Lat, Lon: p.Lon, SOG: p.SOG, COG: p.COG,
				Heading: p.Heading, ROT: p.ROT, NavStatus: p.NavStatus}
			pos.Static.ShipType, pos.Static.Draught, pos.Static.ETATime, pos.Static.Name = tr.ShipType, p.Draught, p.ETA, tr.Name
			positions = append(positions, pos)
		}
	}
	sortByTime(positions)
	var dropped []string
	got, st, err := d.PredictReader(ctx, &sliceReader{ps: positions}, IngestConfig{Idle: 6 * time.Hour,
		Dropped: func(p *ais.Position, why string) { dropped = append(dropped, why) }}, nil)
	require.NoError(t, err)
	require.Equal(t, 1, st.Evicted)
	require.Len(t, got, 6)
	require.Equal(t, sum(st.Dropped), len(dropped))

	want, err := d.Predict(ctx, &trajectory.Track{MMSI: quiet.MMSI, ShipType: quiet.ShipType, Name: quiet.Name, Points: quiet.Points[:cut]})
	for _, r := range got {
		if r.MMSI != quiet.MMSI {
			continue
		}
		if err != nil {
			require.ErrorIs(t, r.Err, ErrNoVoyage)
		} else {
			require.NoError(t, r.Err)
			require.Equal(t, want, r.Prediction)
		}
	}

	// late positions (the input not in time order) are dropped and counted
	positions[10], positions[500] = positions[500], positions[10]
	_, st, err = d.PredictReader(ctx, &sliceReader{ps: positions}, IngestConfig{}, nil)
	require.NoError(t, err)
	require.Positive(t, st.Dropped[trajectory.DropLate])

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = d.PredictReader(cctx, &sliceReader{ps: positions}, IngestConfig{}, nil)
	require.True(t, errors.Is(err, context.Canceled))
}

type sliceReader struct {
	ps []ais.Position
	i  int
}

func (r *sliceReader) Next() (*ais.Position, error) {
	if r.i >= len(r.ps) {
		return nil, io.EOF
	}
	r.i++
	return &r.ps[r.i-1], nil
}

func sortByTime(ps []ais.Position) {
	slices.SortStableFunc(ps, func(a, b ais.Position) int { return a.Time.Compare(b.Time) })
}

// TestPredictInputsMatchesPredictReader: one vessel at a time through a
// trajectory.Segmenter into a VoyageInput, answered in one batch by
// PredictInputs, gives PredictReader's answers for the whole stream.
func TestPredictInputsMatchesPredictReader(t *testing.T) {
	d := openWAY(t)
	ctx := context.Background()
	var positions []ais.Position
	for _, tr := range simTracks(t, 5, 12, 8) {
		for _, p := range tr.Points {
			pos := ais.Position{MMSI: tr.MMSI, Time: p.Time, Lat: p.Lat, Lon: p.Lon, SOG: p.SOG, COG: p.COG,
				Heading: p.Heading, ROT: p.ROT, NavStatus: p.NavStatus}
			pos.Static.ShipType, pos.Static.Draught, pos.Static.ETATime, pos.Static.Name = tr.ShipType, p.Draught, p.ETA, tr.Name
			positions = append(positions, pos)
		}
	}
	sortByTime(positions)
	want, _, err := d.PredictReader(ctx, &sliceReader{ps: positions}, IngestConfig{}, nil)
	require.NoError(t, err)

	byVessel := map[uint32][]ais.Position{}
	for _, p := range positions {
		byVessel[p.MMSI] = append(byVessel[p.MMSI], p)
	}
	var inputs []*VoyageInput
	for _, w := range want { // MMSI order
		v := &trajectory.Vessel{MMSI: w.MMSI}
		in := d.NewVoyageInput(v)
		seg := trajectory.NewSegmenter(v.MMSI, d.Ports(), trajectory.CleanConfig{}, d.Visit(), in)
		for _, p := range byVessel[w.MMSI] {
			v.ShipType, v.Name = p.Static.ShipType, p.Static.Name
			seg.Push(trajectory.PointOf(&p))
		}
		seg.Flush()
		inputs = append(inputs, in)
	}
	got, err := d.PredictInputs(ctx, inputs)
	require.NoError(t, err)
	requireSameResults(t, want, got)
	answered := 0
	for _, r := range got {
		if r.Err == nil {
			answered++
		}
	}
	require.Greater(t, answered, 4)

	open := d.NewVoyageInput(&trajectory.Vessel{MMSI: 1})
	_, err = d.PredictInputs(ctx, []*VoyageInput{open})
	require.Error(t, err, "an input not yet closed")
}
