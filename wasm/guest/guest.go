package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/portolan-sdk/portolan/internal/conformance"
	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/portolan-sdk/portolan/wasm/abi"
)

// ctx is the context of sdk calls: a call cannot be cancelled from
// inside the guest (the host stops a runaway instance from outside).
var ctx = context.Background()

// guest is the state of one instance: its models and streams, and the
// answer or error of the last call. Exports run one at a time (a
// WebAssembly instance is single-threaded), so it needs no locking.
type guest struct {
	models     map[uint32]*model
	streams    map[uint32]*stream
	nextHandle uint32
	answer     []byte // the last call's answer; reused
	lastErr    []byte // the last call's error message
}

type model struct {
	m     *sdk.Model
	dests map[int]*sdk.Destinations // by top-k
}

type stream struct {
	model uint32
	s     *sdk.Stream
	mmsi  uint32
}

func newGuest() *guest {
	return &guest{models: map[uint32]*model{}, streams: map[uint32]*stream{}}
}

// handler serves one export: it decodes the request and appends its
// answer to dst. Errors that are not *abi.Error are classified by
// classify.
type handler func(g *guest, req []byte, dst []byte) ([]byte, error)

// run calls h, recovering any panic, and leaves the answer or the error
// message for answer_ptr/last_error_ptr. The request is only read during
// the call.
func (g *guest) run(h handler, req []byte) (st abi.Status) {
	defer func() {
		if p := recover(); p != nil {
			g.answer = g.answer[:0]
			g.lastErr = fmt.Appendf(g.lastErr[:0], "internal error: %v\n%s", p, debug.Stack())
			st = abi.Internal
		}
	}()
	ans, err := h(g, req, g.answer[:0])
	if err != nil {
		st = classify(err)
		msg := err.Error()
		if e, ok := err.(*abi.Error); ok {
			msg = e.Message // the host adds the status
		}
		g.answer = g.answer[:0]
		g.lastErr = append(g.lastErr[:0], msg...)
		return st
	}
	g.answer, g.lastErr = ans, g.lastErr[:0]
	return abi.OK
}

// classify gives an error its status.
func classify(err error) abi.Status {
	var e *abi.Error
	switch {
	case errors.As(err, &e):
		return e.Status
	case errors.Is(err, abi.ErrMalformed):
		return abi.BadRequest
	case errors.Is(err, sdk.ErrKind):
		return abi.WrongKind
	}
	return abi.BadInput
}

func (g *guest) model(h uint32) (*model, error) {
	m := g.models[h]
	if m == nil {
		return nil, abi.Errorf(abi.NotFound, "no model has handle %d", h)
	}
	return m, nil
}

// newHandle returns an unused handle (never 0) for models and streams.
func (g *guest) newHandle() uint32 {
	for {
		g.nextHandle++
		h := g.nextHandle
		if h != 0 && g.models[h] == nil && g.streams[h] == nil {
			return h
		}
	}
}

func load(g *guest, req, dst []byte) ([]byte, error) {
	var r abi.LoadRequest
	if err := r.Decode(req); err != nil {
		return nil, err
	}
	if len(g.models) >= abi.MaxModels {
		return nil, abi.Errorf(abi.Limit, "%d models are loaded; release one first", len(g.models))
	}
	m, err := sdk.OpenBytes(r.Bundle)
	if err != nil {
		if errors.Is(err, sdk.ErrKind) {
			return nil, abi.Errorf(abi.WrongKind, "%v", err)
		}
		return nil, abi.Errorf(abi.BadBundle, "%v", err)
	}
	h := g.newHandle()
	g.models[h] = &model{m: m, dests: map[int]*sdk.Destinations{}}
	info := abi.ModelInfo{Handle: h, Kind: m.Kind(), Features: m.Bundle.Preprocessing.Features}
	switch m.Kind() {
	case "td":
		f, err := m.Forecaster(sdk.NewConfig())
		if err != nil {
			return nil, err
		}
		info.Steps = f.Steps()
	case "way":
		if ports := m.Bundle.Preprocessing.Ports; len(ports) > 0 {
			info.Ports = ports[1:] // index 0 is "unknown"
		}
	}
	return info.Append(dst), nil
}

