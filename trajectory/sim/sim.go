// Package sim simulates a fleet sailing between real ports along a
// sea-lane network and the AIS it transmits, deterministically from a seed.
//
// Each vessel alternates port stays (moored, sometimes after waiting at
// anchor outside the port area) and voyages along the shortest lane path
// to its next port, at a cruise speed of its ship type with harbour speed
// near both ends. Reports follow the class A and B rules for their timing
// inside each archive interval; receivers lose reports offshore and in
// outages; positions carry GPS noise. Static messages (type 5, or 24 for
// class B) give the destination as crews type it (UN/LOCODE mostly, a port
// name or nothing sometimes) and an ETA with an error that shrinks as the
// vessel nears port. As in real traffic, some vessels never report a
// destination or an ETA: every class B vessel (type 24 has no such fields)
// and a share of class A vessels (NoVoyageShare) whose crews leave the
// voyage data of their type 5 messages empty.
package sim

import (
	"container/heap"
	"errors"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// Config sets up a simulation. The zero value of a field means its default.
type Config struct {
	Seed     uint64
	Vessels  int           // default 50
	Start    time.Time     // default 2026-01-01T00:00:00Z
	Days     float64       // default 14
	Interval time.Duration // archive interval: at most one position per vessel per interval; default 10 min
	// StaticEvery is how often static data is archived; default 1 hour.
	StaticEvery time.Duration
	Source      string // tag-block source; default "portolan-sim"
	// NoVoyageShare is the share of class A vessels that never report a
	// destination, an ETA or a draught; default 0.25. A negative value
	// means none.
	NoVoyageShare float64
	// PortWeights is the traffic each port draws, in the order of the
	// ports given to NewFleet (nil: all alike): a vessel starts at a port
	// and picks its next port with probability proportional to the weight.
	PortWeights []float64
	// DistancePower shapes how far vessels go: the next port is picked in
	// proportion to weight / (d + range)^DistancePower, with d the
	// great-circle distance and range the ship type's scale (cargo 1,500 km,
	// tankers 2,000, ferries 400, …). Default 1; 2 keeps most voyages
	// regional on a world-wide port list, as real traffic is.
	DistancePower float64
}

func (c Config) withDefaults() Config {
	if c.Vessels == 0 {
		c.Vessels = 50
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Days == 0 {
		c.Days = 14
	}
	if c.Interval == 0 {
		c.Interval = 10 * time.Minute
	}
	if c.StaticEvery == 0 {
		c.StaticEvery = time.Hour
	}
	if c.Source == "" {
		c.Source = "portolan-sim"
	}
	if c.NoVoyageShare == 0 {
		c.NoVoyageShare = 0.25
	}
	if c.DistancePower == 0 {
		c.DistancePower = 1
	}
	return c
}

// shipClass holds the behaviour of a ship type.
type shipClass struct {
	name    string
	share   float64    // of the fleet
	aisType int        // AIS ship and cargo type
	speed   float64    // cruise knots
	dwell   [2]float64 // hours in port, min..max
	length  [2]int
	draught [2]float64
	classB  bool
	rangeKm float64 // typical voyage length scale for choosing destinations
}

// classes is the fleet's mix of ship types: cargo ships and tankers first,
// then ferries, fishing vessels, tugs and pleasure craft; fishing vessels
// and pleasure craft carry class B transponders.
var classes = []shipClass{
	{"cargo", 0.45, 70, 14, [2]float64{10, 36}, [2]int{120, 300}, [2]float64{7, 14}, false, 1500},
	{"tanker", 0.25, 80, 12.5, [2]float64{18, 48}, [2]int{150, 330}, [2]float64{8, 17}, false, 2000},
	{"passenger", 0.10, 60, 18, [2]float64{1.5, 4}, [2]int{120, 220}, [2]float64{5, 7}, false, 400},
	{"fishing", 0.10, 30, 9, [2]float64{8, 30}, [2]int{15, 40}, [2]float64{3, 5}, true, 500},
	{"tug", 0.05, 52, 10, [2]float64{3, 12}, [2]int{25, 40}, [2]float64{3, 5}, false, 300},
	{"pleasure", 0.05, 37, 7, [2]float64{12, 60}, [2]int{10, 25}, [2]float64{1.5, 3}, true, 300},
}

var mids = []int{244, 211, 219, 235, 257, 265, 227, 224, 247, 237, 636, 538, 477, 563, 255, 209}

// Fleet simulates vessels on a network between ports.
type Fleet struct {
	cfg      Config
	net      *Network
	ports    []trajectory.Port
	weights  []float64 // traffic per port; nil: all alike
	portNode []int
	trees    map[int][]int32 // shortest-path trees from the ports' nodes
}

type route struct {
	pts    []orb.Point
	cum    []float64 // cumulative metres at each point
	length float64
	ok     bool
}

// NewFleet prepares a simulation. Ports farther than 100 km from the
// network are left out; at least two must remain.
func NewFleet(net *Network, ports []trajectory.Port, cfg Config) (*Fleet, error) {
	f := &Fleet{cfg: cfg.withDefaults(), net: net, trees: map[int][]int32{}}
	if f.cfg.Vessels < 0 || f.cfg.Days < 0 || f.cfg.Interval < time.Second || !(f.cfg.DistancePower > 0 && f.cfg.DistancePower <= 8) {
		return nil, fmt.Errorf("sim: config %+v", cfg)
	}
	if cfg.PortWeights != nil && len(cfg.PortWeights) != len(ports) {
		return nil, fmt.Errorf("sim: %d port weights for %d ports", len(cfg.PortWeights), len(ports))
	}
	for i, p := range ports {
		node, d := net.Nearest(p.Lat, p.Lon)
		if d > 100e3 {
			continue
		}
		if cfg.PortWeights != nil {
			w := cfg.PortWeights[i]
			if !(w > 0 && w < 1e6) {
				return nil, fmt.Errorf("sim: port %s weight %v: want a positive weight", p.Locode, w)
			}
			f.weights = append(f.weights, w)
		}
		f.ports = append(f.ports, p)
		f.portNode = append(f.portNode, node)
	}
	if len(f.ports) < 2 {
		return nil, errors.New("sim: fewer than two ports near the lane network")
	}
	return f, nil
}

// Ports returns the ports the simulation uses.
func (f *Fleet) Ports() []trajectory.Port { return f.ports }

// Weights returns the traffic weight of each port of Ports (nil when the
// ports are alike).
func (f *Fleet) Weights() []float64 { return f.weights }

// route returns the sea route from port a to port b: the port, the
// shortest lane path between their nearest nodes, the port.
func (f *Fleet) route(a, b int) route {
	prev, ok := f.trees[a]
	if !ok {
		_, prev = f.net.dijkstra(f.portNode[a], -1)
		f.trees[a] = prev
	}
	var r route
	if path, ok := f.net.pathTo(prev, f.portNode[a], f.portNode[b]); ok {
		pts := append([]orb.Point{{f.ports[a].Lon, f.ports[a].Lat}}, path...)
		pts = append(pts, orb.Point{f.ports[b].Lon, f.ports[b].Lat})
		r = route{pts: pts, cum: make([]float64, len(pts)), ok: true}
		for i := 1; i < len(pts); i++ {
			r.cum[i] = r.cum[i-1] + trajectory.Distance(pts[i-1].Lat(), pts[i-1].Lon(), pts[i].Lat(), pts[i].Lon())
		}
		r.length = r.cum[len(r.cum)-1]
		r.ok = r.length > 5000
	}
	return r
}

// at returns the position and course at distance s along the route.
func (r *route) at(s float64) (lat, lon, course float64) {
	s = math.Max(0, math.Min(r.length, s))
	i := sort.SearchFloat64s(r.cum, s)
	if i == 0 {
		i = 1
	}
	if i >= len(r.pts) {
		i = len(r.pts) - 1
	}
	a, b := r.pts[i-1], r.pts[i]
	seg := r.cum[i] - r.cum[i-1]
	t := 0.0
	if seg > 0 {
		t = (s - r.cum[i-1]) / seg
	}
	dlon := math.Mod(b.Lon()-a.Lon()+540, 360) - 180
	lon = wrapLon(a.Lon() + dlon*t)
	lat = a.Lat() + (b.Lat()-a.Lat())*t
	return lat, lon, trajectory.Bearing(a.Lat(), a.Lon(), b.Lat(), b.Lon())
}

// report is one archived AIS message before encoding.
type report struct {
	at     time.Time
	vessel int
	static bool
	lat    float64
	lon    float64
	sog    float64
	cog    float64
	hdg    int
	status int
	dest   string
	eta    time.Time
	draft  float64
}

type vessel struct {
	mmsi     uint32
	imo      uint32
	name     string
	callsign string
	class    *shipClass
	length   int
	beam     int
	draught  float64
	// noVoyage: the crew never fills in destination, ETA or draught
	noVoyage bool
}

// Run simulates the fleet and calls emit with every archived message in
// time order (ties by MMSI). Messages carry their receive time.
//
// Each vessel is simulated by its own generator (a stream of the seeded
// generator keyed by the seed and the vessel's number), which yields its
// reports in time order; a heap merges the vessels' reports, so memory
// holds one pending report per vessel, not the whole simulation.
func (f *Fleet) Run(emit func(*ais.Message) error) error {
	cfg := f.cfg
	end := cfg.Start.Add(time.Duration(cfg.Days * 24 * float64(time.Hour)))
	vessels := make([]vessel, cfg.Vessels)
	usedMMSI := map[uint32]bool{}
	h := make(mergeHeap, 0, len(vessels))
	for v := range vessels {
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(v)+1))
		vessels[v] = newVessel(rng, usedMMSI)
		// a stream of its own, so the choice leaves every track unchanged
		habits := rand.New(rand.NewPCG(cfg.Seed, uint64(v)+1<<32))
		vessels[v].noVoyage = !vessels[v].class.classB && habits.Float64() < cfg.NoVoyageShare
		s := &sailor{f: f, rng: rng, vi: v, v: &vessels[v], end: end}
		next, stop := iter.Pull(s.reports)
		defer stop()
		if r, ok := next(); ok {
			h = append(h, pending{r: r, mmsi: vessels[v].mmsi, next: next})
		}
	}
	heap.Init(&h)
	var m ais.Message
	for len(h) > 0 {
		top := &h[0]
		r := top.r
		for _, msg := range messages(&r, &vessels[r.vessel], &m) {
			if err := emit(msg); err != nil {
				return err
			}
		}
		if nr, ok := top.next(); ok {
			if nr.at.Before(r.at) {
				return fmt.Errorf("sim: vessel %d reports out of time order (%v after %v)", top.mmsi, nr.at, r.at)
			}
			top.r = nr
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}

// pending is a vessel's next report in the merge.
type pending struct {
	r    report
	mmsi uint32
	next func() (report, bool)
}

type mergeHeap []pending

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if !h[i].r.at.Equal(h[j].r.at) {
		return h[i].r.at.Before(h[j].r.at)
	}
	return h[i].mmsi < h[j].mmsi
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(pending)) }
func (h *mergeHeap) Pop() any     { old := *h; x := old[len(old)-1]; *h = old[:len(old)-1]; return x }

