package sdk

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// Reasons a Manager lets a vessel's stream go (Eviction.Reason).
const (
	EvictIdle    = "idle"    // nothing pushed for ManagerConfig.WithIdle
	EvictMemory  = "memory"  // the streams' memory went over ManagerConfig.WithMaxBytes: least recently pushed first
	EvictVessels = "vessels" // a new vessel came with ManagerConfig.WithMaxVessels held: least recently pushed first
	EvictRemoved = "removed" // Manager.Remove
)

// Defaults of ManagerConfig.
const (
	// DefaultManagerIdle is how long a vessel may send nothing before its
	// stream is let go: 24 hours.
	DefaultManagerIdle = 24 * time.Hour
	// DefaultManagerBytes caps the streams' estimated memory: 512 MiB.
	DefaultManagerBytes = 512 << 20
	// DefaultManagerVessels caps the vessels held: 100,000.
	DefaultManagerVessels = 100_000
)

// Eviction reports a stream a Manager let go.
type Eviction struct {
	MMSI   uint32
	Reason string    // an Evict* constant
	Last   time.Time // the manager's clock at the vessel's last push
	Bytes  int       // the stream's estimated memory
}

// ManagerConfig configures a Manager. It is immutable: With* methods
// return a changed copy; NewManager refuses values out of range.
type ManagerConfig struct {
	idle       time.Duration
	maxBytes   int64
	maxVessels int
	clock      func() time.Time
	onEvict    func(Eviction)
}

// NewManagerConfig returns the defaults: streams idle for
// DefaultManagerIdle let go, at most DefaultManagerBytes of streams and
// DefaultManagerVessels vessels, the wall clock, no eviction callback.
func NewManagerConfig() ManagerConfig {
	return ManagerConfig{idle: DefaultManagerIdle, maxBytes: DefaultManagerBytes, maxVessels: DefaultManagerVessels, clock: time.Now}
}

// WithIdle sets how long, on the manager's clock, a vessel may send
// nothing before its stream is let go (default DefaultManagerIdle; 0 or
// less: never). A vessel seen again starts afresh, as after a restart.
func (c ManagerConfig) WithIdle(d time.Duration) ManagerConfig { c.idle = d; return c }

// WithMaxBytes caps the streams' estimated memory (Stream.Bytes plus a
// small per-vessel overhead); over it the least recently pushed streams
// are let go (default DefaultManagerBytes, at least 1 MiB).
func (c ManagerConfig) WithMaxBytes(n int64) ManagerConfig { c.maxBytes = n; return c }

// WithMaxVessels caps the vessels held; a new vessel beyond it lets the
// least recently pushed go (default DefaultManagerVessels, at least 1).
func (c ManagerConfig) WithMaxVessels(n int) ManagerConfig { c.maxVessels = n; return c }

// WithClock sets the clock idle time is measured on (default time.Now,
// for live feeds: a position's own timestamp, which junk can put years
// ahead, never moves it). A replay of an archive passes the time of the
// input it has read. nil restores the default.
func (c ManagerConfig) WithClock(now func() time.Time) ManagerConfig {
	if now == nil {
		now = time.Now
	}
	c.clock = now
	return c
}

// WithOnEvict sets a function called with every stream let go, after the
// manager's lock is released, from the goroutine whose call let it go.
func (c ManagerConfig) WithOnEvict(fn func(Eviction)) ManagerConfig { c.onEvict = fn; return c }

// ManagerStats accounts for what a Manager did.
type ManagerStats struct {
	Vessels  int              // vessels held now
	Peak     int              // most vessels held at once
	Bytes    int64            // estimated memory of the streams held now
	Pushed   int64            // positions pushed
	Answered int64            // pushes answered with a prediction
	NoVoyage int64            // pushes answered ErrNoVoyage (in port, too few positions)
	NotShip  int64            // positions of MMSIs that are no ship's (base stations, aids to navigation), refused without a stream
	Failed   int64            // pushes answered with another error
	Dropped  int64            // positions cleaning dropped (late, duplicate, impossible, off the globe)
	Evicted  map[string]int64 // streams let go, by Evict* reason
}

