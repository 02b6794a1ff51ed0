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
	"errors"
	"fmt"
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
	portNode []int
	paths    map[[2]int]route
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
	f := &Fleet{cfg: cfg.withDefaults(), net: net, paths: map[[2]int]route{}}
	if f.cfg.Vessels < 0 || f.cfg.Days < 0 || f.cfg.Interval < time.Second {
		return nil, fmt.Errorf("sim: config %+v", cfg)
	}
	for _, p := range ports {
		node, d := net.Nearest(p.Lat, p.Lon)
		if d > 100e3 {
			continue
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

func (f *Fleet) route(a, b int) route {
	k := [2]int{a, b}
	if r, ok := f.paths[k]; ok {
		return r
	}
	var r route
	if path, _, ok := f.net.Path(f.portNode[a], f.portNode[b]); ok {
		pts := append([]orb.Point{{f.ports[a].Lon, f.ports[a].Lat}}, path...)
		pts = append(pts, orb.Point{f.ports[b].Lon, f.ports[b].Lat})
		r = route{pts: pts, cum: make([]float64, len(pts)), ok: true}
		for i := 1; i < len(pts); i++ {
			r.cum[i] = r.cum[i-1] + trajectory.Distance(pts[i-1].Lat(), pts[i-1].Lon(), pts[i].Lat(), pts[i].Lon())
		}
		r.length = r.cum[len(r.cum)-1]
		r.ok = r.length > 5000
	}
	f.paths[k] = r
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
func (f *Fleet) Run(emit func(*ais.Message) error) error {
	cfg := f.cfg
	end := cfg.Start.Add(time.Duration(cfg.Days * 24 * float64(time.Hour)))
	vessels := make([]vessel, cfg.Vessels)
	var all []report
	usedMMSI := map[uint32]bool{}
	for v := range vessels {
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(v)+1))
		vessels[v] = newVessel(rng, usedMMSI)
		// a stream of its own, so the choice leaves every track unchanged
		habits := rand.New(rand.NewPCG(cfg.Seed, uint64(v)+1<<32))
		vessels[v].noVoyage = !vessels[v].class.classB && habits.Float64() < cfg.NoVoyageShare
		all = f.simulate(rng, v, &vessels[v], end, all)
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].at.Equal(all[j].at) {
			return all[i].at.Before(all[j].at)
		}
		return vessels[all[i].vessel].mmsi < vessels[all[j].vessel].mmsi
	})
	var m ais.Message
	for i := range all {
		r := &all[i]
		v := &vessels[r.vessel]
		for _, msg := range messages(r, v, &m) {
			if err := emit(msg); err != nil {
				return err
			}
		}
	}
	return nil
}

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

