package main

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/timeseries"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/portolan-sdk/portolan/wasm/abi"
	"github.com/stretchr/testify/require"
)

// The handlers are tested natively here, through the same request and
// answer encodings the exports use; wasm/host tests the compiled module.

var testdata = filepath.Join("..", "..", "testdata")

func read(t testing.TB, rel string) []byte {
	b, err := os.ReadFile(filepath.Join(testdata, rel))
	require.NoError(t, err)
	return b
}

// call runs a handler and returns its status and answer (or message).
func call(t testing.TB, g *guest, h handler, req []byte) (abi.Status, []byte) {
	st := g.run(h, req)
	if st != abi.OK {
		require.Empty(t, g.answer)
		require.NotEmpty(t, g.lastErr)
		return st, append([]byte(nil), g.lastErr...)
	}
	require.Empty(t, g.lastErr)
	return st, append([]byte(nil), g.answer...)
}

func mustCall(t testing.TB, g *guest, h handler, req []byte) []byte {
	st, ans := call(t, g, h, req)
	require.Equal(t, abi.OK, st, "%s", ans)
	return ans
}

func loadModel(t testing.TB, g *guest, name string) *abi.ModelInfo {
	ans := mustCall(t, g, load, (&abi.LoadRequest{Bundle: read(t, "models/"+name)}).Append(nil))
	mi, err := abi.DecodeModelInfo(ans)
	require.NoError(t, err)
	return mi
}

func TestLoad(t *testing.T) {
	g := newGuest()
	way := loadModel(t, g, "way-demo.portolan")
	td := loadModel(t, g, "td-demo.portolan")
	require.Equal(t, "way", way.Kind)
	require.Equal(t, "td", td.Kind)
	require.NotEqual(t, way.Handle, td.Handle)

	m, err := sdk.OpenBytes(read(t, "models/way-demo.portolan"))
	require.NoError(t, err)
	require.Equal(t, m.Bundle.Preprocessing.Ports[1:], way.Ports)
	require.Equal(t, m.Bundle.Preprocessing.Features, way.Features)
	require.Zero(t, way.Steps)
	f, err := func() (*sdk.Forecaster, error) {
		m, err := sdk.OpenBytes(read(t, "models/td-demo.portolan"))
		require.NoError(t, err)
		return m.Forecaster(sdk.NewConfig())
	}()
	require.NoError(t, err)
	require.Equal(t, f.Steps(), td.Steps)
	require.Len(t, td.Features, f.Features())
	require.Empty(t, td.Ports)

	// release frees the handle
	mustCall(t, g, release, (&abi.HandleRequest{Key: "handle", Handle: way.Handle}).Append(nil))
	st, msg := call(t, g, release, (&abi.HandleRequest{Key: "handle", Handle: way.Handle}).Append(nil))
	require.Equal(t, abi.NotFound, st, "%s", msg)
}

func TestLoadErrors(t *testing.T) {
	g := newGuest()
	bundle := read(t, "models/way-demo.portolan")
	for _, tc := range []struct {
		name string
		req  []byte
		want abi.Status
	}{
		{"not msgpack", []byte{0xc1}, abi.BadRequest},
		{"no bundle key", (&abi.HandleRequest{Key: "handle", Handle: 1}).Append(nil), abi.BadRequest},
		{"truncated bundle", (&abi.LoadRequest{Bundle: bundle[:len(bundle)/2]}).Append(nil), abi.BadBundle},
		{"not a bundle", (&abi.LoadRequest{Bundle: []byte("hello")}).Append(nil), abi.BadBundle},
		{"vectors are not a model", (&abi.LoadRequest{Bundle: read(t, "conformance/td-demo.vectors.portolan")}).Append(nil), abi.WrongKind},
		{"bytes after the request", append((&abi.LoadRequest{Bundle: bundle}).Append(nil), 0), abi.BadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, msg := call(t, g, load, tc.req)
			require.Equal(t, tc.want, st, "%s", msg)
		})
	}
	require.Empty(t, g.models)
	for i := 0; i < abi.MaxModels; i++ {
		mustCall(t, g, load, (&abi.LoadRequest{Bundle: bundle}).Append(nil))
	}
	st, _ := call(t, g, load, (&abi.LoadRequest{Bundle: bundle}).Append(nil))
	require.Equal(t, abi.Limit, st)
}

