package trajectory

import (
	"fmt"
	"math"
	"time"

	"github.com/portolan-sdk/portolan/internal/rng"
)

// FeatureNames are WAY's nine per-point features, in input order.
//
// Missing-value rules (never NaN). A feature whose absence is common in
// real feeds (class B transponders send no ETA, draught, navigational
// status or ROT; CSV exports often drop those columns) is encoded so that
// "not reported" never reads as a plausible report:
//
//	reported_eta_h  hours from the point to the reported ETA, clipped to ±720; NoETAHours (−1440) when no ETA was
//	                reported: outside every reported value, on the side of long-stale ETAs, which tell as little
//	rel_lon         (lon − cell centre lon) / resolution, in [−0.5, 0.5]
//	rel_lat         (lat − cell centre lat) / resolution, in [−0.5, 0.5]
//	sog             knots, clipped to [0, 50]; when absent, the speed implied by the previous point (0 for the first)
//	rot             degrees per minute, clipped to ±720; 0 (not turning, the neutral reading) when absent
//	cog             degrees [0, 360); when absent, the bearing from the previous point if it moved over 10 m, else the heading, else 0
//	heading         degrees [0, 360); when absent, the cog (after its own fill)
//	draught         metres; 0 when absent (no vessel reports a zero draught: AIS itself sends 0 for "not available")
//	nav_status      AIS navigational status 0..14; 15 ("not defined", AIS's own code for absent) when absent
//
// The first feature was "eta_remain_h", with 0 for a missing ETA, before the
// not-reported code existed; a bundle trained on it is refused by name.
var FeatureNames = []string{"reported_eta_h", "rel_lon", "rel_lat", "sog", "rot", "cog", "heading", "draught", "nav_status"}

// NoETAHours is the reported_eta_h feature of a point whose vessel reported
// no ETA: twice the clip bound of reported values, on the negative side.
const NoETAHours = -1440

// NumFeatures is len(FeatureNames).
const NumFeatures = 9

// Sampling selects which points of a cell enter its inner sequence.
type Sampling int

const (
	// Even takes the first point and evenly spaced points up to the last:
	// indices round(j·(n−1)/(S−1)), j = 0..S−1. Deterministic; the default
	// and what inference uses.
	Even Sampling = iota
	// Random takes the first point and S−1 others drawn without
	// replacement with the shared generator (docs/RNG.md), keyed by
	// (seed, voyage key, cell index, draw), in time order. For training.
	Random
)

// NestedConfig configures nested-sequence construction. The zero value
// is not usable; start from DefaultNestedConfig.
type NestedConfig struct {
	Grid     Grid
	MaxLen   int      // outer length kept at inference (the last MaxLen cells); WAY uses 512
	SubLen   int      // points per cell; WAY uses 5
	Sampling Sampling // Even by default
	Seed     uint64   // for Random
}

// DefaultNestedConfig returns WAY's defaults: 1° GEOREF cells, 512 cells,
// 5 points per cell, even sampling.
func DefaultNestedConfig() NestedConfig {
	g, _ := NewGrid(DefaultResolution)
	return NestedConfig{Grid: g, MaxLen: 512, SubLen: 5}
}

// NestedCell is one visited cell of a nested sequence.
type NestedCell struct {
	Cell     Cell
	Lat, Lon float64 // cell centre
	// Hours is the time since departure at the cell's last selected point.
	Hours float32
	// Time is the time of the cell's last selected point.
	Time time.Time
	// Features holds 1..SubLen rows of raw (unscaled) features.
	Features [][NumFeatures]float32
}

// Nested is WAY's input for one voyage: the cells visited in order (a cell
// entered again later is a new entry) with a few points each.
type Nested struct {
	Cells     []NestedCell
	ShipType  int // ShipCategories index
	Departure int // departure port id in the model's vocabulary, 0 for unknown
}

// Tail returns the last n cells (all of them when there are fewer).
func (n *Nested) Tail(max int) []NestedCell {
	if len(n.Cells) <= max {
		return n.Cells
	}
	return n.Cells[len(n.Cells)-max:]
}