func newVessel(rng *rand.Rand, used map[uint32]bool) vessel {
	x := rng.Float64()
	c := &classes[len(classes)-1]
	for i := range classes {
		if x < classes[i].share {
			c = &classes[i]
			break
		}
		x -= classes[i].share
	}
	var mmsi uint32
	for mmsi == 0 || used[mmsi] {
		mmsi = uint32(mids[rng.IntN(len(mids))]*1000000 + rng.IntN(1000000))
	}
	used[mmsi] = true
	length := c.length[0] + rng.IntN(c.length[1]-c.length[0]+1)
	v := vessel{
		mmsi: mmsi, class: c, length: length, beam: max(4, length/7),
		draught:  c.draught[0] + rng.Float64()*(c.draught[1]-c.draught[0]),
		name:     shipName(rng),
		callsign: fmt.Sprintf("%c%c%c%d", 'A'+rune(rng.IntN(26)), 'A'+rune(rng.IntN(26)), 'A'+rune(rng.IntN(26)), rng.IntN(10)),
	}
	if !c.classB {
		v.imo = imoNumber(rng)
	}
	return v
}

var nameParts = [][]string{
	{"NORD", "SEA", "OCEAN", "BALTIC", "ATLANTIC", "STELLA", "MARE", "NORTHERN", "CAPE", "GOLDEN", "BLUE", "SILVER"},
	{"STAR", "SPIRIT", "TRADER", "EXPRESS", "PIONEER", "WIND", "HORIZON", "GRACE", "VOYAGER", "PRIDE", "BREEZE", "FORTUNE"},
}