// nativePredictions is what the CLI computes for the sample.
func nativePredictions(t testing.TB, topK int) []sdk.VesselResult {
	m, err := sdk.Open(filepath.Join(testdata, "models/way-demo.portolan"))
	require.NoError(t, err)
	d, err := m.Destinations(sdk.NewConfig().WithTopK(topK))
	require.NoError(t, err)
	f, err := os.Open(filepath.Join(testdata, "ais/sample.nmea"))
	require.NoError(t, err)
	defer f.Close()
	pr, err := ais.OpenPositions(f, ais.Options{})
	require.NoError(t, err)
	res, err := d.PredictAll(context.Background(), pr, nil)
	require.NoError(t, err)
	return res
}

// sameResults compares results, errors by status and message.
func sameResults(t testing.TB, want, got []sdk.VesselResult) {
	require.Len(t, got, len(want))
	for i := range want {
		w, g := want[i], got[i]
		require.Equal(t, w.MMSI, g.MMSI)
		require.Equal(t, w.Name, g.Name)
		if w.Err != nil {
			require.Error(t, g.Err)
			require.Equal(t, errors.Is(w.Err, sdk.ErrNoVoyage), errors.Is(g.Err, sdk.ErrNoVoyage))
			require.Contains(t, g.Err.Error(), w.Err.Error())
			continue
		}
		require.NoError(t, g.Err)
		require.True(t, w.Prediction.Depart.Equal(g.Prediction.Depart))
		require.True(t, w.Prediction.At.Equal(g.Prediction.At))
		require.True(t, w.Prediction.ETA.Equal(g.Prediction.ETA))
		wp, gp := *w.Prediction, *g.Prediction
		wp.Depart, wp.At, wp.ETA = gp.Depart, gp.At, gp.ETA // compared above, whatever their location
		require.Equal(t, wp, gp)
	}
}

func TestPredict(t *testing.T) {
	g := newGuest()
	h := loadModel(t, g, "way-demo.portolan").Handle
	nmea := read(t, "ais/sample.nmea")
	want := nativePredictions(t, 3)
	ok := 0
	for _, r := range want {
		if r.Err == nil {
			ok++
		}
	}
	require.Positive(t, ok, "the sample has vessels under way")

	ans := mustCall(t, g, predict, (&abi.PredictRequest{Handle: h, TopK: 3, AIS: nmea}).Append(nil))
	got, err := abi.DecodePredictAnswer(ans)
	require.NoError(t, err)
	sameResults(t, want, got)

	// decoding in the guest, then predicting from the positions, gives the same
	ans = mustCall(t, g, decodeAIS, (&abi.DecodeRequest{AIS: nmea}).Append(nil))
	ps, err := abi.DecodeDecodeAnswer(ans)
	require.NoError(t, err)
	require.Greater(t, len(ps), 1000)
	ans = mustCall(t, g, predict, (&abi.PredictRequest{Handle: h, TopK: 3, Positions: ps}).Append(nil))
	got, err = abi.DecodePredictAnswer(ans)
	require.NoError(t, err)
	sameResults(t, want, got)

	// a vessel with a single position has no voyage
	one := ps[0]
	ans = mustCall(t, g, predict, (&abi.PredictRequest{Handle: h, Positions: []ais.Position{one}}).Append(nil))
	got, err = abi.DecodePredictAnswer(ans)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.ErrorIs(t, got[0].Err, sdk.ErrNoVoyage)
	require.Nil(t, got[0].Prediction)
}

