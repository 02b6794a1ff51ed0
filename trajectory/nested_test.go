package trajectory

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBuildNestedHandComputed(t *testing.T) {
	cfg := DefaultNestedConfig()
	cfg.SubLen = 3
	eta := t0.Add(10 * time.Hour)
	mk := func(min int, lat, lon float64) Point {
		p := pt(min, lat, lon, 10)
		p.ETA = opt(eta)
		p.COG = opt(90.0)
		p.Heading = opt(91)
		p.NavStatus = opt(0)
		p.Draught = opt(7.5)
		p.ROT = opt(-2.0)
		return p
	}
	pts := []Point{
		// cell (51..52N, 3..4E), centre 51.5N 3.5E: five points, keep 3 evenly: indices 0, 2, 4
		mk(0, 51.5, 3.1), mk(60, 51.5, 3.3), mk(120, 51.5, 3.5), mk(180, 51.5, 3.7), mk(240, 51.75, 3.9),
		// cell (51..52N, 4..5E): one point without SOG, COG or heading
		{Time: t0.Add(300 * time.Minute), Lat: 51.25, Lon: 4.25},
		// back into the first cell: a new entry
		mk(360, 51.5, 3.95),
	}
	n, err := BuildNested(pts, t0, cfg, 0)
	require.NoError(t, err)
	require.Len(t, n.Cells, 3)

	c := n.Cells[0]
	require.Equal(t, cfg.Grid.Cell(51.5, 3.5), c.Cell)
	require.Equal(t, [2]float64{51.5, 3.5}, [2]float64{c.Lat, c.Lon})
	require.Equal(t, float32(4), c.Hours, "the last kept point is 4 h after departure")
	require.Equal(t, [][NumFeatures]float32{
		// eta_h, rel_lon, rel_lat, sog, rot, cog, heading, draught, nav
		{10, -0.4, 0, 10, -2, 90, 91, 7.5, 0},
		{8, 0, 0, 10, -2, 90, 91, 7.5, 0},
		{6, 0.4, 0.25, 10, -2, 90, 91, 7.5, 0},
	}, roundRows(c.Features))

	// the point with nothing reported: ETA NoETAHours, implied SOG from the previous point,
	// COG = bearing from the previous point, heading = COG, draught 0, status 15
	c = n.Cells[1]
	require.Len(t, c.Features, 1)
	f := c.Features[0]
	d := Distance(51.75, 3.9, 51.25, 4.25)
	require.InDelta(t, d/3600/Knot, f[3], 1e-3)
	brg := Bearing(51.75, 3.9, 51.25, 4.25)
	require.InDelta(t, brg, f[5], 1e-3)
	require.Equal(t, f[5], f[6])
	require.Equal(t, [4]float32{NoETAHours, 0, 0, 15}, [4]float32{f[0], f[4], f[7], f[8]})
	require.Equal(t, [2]float32{-0.25, -0.25}, [2]float32{f[1], f[2]})

	require.Equal(t, n.Cells[0].Cell, n.Cells[2].Cell, "re-entering a cell makes a new entry")
	require.Len(t, n.Tail(2), 2)
	require.Equal(t, n.Cells[1].Cell, n.Tail(2)[0].Cell)
}

func roundRows(rows [][NumFeatures]float32) [][NumFeatures]float32 {
	out := make([][NumFeatures]float32, len(rows))
	for i, r := range rows {
		for k, v := range r {
			out[i][k] = float32(int64(v*1e4+0.5*sign(v))) / 1e4
		}
	}
	return out
}

func sign(v float32) float32 {
	if v < 0 {
		return -1
	}
	return 1
}

