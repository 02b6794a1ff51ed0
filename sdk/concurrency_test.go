package sdk

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/stretchr/testify/require"
)

// The tests below share one model among many goroutines (run them with
// -race) and compare every answer with the serial one.

const goroutines = 6

// parallel runs fn(g) on goroutines goroutines and waits.
func parallel(fn func(g int)) {
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(g)
		}()
	}
	wg.Wait()
}

// TestConcurrentPredict: Predict, PredictAll and PredictReader on one
// shared model (single- and multi-threaded predictors) give the serial
// answers.
func TestConcurrentPredict(t *testing.T) {
	m, err := Open(filepath.Join(testdata, "models", "way-demo.portolan"))
	require.NoError(t, err)
	tracks := simTracks(t, 31, 12, 4)
	feed := feedOf(tracks)
	ctx := context.Background()
	serial, err := m.Destinations(NewConfig().WithTopK(3))
	require.NoError(t, err)
	want := make([]*Prediction, len(tracks))
	for i, tr := range tracks {
		want[i], _ = serial.Predict(ctx, tr)
	}
	wantAll, err := serial.PredictAll(ctx, &sliceReader{ps: feed}, nil)
	require.NoError(t, err)
	wantReader, _, err := serial.PredictReader(ctx, &sliceReader{ps: feed}, IngestConfig{}, nil)
	require.NoError(t, err)
	shared, err := m.Destinations(NewConfig().WithTopK(3).WithThreads(2))
	require.NoError(t, err)
	for _, d := range []*Destinations{serial, shared} {
		errs := make(chan error, goroutines*len(tracks))
		parallel(func(g int) {
			for k := range tracks {
				i := (k + g) % len(tracks) // each goroutine starts elsewhere
				got, err := d.Predict(ctx, tracks[i])
				if (err == nil) != (want[i] != nil) {
					errs <- err
					continue
				}
				if err == nil && !samePrediction(want[i], got) {
					errs <- errors.New("prediction differs")
				}
			}
			switch g % 2 {
			case 0:
				got, err := d.PredictAll(ctx, &sliceReader{ps: feed}, nil)
				if err != nil || !sameResults(wantAll, got) {
					errs <- errors.New("PredictAll differs")
				}
			default:
				got, _, err := d.PredictReader(ctx, &sliceReader{ps: feed}, IngestConfig{}, nil)
				if err != nil || !sameResults(wantReader, got) {
					errs <- errors.New("PredictReader differs")
				}
			}
		})
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}
}

func samePrediction(a, b *Prediction) bool {
	if a.MMSI != b.MMSI || a.Departure != b.Departure || !a.Depart.Equal(b.Depart) || !a.At.Equal(b.At) ||
		a.Cells != b.Cells || a.ETAHours != b.ETAHours || len(a.Top) != len(b.Top) {
		return false
	}
	for i := range a.Top {
		if a.Top[i] != b.Top[i] {
			return false
		}
	}
	return true
}

func sameResults(a, b []VesselResult) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].MMSI != b[i].MMSI || (a[i].Err == nil) != (b[i].Err == nil) {
			return false
		}
		if a[i].Err == nil && !samePrediction(a[i].Prediction, b[i].Prediction) {
			return false
		}
	}
	return true
}

// TestConcurrentForecast: Forecast and ForecastSeries on one shared
// forecaster (1 and 3 threads) give the serial answers.
func TestConcurrentForecast(t *testing.T) {
	f, set := tdSeries(t)
	ctx := context.Background()
	series := make([]Series, len(set.IDs))
	plain := make([][]float32, len(set.IDs))
	for i, id := range set.IDs {
		series[i] = Series{Key: SeriesKey(id), Values: set.Series(i)}
		plain[i] = set.Series(i)
	}
	want, err := f.ForecastSeries(ctx, series)
	require.NoError(t, err)
	wantPlain, err := f.Forecast(ctx, plain)
	require.NoError(t, err)
	m, err := Open(filepath.Join(testdata, "models", "td-demo.portolan"))
	require.NoError(t, err)
	threaded, err := m.Forecaster(NewConfig().WithSamples(8).WithThreads(3))
	require.NoError(t, err)
	for _, fc := range []*Forecaster{f, threaded} {
		errs := make(chan error, 2*goroutines)
		parallel(func(g int) {
			got, err := fc.ForecastSeries(ctx, series)
			if err != nil || !equalForecasts(want, got) {
				errs <- errors.New("ForecastSeries differs")
			}
			got, err = fc.Forecast(ctx, plain)
			if err != nil || !equalForecasts(wantPlain, got) {
				errs <- errors.New("Forecast differs")
			}
		})
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}
}