func TestPredictErrors(t *testing.T) {
	g := newGuest()
	way := loadModel(t, g, "way-demo.portolan").Handle
	td := loadModel(t, g, "td-demo.portolan").Handle
	for _, tc := range []struct {
		name string
		req  *abi.PredictRequest
		want abi.Status
	}{
		{"unknown handle", &abi.PredictRequest{Handle: 99, AIS: []byte{}}, abi.NotFound},
		{"td model", &abi.PredictRequest{Handle: td, AIS: []byte{}}, abi.WrongKind},
		{"top_k over the limit", &abi.PredictRequest{Handle: way, TopK: abi.MaxTopK + 1, AIS: []byte{}}, abi.BadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, msg := call(t, g, predict, tc.req.Append(nil))
			require.Equal(t, tc.want, st, "%s", msg)
		})
	}
	// neither or both inputs
	for _, req := range [][]byte{
		{0x81, 0xa6, 'h', 'a', 'n', 'd', 'l', 'e', 0x01},
		append(append([]byte{0x83, 0xa6, 'h', 'a', 'n', 'd', 'l', 'e', 0x01, 0xa3, 'a', 'i', 's', 0xa0}, 0xa9), append([]byte("positions"), 0x90)...),
	} {
		st, msg := call(t, g, predict, req)
		require.Equal(t, abi.BadRequest, st, "%s", msg)
	}
	// an empty input has no vessels
	ans := mustCall(t, g, predict, (&abi.PredictRequest{Handle: way, AIS: []byte{}}).Append(nil))
	got, err := abi.DecodePredictAnswer(ans)
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestStream(t *testing.T) {
	g := newGuest()
	h := loadModel(t, g, "way-demo.portolan").Handle
	ans := mustCall(t, g, decodeAIS, (&abi.DecodeRequest{AIS: read(t, "ais/sample.nmea")}).Append(nil))
	ps, err := abi.DecodeDecodeAnswer(ans)
	require.NoError(t, err)

	// the native stream of the first vessel with a prediction at its end
	m, err := sdk.OpenBytes(read(t, "models/way-demo.portolan"))
	require.NoError(t, err)
	d, err := m.Destinations(sdk.NewConfig())
	require.NoError(t, err)
	byVessel := map[uint32][]ais.Position{}
	for _, p := range ps {
		byVessel[p.MMSI] = append(byVessel[p.MMSI], p)
	}
	tested := 0
	for _, r := range nativePredictions(t, 5) {
		vps := byVessel[r.MMSI]
		ns, err := d.NewStream(r.MMSI, ais.Opt[int]{})
		require.NoError(t, err)
		var want *sdk.Prediction
		var wantErr error
		for i := range vps {
			want, wantErr = ns.Push(context.Background(), &vps[i])
		}
		ans := mustCall(t, g, streamOpen, (&abi.StreamOpenRequest{Handle: h, MMSI: r.MMSI}).Append(nil))
		sid, err := abi.DecodeStreamOpenAnswer(ans)
		require.NoError(t, err)
		// push in two batches
		half := len(vps) / 2
		mustCall(t, g, streamPush, (&abi.StreamPushRequest{Stream: sid, Positions: vps[:half]}).Append(nil))
		ans = mustCall(t, g, streamPush, (&abi.StreamPushRequest{Stream: sid, Positions: vps[half:]}).Append(nil))
		res, err := abi.DecodeStreamResult(ans)
		require.NoError(t, err)
		require.Equal(t, r.MMSI, res.MMSI)
		require.Equal(t, ns.Dropped(), res.Dropped)
		if wantErr != nil {
			require.ErrorIs(t, wantErr, sdk.ErrNoVoyage)
			require.ErrorIs(t, res.Err, sdk.ErrNoVoyage)
			require.Nil(t, res.Prediction)
		} else {
			require.NoError(t, res.Err)
			sameResults(t, []sdk.VesselResult{{MMSI: r.MMSI, Prediction: want}}, []sdk.VesselResult{{MMSI: r.MMSI, Prediction: res.Prediction}})
			tested++
		}
		mustCall(t, g, streamClose, (&abi.HandleRequest{Key: "stream", Handle: sid}).Append(nil))
		st, _ := call(t, g, streamPush, (&abi.StreamPushRequest{Stream: sid, Positions: vps[:1]}).Append(nil))
		require.Equal(t, abi.NotFound, st)
	}
	require.Positive(t, tested)

	// a position of another vessel is refused; a non-ship MMSI cannot open a stream
	ans = mustCall(t, g, streamOpen, (&abi.StreamOpenRequest{Handle: h, MMSI: ps[0].MMSI}).Append(nil))
	sid, err := abi.DecodeStreamOpenAnswer(ans)
	require.NoError(t, err)
	other := ps[0]
	other.MMSI++
	st, msg := call(t, g, streamPush, (&abi.StreamPushRequest{Stream: sid, Positions: []ais.Position{other}}).Append(nil))
	require.Equal(t, abi.BadInput, st, "%s", msg)
	st, _ = call(t, g, streamOpen, (&abi.StreamOpenRequest{Handle: h, MMSI: 970123456}).Append(nil))
	require.Equal(t, abi.BadInput, st)
	// releasing the model closes its streams
	mustCall(t, g, release, (&abi.HandleRequest{Key: "handle", Handle: h}).Append(nil))
	require.Empty(t, g.streams)
}