func shipName(rng *rand.Rand) string {
	return nameParts[0][rng.IntN(len(nameParts[0]))] + " " + nameParts[1][rng.IntN(len(nameParts[1]))]
}

// imoNumber returns a 7-digit IMO number with a valid check digit: the last
// digit is Σ d_i·(7−i) over the first six digits, mod 10.
func imoNumber(rng *rand.Rand) uint32 {
	base := 900000 + rng.IntN(99999)
	sum := 0
	for i, x := 0, base; i < 6; i++ {
		sum += (x % 10) * (i + 2)
		x /= 10
	}
	return uint32(base*10 + sum%10)
}

// classInterval is the class A or B reporting interval at a speed.
func classInterval(classB bool, sog float64, moving bool) time.Duration {
	switch {
	case !moving || sog < 2:
		return 3 * time.Minute
	case classB:
		return 30 * time.Second
	case sog > 23:
		return 2 * time.Second
	case sog > 14:
		return 6 * time.Second
	}
	return 10 * time.Second
}

// sailor simulates one vessel: port stays and voyages, and the reports of
// them that reach the archive, yielded in time order.
type sailor struct {
	f          *Fleet
	rng        *rand.Rand
	vi         int
	v          *vessel
	end        time.Time
	phase      time.Duration // of the vessel's archive slots
	outages    []window      // receiver outages
	lastStatic time.Time
	yield      func(report) bool
	stopped    bool // the consumer wants no more
}

