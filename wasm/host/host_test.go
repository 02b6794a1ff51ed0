package host

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/timeseries"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/portolan-sdk/portolan/wasm/abi"
	"github.com/stretchr/testify/require"
)

func read(t testing.TB, rel string) []byte {
	b, err := os.ReadFile(filepath.Join(testdata, rel))
	require.NoError(t, err)
	return b
}

// newHost starts a host on wasm, closed when the test ends.
func newHost(t testing.TB, wasm []byte, cfg Config) *Host {
	h, err := New(context.Background(), wasm, cfg.WithCompilationCache(cacheDir))
	require.NoError(t, err)
	t.Cleanup(func() { h.Close(context.Background()) })
	return h
}

func open(t testing.TB, h *Host, model string) *Model {
	m, err := h.Open(context.Background(), read(t, "models/"+model))
	require.NoError(t, err)
	return m
}

// native computes with the sdk directly.
func nativeModel(t testing.TB, model string) *sdk.Model {
	m, err := sdk.OpenBytes(read(t, "models/"+model))
	require.NoError(t, err)
	return m
}

func sampleTracks(t testing.TB) []*trajectory.Track {
	pr, err := ais.OpenPositions(bytesReader(read(t, "ais/sample.nmea")), ais.Options{})
	require.NoError(t, err)
	tracks, err := trajectory.Collect(pr)
	require.NoError(t, err)
	return tracks
}

// closeTo compares predictions: the guest runs the generic kernels, the
// native sdk SIMD ones, so floats agree to rounding, not bit for bit.
func closeTo(t testing.TB, want, got *sdk.Prediction) {
	t.Helper()
	require.NotNil(t, got)
	require.Equal(t, want.MMSI, got.MMSI)
	require.Equal(t, want.Departure, got.Departure)
	require.True(t, want.Depart.Equal(got.Depart))
	require.True(t, want.At.Equal(got.At))
	require.Equal(t, want.Lat, got.Lat)
	require.Equal(t, want.Lon, got.Lon)
	require.Equal(t, want.Cells, got.Cells)
	require.InDelta(t, want.ETAHours, got.ETAHours, 1e-3)
	require.Len(t, got.Top, len(want.Top))
	for i := range want.Top {
		require.Equal(t, want.Top[i].Locode, got.Top[i].Locode)
		require.InDelta(t, want.Top[i].Prob, got.Top[i].Prob, 1e-5)
	}
}

func TestPredictMatchesNative(t *testing.T) {
	ctx := context.Background()
	h := newHost(t, guestWasm, NewConfig().WithInstances(2))
	m := open(t, h, "way-demo.portolan")
	require.Equal(t, "way", m.Kind())
	require.NotEmpty(t, m.Ports())
	d, err := m.Destinations(sdk.NewConfig().WithTopK(3))
	require.NoError(t, err)
	nd, err := nativeModel(t, "way-demo.portolan").Destinations(sdk.NewConfig().WithTopK(3))
	require.NoError(t, err)

	tracks := sampleTracks(t)
	for _, tr := range tracks {
		want, werr := nd.Predict(ctx, tr)
		got, gerr := d.Predict(ctx, tr)
		if werr != nil {
			require.Equal(t, errors.Is(werr, sdk.ErrNoVoyage), errors.Is(gerr, sdk.ErrNoVoyage), "%v / %v", werr, gerr)
			continue
		}
		require.NoError(t, gerr)
		closeTo(t, want, got)
	}
	rs, err := d.PredictAIS(ctx, read(t, "ais/sample.nmea"))
	require.NoError(t, err)
	require.Len(t, rs, len(tracks))
	pr, err := ais.OpenPositions(bytesReader(read(t, "ais/sample.nmea")), ais.Options{})
	require.NoError(t, err)
	rs2, err := d.PredictAll(ctx, pr)
	require.NoError(t, err)
	for i, tr := range tracks {
		require.Equal(t, tr.MMSI, rs[i].MMSI)
		require.Equal(t, tr.Name, rs[i].Name)
		require.Equal(t, rs[i], rs2[i])
	}

	// a td model has no destinations, as in sdk
	_, err = open(t, h, "td-demo.portolan").Destinations(sdk.NewConfig())
	require.ErrorIs(t, err, sdk.ErrKind)
}

