package trajectory

import (
	"fmt"
	"math"
)

// Grid is a regular latitude/longitude grid in the GEOREF (WGRS) system.
// Resolution must divide 15 degrees into a whole number of cells (15, 5,
// 3, 1, 0.5, 0.25, 0.1, …); the default and WAY's choice is 1°.
type Grid struct {
	resolution float64
	rows, cols int
}

// DefaultResolution is the cell size WAY uses: 1 degree.
const DefaultResolution = 1.0

// NewGrid returns a grid of the given cell size in degrees.
func NewGrid(resolutionDeg float64) (Grid, error) {
	if !(resolutionDeg > 0 && resolutionDeg <= 15) {
		return Grid{}, fmt.Errorf("trajectory: grid resolution %v degrees (want 0 < r <= 15)", resolutionDeg)
	}
	per15 := 15 / resolutionDeg
	if math.Abs(per15-math.Round(per15)) > 1e-9 {
		return Grid{}, fmt.Errorf("trajectory: grid resolution %v degrees does not divide 15 degrees", resolutionDeg)
	}
	n := int(math.Round(per15))
	return Grid{resolution: resolutionDeg, rows: 12 * n, cols: 24 * n}, nil
}

// Resolution returns the cell size in degrees.
func (g Grid) Resolution() float64 { return g.resolution }

// NumCells returns the number of cells on the globe.
func (g Grid) NumCells() int { return g.rows * g.cols }

// Cell is a grid cell id: row-major from the south-west corner of the
// globe, row = floor((lat+90)/r), col = floor((lon+180)/r).
type Cell int32

// Cell returns the cell containing (lat, lon). Longitudes wrap (180° is
// −180°, so the antimeridian belongs to the westernmost column); latitude
// 90° belongs to the northernmost row.
func (g Grid) Cell(lat, lon float64) Cell {
	lon = math.Mod(lon+180, 360)
	if lon < 0 {
		lon += 360
	}
	col := int(lon / g.resolution)
	row := int((lat + 90) / g.resolution)
	col = min(max(col, 0), g.cols-1)
	row = min(max(row, 0), g.rows-1)
	return Cell(row*g.cols + col)
}

// Valid reports whether c is a cell of this grid.
func (g Grid) Valid(c Cell) bool { return c >= 0 && int(c) < g.rows*g.cols }

// Bounds returns the cell's south, west, north and east edges in degrees.
func (g Grid) Bounds(c Cell) (south, west, north, east float64) {
	row, col := int(c)/g.cols, int(c)%g.cols
	south = float64(row)*g.resolution - 90
	west = float64(col)*g.resolution - 180
	return south, west, south + g.resolution, west + g.resolution
}

// Centre returns the cell's centre.
func (g Grid) Centre(c Cell) (lat, lon float64) {
	s, w, n, e := g.Bounds(c)
	return (s + n) / 2, (w + e) / 2
}

// Code returns the GEOREF code of the cell's south-west corner: two
// letters for the 15° tile, two for the degree within it, and for finer
// grids the minutes of longitude and latitude (two digits each, or more
// for sub-minute cells). A 1° grid gives four letters, e.g. "MKPG".
func (g Grid) Code(c Cell) string {
	const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ" // GEOREF omits I and O
	s, w, _, _ := g.Bounds(c)
	lon, lat := w+180, s+90
	// snap against floating-point error at cell corners
	lon, lat = math.Round(lon*1e9)/1e9, math.Round(lat*1e9)/1e9
	t := []byte{letters[int(lon/15)], letters[int(lat/15)]}
	if g.resolution >= 15 {
		return string(t)
	}
	t = append(t, letters[int(math.Mod(lon, 15))], letters[int(math.Mod(lat, 15))])
	if g.resolution >= 1 {
		return string(t)
	}
	digits := 2
	if g.resolution < 1.0/60 {
		digits = 2 + int(math.Ceil(-math.Log10(g.resolution*60)))
	}
	scale := math.Pow(10, float64(digits-2))
	lonMin := math.Floor(math.Round(math.Mod(lon, 1)*60*scale*1e6) / 1e6)
	latMin := math.Floor(math.Round(math.Mod(lat, 1)*60*scale*1e6) / 1e6)
	return fmt.Sprintf("%s%0*d%0*d", t, digits, int(lonMin), digits, int(latMin))
}
