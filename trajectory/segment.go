package trajectory

import (
	"slices"
	"time"

	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// VoyageSink receives one vessel's voyages from a Segmenter, point by
// point. The points passed are only valid during the call: copy to keep. A voyage departs (Depart), gains points (Add) and either arrives
// (Arrive) or is still in progress when the vessel is done (Close). A
// voyage of a single point is no voyage: VoyagesOf leaves such out, and a
// sink should too.
type VoyageSink interface {
	// Depart starts a voyage at p, from port from (a Ports index, -1 when
	// unknown: the vessel's first voyage).
	Depart(from int, p *Point)
	// Add appends the voyage's next point.
	Add(p *Point)
	// Arrive ends the voyage at port to; its last point was the last added.
	Arrive(to int)
	// Close says the vessel is done (end of input, or idle): a voyage that
	// departed and did not arrive is in progress.
	Close()
}

// Segmenter applies VoyagesOf's rules — cleaning (CleanConfig.Check),
// port visits (Visits) and voyage boundaries (Voyages) — to one vessel's
// points as they arrive, and hands the voyages to a VoyageSink. On points
// in time order it finds exactly the voyages VoyagesOf finds on the whole
// track; a point earlier than the last kept one is dropped (DropLate), not
// sorted into place.
//
// It holds back only the points of a port run that may still become a
// visit (at most MinDwell of stopped points, and the moving points of a
// vessel crossing a port area), so its memory does not grow with the
// track.
type Segmenter struct {
	ports *Ports
	clean CleanConfig
	visit VisitConfig
	sink  VoyageSink
	ok    bool // the MMSI is a ship's

	last    Point // last kept point
	hasLast bool
	open    bool // a voyage departed and did not arrive

	runPort  int     // port of the run in progress, -1 outside every port area
	held     []Point // the run's points while it may still become a visit
	first    int     // index in held of the run's first stopped point, -1 before one
	isVisit  bool    // the run is a visit (its stopped points span MinDwell)
	lastStop Point   // the visit's latest stopped point
	after    []Point // the visit's points after lastStop
}

// NewSegmenter returns a Segmenter of the vessel mmsi that reports to
// sink. Zero config fields take their defaults.
func NewSegmenter(mmsi uint32, ports *Ports, clean CleanConfig, visit VisitConfig, sink VoyageSink) *Segmenter {
	return &Segmenter{ports: ports, clean: clean.Defaults(), visit: visit.Defaults(), sink: sink,
		ok: ValidShipMMSI(mmsi), runPort: -1, first: -1}
}

// Push takes the vessel's next point. It returns the Drop* reason when
// cleaning drops it, "" when it is kept.
func (s *Segmenter) Push(p Point) string {
	if !s.ok {
		return DropMMSI
	}
	var prev *Point
	if s.hasLast {
		prev = &s.last
	}
	if why := s.clean.Check(prev, &p); why != "" {
		return why
	}
	stopped := Speed(prev, &p) <= s.visit.MaxSpeedKnots
	s.last, s.hasLast = p, true
	port, _, in := s.ports.Within(p.Lat, p.Lon)
	if s.runPort >= 0 && (!in || port != s.runPort) {
		s.endRun()
	}
	if !in {
		s.release(&s.last) // not &p: that would move every point to the heap
		return ""
	}
	if s.runPort < 0 {
		s.runPort, s.held, s.first, s.isVisit = port, s.held[:0], -1, false
	}
	if s.isVisit {
		if stopped {
			s.lastStop, s.after = p, s.after[:0]
		} else {
			s.after = append(s.after, p)
		}
		return ""
	}
	s.held = append(s.held, p)
	if !stopped {
		return ""
	}
	if s.first < 0 {
		s.first = len(s.held) - 1
	}
	if p.Time.Sub(s.held[s.first].Time) >= s.visit.MinDwell {
		// a visit: the voyage in progress ends at its first stopped point
		for i := 0; i <= s.first; i++ {
			s.release(&s.held[i])
		}
		s.sink.Arrive(s.runPort)
		s.open = false
		s.isVisit, s.lastStop, s.after, s.held = true, p, s.after[:0], s.held[:0]
	}
	return ""
}

// release hands a point to the voyage in progress, starting one (of
// unknown departure) when none is open.
func (s *Segmenter) release(p *Point) {
	if !s.open {
		s.sink.Depart(-1, p)
		s.open = true
		return
	}
	s.sink.Add(p)
}

// endRun closes the port run in progress: a visit starts a voyage at its
// last stopped point; other runs were passages, part of the voyage.
func (s *Segmenter) endRun() {
	if s.isVisit {
		s.sink.Depart(s.runPort, &s.lastStop)
		s.open = true
		for i := range s.after {
			s.sink.Add(&s.after[i])
		}
	} else {
		for i := range s.held {
			s.release(&s.held[i])
		}
	}
	s.runPort, s.held, s.after, s.first, s.isVisit = -1, s.held[:0], s.after[:0], -1, false
}

// Flush ends the input for this vessel: a run in progress that is a visit
// leaves the vessel in port (or, with points after its last stop, on a
// voyage from it); any other run joins the voyage. Then the sink is
// closed. The Segmenter must not be used after.
func (s *Segmenter) Flush() {
	if s.runPort >= 0 && (!s.isVisit || len(s.after) > 0) {
		s.endRun()
	}
	s.sink.Close()
}

// StreamConfig configures a VoyageStream. Zero fields take their defaults.
type StreamConfig struct {
	Ports *Ports
	Clean CleanConfig
	Visit VisitConfig
	// Idle is how long, in the input's own time, a vessel may send nothing
	// before it is flushed and forgotten (its voyage in progress closed).
	// The default is 24 hours; a negative value keeps every vessel.
	Idle time.Duration
}

// Vessel is what a VoyageStream knows of a vessel: its latest ship type
// and name, updated as positions arrive.
type Vessel struct {
	MMSI     uint32
	ShipType ais.Opt[int]
	Name     string
	Last     time.Time // time of the latest position pushed
}

// StreamStats accounts for the positions a VoyageStream took.
type StreamStats struct {
	Positions int            // positions pushed
	Kept      int            // kept by cleaning
	Dropped   map[string]int // dropped by cleaning, by Drop* reason
	Vessels   int            // distinct vessels seen (one let go and seen again counts once)
	Evicted   int            // vessels flushed for being idle
	Peak      int            // most vessels held at once
	// Behind counts positions more than an hour older than the latest
	// time seen before them: the input is not in time order (see
	// VoyageStream).
	Behind int
}

// VoyageStream follows many vessels through one stream of positions in
// time order (as AIS archives and feeds come), each with a Segmenter and a
// VoyageSink, and holds per-vessel state only: memory grows with the
// vessels present, not with the positions read. A vessel idle for longer
// than StreamConfig.Idle is flushed and forgotten; seen again, it starts
// afresh (its departure port unknown).
//
// Unsorted input is not silently wrong: a position earlier than its
// vessel's last kept one is dropped and counted (DropLate), and positions
// far behind the stream's clock are counted (StreamStats.Behind). Idle
// eviction only takes vessels that also sent nothing since the previous
// sweep, so an input sorted by vessel, then time, loses nothing (but then
// holds every vessel until the end).
type VoyageStream struct {
	cfg     StreamConfig
	newSink func(v *Vessel) VoyageSink
	vessels map[uint32]*followed
	seen    map[uint32]struct{} // every MMSI met
	clock   time.Time
	sweepAt time.Time
	since   int // positions since the last sweep
	stats   StreamStats
}

type followed struct {
	v       Vessel
	seg     *Segmenter
	touched bool // a position arrived since the last sweep
}

// NewVoyageStream returns a stream that makes a sink for each vessel it
// meets with newSink.
func NewVoyageStream(cfg StreamConfig, newSink func(v *Vessel) VoyageSink) *VoyageStream {
	if cfg.Idle == 0 {
		cfg.Idle = 24 * time.Hour
	}
	cfg.Clean, cfg.Visit = cfg.Clean.Defaults(), cfg.Visit.Defaults()
	return &VoyageStream{cfg: cfg, newSink: newSink, vessels: map[uint32]*followed{}, seen: map[uint32]struct{}{},
		stats: StreamStats{Dropped: map[string]int{}}}
}

// Push takes the next position. It returns the Drop* reason when cleaning
// drops it, "" when it is kept.
func (s *VoyageStream) Push(p *ais.Position) string {
	s.stats.Positions++
	f := s.vessels[p.MMSI]
	if f == nil {
		f = &followed{v: Vessel{MMSI: p.MMSI}}
		f.seg = NewSegmenter(p.MMSI, s.cfg.Ports, s.cfg.Clean, s.cfg.Visit, s.newSink(&f.v))
		s.vessels[p.MMSI] = f
		if _, ok := s.seen[p.MMSI]; !ok {
			s.seen[p.MMSI] = struct{}{}
			s.stats.Vessels++
		}
		s.stats.Peak = max(s.stats.Peak, len(s.vessels))
	}
	f.touched = true
	if p.Static.ShipType.Valid {
		f.v.ShipType = p.Static.ShipType
	}
	if p.Static.Name != "" {
		f.v.Name = p.Static.Name
	}
	if !p.Time.IsZero() {
		if p.Time.After(f.v.Last) {
			f.v.Last = p.Time
		}
		switch {
		case p.Time.After(s.clock):
			s.clock = p.Time
		case s.clock.Sub(p.Time) > time.Hour:
			s.stats.Behind++
		}
	}
	why := f.seg.Push(PointOf(p))
	if why != "" {
		s.stats.Dropped[why]++
	} else {
		s.stats.Kept++
	}
	s.since++
	if s.cfg.Idle > 0 && (s.since >= 1<<16 || s.clock.After(s.sweepAt)) {
		s.sweep()
	}
	return why
}

// sweep flushes the vessels that sent nothing since the previous sweep
// and whose latest position is older than Idle.
func (s *VoyageStream) sweep() {
	cut := s.clock.Add(-s.cfg.Idle)
	for mmsi, f := range s.vessels {
		if !f.touched && f.v.Last.Before(cut) {
			f.seg.Flush()
			delete(s.vessels, mmsi)
			s.stats.Evicted++
			continue
		}
		f.touched = false
	}
	s.since = 0
	s.sweepAt = s.clock.Add(max(s.cfg.Idle/4, time.Minute))
}

// Flush ends the input: every vessel held is flushed, in MMSI order.
func (s *VoyageStream) Flush() {
	mmsis := make([]uint32, 0, len(s.vessels))
	for m := range s.vessels {
		mmsis = append(mmsis, m)
	}
	slices.Sort(mmsis)
	for _, m := range mmsis {
		s.vessels[m].seg.Flush()
		delete(s.vessels, m)
	}
}

// Held returns the number of vessels held now.
func (s *VoyageStream) Held() int { return len(s.vessels) }

// Stats returns the accounting so far.
func (s *VoyageStream) Stats() StreamStats {
	st := s.stats
	st.Dropped = make(map[string]int, len(s.stats.Dropped))
	for k, v := range s.stats.Dropped {
		st.Dropped[k] = v
	}
	return st
}
