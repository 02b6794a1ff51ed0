//go:build soak

package sdk

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// The soak (make soak): a simulated feed of many vessels through one
// Manager, pushed from several goroutines, with the heap and the
// goroutines sampled as it runs. It fails when the heap grows over the
// run's second half (a leak) or passes the cap.
var (
	soakUpdates   = flag.Int("soak.updates", 1_000_000, "positions to push")
	soakVessels   = flag.Int("soak.vessels", 10_000, "vessels in the feed")
	soakWorkers   = flag.Int("soak.workers", 4, "goroutines pushing")
	soakCapMB     = flag.Int("soak.cap", 128, "heap cap in MiB (after GC, at every sample)")
	soakStreamsMB = flag.Int("soak.streams", 96, "the manager's memory cap in MiB (ManagerConfig.WithMaxBytes)")
	soakSamples   = flag.Int("soak.samples", 20, "heap samples over the run")
)

// soakVessel is one simulated vessel: sailing between the model's ports,
// stopping in them, sometimes falling silent for hours.
type soakVessel struct {
	mmsi     uint32
	ship     int
	lat, lon float64
	port     int       // the port it sails to, or lies in
	inPort   time.Time // end of the stay (zero while sailing)
	silent   time.Time // end of a silence (zero when reporting)
	sog      float64   // knots
	interval time.Duration
	next     time.Time // next report
	index    int       // in the heap
}

type soakQueue []*soakVessel

func (q soakQueue) Len() int           { return len(q) }
func (q soakQueue) Less(i, j int) bool { return q[i].next.Before(q[j].next) }
func (q soakQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i]; q[i].index, q[j].index = i, j }
func (q *soakQueue) Push(x any)        { v := x.(*soakVessel); v.index = len(*q); *q = append(*q, v) }
func (q *soakQueue) Pop() any          { old := *q; v := old[len(old)-1]; *q = old[:len(old)-1]; return v }

// soakFeed makes one worker's positions in time order.
type soakFeed struct {
	rng   *rand.Rand
	ports []trajectory.Port
	near  [][]int // per port, the four nearest others: voyages of hours, not days
	q     soakQueue
	pos   ais.Position
}

// nearest returns, per port, the indices of the k nearest other ports.
func nearest(ports []trajectory.Port, k int) [][]int {
	out := make([][]int, len(ports))
	for i, p := range ports {
		idx := make([]int, 0, len(ports)-1)
		for j := range ports {
			if j != i {
				idx = append(idx, j)
			}
		}
		dist := func(j int) float64 { return trajectory.Distance(p.Lat, p.Lon, ports[j].Lat, ports[j].Lon) }
		slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(dist(a), dist(b)) })
		out[i] = idx[:min(k, len(idx))]
	}
	return out
}

func newSoakFeed(seed uint64, ports []trajectory.Port, mmsis []uint32, t0 time.Time) *soakFeed {
	f := &soakFeed{rng: rand.New(rand.NewPCG(seed, 7)), ports: ports, near: nearest(ports, 4)}
	for _, m := range mmsis {
		// somewhere along a voyage between two ports, so that voyages are
		// at every stage from the start
		from := f.rng.IntN(len(ports))
		to := f.near[from][f.rng.IntN(len(f.near[from]))]
		a, b, u := ports[from], ports[to], f.rng.Float64()
		v := &soakVessel{mmsi: m, ship: []int{70, 80, 60, 52, 30}[f.rng.IntN(5)],
			lat: a.Lat + u*(b.Lat-a.Lat), lon: a.Lon + u*(b.Lon-a.Lon), port: to,
			sog: 10 + 8*f.rng.Float64(), interval: time.Duration(10+f.rng.IntN(50)) * time.Minute}
		v.next = t0.Add(time.Duration(f.rng.Int64N(int64(v.interval))))
		heap.Push(&f.q, v)
	}
	return f
}

// next returns the next position before end, or nil.
func (f *soakFeed) next(end time.Time) *ais.Position {
	for len(f.q) > 0 && f.q[0].next.Before(end) {
		v := f.q[0]
		at := v.next
		v.next = at.Add(v.interval)
		heap.Fix(&f.q, 0)
		if at.Before(v.silent) {
			continue
		}
		f.move(v, at)
		f.pos = ais.Position{MMSI: v.mmsi, Time: at, Lat: v.lat, Lon: v.lon}
		f.pos.Static.ShipType = ais.Opt[int]{V: v.ship, Valid: true}
		sog := v.sog
		if !v.inPort.IsZero() {
			sog = 0
		}
		f.pos.SOG = ais.Opt[float64]{V: sog, Valid: true}
		switch x := f.rng.IntN(200); x { // junk a real feed carries, one position in 50
		case 0:
			f.pos.MMSI = 2190000 + uint32(f.rng.IntN(100)) // a base station
		case 1:
			f.pos.SOG.V = math.NaN()
		case 2:
			f.pos.Time = at.Add(-time.Hour) // late
		case 3:
			f.pos.Lat += 5 // an impossible jump
		}
		return &f.pos
	}
	return nil
}

