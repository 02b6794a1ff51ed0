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
//	reported_eta_h  hours from the point to the reported ETA, clipped to [−48, 720] (an ETA passed more than two
//	                days ago reads as two days stale); NoETAHours (−96) when no ETA was reported: outside every
//	                reported value, beyond the stalest, which tell as little
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
// no ETA: twice the stale bound of reported values (−48 h). It sits close
// enough to the reported values that standard scaling keeps their spread
// (a quarter of the simulated training points carry it; −1440 squeezed
// the reported hours into a twentieth of a standard deviation each).
const NoETAHours = -96

// etaStale and etaFar bound the reported_eta_h of a reported ETA, in hours.
const etaStale, etaFar = -48, 720

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
		f[0] = float32(clamp(p.ETA.V.Sub(p.Time).Hours(), etaStale, etaFar))
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
		sel = cfg.Select(sel[:0], j-i, key, uint64(ci))
		out.Cells = append(out.Cells, cfg.makeCell(cell, sel, func(k int) *[NumFeatures]float32 { return &feats[base+k] },
			func(k int) time.Time { return pts[base+k].Time }, depart))
		i = j
	}
	return out, nil
}

// makeCell builds a nested cell from the indices of its selected points
// (sel, increasing) and the features and time of point i: the time and
// hours since departure are those of the last selected point.
func (cfg NestedConfig) makeCell(cell Cell, sel []int, featAt func(int) *[NumFeatures]float32, timeAt func(int) time.Time, depart time.Time) NestedCell {
	nc := NestedCell{Cell: cell, Features: make([][NumFeatures]float32, len(sel))}
	nc.Lat, nc.Lon = cfg.Grid.Centre(cell)
	for k, i := range sel {
		nc.Features[k] = *featAt(i)
	}
	nc.Time = timeAt(sel[len(sel)-1])
	nc.Hours = float32(max(0, nc.Time.Sub(depart).Hours()))
	return nc
}

// NestedBuilder builds a voyage's nested sequence point by point, as
// BuildNested builds it from the whole voyage, keeping only what the model
// reads: the last MaxLen cells, closed cells reduced to their selected
// points' features, and of the open cell its selection candidates (at most
// Capacity points, thinned by a doubling stride as points arrive, and the
// latest). A voyage's memory is thus bounded: it grows with neither the
// voyage nor the time spent in one cell.
type NestedBuilder struct {
	cfg    NestedConfig
	depart time.Time
	key    uint64
	cells  []NestedCell // closed cells, the newest at most MaxLen+64
	closed int          // cells closed since departure
	open   Cell
	// the open cell: its candidates so far (points 0, st, 2·st, … of it),
	// its point count, and its latest point
	feats     [][NumFeatures]float32
	times     []int64 // unix nanoseconds
	st, count int
	lastFeat  [NumFeatures]float32
	lastTime  int64
	prev      Point // the voyage's latest point
	n         int   // points added
	sel       []int
	tail      []NestedCell
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
	b.depart, b.key, b.cells, b.closed, b.n = depart, key, b.cells[:0], 0, 0
	b.feats, b.times, b.st, b.count = b.feats[:0], b.times[:0], 1, 0
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
			b.feats, b.times, b.st, b.count = b.feats[:0], b.times[:0], 1, 0
			if len(b.cells) > b.cfg.MaxLen+64 {
				b.cells = append(b.cells[:0], b.cells[len(b.cells)-b.cfg.MaxLen:]...)
			}
		}
	}
	b.open = cell
	f, t := PointFeatures(prev, p, g), p.Time.UnixNano()
	if b.count%b.st == 0 && len(b.feats) == b.cfg.Capacity() {
		// full: keep every other candidate, the stride doubles (before
		// appending, so the slices never outgrow Capacity; Capacity is even,
		// so this point is a candidate at the doubled stride too)
		k := 0
		for i := 0; i < len(b.feats); i += 2 {
			b.feats[k], b.times[k] = b.feats[i], b.times[i]
			k++
		}
		b.feats, b.times, b.st = b.feats[:k], b.times[:k], 2*b.st
	}
	if b.count%b.st == 0 {
		b.feats, b.times = append(b.feats, f), append(b.times, t)
	}
	b.count++
	b.lastFeat, b.lastTime = f, t
	b.prev = *p
	b.n++
}

// openCell builds the open cell from its candidates as BuildNested builds
// it from all its points: point i is candidate i/st, or the latest.
func (b *NestedBuilder) openCell() NestedCell {
	b.sel = b.cfg.Select(b.sel[:0], b.count, b.key, uint64(b.closed))
	featAt := func(i int) *[NumFeatures]float32 {
		if i == b.count-1 {
			return &b.lastFeat
		}
		return &b.feats[i/b.st]
	}
	timeAt := func(i int) time.Time {
		if i == b.count-1 {
			return time.Unix(0, b.lastTime).UTC()
		}
		return time.Unix(0, b.times[i/b.st]).UTC()
	}
	return b.cfg.makeCell(b.open, b.sel, featAt, timeAt, b.depart)
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

// Capacity is how many of a cell's points selection chooses from: a cell
// of more points is first thinned to every s-th point, s the smallest
// power of two that leaves at most Capacity of them, plus its last point.
// It is max(64, 2·SubLen), so that a stream can build the cell in bounded
// memory (NestedBuilder) and choose exactly the points BuildNested does.
func (cfg NestedConfig) Capacity() int { return max(64, 2*cfg.SubLen) }

// stride returns the thinning stride of a cell of n points: the smallest
// power of two s with ⌊(n−1)/s⌋+1 ≤ capacity.
func stride(n, capacity int) int {
	s := 1
	for (n-1)/s+1 > capacity {
		s *= 2
	}
	return s
}

// Select appends the indices (in [0, n), increasing) of the points a cell
// of n points keeps, by cfg.Sampling; key and cell key Random sampling.
// The choice is among the cell's candidates: all its points when there
// are at most Capacity, else every s-th point and the last (see Capacity).
func (cfg NestedConfig) Select(dst []int, n int, key, cell uint64) []int {
	st := stride(n, cfg.Capacity())
	m := (n-1)/st + 1 // candidates 0, st, …, (m−1)·st
	if (m-1)*st != n-1 {
		m++ // and the last point
	}
	at := func(k int) int { return min(k*st, n-1) } // candidate k's index
	s := cfg.SubLen
	if m <= s {
		for k := 0; k < m; k++ {
			dst = append(dst, at(k))
		}
		return dst
	}
	if cfg.Sampling == Even {
		for j := 0; j < s; j++ {
			if s == 1 {
				return append(dst, 0)
			}
			dst = append(dst, at(int(math.Round(float64(j)*float64(m-1)/float64(s-1)))))
		}
		return dst
	}
	// Random: first point, then a partial Fisher–Yates over candidates 1..m-1.
	rest := make([]int, m-1)
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
	for _, k := range chosen {
		dst = append(dst, at(k))
	}
	return dst
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