type window struct{ from, to time.Time }

const harbourKnots = 6.0

// reports runs the vessel's simulation, yielding its reports.
func (s *sailor) reports(yield func(report) bool) {
	s.yield = yield
	cfg, c, rng := s.f.cfg, s.v.class, s.rng
	s.phase = time.Duration(rng.Int64N(int64(cfg.Interval)))
	// receiver outages: per day, a 15% chance of a 1–6 hour gap
	for d := cfg.Start; d.Before(s.end); d = d.Add(24 * time.Hour) {
		if rng.Float64() < 0.15 {
			from := d.Add(time.Duration(rng.Float64() * 24 * float64(time.Hour)))
			s.outages = append(s.outages, window{from, from.Add(time.Duration((1 + 5*rng.Float64()) * float64(time.Hour)))})
		}
	}
	port := s.f.startPort(rng)
	t := cfg.Start.Add(-time.Duration(rng.Float64() * c.dwell[1] * float64(time.Hour)))
	prevDest, prevETA := "", time.Time{}
	draught := s.v.draught * (0.6 + 0.35*rng.Float64())
	for t.Before(s.end) && !s.stopped {
		// choose the next port and its route
		next, r := s.f.pickDestination(rng, port, c)
		if next < 0 {
			return
		}
		dwell := time.Duration((c.dwell[0] + rng.Float64()*(c.dwell[1]-c.dwell[0])) * float64(time.Hour))
		depart := t.Add(dwell)
		leg := newLeg(r, c.speed*(0.9+0.2*rng.Float64()), depart)
		// 20% of arrivals first wait at anchor outside the port area
		anchorWait := time.Duration(0)
		if rng.Float64() < 0.2 && c.name != "passenger" {
			anchorWait = time.Duration((4 + 16*rng.Float64()) * float64(time.Hour))
		}
		nextDraught := s.v.draught * (0.6 + 0.35*rng.Float64())
		s.stay(port, next, t, dwell, leg.arrive, prevDest, prevETA, draught)
		draught = nextDraught
		destText := destinationText(rng, s.f.ports[next])
		if anchorWait > 0 {
			// at anchor 12–20 km before the port, on the route (half-way on a short one)
			leg.anchor(math.Max(leg.r.length/2, leg.r.length-12000-8000*rng.Float64()), anchorWait)
		}
		s.sail(&leg, destText, draught)
		if anchorWait > 0 {
			s.anchor(&leg, destText, draught)
		}
		prevDest, prevETA = destText, leg.end
		t = leg.end
		port = next
	}
}

// add yields a report unless the consumer has stopped.
func (s *sailor) add(r report) {
	if !s.stopped && !s.yield(r) {
		s.stopped = true
	}
}

// received says whether a report at time at reaches the archive: not in a
// receiver outage, and offshore only 70% of the time.
func (s *sailor) received(at time.Time, offshore bool) bool {
	for _, w := range s.outages {
		if !at.Before(w.from) && at.Before(w.to) {
			return false
		}
	}
	return !(offshore && s.rng.Float64() < 0.3)
}