// Manager holds the prediction streams of many vessels, keyed by MMSI,
// for a live feed: positions of any vessel go to Push, which makes a
// stream for a vessel it has not seen. It bounds what it holds: a vessel
// idle for ManagerConfig.WithIdle is let go, and the least recently
// pushed vessels are let go when the streams' estimated memory goes over
// ManagerConfig.WithMaxBytes or a new vessel comes with
// ManagerConfig.WithMaxVessels held; each eviction is counted and
// reported (WithOnEvict). Positions of MMSIs that are not ships'
// (base stations, aids to navigation) are refused with ErrNoVoyage without
// taking memory.
//
// A Manager is safe for concurrent use: pushes of different vessels run
// in parallel, pushes of one vessel one at a time (in the order they take
// its lock: push one vessel's positions from one goroutine, in time
// order, or late ones are dropped).
type Manager struct {
	d   *Destinations
	cfg ManagerConfig

	mu         sync.Mutex
	vessels    map[uint32]*entry
	head, tail *entry // most and least recently pushed
	bytes      int64
	sweepAt    time.Time
	stats      ManagerStats
}

// entry is one vessel's stream in a Manager's list, most recent first.
type entry struct {
	mu         sync.Mutex // held while the stream is pushed
	s          *Stream
	gone       atomic.Bool // let go: a push that finds it so starts afresh
	prev, next *entry      // guarded by Manager.mu, as are the fields below
	bytes      int
	last       time.Time // the manager's clock at the last push
}

// entryBytes is what the manager holds per vessel besides its stream: the
// entry and its share of the map.
const entryBytes = int(unsafe.Sizeof(entry{})) + 48

// NewManager returns a stream manager of the predictor's vessels.
func (d *Destinations) NewManager(cfg ManagerConfig) (*Manager, error) {
	if cfg.maxBytes < 1<<20 || cfg.maxVessels < 1 {
		return nil, fmt.Errorf("%w: manager max bytes %d (at least 1 MiB), max vessels %d (at least 1)", ErrLimit, cfg.maxBytes, cfg.maxVessels)
	}
	if cfg.clock == nil {
		cfg.clock = time.Now
	}
	return &Manager{d: d, cfg: cfg, vessels: map[uint32]*entry{}, stats: ManagerStats{Evicted: map[string]int64{}}}, nil
}

// Push takes a position of any vessel and returns that vessel's updated
// prediction, or ErrNoVoyage while it is in port, before its voyage holds
// two usable positions, or when its MMSI is no ship's. The position is
// only read during the call.
func (m *Manager) Push(ctx context.Context, p *ais.Position) (*Prediction, error) {
	if !trajectory.ValidShipMMSI(p.MMSI) {
		m.mu.Lock()
		m.stats.Pushed++
		m.stats.NotShip++
		m.mu.Unlock()
		return nil, fmt.Errorf("%w: MMSI %d is not a ship station", ErrNoVoyage, p.MMSI)
	}
	var evicted []Eviction
	defer func() { m.report(evicted) }()
	for {
		m.mu.Lock()
		now := m.cfg.clock()
		e, err := m.take(p, now, &evicted)
		m.mu.Unlock()
		if err != nil {
			return nil, err
		}
		e.mu.Lock()
		if e.gone.Load() { // let go since take: start afresh
			e.mu.Unlock()
			continue
		}
		before := e.s.Dropped()
		pred, err := e.s.Push(ctx, p)
		dropped, bytes := e.s.Dropped()-before, e.s.Bytes()+entryBytes
		e.mu.Unlock()

		m.mu.Lock()
		m.stats.Pushed++
		m.stats.Dropped += int64(dropped)
		switch {
		case err == nil:
			m.stats.Answered++
		case errors.Is(err, ErrNoVoyage):
			m.stats.NoVoyage++
		default:
			m.stats.Failed++
		}
		if !e.gone.Load() {
			m.bytes += int64(bytes - e.bytes)
			e.bytes = bytes
		}
		for m.bytes > m.cfg.maxBytes && m.tail != nil {
			evicted = append(evicted, m.evict(m.tail, EvictMemory))
		}
		m.mu.Unlock()
		return pred, err
	}
}

