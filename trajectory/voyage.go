package trajectory

import (
	"time"

	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// VisitConfig sets what counts as a port visit. The zero value gives the
// defaults.
type VisitConfig struct {
	// MaxSpeedKnots: a vessel in a port area at or below this speed is
	// stopped. The default is 1 knot.
	MaxSpeedKnots float64
	// MinDwell is the shortest stop that counts as a visit. The default is
	// 30 minutes.
	MinDwell time.Duration
}

// Defaults returns c with its zero fields set to the defaults.
func (c VisitConfig) Defaults() VisitConfig {
	if c.MaxSpeedKnots == 0 {
		c.MaxSpeedKnots = 1
	}
	if c.MinDwell == 0 {
		c.MinDwell = 30 * time.Minute
	}
	return c
}

// Visit is a stop in a port area.
type Visit struct {
	Port           int       // index in the Ports catalogue
	First, Last    int       // indices of the first and last stopped points
	Arrive, Depart time.Time // times of those points
}

// Speed returns p's reported SOG in knots, or the speed implied by the
// previous point prev when SOG is absent (0 without a prev or elapsed time).
func Speed(prev, p *Point) float64 {
	if p.SOG.Valid {
		return p.SOG.V
	}
	if prev == nil {
		return 0
	}
	dt := p.Time.Sub(prev.Time).Seconds()
	if dt <= 0 {
		return 0
	}
	return Distance(prev.Lat, prev.Lon, p.Lat, p.Lon) / dt / Knot
}

// speedAt is Speed for point i of pts.
func speedAt(pts []Point, i int) float64 {
	if i == 0 {
		return Speed(nil, &pts[0])
	}
	return Speed(&pts[i-1], &pts[i])
}

// VoyagesOf cleans a track, finds its port visits and splits it into
// voyages: the whole batch pipeline for one vessel.
func VoyagesOf(t *Track, ports *Ports, clean CleanConfig, visit VisitConfig) ([]Voyage, CleanStats) {
	c, st := Clean(t, clean)
	return Voyages(c, Visits(c, ports, visit)), st
}

// Visits finds port visits in a cleaned track: a run of consecutive points
// inside one port's area whose stopped points (speed ≤ MaxSpeedKnots) span
// at least MinDwell. A vessel passing through an area without stopping,
// or anchored outside every area, makes no visit.
func Visits(t *Track, ports *Ports, cfg VisitConfig) []Visit {
	cfg = cfg.Defaults()
	var out []Visit
	pts := t.Points
	for i := 0; i < len(pts); {
		port, _, ok := ports.Within(pts[i].Lat, pts[i].Lon)
		if !ok {
			i++
			continue
		}
		// the run of points in this port's area
		j := i
		first, last := -1, -1
		for ; j < len(pts); j++ {
			if p, _, ok := ports.Within(pts[j].Lat, pts[j].Lon); !ok || p != port {
				break
			}
			if speedAt(pts, j) <= cfg.MaxSpeedKnots {
				if first < 0 {
					first = j
				}
				last = j
			}
		}
		if first >= 0 && pts[last].Time.Sub(pts[first].Time) >= cfg.MinDwell {
			out = append(out, Visit{Port: port, First: first, Last: last, Arrive: pts[first].Time, Depart: pts[last].Time})
		}
		i = j
	}
	return out
}

// Voyage is the part of a track between two port visits, or after the last
// one (a voyage in progress, To = -1), or before the first (From = -1).
type Voyage struct {
	MMSI     uint32
	ShipType int // ShipCategory id
	From, To int // port indices, -1 when unknown
	Depart   time.Time
	Arrive   time.Time // zero for a voyage in progress
	Points   []Point   // from the last stopped point at From to the first at To
}

// InProgress reports whether the voyage has not arrived yet.
func (v *Voyage) InProgress() bool { return v.To < 0 }

// Voyages splits a cleaned track at its visits. The part before the first
// visit (unknown departure) and after the last (in progress) are included
// when they hold at least two points.
func Voyages(t *Track, visits []Visit) []Voyage {
	cat := ShipCategory(t.ShipType)
	mk := func(from, to, a, b int) Voyage {
		pts := t.Points[a : b+1]
		v := Voyage{MMSI: t.MMSI, ShipType: cat, From: from, To: to, Points: pts, Depart: pts[0].Time}
		if to >= 0 {
			v.Arrive = pts[len(pts)-1].Time
		}
		return v
	}
	var out []Voyage
	n := len(t.Points)
	if n == 0 {
		return nil
	}
	if len(visits) == 0 {
		if n >= 2 {
			out = append(out, mk(-1, -1, 0, n-1))
		}
		return out
	}
	if visits[0].First >= 1 {
		out = append(out, mk(-1, visits[0].Port, 0, visits[0].First))
	}
	for k := 0; k+1 < len(visits); k++ {
		a, b := visits[k], visits[k+1]
		if b.First > a.Last {
			out = append(out, mk(a.Port, b.Port, a.Last, b.First))
		}
	}
	if last := visits[len(visits)-1]; last.Last < n-1 {
		out = append(out, mk(last.Port, -1, last.Last, n-1))
	}
	return out
}

// Ship categories: the ship-type vocabulary of WAY bundles.
var ShipCategories = []string{"unknown", "cargo", "tanker", "passenger", "fishing", "tug", "pleasure", "other"}

// ShipCategory maps an AIS ship and cargo type to a ShipCategories index.
func ShipCategory(t ais.Opt[int]) int {
	v, ok := t.Get()
	switch {
	case !ok:
		return 0
	case v >= 70 && v <= 79:
		return 1
	case v >= 80 && v <= 89:
		return 2
	case v >= 60 && v <= 69:
		return 3
	case v == 30:
		return 4
	case v == 31 || v == 32 || v == 52:
		return 5
	case v == 36 || v == 37:
		return 6
	}
	return 7
}
