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
//
// A Segmenter in progress mode (SegmenterConfig.InProgress) may call
// Depart again while a voyage is open: the open voyage was a departure
// that did not happen (the vessel stopped again in the same port) and is
// forgotten.
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

// SegmenterConfig configures a Segmenter. Zero fields take their
// defaults.
type SegmenterConfig struct {
	Ports *Ports
	Clean CleanConfig
	Visit VisitConfig
	// InProgress hands every kept point to the sink as it arrives, for
	// sinks that follow only the voyage in progress (predictors): after
	// each point the sink's open voyage is the voyage in progress that
	// VoyagesOf finds on the track so far. Such a Segmenter holds no
	// points. A voyage that arrives may then hold points past the stop it
	// arrived at (the stop was not known to be a visit yet), and the
	// departure from a visit is announced at each stopped point of it
	// (Depart again, see VoyageSink): sinks that keep finished voyages
	// must leave this false.
	InProgress bool
}

// Segmenter applies VoyagesOf's rules — cleaning (CleanConfig.Check),
// port visits (Visits) and voyage boundaries (Voyages) — to one vessel's
// points as they arrive, and hands the voyages to a VoyageSink. On points
// in time order it finds exactly the voyages VoyagesOf finds on the whole
// track; a point earlier than the last kept one is dropped (DropLate), not
// sorted into place.
//
// By default it holds back the points of a port run that come after the
// run's first stop while the run may still become a visit (the voyage then
// ends at that stop), and the moving points after a visit's last stop
// while another stop may still move the departure: memory that grows with
// the time a vessel spends moving about one port area, as the finished
// voyages the sink keeps grow with the track. In progress mode
// (SegmenterConfig.InProgress) it holds nothing.
type Segmenter struct {
	ports      *Ports
	clean      CleanConfig
	visit      VisitConfig
	inProgress bool
	sink       VoyageSink
	ok         bool // the MMSI is a ship's

	last    Point // last kept point
	hasLast bool
	open    bool // a voyage departed and did not arrive

	runPort   int       // port of the run in progress, -1 outside every port area
	stopped   bool      // the run has a stopped point
	firstStop time.Time // time of the run's first stopped point
	held      []Point   // the run's points after its first stop while it may still become a visit
	isVisit   bool      // the run is a visit (its stopped points span MinDwell)
	lastStop  Point     // the visit's latest stopped point
	after     []Point   // the visit's points after lastStop
}

// NewSegmenter returns a Segmenter of the vessel mmsi that reports to
// sink. Zero config fields take their defaults.
func NewSegmenter(mmsi uint32, ports *Ports, clean CleanConfig, visit VisitConfig, sink VoyageSink) *Segmenter {
	return NewSegmenterConfig(mmsi, SegmenterConfig{Ports: ports, Clean: clean, Visit: visit}, sink)
}

// NewSegmenterConfig returns a Segmenter of the vessel mmsi configured by
// cfg that reports to sink.
func NewSegmenterConfig(mmsi uint32, cfg SegmenterConfig, sink VoyageSink) *Segmenter {
	return &Segmenter{ports: cfg.Ports, clean: cfg.Clean.Defaults(), visit: cfg.Visit.Defaults(), inProgress: cfg.InProgress,
		sink: sink, ok: ValidShipMMSI(mmsi), runPort: -1}
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
	pt := &s.last // not &p: that would move every point to the heap
	port, _, in := s.ports.Within(p.Lat, p.Lon)
	if s.runPort >= 0 && (!in || port != s.runPort) {
		s.endRun()
	}
	if !in {
		s.release(pt)
		return ""
	}
	if s.runPort < 0 {
		s.runPort, s.stopped, s.isVisit, s.held = port, false, false, s.held[:0]
	}
	switch {
	case s.isVisit && stopped: // the departure moves to this stop
		s.lastStop, s.after = p, s.after[:0]
		if s.inProgress {
			s.sink.Depart(s.runPort, pt)
		}
	case s.isVisit:
		if s.inProgress {
			s.sink.Add(pt)
		} else {
			s.after = append(s.after, p)
		}
	case !s.stopped:
		// the points up to the run's first stop are the voyage's, visit or not
		s.release(pt)
		if stopped {
			s.stopped, s.firstStop = true, p.Time
			s.checkVisit(pt)
		}
	default:
		if s.inProgress {
			s.sink.Add(pt)
		} else {
			s.held = append(s.held, p)
		}
		if stopped {
			s.checkVisit(pt)
		}
	}
	return ""
}

// checkVisit makes the run a visit when its stopped points, the latest
// p, span MinDwell: the voyage in progress ends at the run's first stop
// (the points held after it were the visit's).
func (s *Segmenter) checkVisit(p *Point) {
	if p.Time.Sub(s.firstStop) < s.visit.MinDwell {
		return
	}
	s.sink.Arrive(s.runPort)
	s.open = false
	s.isVisit, s.lastStop, s.after, s.held = true, *p, s.after[:0], s.held[:0]
	if s.inProgress {
		s.sink.Depart(s.runPort, p)
		s.open = true
	}
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
// last stopped point; other runs were passages, part of the voyage. (In
// progress mode the sink has these points already.)
func (s *Segmenter) endRun() {
	switch {
	case s.inProgress:
	case s.isVisit:
		s.sink.Depart(s.runPort, &s.lastStop)
		s.open = true
		for i := range s.after {
			s.sink.Add(&s.after[i])
		}
	default:
		for i := range s.held {
			s.release(&s.held[i])
		}
	}
	s.runPort, s.held, s.after, s.stopped, s.isVisit = -1, s.held[:0], s.after[:0], false, false
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

// Held returns the number of points the Segmenter holds back (always 0 in
// progress mode).
func (s *Segmenter) Held() int { return len(s.held) + len(s.after) }

// StreamConfig configures a VoyageStream. Zero fields take their defaults.
type StreamConfig struct {
	Ports *Ports
	Clean CleanConfig
	Visit VisitConfig
	// Idle is how long, in the input's own time, a vessel may send nothing
	// before it is flushed and forgotten (its voyage in progress closed).
	// The default is 24 hours; a negative value keeps every vessel.
	Idle time.Duration
	// InProgress runs the vessels' Segmenters in progress mode (see
	// SegmenterConfig.InProgress): for sinks that follow only the voyage in
	// progress, which then hold no points back.
	InProgress bool
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
		f.seg = NewSegmenterConfig(p.MMSI, SegmenterConfig{Ports: s.cfg.Ports, Clean: s.cfg.Clean, Visit: s.cfg.Visit,
			InProgress: s.cfg.InProgress}, s.newSink(&f.v))
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