// PointFeatures returns the raw features of p, applying the missing-value
// rules of FeatureNames with prev, the voyage's previous point (nil for its
// first), as context.
func PointFeatures(prev, p *Point, g Grid) [NumFeatures]float32 {
	var f [NumFeatures]float32
	res := g.Resolution()
	f[0] = NoETAHours
	if p.ETA.Valid {
		f[0] = float32(clamp(p.ETA.V.Sub(p.Time).Hours(), -720, 720))
	}
	clat, clon := g.Centre(g.Cell(p.Lat, p.Lon))
	dlon := math.Mod(p.Lon-clon+540, 360) - 180 // wrap across the antimeridian
	f[1] = float32(clamp(dlon/res, -0.5, 0.5))
	f[2] = float32(clamp((p.Lat-clat)/res, -0.5, 0.5))
	f[3] = float32(clamp(Speed(prev, p), 0, 50))
	if p.ROT.Valid {
		f[4] = float32(clamp(p.ROT.V, -720, 720))
	}
	var cog float64
	switch {
	case p.COG.Valid:
		cog = p.COG.V
	case prev != nil && Distance(prev.Lat, prev.Lon, p.Lat, p.Lon) > 10:
		cog = Bearing(prev.Lat, prev.Lon, p.Lat, p.Lon)
	case p.Heading.Valid:
		cog = float64(p.Heading.V)
	}
	f[5] = float32(math.Mod(cog, 360))
	if p.Heading.Valid {
		f[6] = float32(p.Heading.V % 360)
	} else {
		f[6] = f[5]
	}
	if p.Draught.Valid {
		f[7] = float32(p.Draught.V)
	}
	f[8] = 15
	if p.NavStatus.Valid {
		f[8] = float32(p.NavStatus.V)
	}
	return f
}

func clamp(x, lo, hi float64) float64 { return math.Min(hi, math.Max(lo, x)) }

// BuildNested builds the nested sequence of a voyage's points. depart is
// the departure time (time since departure is measured from it; use the
// first point's time when unknown). key distinguishes voyages for Random
// sampling. All cells are returned; inference keeps Tail(MaxLen).
func BuildNested(pts []Point, depart time.Time, cfg NestedConfig, key uint64) (Nested, error) {
	if cfg.SubLen < 1 || cfg.MaxLen < 1 || cfg.Grid.NumCells() == 0 {
		return Nested{}, fmt.Errorf("trajectory: nested config %+v", cfg)
	}
	var out Nested
	if len(pts) == 0 {
		return out, nil
	}
	feats := make([][NumFeatures]float32, len(pts))
	for i := range pts {
		var prev *Point
		if i > 0 {
			prev = &pts[i-1]
		}
		feats[i] = PointFeatures(prev, &pts[i], cfg.Grid)
	}
	sel := make([]int, 0, cfg.SubLen)
	for i, ci := 0, 0; i < len(pts); ci++ {
		cell := cfg.Grid.Cell(pts[i].Lat, pts[i].Lon)
		j := i + 1
		for j < len(pts) && cfg.Grid.Cell(pts[j].Lat, pts[j].Lon) == cell {
			j++
		}
		base := i
		out.Cells = append(out.Cells, cfg.makeCell(cell, feats[i:j], func(k int) time.Time { return pts[base+k].Time }, depart, key, ci, &sel))
		i = j
	}
	return out, nil
}

// makeCell builds the nested cell of a cell's points (their features and
// times, in order): the points Select keeps, with the time and the hours
// since departure of the last of them. sel is scratch space.
func (cfg NestedConfig) makeCell(cell Cell, feats [][NumFeatures]float32, timeOf func(int) time.Time, depart time.Time, key uint64, ci int, sel *[]int) NestedCell {
	*sel = cfg.Select((*sel)[:0], len(feats), key, uint64(ci))
	nc := NestedCell{Cell: cell, Features: make([][NumFeatures]float32, len(*sel))}
	nc.Lat, nc.Lon = cfg.Grid.Centre(cell)
	for k, s := range *sel {
		nc.Features[k] = feats[s]
	}
	nc.Time = timeOf((*sel)[len(*sel)-1])
	nc.Hours = float32(max(0, nc.Time.Sub(depart).Hours()))
	return nc
}

// NestedBuilder builds a voyage's nested sequence point by point, as
// BuildNested builds it from the whole voyage, keeping only what the model
// reads: the last MaxLen cells, closed cells reduced to their selected
// points' features, and the open cell with every point's features (which
// of them are kept depends on how many it gets). A voyage's memory thus
// grows with the points of its newest cell, not with the voyage.
type NestedBuilder struct {
	cfg    NestedConfig
	depart time.Time
	key    uint64
	cells  []NestedCell // closed cells, the newest at most MaxLen+64
	closed int          // cells closed since departure
	open   Cell
	feats  [][NumFeatures]float32 // the open cell's points
	times  []int64                // their times, unix nanoseconds
	prev   Point                  // the voyage's latest point
	n      int                    // points added
	sel    []int
	tail   []NestedCell
}

// NewNestedBuilder starts the nested sequence of a voyage departing at
// depart; key keys Random sampling as in BuildNested.
func NewNestedBuilder(cfg NestedConfig, depart time.Time, key uint64) *NestedBuilder {
	b := &NestedBuilder{cfg: cfg}
	b.Reset(depart, key)
	return b
}