// take returns the entry of p's vessel, made when it is new, as the most
// recent; it lets idle vessels go first. m.mu is held.
func (m *Manager) take(p *ais.Position, now time.Time, evicted *[]Eviction) (*entry, error) {
	if m.cfg.idle > 0 && !now.Before(m.sweepAt) {
		m.sweep(now, evicted)
	}
	e := m.vessels[p.MMSI]
	if e == nil {
		s, err := m.d.NewStream(p.MMSI, p.Static.ShipType)
		if err != nil {
			return nil, err
		}
		for len(m.vessels) >= m.cfg.maxVessels && m.tail != nil {
			*evicted = append(*evicted, m.evict(m.tail, EvictVessels))
		}
		e = &entry{s: s, bytes: s.Bytes() + entryBytes}
		m.vessels[p.MMSI] = e
		m.bytes += int64(e.bytes)
		m.stats.Peak = max(m.stats.Peak, len(m.vessels))
	} else {
		m.unlink(e)
	}
	e.last = now
	m.pushFront(e)
	return e, nil
}

// sweep lets go the vessels whose last push is older than the idle time,
// from the least recent. m.mu is held.
func (m *Manager) sweep(now time.Time, evicted *[]Eviction) {
	cut := now.Add(-m.cfg.idle)
	for m.tail != nil && m.tail.last.Before(cut) {
		*evicted = append(*evicted, m.evict(m.tail, EvictIdle))
	}
	m.sweepAt = now.Add(max(m.cfg.idle/16, time.Second))
}

// EvictIdle lets go, now, the vessels idle for longer than the idle time
// on the manager's clock (Push does so as it goes; call this when the
// feed may fall silent). It returns how many it let go.
func (m *Manager) EvictIdle() int {
	if m.cfg.idle <= 0 {
		return 0
	}
	var evicted []Eviction
	m.mu.Lock()
	m.sweep(m.cfg.clock(), &evicted)
	m.mu.Unlock()
	m.report(evicted)
	return len(evicted)
}

// Remove lets a vessel's stream go; it reports whether the manager held
// one.
func (m *Manager) Remove(mmsi uint32) bool {
	var evicted []Eviction
	m.mu.Lock()
	if e := m.vessels[mmsi]; e != nil {
		evicted = append(evicted, m.evict(e, EvictRemoved))
	}
	m.mu.Unlock()
	m.report(evicted)
	return len(evicted) > 0
}

// evict lets e go. m.mu is held.
func (m *Manager) evict(e *entry, reason string) Eviction {
	m.unlink(e)
	e.gone.Store(true)
	delete(m.vessels, e.s.mmsi)
	m.bytes -= int64(e.bytes)
	m.stats.Evicted[reason]++
	return Eviction{MMSI: e.s.mmsi, Reason: reason, Last: e.last, Bytes: e.bytes}
}

func (m *Manager) report(evicted []Eviction) {
	if m.cfg.onEvict == nil {
		return
	}
	for _, ev := range evicted {
		m.cfg.onEvict(ev)
	}
}

func (m *Manager) pushFront(e *entry) {
	e.prev, e.next = nil, m.head
	if m.head != nil {
		m.head.prev = e
	}
	m.head = e
	if m.tail == nil {
		m.tail = e
	}
}

func (m *Manager) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else if m.head == e {
		m.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else if m.tail == e {
		m.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

// Len returns the number of vessels held.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.vessels)
}

// Stats returns the accounting so far.
func (m *Manager) Stats() ManagerStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.stats
	st.Vessels, st.Bytes = len(m.vessels), m.bytes
	st.Evicted = make(map[string]int64, len(m.stats.Evicted))
	for k, v := range m.stats.Evicted {
		st.Evicted[k] = v
	}
	return st
}
