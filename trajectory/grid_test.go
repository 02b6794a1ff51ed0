package trajectory

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGrid(t *testing.T) {
	g, err := NewGrid(1)
	require.NoError(t, err)
	require.Equal(t, 180*360, g.NumCells())

	// Rotterdam, 51.95N 4.14E: row 141, col 184
	c := g.Cell(51.95, 4.14)
	require.Equal(t, Cell(141*360+184), c)
	s, w, n, e := g.Bounds(c)
	require.Equal(t, [4]float64{51, 4, 52, 5}, [4]float64{s, w, n, e})
	lat, lon := g.Centre(c)
	require.Equal(t, [2]float64{51.5, 4.5}, [2]float64{lat, lon})
	// GEOREF: lon 184 → tile N (index 12: 180..195, I and O skipped) and degree E (4); lat 141 → tile K (index 9: 135..150) and degree G (6)
	require.Equal(t, "NKEG", g.Code(c))

	// the antimeridian: 180 and -180 are the same column; 179.99 is the last
	require.Equal(t, g.Cell(10.5, -180), g.Cell(10.5, 180))
	require.Equal(t, g.Cell(10.5, 540), g.Cell(10.5, 180))
	require.Equal(t, Cell(100*360+359), g.Cell(10.5, 179.99))
	_, w, _, e = g.Bounds(g.Cell(10.5, 180))
	require.Equal(t, [2]float64{-180, -179}, [2]float64{w, e})
	require.Equal(t, "AG", g.Code(g.Cell(10.5, -180))[:2])

	// the poles: 90 is in the top row, -90 in the bottom row
	require.Equal(t, Cell(179*360+180), g.Cell(90, 0))
	require.Equal(t, Cell(180), g.Cell(-90, 0))
	require.Equal(t, "NAAA", g.Code(g.Cell(-90, 0)))
	require.Equal(t, "NM", g.Code(g.Cell(90, 0))[:2]) // latitude tile 165..180 north of -90 is M (index 11)
	require.True(t, g.Valid(g.Cell(-90, -180)))
	require.False(t, g.Valid(Cell(g.NumCells())))
}

func TestGridResolutions(t *testing.T) {
	for _, tc := range []struct {
		res  float64
		code string
	}{
		{15, "NK"},
		{0.5, "NKEG0030"},  // 51.95N 4.14E: cell starts at 4°00' E, 51°30' N
		{0.25, "NKEG0045"}, // 51°45'
		{0.1, "NKEG0654"},  // 4.1° = 4°06', 51.9° = 51°54'
	} {
		g, err := NewGrid(tc.res)
		require.NoError(t, err)
		require.Equal(t, tc.code, g.Code(g.Cell(51.95, 4.14)), "resolution %v", tc.res)
	}
	for _, bad := range []float64{0, -1, 16, 0.7, 4} {
		_, err := NewGrid(bad)
		require.Error(t, err, "%v", bad)
	}
}
