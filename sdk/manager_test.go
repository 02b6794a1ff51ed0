package sdk

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/stretchr/testify/require"
)

// feedOf merges tracks into one feed in time order, with positions of
// stations that are not ships (a base station, an aid to navigation)
// between them, as real feeds carry.
func feedOf(tracks []*trajectory.Track) []ais.Position {
	var out []ais.Position
	for _, tr := range tracks {
		out = append(out, trackPositions(tr)...)
	}
	sortByTime(out)
	var feed []ais.Position
	for i, p := range out {
		feed = append(feed, p)
		if i%50 == 0 {
			feed = append(feed, ais.Position{MMSI: 2442001, Time: p.Time, Lat: 51.9, Lon: 4.1}, // base station
				ais.Position{MMSI: 992441234, Time: p.Time, Lat: 51.95, Lon: 4.05}) // aid to navigation
		}
	}
	return feed
}

type answer struct {
	pred *Prediction
	err  error
}

// serialAnswers pushes a feed through one Stream per vessel.
func serialAnswers(t testing.TB, d *Destinations, feed []ais.Position) []answer {
	ctx := context.Background()
	streams := map[uint32]*Stream{}
	out := make([]answer, len(feed))
	for i := range feed {
		p := &feed[i]
		s := streams[p.MMSI]
		if s == nil {
			var err error
			if s, err = d.NewStream(p.MMSI, p.Static.ShipType); err != nil {
				out[i].err = err
				continue
			}
			streams[p.MMSI] = s
		}
		out[i].pred, out[i].err = s.Push(ctx, p)
	}
	return out
}

func requireSameAnswer(t testing.TB, want, got answer, i int) {
	t.Helper()
	if want.err != nil {
		require.Error(t, got.err, "position %d", i)
		require.Equal(t, errors.Is(want.err, ErrNoVoyage), errors.Is(got.err, ErrNoVoyage), "position %d: %v / %v", i, want.err, got.err)
		return
	}
	require.NoError(t, got.err, "position %d", i)
	require.Equal(t, want.pred, got.pred, "position %d", i)
}

// TestManagerMatchesStreams: a manager with room for every vessel answers
// each position of a feed as one Stream per vessel does, refuses the
// positions of stations that are not ships without holding them, and
// accounts for every push.
func TestManagerMatchesStreams(t *testing.T) {
	d := openWAY(t)
	feed := feedOf(simTracks(t, 21, 10, 4))
	want := serialAnswers(t, d, feed)
	m, err := d.NewManager(NewManagerConfig())
	require.NoError(t, err)
	ctx := context.Background()
	notShip := 0
	for i := range feed {
		pred, err := m.Push(ctx, &feed[i])
		requireSameAnswer(t, want[i], answer{pred, err}, i)
		if !trajectory.ValidShipMMSI(feed[i].MMSI) {
			notShip++
		}
	}
	st := m.Stats()
	require.Equal(t, 10, st.Vessels)
	require.Equal(t, int64(len(feed)), st.Pushed)
	require.Equal(t, int64(notShip), st.NotShip)
	require.Equal(t, st.Pushed, st.Answered+st.NoVoyage+st.Failed+st.NotShip)
	require.Zero(t, st.Failed)
	require.Greater(t, st.Answered, int64(len(feed)/2))
	require.Empty(t, st.Evicted)
	require.Positive(t, st.Bytes)
	// Remove lets a vessel go
	require.True(t, m.Remove(feed[0].MMSI))
	require.False(t, m.Remove(feed[0].MMSI))
	require.Equal(t, 9, m.Len())
}

// TestManagerEvictsLeastRecent: with room for three vessels, a fourth
// lets the least recently pushed go; the callback and the stats report it.
func TestManagerEvictsLeastRecent(t *testing.T) {
	d := openWAY(t)
	var got []Eviction
	m, err := d.NewManager(NewManagerConfig().WithMaxVessels(3).WithOnEvict(func(e Eviction) { got = append(got, e) }))
	require.NoError(t, err)
	ctx := context.Background()
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	push := func(mmsi uint32, k int) {
		_, err := m.Push(ctx, &ais.Position{MMSI: mmsi, Time: t0.Add(time.Duration(k) * time.Minute), Lat: 45, Lon: -20 + 0.01*float64(k)})
		require.True(t, err == nil || errors.Is(err, ErrNoVoyage), "%v", err)
	}
	push(244000001, 0)
	push(244000002, 1)
	push(244000003, 2)
	push(244000001, 3) // 1 is now the most recent: 2 the least
	push(244000004, 4)
	require.Equal(t, []uint32{244000002}, mmsis(got))
	require.Equal(t, EvictVessels, got[0].Reason)
	push(244000005, 5)
	require.Equal(t, []uint32{244000002, 244000003}, mmsis(got))
	require.Equal(t, 3, m.Len())
	require.Equal(t, map[string]int64{EvictVessels: 2}, m.Stats().Evicted)
}