func equalForecasts(a, b []Forecast) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Summary != b[i].Summary || a[i].Lo90 != b[i].Lo90 || a[i].Hi90 != b[i].Hi90 {
			return false
		}
		for s := range a[i].Samples {
			if a[i].Samples[s] != b[i].Samples[s] || a[i].SampleVar[s] != b[i].SampleVar[s] {
				return false
			}
		}
	}
	return true
}

// TestConcurrentStreamsAndManager: streams of one shared predictor on
// many goroutines, and one Manager fed by many goroutines (each its own
// vessels, in time order), answer every position as serial streams do.
func TestConcurrentStreamsAndManager(t *testing.T) {
	d := openWAY(t)
	ctx := context.Background()
	tracks := simTracks(t, 32, 12, 3)
	feed := feedOf(tracks)
	want := serialAnswers(t, d, feed)
	// each goroutine takes the vessels whose MMSI falls to it
	owner := func(mmsi uint32) int { return int(mmsi % goroutines) }

	got := make([]answer, len(feed))
	parallel(func(g int) {
		streams := map[uint32]*Stream{}
		for i := range feed {
			p := &feed[i]
			if owner(p.MMSI) != g {
				continue
			}
			s := streams[p.MMSI]
			if s == nil {
				var err error
				if s, err = d.NewStream(p.MMSI, p.Static.ShipType); err != nil {
					got[i].err = err
					continue
				}
				streams[p.MMSI] = s
			}
			got[i].pred, got[i].err = s.Push(ctx, p)
		}
	})
	for i := range feed {
		requireSameAnswer(t, want[i], got[i], i)
	}

	m, err := d.NewManager(NewManagerConfig())
	require.NoError(t, err)
	got = make([]answer, len(feed))
	var stats sync.WaitGroup
	stats.Add(1)
	stop := make(chan struct{})
	go func() { // a reader of the stats while pushes run
		defer stats.Done()
		for {
			select {
			case <-stop:
				return
			default:
				_ = m.Stats()
				_ = m.Len()
				m.EvictIdle()
			}
		}
	}()
	parallel(func(g int) {
		for i := range feed {
			if owner(feed[i].MMSI) == g {
				got[i].pred, got[i].err = m.Push(ctx, &feed[i])
			}
		}
	})
	close(stop)
	stats.Wait()
	for i := range feed {
		requireSameAnswer(t, want[i], got[i], i)
	}
	st := m.Stats()
	require.Equal(t, int64(len(feed)), st.Pushed)
	require.Equal(t, len(tracks), st.Vessels)
}

// TestConcurrentManagerUnderPressure: many goroutines push into a manager
// whose memory cap and vessel cap keep evicting; nothing races, the
// accounting adds up and the estimate stays under the cap.
func TestConcurrentManagerUnderPressure(t *testing.T) {
	d := openWAY(t)
	const limit = 1 << 20
	m, err := d.NewManager(NewManagerConfig().WithMaxBytes(limit).WithMaxVessels(40))
	require.NoError(t, err)
	feed := feedOf(simTracks(t, 33, 60, 2))
	ctx := context.Background()
	parallel(func(g int) {
		for i := g; i < len(feed); i += goroutines { // one vessel's positions on several goroutines: late ones are dropped
			_, err := m.Push(ctx, &feed[i])
			if err != nil && !errors.Is(err, ErrNoVoyage) {
				t.Errorf("push %d: %v", i, err)
				return
			}
		}
	})
	st := m.Stats()
	require.Equal(t, int64(len(feed)), st.Pushed)
	require.Equal(t, st.Pushed, st.Answered+st.NoVoyage+st.Failed+st.NotShip)
	require.LessOrEqual(t, st.Bytes, int64(limit))
	require.LessOrEqual(t, st.Vessels, 40)
	require.Positive(t, st.Evicted[EvictVessels]+st.Evicted[EvictMemory])
	var sum int64
	m.mu.Lock()
	for _, e := range m.vessels {
		sum += int64(e.bytes)
	}
	m.mu.Unlock()
	require.Equal(t, st.Bytes, sum, "the running total is the sum of the vessels held")
}