func TestStreamMatchesNative(t *testing.T) {
	ctx := context.Background()
	h := newHost(t, guestWasm, NewConfig().WithInstances(2))
	d, err := open(t, h, "way-demo.portolan").Destinations(sdk.NewConfig())
	require.NoError(t, err)
	nd, err := nativeModel(t, "way-demo.portolan").Destinations(sdk.NewConfig())
	require.NoError(t, err)
	ps, err := h.DecodeAIS(ctx, read(t, "ais/sample.nmea"))
	require.NoError(t, err)
	tr := sampleTracks(t)[0]
	s, err := d.NewStream(ctx, tr.MMSI, tr.ShipType)
	require.NoError(t, err)
	ns, err := nd.NewStream(tr.MMSI, tr.ShipType)
	require.NoError(t, err)
	n := 0
	for i := range ps {
		if ps[i].MMSI != tr.MMSI {
			continue
		}
		want, werr := ns.Push(ctx, &ps[i])
		got, gerr := s.Push(ctx, &ps[i])
		if werr != nil {
			require.ErrorIs(t, werr, sdk.ErrNoVoyage)
			require.ErrorIs(t, gerr, sdk.ErrNoVoyage)
			continue
		}
		require.NoError(t, gerr)
		closeTo(t, want, got)
		n++
	}
	require.Positive(t, n)
	require.Equal(t, ns.Dropped(), s.Dropped())
	require.NoError(t, s.Close(ctx))
	_, err = s.Push(ctx, &ps[0])
	require.ErrorIs(t, err, &abi.Error{Status: abi.NotFound})
}

func sampleSeries(t testing.TB) [][]float32 {
	set, err := timeseries.ReadCSV(bytesReader(read(t, "series/sample.csv")))
	require.NoError(t, err)
	var out [][]float32
	for i := range set.IDs {
		out = append(out, set.Series(i))
	}
	return out
}

func TestForecastMatchesNative(t *testing.T) {
	ctx := context.Background()
	// trusted mode: the guest's temporal-dropout forward is slow in
	// interruptible mode (docs/BENCHMARKS.md), and both modes run the same code
	h := newHost(t, guestWasm, NewConfig().WithInstances(1).WithInterruptible(false))
	m := open(t, h, "td-demo.portolan")
	cfg := sdk.NewConfig().WithSamples(10).WithSeed(7)
	f, err := m.Forecaster(cfg)
	require.NoError(t, err)
	nm := nativeModel(t, "td-demo.portolan")
	nf, err := nm.Forecaster(cfg)
	require.NoError(t, err)
	require.Equal(t, nf.Steps(), f.Steps())
	require.Equal(t, nf.Features(), f.Features())

	series := sampleSeries(t)[:3]
	got, err := f.Forecast(ctx, series)
	require.NoError(t, err)
	filled := make([][]float32, len(series))
	for i, s := range series {
		set := timeseries.Set{T: nf.Steps(), D: nf.Features(), X: append([]float32(nil), s...)}
		set.Fill(nm.Bundle.Preprocessing.Mean)
		filled[i] = set.X
	}
	want, err := nf.Forecast(ctx, filled)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i := range want {
		require.InDelta(t, want[i].Mean, got[i].Mean, 1e-3)
		require.InDelta(t, want[i].Total, got[i].Total, 1e-2)
		require.Len(t, got[i].Samples, 10)
	}
	_, err = m.Destinations(sdk.NewConfig())
	require.ErrorIs(t, err, sdk.ErrKind)
	// a series keyed by its id gets the native runtime's samples
	key := sdk.SeriesKey("site-9")
	keyed, err := f.ForecastKeys(ctx, series[:1], []uint64{key})
	require.NoError(t, err)
	nk, err := nf.ForecastSeries(ctx, []sdk.Series{{Key: key, Values: filled[0]}})
	require.NoError(t, err)
	require.Equal(t, key, keyed[0].Key)
	require.InDeltaSlice(t, nk[0].Samples, keyed[0].Forecast.Samples, 1e-3)
	require.NotEqual(t, want[0].Samples, nk[0].Samples) // another key, other masks
}