func release(g *guest, req, dst []byte) ([]byte, error) {
	r := abi.HandleRequest{Key: "handle"}
	if err := r.Decode(req); err != nil {
		return nil, err
	}
	if _, err := g.model(r.Handle); err != nil {
		return nil, err
	}
	for id, s := range g.streams {
		if s.model == r.Handle {
			delete(g.streams, id)
		}
	}
	delete(g.models, r.Handle)
	return abi.AppendEmpty(dst), nil
}

// positions reads every position of AIS text (NMEA, MarineCadastre or DMA
// CSV), as the CLI does.
func positions(text []byte) (ais.PositionReader, error) {
	pr, err := ais.OpenPositions(bytes.NewReader(text), ais.Options{})
	if err != nil {
		return nil, abi.Errorf(abi.BadInput, "AIS: %v", err)
	}
	return pr, nil
}

func decodeAIS(g *guest, req, dst []byte) ([]byte, error) {
	var r abi.DecodeRequest
	if err := r.Decode(req); err != nil {
		return nil, err
	}
	pr, err := positions(r.AIS)
	if err != nil {
		return nil, err
	}
	var out []ais.Position
	for {
		p, err := pr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, abi.Errorf(abi.BadInput, "AIS: %v", err)
		}
		out = append(out, *p)
	}
	return abi.AppendDecodeAnswer(dst, out), nil
}

// sliceReader serves decoded positions to trajectory.Collect.
type sliceReader struct {
	ps []ais.Position
	i  int
}

func (s *sliceReader) Next() (*ais.Position, error) {
	if s.i >= len(s.ps) {
		return nil, io.EOF
	}
	s.i++
	return &s.ps[s.i-1], nil
}

func (m *model) destinations(topK int) (*sdk.Destinations, error) {
	if d := m.dests[topK]; d != nil {
		return d, nil
	}
	d, err := m.m.Destinations(sdk.NewConfig().WithTopK(topK))
	if err != nil {
		return nil, err
	}
	m.dests[topK] = d
	return d, nil
}

// predict predicts every vessel's voyage in progress, in MMSI order, as
// sdk's PredictAll does, but on the calling goroutine: a panic in another
// goroutine could not be recovered and would kill the instance.
func predict(g *guest, req, dst []byte) ([]byte, error) {
	var r abi.PredictRequest
	if err := r.Decode(req); err != nil {
		return nil, err
	}
	m, err := g.model(r.Handle)
	if err != nil {
		return nil, err
	}
	d, err := m.destinations(r.TopK)
	if err != nil {
		return nil, err
	}
	var pr ais.PositionReader = &sliceReader{ps: r.Positions}
	if r.AIS != nil {
		if pr, err = positions(r.AIS); err != nil {
			return nil, err
		}
	}
	tracks, err := trajectory.Collect(pr)
	if err != nil {
		return nil, abi.Errorf(abi.BadInput, "AIS: %v", err)
	}
	res := make([]sdk.VesselResult, len(tracks))
	for i, t := range tracks {
		p, err := d.Predict(ctx, t)
		res[i] = sdk.VesselResult{MMSI: t.MMSI, Name: t.Name, Prediction: p, Err: err}
	}
	return abi.AppendPredictAnswer(dst, res), nil
}