// noise adds GPS noise (10 m) to a position.
func (s *sailor) noise(lat, lon float64) (float64, float64) {
	const sigma = 10.0 // metres
	return lat + s.rng.NormFloat64()*sigma/111320, lon + s.rng.NormFloat64()*sigma/(111320*math.Max(0.1, math.Cos(lat*math.Pi/180)))
}

// nextSlot returns the first archive slot at or after t, not before the start.
func (s *sailor) nextSlot(t time.Time) time.Time {
	cfg := s.f.cfg
	if t.Before(cfg.Start) {
		t = cfg.Start
	}
	k := math.Ceil(float64(t.Sub(cfg.Start)-s.phase) / float64(cfg.Interval))
	return cfg.Start.Add(s.phase + time.Duration(k)*cfg.Interval)
}

// jitter is the time of the report archived in slot t: the class's
// reporting interval at that speed after it, at random (never past the
// archive interval, so each vessel's reports stay in time order).
func (s *sailor) jitter(t time.Time, sog float64, moving bool) time.Time {
	d := min(classInterval(s.v.class.classB, sog, moving), s.f.cfg.Interval)
	return t.Add(time.Duration(s.rng.Float64() * float64(d)))
}

// static archives the vessel's static data at most every StaticEvery.
func (s *sailor) static(at time.Time, dest string, eta time.Time, draught float64) {
	if s.lastStatic.IsZero() || at.Sub(s.lastStatic) >= s.f.cfg.StaticEvery {
		if s.received(at, false) {
			s.add(report{at: at, vessel: s.vi, static: true, dest: dest, eta: eta, draft: draught})
		}
		s.lastStatic = at
	}
}

// still archives a stopped vessel's position near (lat, lon).
func (s *sailor) still(at time.Time, lat, lon, sogSigma float64, status int) {
	if !s.received(at, false) {
		return
	}
	lat, lon = s.noise(lat, lon)
	s.add(report{at: at, vessel: s.vi, lat: lat, lon: lon, sog: math.Abs(s.rng.NormFloat64() * sogSigma),
		cog: s.rng.Float64() * 360, hdg: s.rng.IntN(360), status: status})
}

// stay is a port stay: moored near the berth from t for dwell; half-way
// through, the crew enters the next destination and its ETA.
func (s *sailor) stay(port, next int, t time.Time, dwell time.Duration, arrive time.Time, dest string, eta time.Time, draught float64) {
	p := s.f.ports[port]
	rng := s.rng
	berthLat, berthLon := p.Lat+(rng.Float64()-0.5)*0.01, p.Lon+(rng.Float64()-0.5)*0.01
	depart := t.Add(dwell)
	for slot := s.nextSlot(t); slot.Before(depart) && slot.Before(s.end) && !s.stopped; slot = slot.Add(s.f.cfg.Interval) {
		at := s.jitter(slot, 0, false)
		d, e := dest, eta
		if slot.After(t.Add(dwell / 2)) {
			d, e = destinationText(rng, s.f.ports[next]), arrive.Add(time.Duration(rng.NormFloat64()*3*float64(time.Hour)))
		}
		s.static(at, d, e, draught)
		s.still(at, berthLat, berthLon, 0.1, 5)
	}
}

// leg is a voyage's timing along its route: harbour speed for the first
// and last h metres, cruise speed between; with a wait at anchor, the
// vessel stops at the anchorage (anchorAt metres along), waits, and
// approaches the berth at harbour speed.
type leg struct {
	r              route
	h, cruise      float64 // metres
	vc             float64 // cruise knots
	depart, arrive time.Time
	// stop is where the sailing ends (the route's end, or the anchorage),
	// atStop when; end is the arrival at the berth
	stop         float64
	atStop, end  time.Time
	wait         time.Duration
	approachFrom time.Time
}

func newLeg(r route, vc float64, depart time.Time) leg {
	l := leg{r: r, h: math.Min(10000, r.length/3), vc: vc, depart: depart, stop: r.length}
	l.cruise = r.length - 2*l.h
	l.arrive = l.timeAt(r.length)
	l.atStop, l.end = l.arrive, l.arrive
	return l
}

