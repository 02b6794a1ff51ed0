package wayprep

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/sim"
	"github.com/stretchr/testify/require"
)

func simTracks(t testing.TB, vessels int, days float64) []*trajectory.Track {
	f, err := sim.NewFleet(sim.BuiltinNetwork(), sim.BuiltinPorts, sim.Config{Seed: 5, Vessels: vessels, Days: days})
	require.NoError(t, err)
	tracks, err := f.Tracks()
	require.NoError(t, err)
	return tracks
}

func TestPrepareAndWrite(t *testing.T) {
	tracks := simTracks(t, 20, 12)
	ports, err := trajectory.NewPorts(sim.BuiltinPorts)
	require.NoError(t, err)
	d, err := Prepare(tracks, ports, DefaultConfig())
	require.NoError(t, err)
	require.Greater(t, d.Counts["complete"], 20)
	require.Equal(t, "unknown", d.Ports[0].Name)
	require.Equal(t, sim.BuiltinPorts, d.Areas, "the whole catalogue, radii included")
	pre := d.Preprocessing()
	require.Len(t, pre.PortAreas, len(sim.BuiltinPorts))
	require.Equal(t, export.PortArea{Locode: "NLRTM", Name: "Rotterdam", Lat: 51.95, Lon: 4.05, RadiusM: 8000}, pre.PortAreas[0])
	require.Equal(t, &export.VisitRules{MaxSpeedKnots: 1, MinDwellS: 1800}, pre.Visit)

	dir := t.TempDir()
	m, err := d.Write(dir)
	require.NoError(t, err)
	total := 0
	for _, split := range Splits {
		total += m.Splits[split].Voyages
	}
	require.Equal(t, d.Counts["complete"], total)

	// the train shard decodes and its offsets add up
	b, err := export.ReadFile(filepath.Join(dir, "way-train-000.portolan"))
	require.NoError(t, err)
	require.Equal(t, "way-shard", b.Kind)
	vc, _ := b.Tensor("voyage_cells")
	cp, _ := b.Tensor("cell_points")
	pts, _ := b.Tensor("points")
	dest, _ := b.Tensor("destination")
	voy, err := vc.Int32s()
	require.NoError(t, err)
	cells, err := cp.Int32s()
	require.NoError(t, err)
	require.Equal(t, m.Splits["train"].Voyages+1, len(voy))
	require.Equal(t, int(voy[len(voy)-1])+1, len(cells))
	require.Equal(t, []int{int(cells[len(cells)-1]), trajectory.NumFeatures}, pts.Shape)
	ids, _ := dest.Int32s()
	for _, id := range ids {
		require.True(t, id >= 1 && int(id) < len(d.Ports))
	}
	for i := 1; i < len(cells); i++ {
		n := cells[i] - cells[i-1]
		require.True(t, n >= 1 && n <= 5, "1..sub_len points per cell")
	}
	require.Len(t, b.Preprocessing.Mean, trajectory.NumFeatures)

	// ReadSplit gives back the samples as they were built
	sp, err := ReadSplit(dir, "train")
	require.NoError(t, err)
	require.Equal(t, m.Splits["train"].Voyages, sp.Voyages())
	require.Equal(t, m.Splits["train"].Files, sp.Files)
	k := 0
	for _, s := range d.Samples {
		if s.Split != "train" {
			continue
		}
		n := sp.Nested(k)
		require.Equal(t, s.Destination, int(sp.Dest[k]))
		require.Equal(t, s.Nested.ShipType, n.ShipType)
		require.Equal(t, s.Departure, n.Departure)
		require.Len(t, n.Cells, len(s.Nested.Cells))
		for i, c := range s.Nested.Cells {
			require.Equal(t, c.Features, n.Cells[i].Features)
			require.Equal(t, c.Hours, n.Cells[i].Hours)
			require.InDelta(t, c.Lat, n.Cells[i].Lat, 1e-5)
		}
		k++
	}
	empty, err := ReadSplit(t.TempDir(), "test")
	require.NoError(t, err)
	require.Equal(t, 0, empty.Voyages())

	// determinism: the same input gives byte-identical shards
	d2, err := Prepare(simTracks(t, 20, 12), ports, DefaultConfig())
	require.NoError(t, err)
	dir2 := t.TempDir()
	_, err = d2.Write(dir2)
	require.NoError(t, err)
	for _, name := range append(m.Splits["train"].Files, "manifest.json") {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		c, _ := os.ReadFile(filepath.Join(dir2, name))
		require.Equal(t, a, c, name)
	}
}

func TestSplitOfIsStable(t *testing.T) {
	counts := map[string]int{}
	for m := uint32(244000000); m < 244010000; m++ {
		counts[SplitOf(1, m, 0.8, 0.1)]++
	}
	require.InDelta(t, 8000, counts["train"], 200)
	require.InDelta(t, 1000, counts["val"], 100)
	require.Equal(t, SplitOf(1, 244000123, 0.8, 0.1), SplitOf(1, 244000123, 0.8, 0.1))
}