func streamOpen(g *guest, req, dst []byte) ([]byte, error) {
	var r abi.StreamOpenRequest
	if err := r.Decode(req); err != nil {
		return nil, err
	}
	m, err := g.model(r.Handle)
	if err != nil {
		return nil, err
	}
	if len(g.streams) >= abi.MaxStreams {
		return nil, abi.Errorf(abi.Limit, "%d streams are open; close one first", len(g.streams))
	}
	d, err := m.destinations(r.TopK)
	if err != nil {
		return nil, err
	}
	s, err := d.NewStream(r.MMSI, r.ShipType)
	if err != nil {
		return nil, err
	}
	h := g.newHandle()
	g.streams[h] = &stream{model: r.Handle, s: s, mmsi: r.MMSI}
	return abi.AppendStreamOpenAnswer(dst, h), nil
}

func (g *guest) stream(h uint32) (*stream, error) {
	s := g.streams[h]
	if s == nil {
		return nil, abi.Errorf(abi.NotFound, "no stream has handle %d", h)
	}
	return s, nil
}

func streamPush(g *guest, req, dst []byte) ([]byte, error) {
	var r abi.StreamPushRequest
	if err := r.Decode(req); err != nil {
		return nil, err
	}
	s, err := g.stream(r.Stream)
	if err != nil {
		return nil, err
	}
	res := abi.StreamResult{MMSI: s.mmsi}
	for i := range r.Positions {
		res.Prediction, res.Err = s.s.Push(ctx, &r.Positions[i])
		if res.Err != nil && !errors.Is(res.Err, sdk.ErrNoVoyage) {
			return nil, fmt.Errorf("position %d: %w", i, res.Err)
		}
	}
	res.Dropped = s.s.Dropped()
	return res.Append(dst), nil
}

func streamClose(g *guest, req, dst []byte) ([]byte, error) {
	r := abi.HandleRequest{Key: "stream"}
	if err := r.Decode(req); err != nil {
		return nil, err
	}
	if _, err := g.stream(r.Handle); err != nil {
		return nil, err
	}
	delete(g.streams, r.Handle)
	return abi.AppendEmpty(dst), nil
}

// forecast runs the temporal-dropout model on each series. Gaps (NaN)
// are filled with the model's feature means and the missing-value policy
// applies, as in the CLI (sdk.Forecaster.ForecastSeries).
func forecast(g *guest, req, dst []byte) ([]byte, error) {
	var r abi.ForecastRequest
	if err := r.Decode(req); err != nil {
		return nil, err
	}
	m, err := g.model(r.Handle)
	if err != nil {
		return nil, err
	}
	if r.Samples < 1 {
		return nil, abi.Errorf(abi.BadRequest, "samples must be at least 1")
	}
	f, err := m.m.Forecaster(sdk.NewConfig().WithSamples(r.Samples).WithSeed(r.Seed))
	if err != nil {
		return nil, err
	}
	if r.Keys != nil && len(r.Keys) != len(r.Series) {
		return nil, abi.Errorf(abi.BadRequest, "%d keys for %d series", len(r.Keys), len(r.Series))
	}
	keys := r.Keys
	if keys == nil {
		keys = make([]uint64, len(r.Series)) // one per series present in the request
		for i := range keys {
			keys[i] = uint64(i)
		}
	}
	T, D := f.Steps(), f.Features()
	var in []sdk.Series // grows with the series checked
	for i, s := range r.Series {
		if len(s) != T*D {
			return nil, abi.Errorf(abi.BadInput, "series %d has %d values, the model takes %d steps × %d features", i, len(s), T, D)
		}
		in = append(in, sdk.Series{Key: keys[i], Values: s})
	}
	out, err := f.ForecastSeries(ctx, in)
	if err != nil {
		return nil, err
	}
	return abi.AppendForecastAnswer(dst, keys, out), nil
}

// conformanceRun evaluates a reference vector file against its model.
func conformanceRun(g *guest, req, dst []byte) ([]byte, error) {
	var r abi.ConformanceRequest
	if err := r.Decode(req); err != nil {
		return nil, err
	}
	res := conformance.Evaluate(r.Vectors, r.Model)
	return conformance.AppendResult(dst, &res), nil
}