// timeAt is when the vessel, under way, is dist metres along the route.
func (l *leg) timeAt(dist float64) time.Time {
	harbour, cruise := harbourKnots*knot, l.vc*knot
	var sec float64
	switch {
	case dist <= l.h:
		sec = dist / harbour
	case dist <= l.h+l.cruise:
		sec = l.h/harbour + (dist-l.h)/cruise
	default:
		sec = l.h/harbour + l.cruise/cruise + (dist-l.h-l.cruise)/harbour
	}
	return l.depart.Add(time.Duration(sec * float64(time.Second)))
}

// at is where the vessel, under way, is tau seconds after departure, and
// its speed.
func (l *leg) at(tau float64) (dist, sog float64) {
	switch th := l.h / (harbourKnots * knot); {
	case tau < th:
		return tau * harbourKnots * knot, harbourKnots
	case tau < th+l.cruise/(l.vc*knot):
		return l.h + (tau-th)*l.vc*knot, l.vc
	default:
		return l.h + l.cruise + (tau-th-l.cruise/(l.vc*knot))*harbourKnots*knot, harbourKnots
	}
}

// anchor makes the vessel stop at anchorAt metres along the route, wait
// there, then approach the berth at harbour speed.
func (l *leg) anchor(anchorAt float64, wait time.Duration) {
	l.stop, l.atStop, l.wait = anchorAt, l.timeAt(anchorAt), wait
	l.approachFrom = l.atStop.Add(wait)
	l.end = l.approachFrom.Add(time.Duration((l.r.length - anchorAt) / (harbourKnots * knot) * float64(time.Second)))
}

// sail archives the voyage from departure to its stop (the berth or the
// anchorage); static data carry the destination and an ETA whose error
// shrinks on the way.
func (s *sailor) sail(l *leg, destText string, draught float64) {
	rng := s.rng
	for slot := s.nextSlot(l.depart); slot.Before(l.atStop) && slot.Before(s.end) && !s.stopped; slot = slot.Add(s.f.cfg.Interval) {
		dist, sog := l.at(slot.Sub(l.depart).Seconds())
		at := s.jitter(slot, sog, true)
		remaining := l.end.Sub(at)
		etaErr := time.Duration(rng.NormFloat64() * (0.05*remaining.Hours() + 1) * float64(time.Hour))
		s.static(at, destText, l.end.Add(etaErr), draught)
		lat, lon, course := l.r.at(math.Min(dist, l.stop))
		if !s.received(at, math.Min(dist, l.r.length-dist) > 100e3) { // offshore: patchy coverage
			continue
		}
		lat, lon = s.noise(lat, lon)
		hdg := int(math.Mod(course+rng.NormFloat64()*2+360, 360))
		s.add(report{at: at, vessel: s.vi, lat: lat, lon: lon, sog: math.Max(0, sog+rng.NormFloat64()*0.3),
			cog: math.Mod(course+rng.NormFloat64()*1.5+360, 360), hdg: hdg, status: 0})
	}
}

// anchor archives the wait at the anchorage and the final approach at
// harbour speed.
func (s *sailor) anchor(l *leg, destText string, draught float64) {
	rng := s.rng
	alat, alon, _ := l.r.at(l.stop)
	for slot := s.nextSlot(l.atStop); slot.Before(l.approachFrom) && slot.Before(s.end) && !s.stopped; slot = slot.Add(s.f.cfg.Interval) {
		at := s.jitter(slot, 0, false)
		s.static(at, destText, l.end, draught)
		s.still(at, alat, alon, 0.2, 1)
	}
	for slot := s.nextSlot(l.approachFrom); slot.Before(l.end) && slot.Before(s.end) && !s.stopped; slot = slot.Add(s.f.cfg.Interval) {
		at := s.jitter(slot, harbourKnots, true)
		lat, lon, course := l.r.at(l.stop + at.Sub(l.approachFrom).Seconds()*harbourKnots*knot)
		if !s.received(at, false) {
			continue
		}
		lat, lon = s.noise(lat, lon)
		s.add(report{at: at, vessel: s.vi, lat: lat, lon: lon, sog: math.Max(0, harbourKnots+rng.NormFloat64()*0.3),
			cog: math.Mod(course+rng.NormFloat64()*1.5+360, 360), hdg: int(math.Mod(course+360, 360)), status: 0})
	}
}

const knot = trajectory.Knot

