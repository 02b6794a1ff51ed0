package trajectory

import (
	"io"
	"math"
	"sort"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// Point is one AIS position of a vessel with the voyage data known at that
// time.
type Point struct {
	Time      time.Time
	Lat, Lon  float64
	SOG       ais.Opt[float64] // knots
	COG       ais.Opt[float64] // degrees
	Heading   ais.Opt[int]     // degrees
	ROT       ais.Opt[float64] // degrees per minute
	NavStatus ais.Opt[int]
	Draught   ais.Opt[float64]   // metres
	ETA       ais.Opt[time.Time] // the reported ETA, resolved to a full time
}

// Track is one vessel's time-ordered points.
type Track struct {
	MMSI     uint32
	ShipType ais.Opt[int] // latest AIS ship type
	Name     string
	Points   []Point
}

// PointOf converts a merged AIS position into a Point. An optional value
// that is not finite (NaN or ±Inf: no AIS field encodes one, so it comes
// from a broken or hostile source) is absent, so the missing-value rules
// of FeatureNames apply to it; a non-finite latitude or longitude is left
// for cleaning to drop (DropPosition).
func PointOf(p *ais.Position) Point {
	pt := Point{Time: p.Time, Lat: p.Lat, Lon: p.Lon, SOG: finite(p.SOG), COG: finite(p.COG), Heading: p.Heading,
		ROT: finite(p.ROT), NavStatus: p.NavStatus, Draught: finite(p.Static.Draught)}
	if eta, ok := p.ReportedETA(); ok {
		pt.ETA = ais.Opt[time.Time]{V: eta, Valid: true}
	}
	return pt
}

// finite returns v, or an absent value when v is not finite.
func finite(v ais.Opt[float64]) ais.Opt[float64] {
	if math.IsNaN(v.V) || math.IsInf(v.V, 0) {
		return ais.Opt[float64]{}
	}
	return v
}

// Collect reads every position from the readers, in turn, and groups them
// into tracks, sorted by MMSI, each in input order.
func Collect(readers ...ais.PositionReader) ([]*Track, error) {
	byMMSI := map[uint32]*Track{}
	for _, r := range readers {
		if err := collect(r, byMMSI); err != nil {
			return nil, err
		}
	}
	out := make([]*Track, 0, len(byMMSI))
	for _, t := range byMMSI {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MMSI < out[j].MMSI })
	return out, nil
}

func collect(r ais.PositionReader, byMMSI map[uint32]*Track) error {
	for {
		p, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		t := byMMSI[p.MMSI]
		if t == nil {
			t = &Track{MMSI: p.MMSI}
			byMMSI[p.MMSI] = t
		}
		if p.Static.ShipType.Valid {
			t.ShipType = p.Static.ShipType
		}
		if p.Static.Name != "" {
			t.Name = p.Static.Name
		}
		t.Points = append(t.Points, PointOf(p))
	}
}

// Reasons a point is dropped by Clean.
const (
	DropMMSI      = "invalid MMSI"     // not a ship station (MID 201..775)
	DropNoTime    = "no timestamp"     // the input gave no receive time
	DropFuture    = "future timestamp" // after CleanConfig.Now + MaxFuture
	DropPosition  = "invalid position" // (0, 0) or off the globe
	DropDuplicate = "duplicate time"   // same time as the previous kept point
	DropJump      = "impossible speed" // implied speed over MaxSpeedKnots
	DropLate      = "late timestamp"   // before the previous point (streams, which cannot reorder)
)

// CleanConfig holds the cleaning thresholds. The zero value gives the
// defaults.
type CleanConfig struct {
	// Now is the reference for far-future timestamps; zero means no check.
	Now time.Time
	// MaxFuture is how far after Now a time may be. The default is 1 hour.
	MaxFuture time.Duration
	// MaxSpeedKnots is the largest believable speed between consecutive
	// points. The default is 60 knots (fast ferries reach 40).
	MaxSpeedKnots float64
	// MinJumpMeters ignores implied speeds over distances shorter than
	// this (GPS jitter over a second or two). The default is 500 m.
	MinJumpMeters float64
}

// Defaults returns c with its zero fields set to the defaults.
func (c CleanConfig) Defaults() CleanConfig {
	if c.MaxFuture == 0 {
		c.MaxFuture = time.Hour
	}
	if c.MaxSpeedKnots == 0 {
		c.MaxSpeedKnots = 60
	}
	if c.MinJumpMeters == 0 {
		c.MinJumpMeters = 500
	}
	return c
}