func readSeries(t testing.TB) *timeseries.Set {
	f, err := os.Open(filepath.Join(testdata, "series/sample.csv"))
	require.NoError(t, err)
	defer f.Close()
	set, err := timeseries.ReadCSV(f)
	require.NoError(t, err)
	return set
}

func TestForecast(t *testing.T) {
	g := newGuest()
	h := loadModel(t, g, "td-demo.portolan").Handle
	set := readSeries(t)
	var series [][]float32
	for i := range set.IDs {
		series = append(series, append([]float32(nil), set.Series(i)...)) // gaps (NaN) filled by the guest
	}
	m, err := sdk.OpenBytes(read(t, "models/td-demo.portolan"))
	require.NoError(t, err)
	f, err := m.Forecaster(sdk.NewConfig().WithSamples(7).WithSeed(3))
	require.NoError(t, err)
	set.Fill(m.Bundle.Preprocessing.Mean)
	var in [][]float32
	for i := range set.IDs {
		in = append(in, set.Series(i))
	}
	want, err := f.Forecast(context.Background(), in)
	require.NoError(t, err)

	ans := mustCall(t, g, forecast, (&abi.ForecastRequest{Handle: h, Series: series, Samples: 7, Seed: 3}).Append(nil))
	got, err := abi.DecodeForecastAnswer(ans)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, uint64(i), got[i].Key)
		require.Equal(t, want[i], got[i].Forecast)
	}
	// explicit keys equal to the rows give the same
	keys := make([]uint64, len(series))
	for i := range keys {
		keys[i] = uint64(i)
	}
	ans2 := mustCall(t, g, forecast, (&abi.ForecastRequest{Handle: h, Series: series, Samples: 7, Seed: 3, Keys: keys}).Append(nil))
	require.Equal(t, ans, ans2)

	// a series keyed by its id gives what the native runtime gives it alone
	idKey := sdk.SeriesKey(set.IDs[1])
	one, err := f.ForecastSeries(context.Background(), []sdk.Series{{Key: idKey, Values: in[1]}})
	require.NoError(t, err)
	ans3 := mustCall(t, g, forecast, (&abi.ForecastRequest{Handle: h, Series: series[1:2], Samples: 7, Seed: 3, Keys: []uint64{idKey}}).Append(nil))
	got3, err := abi.DecodeForecastAnswer(ans3)
	require.NoError(t, err)
	require.Len(t, got3, 1)
	require.Equal(t, idKey, got3[0].Key)
	require.Equal(t, one[0], got3[0].Forecast)

	for _, tc := range []struct {
		name string
		req  abi.ForecastRequest
		want abi.Status
	}{
		{"wrong length", abi.ForecastRequest{Handle: h, Series: [][]float32{{1, 2, 3}}}, abi.BadInput},
		{"infinite value", abi.ForecastRequest{Handle: h, Series: [][]float32{inf(len(series[0]))}}, abi.BadInput},
		{"too many samples", abi.ForecastRequest{Handle: h, Series: series[:1], Samples: abi.MaxSamples + 1}, abi.BadRequest},
		{"unknown handle", abi.ForecastRequest{Handle: 42, Series: series[:1]}, abi.NotFound},
		{"keys and series disagree", abi.ForecastRequest{Handle: h, Series: series[:1], Keys: []uint64{0, 1}}, abi.BadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, msg := call(t, g, forecast, tc.req.Append(nil))
			require.Equal(t, tc.want, st, "%s", msg)
		})
	}
	way := loadModel(t, g, "way-demo.portolan").Handle
	st, _ := call(t, g, forecast, (&abi.ForecastRequest{Handle: way, Series: series[:1]}).Append(nil))
	require.Equal(t, abi.WrongKind, st)
}