// startPort picks the port a vessel starts from: in proportion to the
// ports' weights, or uniformly.
func (f *Fleet) startPort(rng *rand.Rand) int {
	if f.weights == nil {
		return rng.IntN(len(f.ports))
	}
	return pickWeighted(rng.Float64(), f.weights)
}

// pickWeighted returns the index i at which the running sum of weights
// passes u·Σw (the last positive weight when rounding runs past the end).
func pickWeighted(u float64, w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	x, last := u*total, -1
	for i, wi := range w {
		if wi > 0 {
			if x < wi {
				return i
			}
			last = i
		}
		x -= wi
	}
	return last
}

// pickDestination chooses a reachable port other than from, weighting
// ports by weight/(distance + the class's range scale)^DistancePower, so
// most voyages are regional and some are long.
func (f *Fleet) pickDestination(rng *rand.Rand, from int, c *shipClass) (int, route) {
	weights := make([]float64, len(f.ports))
	total := 0.0
	for i, p := range f.ports {
		if i == from {
			continue
		}
		d := trajectory.Distance(f.ports[from].Lat, f.ports[from].Lon, p.Lat, p.Lon) / 1000
		if f.cfg.DistancePower == 1 {
			weights[i] = 1 / (d + c.rangeKm)
		} else {
			weights[i] = 1 / math.Pow(d+c.rangeKm, f.cfg.DistancePower)
		}
		if f.weights != nil {
			weights[i] *= f.weights[i]
		}
		total += weights[i]
	}
	for tries := 0; tries < 10 && total > 0; tries++ {
		x := rng.Float64() * total
		for i, w := range weights {
			if x < w || (w > 0 && i == len(weights)-1) {
				if r := f.route(from, i); r.ok {
					return i, r
				}
				total -= w
				weights[i] = 0
				break
			}
			x -= w
		}
	}
	return -1, route{}
}

// destinationText is what the crew types: the UN/LOCODE mostly, sometimes
// with a space, the port's name, or nothing useful.
func destinationText(rng *rand.Rand, p trajectory.Port) string {
	switch x := rng.Float64(); {
	case x < 0.75 || p.Locode == "":
		if p.Locode == "" {
			return strings.ToUpper(p.Name)
		}
		return p.Locode
	case x < 0.85:
		return p.Locode[:2] + " " + p.Locode[2:]
	case x < 0.95:
		return strings.ToUpper(p.Name)
	case x < 0.98:
		return "FOR ORDERS"
	}
	return ""
}

// messages turns a report into AIS messages (two for class B static data).
func messages(r *report, v *vessel, m *ais.Message) []*ais.Message {
	*m = ais.Message{MMSI: v.mmsi, Time: r.at}
	some := func(x float64) ais.Opt[float64] { return ais.Opt[float64]{V: x, Valid: true} }
	somei := func(x int) ais.Opt[int] { return ais.Opt[int]{V: x, Valid: true} }
	if r.static {
		bow := v.length * 4 / 5
		m.Name, m.CallSign, m.ShipType = v.name, v.callsign, somei(v.class.aisType)
		m.ToBow, m.ToStern, m.ToPort, m.ToStarboard = somei(bow), somei(v.length-bow), somei(v.beam/2), somei(v.beam-v.beam/2)
		if v.class.classB {
			m.Type, m.PartNum = 24, 0
			b := *m
			b.PartNum, b.Name, b.VendorID = 1, "", "SIM"
			return []*ais.Message{m, &b}
		}
		m.Type, m.EPFD = 5, 1
		m.IMO = ais.Opt[uint32]{V: v.imo, Valid: true}
		if v.noVoyage {
			return []*ais.Message{m}
		}
		m.Draught = some(math.Round(r.draft*10) / 10)
		m.Destination = r.dest
		if !r.eta.IsZero() {
			e := r.eta.UTC()
			m.ETA = ais.ETA{Month: int(e.Month()), Day: e.Day(), Hour: e.Hour(), Minute: e.Minute(), Valid: true}
		}
		return []*ais.Message{m}
	}
	m.Type = 1
	if v.class.classB {
		m.Type = 18
	}
	m.Lat, m.Lon = some(r.lat), some(r.lon)
	m.SOG, m.COG, m.Heading = some(r.sog), some(r.cog), somei(r.hdg)
	if !v.class.classB {
		m.NavStatus, m.ROT = somei(r.status), some(0)
	}
	m.Second = somei(r.at.Second())
	return []*ais.Message{m}
}