// Reset starts a new voyage, reusing the builder's memory.
func (b *NestedBuilder) Reset(depart time.Time, key uint64) {
	b.depart, b.key, b.cells, b.closed, b.feats, b.times, b.n = depart, key, b.cells[:0], 0, b.feats[:0], b.times[:0], 0
}

// Add appends the voyage's next point.
func (b *NestedBuilder) Add(p *Point) {
	g := b.cfg.Grid
	cell := g.Cell(p.Lat, p.Lon)
	var prev *Point
	if b.n > 0 {
		prev = &b.prev
		if cell != b.open {
			b.cells = append(b.cells, b.openCell())
			b.closed++
			b.feats, b.times = b.feats[:0], b.times[:0]
			if len(b.cells) > b.cfg.MaxLen+64 {
				b.cells = append(b.cells[:0], b.cells[len(b.cells)-b.cfg.MaxLen:]...)
			}
		}
	}
	if b.n == 0 || cell != b.open {
		b.open = cell
	}
	b.feats = append(b.feats, PointFeatures(prev, p, g))
	b.times = append(b.times, p.Time.UnixNano())
	b.prev = *p
	b.n++
}

func (b *NestedBuilder) openCell() NestedCell {
	return b.cfg.makeCell(b.open, b.feats, func(k int) time.Time { return time.Unix(0, b.times[k]).UTC() }, b.depart, b.key, b.closed, &b.sel)
}

// Len returns the number of points added since departure.
func (b *NestedBuilder) Len() int { return b.n }

// Last returns the latest point added.
func (b *NestedBuilder) Last() Point { return b.prev }

// Tail returns the last MaxLen cells of the voyage so far, the open one
// included: what BuildNested(all points).Tail(MaxLen) returns. The slice
// is valid until the next call.
func (b *NestedBuilder) Tail() []NestedCell {
	if b.n == 0 {
		return nil
	}
	cells := b.cells
	if len(cells) > b.cfg.MaxLen-1 {
		cells = cells[len(cells)-(b.cfg.MaxLen-1):]
	}
	b.tail = append(append(b.tail[:0], cells...), b.openCell())
	return b.tail
}

// Select appends the indices (in [0, n), increasing) of the points a cell
// of n points keeps, by cfg.Sampling; key and cell key Random sampling.
func (cfg NestedConfig) Select(dst []int, n int, key, cell uint64) []int {
	s := cfg.SubLen
	if n <= s {
		for i := 0; i < n; i++ {
			dst = append(dst, i)
		}
		return dst
	}
	if cfg.Sampling == Even {
		for j := 0; j < s; j++ {
			if s == 1 {
				return append(dst, 0)
			}
			dst = append(dst, int(math.Round(float64(j)*float64(n-1)/float64(s-1))))
		}
		return dst
	}
	// Random: first point, then a partial Fisher–Yates over 1..n-1.
	rest := make([]int, n-1)
	for i := range rest {
		rest[i] = i + 1
	}
	for d := 0; d < s-1; d++ {
		k := d + rng.Intn(cfg.Seed, key, cell, uint64(d), len(rest)-d)
		rest[d], rest[k] = rest[k], rest[d]
	}
	chosen := rest[:s-1]
	insertionSort(chosen)
	dst = append(dst, 0)
	return append(dst, chosen...)
}

func insertionSort(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// Scaler is per-feature standard scaling, x' = (x − Mean) / Std, with the
// statistics a bundle carries.
type Scaler struct {
	Mean, Std [NumFeatures]float32
}

// FitScaler computes the mean and population standard deviation of every
// feature over all points of the sequences (in float64). A feature with
// zero spread gets Std 1.
func FitScaler(seqs []Nested) Scaler {
	var sum, sq [NumFeatures]float64
	n := 0
	for i := range seqs {
		for _, c := range seqs[i].Cells {
			for _, f := range c.Features {
				for k, v := range f {
					sum[k] += float64(v)
				}
				n++
			}
		}
	}
	var s Scaler
	if n == 0 {
		for k := range s.Std {
			s.Std[k] = 1
		}
		return s
	}
	for k := range sum {
		s.Mean[k] = float32(sum[k] / float64(n))
	}
	for i := range seqs {
		for _, c := range seqs[i].Cells {
			for _, f := range c.Features {
				for k, v := range f {
					d := float64(v) - float64(s.Mean[k])
					sq[k] += d * d
				}
			}
		}
	}
	for k := range sq {
		sd := math.Sqrt(sq[k] / float64(n))
		if sd < 1e-6 {
			sd = 1
		}
		s.Std[k] = float32(sd)
	}
	return s
}

// Apply scales f in place.
func (s *Scaler) Apply(f *[NumFeatures]float32) {
	for k := range f {
		f[k] = (f[k] - s.Mean[k]) / s.Std[k]
	}
}