// TestCancellation: a context cancelled in the middle of a call stops
// PredictAll (while reading and between batches), PredictReader (while
// reading) and ForecastSeries (between batches) with the context's error at
// their next check, without running the rest of the input; streams and
// the manager refuse a done context. The cancellations are triggered by
// the calls' own progress, never by a clock, so a loaded machine changes
// nothing.
func TestCancellation(t *testing.T) {
	d := openWAY(t)
	tracks := simTracks(t, 34, 40, 2)
	many := trackFeeds(tracks, 10) // 400 vessels

	// cancelled as the first batch of vessels finishes: the other batches never run
	ctx, cancel := context.WithCancel(context.Background())
	done := 0
	_, err := d.PredictAll(ctx, &sliceReader{ps: many}, func(n, total int) {
		done = n
		cancel()
	})
	require.ErrorIs(t, err, context.Canceled)
	require.LessOrEqual(t, done, 2*predictAllBatch, "PredictAll stopped after %d of 400 vessels", done)

	// cancelled while the positions are read: reading stops at the next
	// check (every 4096 positions)
	for name, run := range map[string]func(ctx context.Context, r ais.PositionReader) error{
		"PredictAll": func(ctx context.Context, r ais.PositionReader) error {
			_, err := d.PredictAll(ctx, r, nil)
			return err
		},
		"PredictReader": func(ctx context.Context, r ais.PositionReader) error {
			_, _, err := d.PredictReader(ctx, r, IngestConfig{}, nil)
			return err
		},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		r := &cancellingReader{sliceReader: sliceReader{ps: many}, after: 5000, cancel: cancel}
		require.ErrorIs(t, run(ctx, r), context.Canceled, name)
		require.LessOrEqual(t, r.read, 5000+4096, "%s read %d of %d positions", name, r.read, len(many))
		cancel()
	}

	// ForecastSeries checks between batches of forecastBatch series: cancelled
	// at its third check, it returns there (two batches of 63 run)
	f, set := tdSeries(t)
	var series []Series
	for k := 0; k < 4000; k++ {
		series = append(series, Series{Key: uint64(k), Values: set.Series(k % len(set.IDs))})
	}
	cc := newCheckCtx(3)
	_, err = f.ForecastSeries(cc, series)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, int64(3), cc.checks.Load(), "ForecastSeries went on after its context was done")

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	require.Greater(t, len(many), 5000+4096)
	m, err := d.NewManager(NewManagerConfig())
	require.NoError(t, err)
	_, err = m.Push(ctx, &many[0])
	require.ErrorIs(t, err, context.Canceled)
	_, err = d.Predict(ctx, tracks[0])
	require.ErrorIs(t, err, context.Canceled)
	s, err := d.NewStream(many[0].MMSI, many[0].Static.ShipType)
	require.NoError(t, err)
	_, err = s.Push(ctx, &many[0])
	require.ErrorIs(t, err, context.Canceled)
	_, err = f.Forecast(ctx, [][]float32{set.Series(0)})
	require.ErrorIs(t, err, context.Canceled)
}