// BenchmarkPipeline measures clean → visits → voyages → nested sequences
// on a simulated fleet, in AIS points per second.
func BenchmarkPipeline(b *testing.B) {
	tracks := simTracks(b, 50, 14)
	ports, err := trajectory.NewPorts(sim.BuiltinPorts)
	require.NoError(b, err)
	n := 0
	for _, t := range tracks {
		n += len(t.Points)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Prepare(tracks, ports, DefaultConfig()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
}

func TestReadSplitRefusesBadShards(t *testing.T) {
	dir := t.TempDir()
	good := func() *export.Bundle {
		return &export.Bundle{Kind: "way-shard", Tensors: []export.Tensor{
			export.NewI32("voyage_cells", []int{2}, []int32{0, 1}),
			export.NewI32("cell_points", []int{2}, []int32{0, 1}),
			export.NewF32("points", []int{1, 9}, make([]float32, 9)),
			export.NewF32("cell_centre", []int{1, 2}, []float32{50, 1}),
			export.NewF32("cell_hours", []int{1}, []float32{1}),
			export.NewF32("cell_eta_hours", []int{1}, []float32{2}),
			export.NewF32("cell_progress", []int{1}, []float32{0.5}),
			export.NewI32("ship_type", []int{1}, []int32{1}),
			export.NewI32("departure", []int{1}, []int32{0}),
			export.NewI32("destination", []int{1}, []int32{1}),
			export.NewI32("mmsi", []int{1}, []int32{244000001}),
		}}
	}
	path := filepath.Join(dir, "way-test-000.portolan")
	require.NoError(t, export.WriteFile(path, good()))
	s, err := ReadSplit(dir, "test")
	require.NoError(t, err)
	require.Equal(t, 1, s.Voyages())
	for name, edit := range map[string]func(b *export.Bundle){
		"offsets past the cells": func(b *export.Bundle) { b.Tensors[0] = export.NewI32("voyage_cells", []int{2}, []int32{0, 2}) },
		"a missing tensor":       func(b *export.Bundle) { b.Tensors = b.Tensors[:10] },
		"short per-cell tensor":  func(b *export.Bundle) { b.Tensors[4] = export.NewF32("cell_hours", []int{2}, []float32{1, 2}) },
		"another kind":           func(b *export.Bundle) { b.Kind = "td-shard" },
		// a voyage without cells made evaluate's frequency baseline index past the cells
		"a voyage without cells": func(b *export.Bundle) {
			b.Tensors[0] = export.NewI32("voyage_cells", []int{3}, []int32{0, 1, 1})
			for k := 7; k < 11; k++ { // the per-voyage tensors
				b.Tensors[k] = export.NewI32(b.Tensors[k].Name, []int{2}, []int32{1, 1})
			}
		},
		"a cell without points": func(b *export.Bundle) {
			b.Tensors[0] = export.NewI32("voyage_cells", []int{2}, []int32{0, 2})
			b.Tensors[1] = export.NewI32("cell_points", []int{3}, []int32{0, 1, 1})
			b.Tensors[3] = export.NewF32("cell_centre", []int{2, 2}, []float32{50, 1, 50, 2})
			for k := 4; k < 7; k++ {
				b.Tensors[k] = export.NewF32(b.Tensors[k].Name, []int{2}, []float32{1, 2})
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			b := good()
			edit(b)
			require.NoError(t, export.WriteFile(path, b))
			_, err := ReadSplit(dir, "test")
			require.Error(t, err)
		})
	}
}

// FuzzWayShard throws arbitrary bundles at the WAY shard reader (through
// the framing, so mutations get past the checksum) and reads every voyage
// of an accepted split as evaluate does: no panic, and offsets that add
// up.
func FuzzWayShard(f *testing.F) {
	tracks := simTracks(f, 3, 4)
	ports, err := trajectory.NewPorts(sim.BuiltinPorts)
	if err != nil {
		f.Fatal(err)
	}
	d, err := Prepare(tracks, ports, DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	if _, err := d.Write(dir); err != nil {
		f.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "way-*.portolan"))
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[export.HeaderSize:])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := export.Unmarshal(export.Frame(body))
		if err != nil {
			return
		}
		s := &Split{VoyageCells: []int32{0}, CellPoints: []int32{0}}
		if err := s.add(b); err != nil {
			return
		}
		for v := 0; v < s.Voyages(); v++ {
			n := s.Nested(v)
			if len(n.Cells) == 0 {
				t.Fatalf("voyage %d without cells accepted", v)
			}
			_ = s.Hours[s.VoyageCells[v]] // evaluate's baseline reads the first cell
		}
	})
}