func mmsis(es []Eviction) []uint32 {
	var out []uint32
	for _, e := range es {
		out = append(out, e.MMSI)
	}
	return out
}

// TestManagerMemoryCap: under a 1 MiB cap, a fleet of 400 vessels whose
// streams need more keeps the estimate under the cap after every push, letting the
// least recently pushed go for memory.
func TestManagerMemoryCap(t *testing.T) {
	d := openWAY(t)
	var evicted []Eviction
	const limit = 1 << 20
	m, err := d.NewManager(NewManagerConfig().WithMaxBytes(limit).WithOnEvict(func(e Eviction) { evicted = append(evicted, e) }))
	require.NoError(t, err)
	ctx := context.Background()
	feed := trackFeeds(simTracks(t, 22, 50, 0.5), 8) // 400 vessels
	sortByTime(feed)
	held := 0
	for i := range feed {
		_, err := m.Push(ctx, &feed[i])
		require.True(t, err == nil || errors.Is(err, ErrNoVoyage), "%v", err)
		m.mu.Lock()
		bytes, n := m.bytes, len(m.vessels)
		m.mu.Unlock()
		require.LessOrEqual(t, bytes, int64(limit))
		held = max(held, n)
	}
	require.NotEmpty(t, evicted)
	for _, e := range evicted {
		require.Equal(t, EvictMemory, e.Reason)
		require.Positive(t, e.Bytes)
	}
	st := m.Stats()
	require.Equal(t, int64(len(evicted)), st.Evicted[EvictMemory])
	t.Logf("%d vessels at most, %d evictions, %d bytes held", held, len(evicted), st.Bytes)
}

// TestManagerIdle: a vessel that sent nothing for longer than the idle
// time on the manager's clock is let go at the next push (or EvictIdle);
// a position's own timestamp, years ahead, moves nothing.
func TestManagerIdle(t *testing.T) {
	d := openWAY(t)
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var evicted []Eviction
	m, err := d.NewManager(NewManagerConfig().WithIdle(time.Hour).WithClock(func() time.Time { return now }).
		WithOnEvict(func(e Eviction) { evicted = append(evicted, e) }))
	require.NoError(t, err)
	ctx := context.Background()
	push := func(mmsi uint32, at time.Time) {
		_, err := m.Push(ctx, &ais.Position{MMSI: mmsi, Time: at, Lat: 45, Lon: -20})
		require.True(t, err == nil || errors.Is(err, ErrNoVoyage), "%v", err)
	}
	push(244000001, now)
	push(244000002, now.AddDate(30, 0, 0)) // junk: thirty years ahead
	require.Empty(t, evicted, "a timestamp in the future evicts nobody")
	now = now.Add(30 * time.Minute)
	push(244000002, now)
	now = now.Add(40 * time.Minute)
	push(244000003, now) // vessel 1 has been silent for 70 minutes
	require.Equal(t, []uint32{244000001}, mmsis(evicted))
	require.Equal(t, EvictIdle, evicted[0].Reason)
	now = now.Add(2 * time.Hour)
	require.Equal(t, 2, m.EvictIdle())
	got := mmsis(evicted)
	slices.Sort(got)
	require.Equal(t, []uint32{244000001, 244000002, 244000003}, got)
	require.Zero(t, m.Len())
	require.Zero(t, m.Stats().Bytes)

	_, err = d.NewManager(NewManagerConfig().WithMaxBytes(1000))
	require.ErrorIs(t, err, ErrLimit)
	_, err = d.NewManager(NewManagerConfig().WithMaxVessels(0))
	require.ErrorIs(t, err, ErrLimit)
}