// TestCancellationConcurrent: goroutines sharing one forecaster and one
// predictor, half of them cancelled part way through their call; the
// cancelled ones get the context's error, the others the serial answers.
func TestCancellationConcurrent(t *testing.T) {
	m, err := Open(filepath.Join(testdata, "models", "td-lstm-mc-td.portolan"))
	require.NoError(t, err)
	f, err := m.Forecaster(NewConfig().WithSamples(8))
	require.NoError(t, err)
	series := randomSeries(forecastBatch+8, f.Steps()*f.Features()) // two batches
	d := openWAY(t)
	feed := trackFeeds(simTracks(t, 35, 12, 1), 2) // two batches of vessels
	ctx := context.Background()
	want, err := f.ForecastSeries(ctx, series)
	require.NoError(t, err)
	wantAll, err := d.PredictAll(ctx, &sliceReader{ps: feed}, nil)
	require.NoError(t, err)
	errs := make(chan error, 2*goroutines)
	parallel(func(g int) {
		if g%2 == 1 { // cancelled at the second check
			if _, err := f.ForecastSeries(newCheckCtx(2), series); !errors.Is(err, context.Canceled) {
				errs <- fmt.Errorf("cancelled ForecastSeries: %v", err)
			}
			ctx, cancel := context.WithCancel(ctx)
			if _, err := d.PredictAll(ctx, &sliceReader{ps: feed}, func(int, int) { cancel() }); !errors.Is(err, context.Canceled) {
				errs <- fmt.Errorf("cancelled PredictAll: %v", err)
			}
			return
		}
		got, err := f.ForecastSeries(ctx, series)
		if err != nil || !equalForecasts(want, got) {
			errs <- fmt.Errorf("ForecastSeries beside cancelled calls: %v", err)
		}
		gotAll, err := d.PredictAll(ctx, &sliceReader{ps: feed}, nil)
		if err != nil || !sameResults(wantAll, gotAll) {
			errs <- fmt.Errorf("PredictAll beside cancelled calls: %v", err)
		}
	})
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// checkCtx is a context that cancels itself at its n-th Err check and
// counts the checks: a cancellation at a known point of a call, with no
// clock involved.
type checkCtx struct {
	context.Context
	cancel func()
	left   atomic.Int64
	checks atomic.Int64
}

func newCheckCtx(n int64) *checkCtx {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkCtx{Context: ctx, cancel: cancel}
	c.left.Store(n)
	return c
}

func (c *checkCtx) Err() error {
	c.checks.Add(1)
	if c.left.Add(-1) == 0 {
		c.cancel()
	}
	return c.Context.Err()
}

// cancellingReader cancels its context after reading `after` positions
// and counts what it hands out.
type cancellingReader struct {
	sliceReader
	after, read int
	cancel      func()
}

func (r *cancellingReader) Next() (*ais.Position, error) {
	if r.read++; r.read == r.after {
		r.cancel()
	}
	return r.sliceReader.Next()
}

// trackFeeds repeats the tracks n times under distinct MMSIs (for a
// PredictAll long enough to be cancelled).
func trackFeeds(tracks []*trajectory.Track, n int) []ais.Position {
	var base []ais.Position
	for _, tr := range tracks {
		base = append(base, trackPositions(tr)...)
	}
	out := make([]ais.Position, 0, n*len(base))
	for k := 0; k < n; k++ {
		for _, p := range base {
			p.MMSI = 201000000 + uint32(k)*1000 + p.MMSI%1000
			out = append(out, p)
		}
	}
	return out
}

// TestConcurrentKinds: every TD kind on both backbones, and a model with
// compact f16 and int8 weights (TD and WAY), shared by many goroutines on
// several threads, gives the serial answers.
func TestConcurrentKinds(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(testdata, "models", "td-*-*.portolan"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(paths), 8, "every kind on both backbones")
	models := map[string]*Model{}
	for _, p := range paths {
		m, err := Open(p)
		require.NoError(t, err)
		models[filepath.Base(p)] = m
	}
	for _, dt := range []export.DType{export.F16, export.Int8} {
		for _, name := range []string{"td-transformer-mc-td.portolan", "way-demo.portolan"} {
			b, err := export.ReadFile(filepath.Join(testdata, "models", name))
			require.NoError(t, err)
			c, err := b.Convert(dt)
			require.NoError(t, err)
			data, err := export.Marshal(c)
			require.NoError(t, err)
			m, err := OpenBytes(data)
			require.NoError(t, err)
			models[name+"-"+string(dt)] = m
		}
	}
	ctx := context.Background()
	tracks := simTracks(t, 36, 8, 3)
	for name, m := range models {
		t.Run(name, func(t *testing.T) {
			errs := make(chan error, 4*goroutines)
			if m.Kind() == "way" {
				d, err := m.Destinations(NewConfig().WithTopK(3).WithThreads(2))
				require.NoError(t, err)
				want := make([]*Prediction, len(tracks))
				for i, tr := range tracks {
					want[i], _ = d.Predict(ctx, tr)
				}
				parallel(func(g int) {
					for k := range tracks {
						i := (k + g) % len(tracks)
						got, err := d.Predict(ctx, tracks[i])
						if (err == nil) != (want[i] != nil) || (err == nil && !samePrediction(want[i], got)) {
							errs <- fmt.Errorf("track %d: %v", i, err)
						}
					}
				})
			} else {
				f, err := m.Forecaster(NewConfig().WithSamples(6).WithThreads(2))
				require.NoError(t, err)
				series := randomSeries(40, f.Steps()*f.Features())
				want, err := f.ForecastSeries(ctx, series)
				require.NoError(t, err)
				parallel(func(g int) {
					got, err := f.ForecastSeries(ctx, series[g%3:]) // each goroutine its own batches
					if err != nil || !equalForecasts(want[g%3:], got) {
						errs <- fmt.Errorf("goroutine %d: %v", g, err)
					}
				})
			}
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
		})
	}
}

// randomSeries returns n series of size values each in [-1, 1), keyed
// by their index.
func randomSeries(n, size int) []Series {
	r := rand.New(rand.NewPCG(7, uint64(size)))
	out := make([]Series, n)
	for i := range out {
		v := make([]float32, size)
		for j := range v {
			v[j] = 2*r.Float32() - 1
		}
		out[i] = Series{Key: uint64(i), Values: v}
	}
	return out
}
