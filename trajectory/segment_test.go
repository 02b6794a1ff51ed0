package trajectory_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/portolan-sdk/portolan/trajectory/sim"
	"github.com/stretchr/testify/require"
)

// collector is a VoyageSink that keeps every voyage of two points or more.
type collector struct {
	cur    *trajectory.Voyage
	out    []trajectory.Voyage
	closed bool
}

func (c *collector) Depart(from int, p *trajectory.Point) {
	c.cur = &trajectory.Voyage{From: from, To: -1, Depart: p.Time, Points: []trajectory.Point{*p}}
}
func (c *collector) Add(p *trajectory.Point) { c.cur.Points = append(c.cur.Points, *p) }
func (c *collector) Arrive(to int) {
	c.cur.To, c.cur.Arrive = to, c.cur.Points[len(c.cur.Points)-1].Time
	c.keep()
}
func (c *collector) Close() { c.keep(); c.closed = true }
func (c *collector) keep() {
	if c.cur != nil && len(c.cur.Points) >= 2 {
		c.out = append(c.out, *c.cur)
	}
	c.cur = nil
}

type voyageKey struct {
	From, To       int
	Depart, Arrive time.Time
	Points         int
	First, Last    time.Time
}

func keys(vs []trajectory.Voyage) []voyageKey {
	var out []voyageKey
	for _, v := range vs {
		out = append(out, voyageKey{v.From, v.To, v.Depart, v.Arrive, len(v.Points), v.Points[0].Time, v.Points[len(v.Points)-1].Time})
	}
	return out
}

// segment runs a Segmenter over the track's points in order.
func segment(t *trajectory.Track, ports *trajectory.Ports) ([]trajectory.Voyage, map[string]int) {
	c := &collector{}
	s := trajectory.NewSegmenter(t.MMSI, ports, trajectory.CleanConfig{}, trajectory.VisitConfig{}, c)
	drops := map[string]int{}
	for _, p := range t.Points {
		if why := s.Push(p); why != "" {
			drops[why]++
		}
	}
	s.Flush()
	return c.out, drops
}

// TestSegmenterMatchesBatch checks the streaming segmentation against
// VoyagesOf on a simulated fleet (real port stays, anchoring, passages)
// and on random walks around ports (every edge: runs that never become a
// visit, visits at the first point, points left in a port area at the end).
func TestSegmenterMatchesBatch(t *testing.T) {
	ports, err := trajectory.NewPorts(sim.BuiltinPorts)
	require.NoError(t, err)
	fleet, err := sim.NewFleet(sim.BuiltinNetwork(), sim.BuiltinPorts, sim.Config{Seed: 5, Vessels: 15, Days: 12})
	require.NoError(t, err)
	tracks, err := fleet.Tracks()
	require.NoError(t, err)

	rng := rand.New(rand.NewPCG(3, 4))
	for k := 0; k < 200; k++ {
		tracks = append(tracks, randomWalk(rng, uint32(244000000+k), ports))
	}
	compared, withVisits := 0, 0
	for _, tr := range tracks {
		want, st := trajectory.VoyagesOf(tr, ports, trajectory.CleanConfig{}, trajectory.VisitConfig{})
		got, drops := segment(tr, ports)
		require.Equal(t, keys(want), keys(got), "vessel %d", tr.MMSI)
		require.Equal(t, st.Dropped, drops, "vessel %d", tr.MMSI)
		for i := range want {
			require.Equal(t, want[i].Points, got[i].Points)
			if want[i].From >= 0 || want[i].To >= 0 {
				withVisits++
			}
		}
		compared++
	}
	require.Equal(t, 215, compared)
	require.Greater(t, withVisits, 100, "the comparison covers port visits")
}

// randomWalk makes a time-ordered track that wanders between port areas,
// stops in them for random times, and sometimes reports nothing for a
// while, repeats a time or jumps impossibly.
func randomWalk(rng *rand.Rand, mmsi uint32, ports *trajectory.Ports) *trajectory.Track {
	tr := &trajectory.Track{MMSI: mmsi}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	port := ports.At(rng.IntN(ports.Len()))
	lat, lon := port.Lat, port.Lon
	for i := 0; i < 40+rng.IntN(200); i++ {
		at = at.Add(time.Duration(1+rng.IntN(20)) * time.Minute)
		switch x := rng.Float64(); {
		case x < 0.05: // a new port
			port = ports.At(rng.IntN(ports.Len()))
			lat, lon = port.Lat+rng.NormFloat64()*0.05, port.Lon+rng.NormFloat64()*0.05
		case x < 0.4: // stay
		default:
			lat += rng.NormFloat64() * 0.02
			lon += rng.NormFloat64() * 0.02
		}
		p := trajectory.Point{Time: at, Lat: lat, Lon: lon}
		if rng.Float64() < 0.8 {
			sog := rng.Float64() * 3
			p.SOG = ais.Opt[float64]{V: sog, Valid: true}
		}
		if rng.Float64() < 0.03 && len(tr.Points) > 0 { // a repeated time
			p.Time = tr.Points[len(tr.Points)-1].Time
		}
		tr.Points = append(tr.Points, p)
	}
	return tr
}