// simulate appends the vessel's archived reports.
func (f *Fleet) simulate(rng *rand.Rand, vi int, v *vessel, end time.Time, out []report) []report {
	cfg := f.cfg
	c := v.class
	phase := time.Duration(rng.Int64N(int64(cfg.Interval)))
	// receiver outages: per day, a 15% chance of a 1–6 hour gap
	type window struct{ from, to time.Time }
	var outages []window
	for d := cfg.Start; d.Before(end); d = d.Add(24 * time.Hour) {
		if rng.Float64() < 0.15 {
			from := d.Add(time.Duration(rng.Float64() * 24 * float64(time.Hour)))
			outages = append(outages, window{from, from.Add(time.Duration((1 + 5*rng.Float64()) * float64(time.Hour)))})
		}
	}
	received := func(at time.Time, offshore bool) bool {
		for _, w := range outages {
			if !at.Before(w.from) && at.Before(w.to) {
				return false
			}
		}
		return !(offshore && rng.Float64() < 0.3)
	}
	noise := func(lat, lon float64) (float64, float64) {
		const sigma = 10.0 // metres
		return lat + rng.NormFloat64()*sigma/111320, lon + rng.NormFloat64()*sigma/(111320*math.Max(0.1, math.Cos(lat*math.Pi/180)))
	}
	nextSlot := func(t time.Time) time.Time { // the first archive slot at or after t, not before the start
		if t.Before(cfg.Start) {
			t = cfg.Start
		}
		k := math.Ceil(float64(t.Sub(cfg.Start)-phase) / float64(cfg.Interval))
		return cfg.Start.Add(phase + time.Duration(k)*cfg.Interval)
	}
	lastStatic := time.Time{}
	emitStatic := func(at time.Time, dest string, eta time.Time, draught float64) {
		if lastStatic.IsZero() || at.Sub(lastStatic) >= cfg.StaticEvery {
			if received(at, false) {
				out = append(out, report{at: at, vessel: vi, static: true, dest: dest, eta: eta, draft: draught})
			}
			lastStatic = at
		}
	}

	port := rng.IntN(len(f.ports))
	t := cfg.Start.Add(-time.Duration(rng.Float64() * c.dwell[1] * float64(time.Hour)))
	prevDest, prevETA := "", time.Time{}
	draught := v.draught * (0.6 + 0.35*rng.Float64())
	for t.Before(end) {
		// choose the next port and its route
		next, r := f.pickDestination(rng, port, c)
		if next < 0 {
			return out
		}
		dwell := time.Duration((c.dwell[0] + rng.Float64()*(c.dwell[1]-c.dwell[0])) * float64(time.Hour))
		depart := t.Add(dwell)
		vc := c.speed * (0.9 + 0.2*rng.Float64())
		const harbourKnots = 6.0
		h := math.Min(10000, r.length/3)
		cruise := r.length - 2*h
		travel := time.Duration((2*h/(harbourKnots*knot) + cruise/(vc*knot)) * float64(time.Second))
		arrive := depart.Add(travel)
		// 20% of arrivals first wait at anchor outside the port area
		anchorWait := time.Duration(0)
		if rng.Float64() < 0.2 && c.name != "passenger" {
			anchorWait = time.Duration((4 + 16*rng.Float64()) * float64(time.Hour))
		}
		nextDraught := v.draught * (0.6 + 0.35*rng.Float64())

		// port stay: moored near the berth
		p := f.ports[port]
		berthLat, berthLon := p.Lat+(rng.Float64()-0.5)*0.01, p.Lon+(rng.Float64()-0.5)*0.01
		for s := nextSlot(t); s.Before(depart) && s.Before(end); s = s.Add(cfg.Interval) {
			at := s.Add(time.Duration(rng.Float64() * float64(classInterval(c.classB, 0, false))))
			dest, eta := prevDest, prevETA
			if s.After(t.Add(dwell / 2)) {
				dest, eta = destinationText(rng, f.ports[next]), arrive.Add(time.Duration(rng.NormFloat64()*3*float64(time.Hour)))
			}
			emitStatic(at, dest, eta, draught)
			if !received(at, false) {
				continue
			}
			lat, lon := noise(berthLat, berthLon)
			out = append(out, report{at: at, vessel: vi, lat: lat, lon: lon, sog: math.Abs(rng.NormFloat64() * 0.1),
				cog: rng.Float64() * 360, hdg: rng.IntN(360), status: 5})
		}
		draught = nextDraught
		destText := destinationText(rng, f.ports[next])
		// the voyage
		for s := nextSlot(depart); s.Before(arrive) && s.Before(end); s = s.Add(cfg.Interval) {
			tau := s.Sub(depart).Seconds()
			var dist, sog float64
			switch th := h / (harbourKnots * knot); {
			case tau < th:
				dist, sog = tau*harbourKnots*knot, harbourKnots
			case tau < th+cruise/(vc*knot):
				dist, sog = h+(tau-th)*vc*knot, vc
			default:
				dist, sog = h+cruise+(tau-th-cruise/(vc*knot))*harbourKnots*knot, harbourKnots
			}
			at := s.Add(time.Duration(rng.Float64() * float64(classInterval(c.classB, sog, true))))
			remaining := arrive.Sub(at)
			etaErr := time.Duration(rng.NormFloat64() * (0.05*remaining.Hours() + 1) * float64(time.Hour))
			emitStatic(at, destText, arrive.Add(anchorWait).Add(etaErr), draught)
			lat, lon, course := r.at(dist)
			if !received(at, math.Min(dist, r.length-dist) > 100e3) { // offshore: patchy coverage
				continue
			}
			lat, lon = noise(lat, lon)
			hdg := int(math.Mod(course+rng.NormFloat64()*2+360, 360))
			out = append(out, report{at: at, vessel: vi, lat: lat, lon: lon, sog: math.Max(0, sog+rng.NormFloat64()*0.3),
				cog: math.Mod(course+rng.NormFloat64()*1.5+360, 360), hdg: hdg, status: 0})
		}
		// waiting at anchor 12–20 km before the port, on the route, then the
		// final approach at harbour speed
		if anchorWait > 0 {
			anchorAt := r.length - 12000 - 8000*rng.Float64()
			alat, alon, _ := r.at(anchorAt)
			approach := time.Duration((r.length - anchorAt) / (harbourKnots * knot) * float64(time.Second))
			for s := nextSlot(arrive); s.Before(arrive.Add(anchorWait)) && s.Before(end); s = s.Add(cfg.Interval) {
				at := s.Add(time.Duration(rng.Float64() * float64(classInterval(c.classB, 0, false))))
				emitStatic(at, destText, arrive.Add(anchorWait).Add(approach), draught)
				if !received(at, false) {
					continue
				}
				lat, lon := noise(alat, alon)
				out = append(out, report{at: at, vessel: vi, lat: lat, lon: lon, sog: math.Abs(rng.NormFloat64() * 0.2),
					cog: rng.Float64() * 360, hdg: rng.IntN(360), status: 1})
			}
			start := arrive.Add(anchorWait)
			for s := nextSlot(start); s.Before(start.Add(approach)) && s.Before(end); s = s.Add(cfg.Interval) {
				at := s.Add(time.Duration(rng.Float64() * float64(classInterval(c.classB, harbourKnots, true))))
				lat, lon, course := r.at(anchorAt + at.Sub(start).Seconds()*harbourKnots*knot)
				if !received(at, false) {
					continue
				}
				lat, lon = noise(lat, lon)
				out = append(out, report{at: at, vessel: vi, lat: lat, lon: lon, sog: math.Max(0, harbourKnots+rng.NormFloat64()*0.3),
					cog: math.Mod(course+rng.NormFloat64()*1.5+360, 360), hdg: int(math.Mod(course+360, 360)), status: 0})
			}
			anchorWait += approach
		}
		prevDest, prevETA = destText, arrive.Add(anchorWait)
		t = arrive.Add(anchorWait)
		port = next
	}
	return out
}

const knot = trajectory.Knot

// pickDestination chooses a reachable port other than from, weighting
// ports by 1/(distance + the class's range scale), so most voyages are
// regional and some are long.
func (f *Fleet) pickDestination(rng *rand.Rand, from int, c *shipClass) (int, route) {
	weights := make([]float64, len(f.ports))
	total := 0.0
	for i, p := range f.ports {
		if i == from {
			continue
		}
		d := trajectory.Distance(f.ports[from].Lat, f.ports[from].Lon, p.Lat, p.Lon) / 1000
		weights[i] = 1 / (d + c.rangeKm)
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