func TestSelectPoints(t *testing.T) {
	cfg := NestedConfig{SubLen: 5}
	require.Equal(t, []int{0, 1, 2}, cfg.Select(nil, 3, 0, 0))
	require.Equal(t, []int{0, 2, 5, 7, 9}, cfg.Select(nil, 10, 0, 0)) // round(j·9/4): 0, 2.25, 4.5, 6.75, 9
	cfg.Sampling = Random
	cfg.Seed = 7
	a := cfg.Select(nil, 50, 3, 4)
	require.Len(t, a, 5)
	require.Equal(t, 0, a[0])
	for i := 1; i < len(a); i++ {
		require.Greater(t, a[i], a[i-1])
	}
	require.Equal(t, a, cfg.Select(nil, 50, 3, 4), "seeded: same key, same points")
	require.NotEqual(t, a, cfg.Select(nil, 50, 3, 5), "another cell draws other points")
}

func TestScaler(t *testing.T) {
	seqs := []Nested{{Cells: []NestedCell{{Features: [][NumFeatures]float32{{1, 0, 0, 2}, {3, 0, 0, 4}}}}}}
	s := FitScaler(seqs)
	require.Equal(t, float32(2), s.Mean[0])
	require.Equal(t, float32(1), s.Std[0])
	require.Equal(t, float32(1), s.Std[1], "zero spread gets std 1")
	f := [NumFeatures]float32{3, 5, 0, 4}
	s.Apply(&f)
	require.Equal(t, float32(1), f[0])
	require.Equal(t, float32(5), f[1])
}

// TestSelectThinsLargeCells: a cell of more than Capacity points chooses
// among every s-th point and the last (hand-computed for 200 points).
func TestSelectThinsLargeCells(t *testing.T) {
	cfg := NestedConfig{SubLen: 5}
	require.Equal(t, 64, cfg.Capacity())
	// 200 points: stride 4 leaves 50 (0, 4, …, 196) and the last, 199: 51 candidates;
	// even selection takes candidates round(j·50/4) = 0, 13, 25, 38, 50
	require.Equal(t, []int{0, 52, 100, 152, 199}, cfg.Select(nil, 200, 0, 0))
	// at most Capacity points: no thinning (the rule of smaller cells is unchanged)
	require.Equal(t, []int{0, 16, 32, 47, 63}, cfg.Select(nil, 64, 0, 0)) // round(j·63/4)
	require.Equal(t, []int{0, 16, 32, 48, 64}, cfg.Select(nil, 65, 0, 0)) // stride 2: 33 candidates, the last 64
	cfg.Sampling, cfg.Seed = Random, 3
	got := cfg.Select(nil, 1000, 1, 2)
	require.Len(t, got, 5)
	require.Equal(t, 0, got[0])
	for _, i := range got[1:] {
		require.True(t, i%16 == 0 || i == 999, "a candidate: stride 16 for 1000 points, or the last (%d)", i)
	}
}

// TestNestedBuilderLongCell: a vessel that stays in one cell for thousands
// of points keeps at most Capacity+1 of them, and still builds exactly what
// BuildNested builds from all of them.
func TestNestedBuilderLongCell(t *testing.T) {
	for _, sampling := range []Sampling{Even, Random} {
		cfg := DefaultNestedConfig()
		cfg.Sampling, cfg.Seed = sampling, 5
		var pts []Point
		b := NewNestedBuilder(cfg, t0, 7)
		for i := 0; i < 3000; i++ {
			p := pt(i, 51.5+0.0001*float64(i%50), 3.5, float64(i%7))
			if i > 2500 { // then on into the next cell
				p.Lon = 4.5
			}
			pts = append(pts, p)
			b.Add(&pts[i])
			require.LessOrEqual(t, cap(b.feats), cfg.Capacity(), "the open cell never outgrows Capacity")
			if i%97 != 0 && i != 2999 {
				continue
			}
			want, err := BuildNested(pts, t0, cfg, 7)
			require.NoError(t, err)
			got := b.Tail()
			require.Equal(t, len(want.Cells), len(got))
			for k := range got {
				require.Equal(t, want.Cells[k].Features, got[k].Features, "point %d cell %d", i, k)
				require.Equal(t, want.Cells[k].Hours, got[k].Hours)
			}
		}
	}
}