// TestNestedBuilderMatchesBuildNested checks the incremental nested
// sequence against BuildNested on every prefix of simulated voyages, with
// a short MaxLen so that old cells are let go, for both samplings.
func TestNestedBuilderMatchesBuildNested(t *testing.T) {
	fleet, err := sim.NewFleet(sim.BuiltinNetwork(), sim.BuiltinPorts, sim.Config{Seed: 9, Vessels: 4, Days: 6})
	require.NoError(t, err)
	tracks, err := fleet.Tracks()
	require.NoError(t, err)
	ports, err := trajectory.NewPorts(sim.BuiltinPorts)
	require.NoError(t, err)
	for _, sampling := range []trajectory.Sampling{trajectory.Even, trajectory.Random} {
		cfg := trajectory.DefaultNestedConfig()
		cfg.MaxLen, cfg.SubLen, cfg.Sampling, cfg.Seed = 4, 3, sampling, 11
		checked := 0
		for _, tr := range tracks {
			vs, _ := trajectory.VoyagesOf(tr, ports, trajectory.CleanConfig{}, trajectory.VisitConfig{})
			for k, v := range vs {
				b := trajectory.NewNestedBuilder(cfg, v.Depart, uint64(k))
				for i := range v.Points {
					b.Add(&v.Points[i])
					if i%7 != 0 && i != len(v.Points)-1 {
						continue
					}
					want, err := trajectory.BuildNested(v.Points[:i+1], v.Depart, cfg, uint64(k))
					require.NoError(t, err)
					got := b.Tail()
					require.Equal(t, len(want.Tail(cfg.MaxLen)), len(got))
					for j, c := range want.Tail(cfg.MaxLen) {
						require.Equal(t, c.Cell, got[j].Cell)
						require.Equal(t, c.Features, got[j].Features)
						require.Equal(t, c.Hours, got[j].Hours)
						require.True(t, c.Time.Equal(got[j].Time))
					}
					require.Equal(t, v.Points[i], b.Last())
					checked++
				}
			}
		}
		require.Greater(t, checked, 100)
	}
}

// TestVoyageStreamEviction: a vessel idle for longer than Idle is flushed
// (its voyage closed) while the others continue; an input sorted by vessel
// (not by time) evicts nobody by mistake.
func TestVoyageStreamEviction(t *testing.T) {
	ports, err := trajectory.NewPorts(sim.BuiltinPorts)
	require.NoError(t, err)
	closed := map[uint32]int{}
	mk := func(v *trajectory.Vessel) trajectory.VoyageSink {
		return &closeCounter{mmsi: v.MMSI, closed: closed}
	}
	pos := func(mmsi uint32, h float64) *ais.Position {
		return &ais.Position{MMSI: mmsi, Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(h * float64(time.Hour))),
			Lat: 40 + h/100, Lon: -30}
	}
	s := trajectory.NewVoyageStream(trajectory.StreamConfig{Ports: ports, Idle: 2 * time.Hour}, mk)
	s.Push(pos(244000001, 0))
	for h := 0.0; h < 10; h += 0.1 {
		s.Push(pos(244000002, h))
	}
	require.Equal(t, 1, closed[244000001], "idle for 10 h: flushed")
	require.Equal(t, 1, s.Held())
	s.Flush()
	require.Equal(t, 1, closed[244000002])
	st := s.Stats()
	require.Equal(t, 1, st.Evicted)
	require.Equal(t, 2, st.Vessels)

	// sorted by vessel, then time: the clock runs ahead, but a vessel that is
	// still sending is never evicted
	clear(closed)
	s = trajectory.NewVoyageStream(trajectory.StreamConfig{Ports: ports, Idle: time.Hour}, mk)
	for _, m := range []uint32{244000001, 244000002, 244000003} {
		for h := 0.0; h < 50; h += 0.01 {
			require.Equal(t, "", s.Push(pos(m, h)))
		}
	}
	s.Flush()
	require.Equal(t, map[uint32]int{244000001: 1, 244000002: 1, 244000003: 1}, closed)
	// vessels 2 and 3: 5000 positions each, 4900 of them (before hour 49) over an hour behind hour 50
	require.Equal(t, 2*4900, s.Stats().Behind)
}

type closeCounter struct {
	mmsi   uint32
	closed map[uint32]int
}

func (c *closeCounter) Depart(int, *trajectory.Point) {}
func (c *closeCounter) Add(*trajectory.Point)         {}
func (c *closeCounter) Arrive(int)                    {}
func (c *closeCounter) Close()                        { c.closed[c.mmsi]++ }

// TestVoyageStreamCountsVesselsOnce: a vessel let go for being idle and
// seen again is taken up afresh but counted once.
func TestVoyageStreamCountsVesselsOnce(t *testing.T) {
	ports, err := trajectory.NewPorts(sim.BuiltinPorts)
	require.NoError(t, err)
	closed := map[uint32]int{}
	s := trajectory.NewVoyageStream(trajectory.StreamConfig{Ports: ports, Idle: time.Hour},
		func(v *trajectory.Vessel) trajectory.VoyageSink { return &closeCounter{mmsi: v.MMSI, closed: closed} })
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	push := func(mmsi uint32, h float64) {
		s.Push(&ais.Position{MMSI: mmsi, Time: at.Add(time.Duration(h * float64(time.Hour))), Lat: 40 + h/100, Lon: -30})
	}
	push(244000001, 0)
	for h := 0.0; h < 5; h += 0.05 {
		push(244000002, h)
	}
	push(244000001, 5) // back after 5 hours
	s.Flush()
	st := s.Stats()
	require.Equal(t, 2, st.Vessels)
	require.Equal(t, 1, st.Evicted)
	require.Equal(t, 2, closed[244000001], "closed when let go, and again at the end")
}