// TestConcurrent checks that 8 goroutines predicting through one host get
// the answers serial calls get (run with -race). The pool and streams
// work the same in both modes; trusted mode keeps the test short.
func TestConcurrent(t *testing.T) {
	ctx := context.Background()
	h := newHost(t, guestWasm, NewConfig().WithInstances(3).WithInterruptible(false))
	d, err := open(t, h, "way-demo.portolan").Destinations(sdk.NewConfig())
	require.NoError(t, err)
	tracks := sampleTracks(t)
	serial := make([]*sdk.Prediction, len(tracks))
	for i, tr := range tracks {
		serial[i], _ = d.Predict(ctx, tr)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 2; round++ {
				for k := range tracks {
					i := (k + g) % len(tracks)
					p, err := d.Predict(ctx, tracks[i])
					if err != nil && !errors.Is(err, sdk.ErrNoVoyage) {
						errs <- err
						return
					}
					if (p == nil) != (serial[i] == nil) || (p != nil && !samePrediction(p, serial[i])) {
						errs <- errors.New("a concurrent answer differs from the serial one")
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func samePrediction(a, b *sdk.Prediction) bool {
	if a.MMSI != b.MMSI || a.ETAHours != b.ETAHours || !a.ETA.Equal(b.ETA) || len(a.Top) != len(b.Top) {
		return false
	}
	for i := range a.Top {
		if a.Top[i] != b.Top[i] {
			return false
		}
	}
	return true
}

// spin runs the test guest's endless loop.
func spin(ctx context.Context, h *Host) error {
	_, _, err := h.with(ctx, -1, func(ctx context.Context, in *instance) error {
		_, err := in.raw(ctx, "test_spin")
		return err
	})
	return err
}

// TestDeadlineStopsRunawayGuest checks that a guest stuck in a loop is
// stopped by the call's deadline and that the next call succeeds.
func TestDeadlineStopsRunawayGuest(t *testing.T) {
	ctx := context.Background()
	h := newHost(t, guestWasm, NewConfig().WithInstances(1))
	d, err := open(t, h, "way-demo.portolan").Destinations(sdk.NewConfig())
	require.NoError(t, err)
	s, err := d.NewStream(ctx, 244660000, ais.Opt[int]{})
	require.NoError(t, err)

	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err = spin(cctx, h)
	cancel()
	elapsed := time.Since(start)
	require.ErrorIs(t, err, ErrStopped)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, elapsed, 10*time.Second, "stopped by the deadline, not by chance")

	start = time.Now()
	rs, err := d.PredictAIS(ctx, read(t, "ais/sample.nmea"))
	restart := time.Since(start) // a new instance, the model loaded again, a prediction
	require.NoError(t, err)
	require.NotEmpty(t, rs)
	// the stream lived in the replaced instance
	_, err = s.Push(ctx, &ais.Position{MMSI: 244660000, Lat: 1, Lon: 1})
	require.ErrorIs(t, err, ErrStreamLost)
	require.NoError(t, s.Close(ctx))

	// The host's own call timeout works the same. It also bounds starting
	// an instance, so it is set well above what a heavier restart took just now
	// (on a loaded machine that can be seconds).
	timeout := max(2*time.Second, 4*restart)
	t.Logf("a restart took %v: call timeout %v", restart, timeout)
	h2 := newHost(t, guestWasm, NewConfig().WithInstances(1).WithCallTimeout(timeout))
	_, err = h2.DecodeAIS(ctx, read(t, "ais/sample.nmea")) // starts the instance
	require.NoError(t, err)
	done := make(chan error, 1)
	start = time.Now()
	go func() { done <- spin(ctx, h2) }()
	select {
	case err = <-done:
	case <-time.After(timeout + time.Minute):
		t.Fatalf("the call timeout (%v) did not stop the guest", timeout)
	}
	elapsed = time.Since(start)
	require.ErrorIs(t, err, ErrStopped)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.GreaterOrEqual(t, elapsed, timeout, "stopped by the timeout, not before")
	_, err = h2.DecodeAIS(ctx, read(t, "ais/sample.nmea")) // in a new instance
	require.NoError(t, err)
}

// TestTrapReplacesInstance crashes the guest with an unrecovered panic:
// the call fails with ErrTrap (and the panic message), the instance is
// replaced and the host keeps serving.
func TestTrapReplacesInstance(t *testing.T) {
	ctx := context.Background()
	h := newHost(t, guestWasm, NewConfig().WithInstances(1))
	m := open(t, h, "td-demo.portolan")
	f, err := m.Forecaster(sdk.NewConfig().WithSamples(4))
	require.NoError(t, err)
	series := sampleSeries(t)[:1]
	before, err := f.Forecast(ctx, series)
	require.NoError(t, err)
	_, gen, err := h.with(ctx, -1, func(ctx context.Context, in *instance) error {
		_, err := in.raw(ctx, "test_crash")
		return err
	})
	require.ErrorIs(t, err, ErrTrap)
	require.Contains(t, err.Error(), "test_crash")
	after, err := f.Forecast(ctx, series)
	require.NoError(t, err)
	require.Equal(t, before, after, "a new instance reloads the model and answers the same")
	require.Equal(t, gen+1, h.slots[0].gen)
}

func TestMemoryLimit(t *testing.T) {
	ctx := context.Background()
	const pages = 1024 // 64 MiB
	h := newHost(t, guestWasm, NewConfig().WithInstances(1).WithMemoryLimitPages(pages))
	// a bundle too large for the limit is refused before the guest sees it
	big := bigBundle(t, 40<<20)
	_, err := h.Open(ctx, big)
	require.ErrorIs(t, err, ErrMemoryLimit)
	require.Contains(t, err.Error(), "limit is 64.0 MiB")
	require.Nil(t, h.slots[0].in, "no instance was started for it")

	// the guest exhausting its memory is reported as such, and replaced
	m := open(t, h, "td-demo.portolan")
	_, _, err = h.with(ctx, -1, func(ctx context.Context, in *instance) error {
		_, err := in.raw(ctx, "test_grow", 4)
		return err
	})
	require.ErrorIs(t, err, ErrMemoryLimit)
	f, err := m.Forecaster(sdk.NewConfig().WithSamples(2))
	require.NoError(t, err)
	_, err = f.Forecast(ctx, sampleSeries(t)[:1])
	require.NoError(t, err)

	// a module that needs more than the limit at start is refused by New
	_, err = New(ctx, guestWasm, NewConfig().WithMemoryLimitPages(4))
	require.Error(t, err)
}

// bigBundle is a valid td bundle of at least n bytes: the demo model plus
// an unused tensor.
func bigBundle(t testing.TB, n int) []byte {
	b, err := export.Unmarshal(read(t, "models/td-demo.portolan"))
	require.NoError(t, err)
	b.Tensors = append(b.Tensors, export.NewF32("padding", []int{n / 4}, make([]float32, n/4)))
	data, err := export.Marshal(b)
	require.NoError(t, err)
	return data
}

// TestHostileRequests sends malformed requests to every call export: each
// gives the guest's error, and the instance keeps serving (no trap).
func TestHostileRequests(t *testing.T) {
	ctx := context.Background()
	h := newHost(t, guestWasm, NewConfig().WithInstances(1))
	rng := rand.New(rand.NewPCG(1, 2))
	exports := []string{abi.ExportLoad, abi.ExportRelease, abi.ExportDecodeAIS, abi.ExportPredict, abi.ExportStreamOpen,
		abi.ExportStreamPush, abi.ExportStreamClose, abi.ExportForecast, abi.ExportConformance}
	requests := [][]byte{
		{}, {0xc1}, {0x80}, {0xdf, 0xff, 0xff, 0xff, 0xff}, // an empty map; a map claiming 2^32-1 entries
		{0x81, 0xa6, 'b', 'u', 'n', 'd', 'l', 'e', 0xc6, 0x7f, 0xff, 0xff, 0xff}, // a bin claiming 2 GiB
		append([]byte{0x81, 0xa9}, append([]byte("positions"), 0xdd, 0x0f, 0xff, 0xff, 0xff)...),
	}
	for i := 0; i < 20; i++ {
		r := make([]byte, rng.IntN(200))
		for j := range r {
			r[j] = byte(rng.Uint32())
		}
		requests = append(requests, r)
	}
	for _, e := range exports {
		for _, r := range requests {
			_, err := h.Call(ctx, e, r)
			var ge *abi.Error
			require.ErrorAs(t, err, &ge, "%s %x", e, r)
			require.NotEqual(t, abi.Internal, ge.Status, "%s %x: %v", e, r, err)
		}
	}
	require.Zero(t, h.slots[0].gen, "no instance was replaced")
}

// TestHostileAnswers makes the guest answer garbage or point outside its
// memory: the host returns ErrAnswer and replaces the instance.
func TestHostileAnswers(t *testing.T) {
	ctx := context.Background()
	h := newHost(t, guestWasm, NewConfig().WithInstances(1))
	for _, ans := range [][]byte{
		{0xc1},
		{0x81, 0xa7, 'v', 'e', 's', 's', 'e', 'l', 's', 0xdd, 0x7f, 0xff, 0xff, 0xff},
		{0x81, 0xa7, 'v', 'e', 's', 's', 'e', 'l', 's', 0x91, 0x81, 0xa4, 'm', 'm', 's', 'i', 0xa1, 'x'},
		{0x81, 0xa7, 'v', 'e', 's', 's', 'e', 'l', 's', 0x91, 0x80}, // a vessel with neither prediction nor status
	} {
		gen := h.slots[0].gen
		_, _, err := h.call(ctx, -1, "test_echo", fixed(ans), func(b []byte) error {
			_, err := abi.DecodePredictAnswer(b)
			return err
		})
		require.ErrorIs(t, err, ErrAnswer, "%x", ans)
		require.Equal(t, gen+1, h.slots[0].gen)
	}
	_, _, err := h.with(ctx, -1, func(ctx context.Context, in *instance) error {
		if _, err := in.raw(ctx, "test_oob"); err != nil {
			return err
		}
		_, err := in.read(ctx, abi.ExportAnswerPtr, abi.ExportAnswerLen)
		return err
	})
	require.ErrorIs(t, err, ErrAnswer)
	_, err = h.DecodeAIS(ctx, read(t, "ais/sample.nmea"))
	require.NoError(t, err)
}

func TestNotAGuest(t *testing.T) {
	ctx := context.Background()
	_, err := New(ctx, []byte("not wasm"), NewConfig())
	require.Error(t, err)
	empty := []byte{0, 'a', 's', 'm', 1, 0, 0, 0} // a valid module with no exports
	_, err = New(ctx, empty, NewConfig())
	require.ErrorIs(t, err, ErrGuest)
	_, err = New(ctx, guestWasm, NewConfig().WithInstances(0))
	require.Error(t, err)
}

func TestModelClose(t *testing.T) {
	ctx := context.Background()
	h := newHost(t, guestWasm, NewConfig().WithInstances(2))
	m := open(t, h, "way-demo.portolan")
	d, err := m.Destinations(sdk.NewConfig())
	require.NoError(t, err)
	require.NoError(t, m.Close(ctx))
	_, err = d.PredictAIS(ctx, nil)
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, h.Close(ctx))
	_, err = h.DecodeAIS(ctx, nil)
	require.ErrorIs(t, err, ErrClosed)
	// a bad bundle is the guest's refusal
	_, err = newHost(t, guestWasm, NewConfig()).Open(ctx, []byte("PORTOLAN"))
	require.ErrorIs(t, err, &abi.Error{Status: abi.BadBundle})
}

// TestTrustedMode runs the same prediction without interruption.
func TestTrustedMode(t *testing.T) {
	ctx := context.Background()
	h := newHost(t, guestWasm, NewConfig().WithInstances(1).WithInterruptible(false))
	d, err := open(t, h, "way-demo.portolan").Destinations(sdk.NewConfig())
	require.NoError(t, err)
	h2 := newHost(t, guestWasm, NewConfig().WithInstances(1))
	d2, err := open(t, h2, "way-demo.portolan").Destinations(sdk.NewConfig())
	require.NoError(t, err)
	a, err := d.PredictAIS(ctx, read(t, "ais/sample.nmea"))
	require.NoError(t, err)
	b, err := d2.PredictAIS(ctx, read(t, "ais/sample.nmea"))
	require.NoError(t, err)
	require.Equal(t, a, b, "both modes run the same code")
}