// move advances a vessel to time at: sailing toward its port, staying in
// it, then leaving for another (or falling silent for six hours).
func (f *soakFeed) move(v *soakVessel, at time.Time) {
	p := f.ports[v.port]
	if !v.inPort.IsZero() {
		if at.Before(v.inPort) {
			return
		}
		v.inPort, v.port = time.Time{}, f.near[v.port][f.rng.IntN(len(f.near[v.port]))]
		if f.rng.IntN(5) == 0 {
			v.silent = at.Add(6 * time.Hour)
		}
		return
	}
	dLat, dLon := p.Lat-v.lat, p.Lon-v.lon
	dist := math.Hypot(dLat, dLon*math.Cos(v.lat*math.Pi/180)) * 60 // nautical miles, roughly
	step := v.sog * v.interval.Hours()
	if dist <= step {
		v.lat, v.lon = p.Lat+f.rng.NormFloat64()*0.005, p.Lon+f.rng.NormFloat64()*0.005
		v.inPort = at.Add(time.Duration(1+f.rng.IntN(6)) * time.Hour)
		return
	}
	v.lat += dLat * step / dist
	v.lon += dLon * step / dist
}

type soakSample struct {
	updates             int64
	feed                time.Time
	heapMB              float64
	goroutines, vessels int
	streamsMB           float64
	evicted             int64
}

// TestSoak pushes soak.updates positions of soak.vessels vessels through
// one Manager from soak.workers goroutines, in lock step over ten-minute
// windows of feed time (the manager's clock), and samples the heap after
// a GC soak.samples times.
func TestSoak(t *testing.T) {
	d := openWAY(t)
	ports := make([]trajectory.Port, d.Ports().Len())
	for i := range ports {
		ports[i] = d.Ports().At(i)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(t0.UnixNano())
	m, err := d.NewManager(NewManagerConfig().WithIdle(3 * time.Hour).WithMaxBytes(int64(*soakStreamsMB) << 20).
		WithClock(func() time.Time { return time.Unix(0, clock.Load()).UTC() }))
	if err != nil {
		t.Fatal(err)
	}
	workers := *soakWorkers
	feeds := make([]*soakFeed, workers)
	for w := range feeds {
		var mmsis []uint32
		for k := w; k < *soakVessels; k += workers {
			mmsis = append(mmsis, 201000000+uint32(k)*37)
		}
		feeds[w] = newSoakFeed(uint64(w), ports, mmsis, t0)
	}
	ctx := context.Background()
	var pushed, answered, failed atomic.Int64
	runtime.GC()
	baseGoroutines := runtime.NumGoroutine()
	every := int64(*soakUpdates / *soakSamples)
	var samples []soakSample
	sample := func(feed time.Time) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		st := m.Stats()
		var ev int64
		for _, n := range st.Evicted {
			ev += n
		}
		s := soakSample{updates: pushed.Load(), feed: feed, heapMB: float64(ms.HeapAlloc) / (1 << 20), goroutines: runtime.NumGoroutine(),
			vessels: st.Vessels, streamsMB: float64(st.Bytes) / (1 << 20), evicted: ev}
		samples = append(samples, s)
		t.Logf("%9d updates  feed %s  heap %6.1f MiB (streams %6.1f, rest %5.1f)  goroutines %d  vessels %5d  evicted %d",
			s.updates, feed.Format("01-02 15:04"), s.heapMB, s.streamsMB, s.heapMB-s.streamsMB, s.goroutines, s.vessels, s.evicted)
	}
	start := time.Now()
	next := every
	for window := t0.Add(10 * time.Minute); pushed.Load() < int64(*soakUpdates); window = window.Add(10 * time.Minute) {
		clock.Store(window.UnixNano())
		var wg sync.WaitGroup
		for _, f := range feeds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := f.next(window); p != nil; p = f.next(window) {
					if pushed.Add(1) > int64(*soakUpdates) {
						return
					}
					_, err := m.Push(ctx, p)
					switch {
					case err == nil:
						answered.Add(1)
					case !errors.Is(err, ErrNoVoyage):
						failed.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if pushed.Load() >= next {
			sample(window)
			next += every
		}
	}
	elapsed := time.Since(start)
	st := m.Stats()
	t.Logf("%d updates in %v (%.0f per second on %d goroutines), %d answered, %d failed; %d vessels held at most; evicted %v",
		*soakUpdates, elapsed.Round(time.Second), float64(*soakUpdates)/elapsed.Seconds(), workers, answered.Load(), failed.Load(), st.Peak, st.Evicted)
	if failed.Load() > 0 {
		t.Errorf("%d pushes failed", failed.Load())
	}
	if answered.Load() < int64(*soakUpdates)/2 {
		t.Errorf("only %d of %d pushes answered", answered.Load(), *soakUpdates)
	}
	// flat: over the second half, the heap's least-squares trend is under 5% of its mean
	half := samples[len(samples)/2:]
	var sx, sy, sxx, sxy float64
	for _, s := range half {
		x, y := float64(s.updates)/1e6, s.heapMB
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	n := float64(len(half))
	slope := (n*sxy - sx*sy) / (n*sxx - sx*sx) // MiB per million updates
	mean := sy / n
	span := float64(half[len(half)-1].updates-half[0].updates) / 1e6
	t.Logf("second half: heap mean %.1f MiB, trend %+.2f MiB per million updates (%+.1f%% over the half); cap %d MiB",
		mean, slope, 100*slope*span/mean, *soakCapMB)
	if slope*span > 0.05*mean {
		t.Errorf("the heap grows: %+.1f MiB over the second half (mean %.1f MiB)", slope*span, mean)
	}
	for _, s := range samples {
		if s.heapMB > float64(*soakCapMB) {
			t.Errorf("heap %.1f MiB at %d updates, over the cap of %d MiB", s.heapMB, s.updates, *soakCapMB)
		}
		if s.goroutines > baseGoroutines+1 {
			t.Errorf("%d goroutines at %d updates, %d at the start", s.goroutines, s.updates, baseGoroutines)
		}
	}
	fmt.Println() // the samples above are the record (docs/RELIABILITY.md)
}