// CleanStats counts what Clean did.
type CleanStats struct {
	In        int            `json:"in"`
	Kept      int            `json:"kept"`
	Reordered int            `json:"reordered"` // points that arrived out of time order (repaired by sorting, not dropped)
	Dropped   map[string]int `json:"dropped"`   // by Drop* reason
}

// Add accumulates o into s.
func (s *CleanStats) Add(o CleanStats) {
	s.In += o.In
	s.Kept += o.Kept
	s.Reordered += o.Reordered
	if s.Dropped == nil {
		s.Dropped = map[string]int{}
	}
	for k, v := range o.Dropped {
		s.Dropped[k] += v
	}
}

// ValidShipMMSI reports whether mmsi is a ship station: nine digits with a
// maritime identification digit (MID) from 201 to 775.
func ValidShipMMSI(mmsi uint32) bool { return mmsi >= 201000000 && mmsi <= 775999999 }

// Knot is one knot in metres per second.
const Knot = 1852.0 / 3600

// invalid says why p cannot be kept on its own, or "".
func (c CleanConfig) invalid(p *Point) string {
	switch {
	case p.Time.IsZero():
		return DropNoTime
	case !c.Now.IsZero() && p.Time.After(c.Now.Add(c.MaxFuture)):
		return DropFuture
	case !(p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180) || (p.Lat == 0 && p.Lon == 0):
		return DropPosition
	}
	return ""
}

// after says why p cannot follow the kept point prev, or "".
func (c CleanConfig) after(prev, p *Point) string {
	switch {
	case p.Time.Equal(prev.Time):
		return DropDuplicate
	case p.Time.Before(prev.Time):
		return DropLate
	}
	d := Distance(prev.Lat, prev.Lon, p.Lat, p.Lon)
	if d > c.MinJumpMeters && d/p.Time.Sub(prev.Time).Seconds() > c.MaxSpeedKnots*Knot {
		return DropJump
	}
	return ""
}

// Check applies Clean's rules to one point arriving after the kept point
// prev (nil for the first): it returns the Drop* reason, or "" to keep p.
// Streams use it; c should come from Defaults.
func (c CleanConfig) Check(prev, p *Point) string {
	if why := c.invalid(p); why != "" || prev == nil {
		return why
	}
	return c.after(prev, p)
}

// Clean returns the track with bad points removed, in time order. Points
// with equal times keep their input order; out-of-order points are sorted
// into place and counted, not dropped.
func Clean(t *Track, cfg CleanConfig) (*Track, CleanStats) {
	cfg = cfg.Defaults()
	st := CleanStats{In: len(t.Points), Dropped: map[string]int{}}
	out := &Track{MMSI: t.MMSI, ShipType: t.ShipType, Name: t.Name}
	if !ValidShipMMSI(t.MMSI) {
		st.Dropped[DropMMSI] = len(t.Points)
		return out, st
	}
	pts := make([]Point, 0, len(t.Points))
	for i := range t.Points {
		p := &t.Points[i]
		if why := cfg.invalid(p); why != "" {
			st.Dropped[why]++
			continue
		}
		if len(pts) > 0 && p.Time.Before(pts[len(pts)-1].Time) {
			st.Reordered++
		}
		pts = append(pts, *p)
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].Time.Before(pts[j].Time) })
	kept := pts[:0]
	for i := range pts {
		if n := len(kept); n > 0 {
			if why := cfg.after(&kept[n-1], &pts[i]); why != "" {
				st.Dropped[why]++
				continue
			}
		}
		kept = append(kept, pts[i])
	}
	out.Points = kept
	st.Kept = len(kept)
	return out, st
}

// Distance returns the great-circle distance in metres.
func Distance(lat1, lon1, lat2, lon2 float64) float64 {
	return geo.DistanceHaversine(orb.Point{lon1, lat1}, orb.Point{lon2, lat2})
}

// Bearing returns the initial great-circle bearing in degrees [0, 360).
func Bearing(lat1, lon1, lat2, lon2 float64) float64 {
	b := geo.Bearing(orb.Point{lon1, lat1}, orb.Point{lon2, lat2})
	return math.Mod(b+360, 360)
}