func inf(n int) []float32 {
	x := make([]float32, n)
	x[n/2] = float32(math.Inf(1))
	return x
}

func TestConformanceExport(t *testing.T) {
	g := newGuest()
	for _, v := range []string{"way-demo", "td-demo"} {
		req := (&abi.ConformanceRequest{Vectors: read(t, "conformance/"+v+".vectors.portolan"), Model: read(t, "models/"+v+".portolan")}).Append(nil)
		ans := mustCall(t, g, conformanceRun, req)
		require.Contains(t, string(ans), "max_abs_err")
	}
}

// TestPanicIsRecovered checks that a panic in a handler becomes an
// Internal status with its message, and the guest keeps serving.
func TestPanicIsRecovered(t *testing.T) {
	g := newGuest()
	st, msg := call(t, g, func(*guest, []byte, []byte) ([]byte, error) { panic("boom") }, nil)
	require.Equal(t, abi.Internal, st)
	require.Contains(t, string(msg), "internal error: boom")
	loadModel(t, g, "td-demo.portolan")
}

// FuzzHandlers sends arbitrary requests to every handler: each gives an
// answer or an error status, never a panic (which run would turn into
// Internal).
func FuzzHandlers(f *testing.F) {
	f.Add(byte(0), (&abi.LoadRequest{Bundle: []byte("PORTOLAN")}).Append(nil))
	f.Add(byte(3), (&abi.PredictRequest{Handle: 1, AIS: []byte("!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*23\n")}).Append(nil))
	f.Add(byte(7), (&abi.ForecastRequest{Handle: 2, Series: [][]float32{{1}}}).Append(nil))
	f.Add(byte(5), (&abi.StreamPushRequest{Stream: 3, Positions: []ais.Position{{MMSI: 244660000}}}).Append(nil))
	g := newGuest()
	loadModel(f, g, "way-demo.portolan")
	loadModel(f, g, "td-demo.portolan")
	mustCall(f, g, streamOpen, (&abi.StreamOpenRequest{Handle: 1, MMSI: 244660000}).Append(nil))
	handlers := []handler{load, release, decodeAIS, predict, streamOpen, streamPush, streamClose, forecast, conformanceRun}
	f.Fuzz(func(t *testing.T, which byte, req []byte) {
		h := handlers[int(which)%len(handlers)]
		if st := g.run(h, req); st == abi.Internal {
			t.Fatalf("panic: %s", g.lastErr)
		}
		if len(g.models) < 2 { // keep the models the seeds use
			g = newGuest()
			loadModel(t, g, "way-demo.portolan")
			loadModel(t, g, "td-demo.portolan")
			mustCall(t, g, streamOpen, (&abi.StreamOpenRequest{Handle: 1, MMSI: 244660000}).Append(nil))
		}
	})
}
