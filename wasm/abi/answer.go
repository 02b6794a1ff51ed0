package abi

import (
	"errors"
	"fmt"
	"math"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/internal/mpack"
	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// The answers. Field names are the ones sdk's JSON tags give (docs/SCHEMA.md),
// so the CLI's JSON and the guest's msgpack carry the same fields.

// Vessel statuses of VesselResult and StreamResult when there is no
// prediction.
const (
	StatusNoVoyage = "no_voyage" // sdk.ErrNoVoyage: in port, or too little data
	StatusFailed   = "failed"    // any other error
)

// VesselStatus returns the status a vessel without a prediction gets.
func VesselStatus(err error) string {
	if errors.Is(err, sdk.ErrNoVoyage) {
		return StatusNoVoyage
	}
	return StatusFailed
}

// vesselError turns a status and message back into the error sdk gave.
func vesselError(status, msg string) error {
	if status == StatusNoVoyage {
		return &Error{Status: NoVoyage, Message: msg}
	}
	return &Error{Status: BadInput, Message: msg}
}

// AppendPortProb appends a candidate destination.
func AppendPortProb(b []byte, p *sdk.PortProb) []byte {
	m := beginMap(b)
	m.str("locode", p.Locode)
	m.str("name", p.Name)
	m.float("lat", p.Lat)
	m.float("lon", p.Lon)
	m.float("prob", p.Prob)
	return m.done()
}

// AppendPrediction appends a prediction.
func AppendPrediction(b []byte, p *sdk.Prediction) []byte {
	m := beginMap(b)
	m.uint("mmsi", uint64(p.MMSI))
	m.str("departure", p.Departure)
	m.time("departed", p.Depart)
	m.time("at", p.At)
	m.float("lat", p.Lat)
	m.float("lon", p.Lon)
	m.int("cells", int64(p.Cells))
	m.key("destinations").b = mpack.AppendArrayHeader(m.b, len(p.Top))
	for i := range p.Top {
		m.b = AppendPortProb(m.b, &p.Top[i])
	}
	m.float("eta_hours", p.ETAHours)
	m.time("eta", p.ETA)
	return m.done()
}

// AppendVesselResult appends one vessel's outcome: mmsi, name and either
// prediction or status and error.
func AppendVesselResult(b []byte, r *sdk.VesselResult) []byte {
	m := beginMap(b)
	m.uint("mmsi", uint64(r.MMSI))
	m.str("name", r.Name)
	appendOutcome(&m, r.Prediction, r.Err)
	return m.done()
}

func appendOutcome(m *mapEnc, p *sdk.Prediction, err error) {
	if err != nil || p == nil {
		m.str("status", VesselStatus(err))
		msg := "no prediction"
		if err != nil {
			msg = err.Error()
		}
		m.str("error", msg)
		return
	}
	m.key("prediction").b = AppendPrediction(m.b, p)
}

// AppendPredictAnswer appends the answer of predict: {vessels: [...]}.
func AppendPredictAnswer(b []byte, rs []sdk.VesselResult) []byte {
	m := beginMap(b)
	m.key("vessels").b = mpack.AppendArrayHeader(m.b, len(rs))
	for i := range rs {
		m.b = AppendVesselResult(m.b, &rs[i])
	}
	return m.done()
}

// StreamResult is the answer of stream_push: the prediction after the
// last position pushed, or why there is none, and how many positions
// cleaning has dropped so far.
type StreamResult struct {
	MMSI       uint32
	Prediction *sdk.Prediction
	Err        error // with Status NoVoyage while the vessel is in port
	Dropped    int
}

// Append appends the answer.
func (r *StreamResult) Append(b []byte) []byte {
	m := beginMap(b)
	m.uint("mmsi", uint64(r.MMSI))
	appendOutcome(&m, r.Prediction, r.Err)
	m.int("dropped", int64(r.Dropped))
	return m.done()
}

// KeyedForecast is one series' forecast with its Monte Carlo key.
type KeyedForecast struct {
	Key uint64
	sdk.Forecast
}

// AppendForecast appends a forecast: the sdk.Forecast fields and std.
func AppendForecast(b []byte, key uint64, f *sdk.Forecast) []byte {
	m := beginMap(b)
	m.uint("key", key)
	m.float("mean", f.Mean)
	m.float("std", f.Std())
	m.float("total", f.Total)
	m.float("epistemic", f.Epistemic)
	m.float("aleatoric", f.Aleatoric)
	m.float("lo90", f.Lo90)
	m.float("hi90", f.Hi90)
	m.floats("samples", f.Samples)
	m.floats("sample_var", f.SampleVar)
	return m.done()
}

// AppendForecastAnswer appends the answer of forecast: {forecasts: [...]}.
func AppendForecastAnswer(b []byte, keys []uint64, fs []sdk.Forecast) []byte {
	m := beginMap(b)
	m.key("forecasts").b = mpack.AppendArrayHeader(m.b, len(fs))
	for i := range fs {
		m.b = AppendForecast(m.b, keys[i], &fs[i])
	}
	return m.done()
}

// ModelInfo is the answer of load.
type ModelInfo struct {
	Handle   uint32
	Kind     string        // "way" or "td"
	Features []string      // input feature names
	Steps    int           // td: time steps per series (features per step: len(Features))
	Ports    []export.Port // way: the destinations, vocabulary order without "unknown"
}

// Append appends the answer.
func (mi *ModelInfo) Append(b []byte) []byte {
	m := beginMap(b)
	m.uint("handle", uint64(mi.Handle))
	m.str("kind", mi.Kind)
	m.key("features").b = mpack.AppendArrayHeader(m.b, len(mi.Features))
	for _, f := range mi.Features {
		m.b = mpack.AppendString(m.b, f)
	}
	if mi.Kind == "td" {
		m.int("steps", int64(mi.Steps))
	}
	if mi.Kind == "way" {
		m.key("ports").b = mpack.AppendArrayHeader(m.b, len(mi.Ports))
		for _, p := range mi.Ports {
			pm := beginMap(m.b)
			pm.str("locode", p.Locode)
			pm.str("name", p.Name)
			pm.float("lat", p.Lat)
			pm.float("lon", p.Lon)
			m.b = pm.done()
		}
	}
	return m.done()
}

// AppendEmpty appends the answer of calls that return nothing: {}.
func AppendEmpty(b []byte) []byte { return mpack.AppendMapHeader(b, 0) }

// AppendDecodeAnswer appends the answer of decode_ais: {positions: [...]}.
func AppendDecodeAnswer(b []byte, ps []ais.Position) []byte {
	m := beginMap(b)
	m.key("positions").b = AppendPositions(m.b, ps)
	return m.done()
}

// ---- decoding answers (hosts) ----

// Smallest valid encodings of the array elements of answers (see arrayOf):
// a port has locode, name, lat and lon (a destination also prob), a vessel
// mmsi and name, a forecast at least its nine statistics' keys.
const (
	minPortBytes     = 25
	minVesselBytes   = 13
	minForecastBytes = 70
)

// DecodeModelInfo decodes the answer of load.
func DecodeModelInfo(b []byte) (*ModelInfo, error) {
	d := newDec(b)
	mi := &ModelInfo{}
	err := d.fields(func(k string) (bool, error) {
		var err error
		switch k {
		case "handle":
			mi.Handle, err = d.u32()
		case "kind":
			mi.Kind, err = d.str()
		case "features":
			mi.Features, err = d.strings()
		case "steps":
			mi.Steps, err = d.count(math.MaxInt32)
		case "ports":
			var n int
			if n, err = d.arrayOf(minPortBytes); err != nil {
				return true, err
			}
			mi.Ports = make([]export.Port, n)
			for i := range mi.Ports {
				p := &mi.Ports[i]
				if err := d.fields(func(k string) (bool, error) {
					return d.placeField(k, &p.Locode, &p.Name, &p.Lat, &p.Lon)
				}); err != nil {
					return true, fmt.Errorf("port %d: %w", i, err)
				}
			}
		default:
			return false, nil
		}
		return true, err
	})
	return mi, d.end("load answer", err)
}

// placeField reads field k of a port (locode, name, lat, lon); false for
// any other key.
func (d *dec) placeField(k string, locode, name *string, lat, lon *float64) (bool, error) {
	var err error
	switch k {
	case "locode":
		*locode, err = d.str()
	case "name":
		*name, err = d.str()
	case "lat":
		*lat, err = d.d.Float()
	case "lon":
		*lon, err = d.d.Float()
	default:
		return false, nil
	}
	return true, err
}

func (d *dec) strings() ([]string, error) {
	n, err := d.arrayLen()
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range out {
		if out[i], err = d.str(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (d *dec) prediction() (*sdk.Prediction, error) {
	p := &sdk.Prediction{}
	err := d.fields(func(k string) (bool, error) {
		var err error
		switch k {
		case "mmsi":
			p.MMSI, err = d.u32()
		case "departure":
			p.Departure, err = d.str()
		case "departed":
			p.Depart, err = d.time()
		case "at":
			p.At, err = d.time()
		case "lat":
			p.Lat, err = d.d.Float()
		case "lon":
			p.Lon, err = d.d.Float()
		case "cells":
			p.Cells, err = d.count(math.MaxInt32)
		case "destinations":
			var n int
			if n, err = d.arrayOf(minPortBytes); err != nil {
				return true, err
			}
			p.Top = make([]sdk.PortProb, n)
			for i := range p.Top {
				c := &p.Top[i]
				if err := d.fields(func(k string) (bool, error) {
					if k == "prob" {
						var err error
						c.Prob, err = d.d.Float()
						return true, err
					}
					return d.placeField(k, &c.Locode, &c.Name, &c.Lat, &c.Lon)
				}); err != nil {
					return true, fmt.Errorf("destination %d: %w", i, err)
				}
			}
		case "eta_hours":
			p.ETAHours, err = d.d.Float()
		case "eta":
			p.ETA, err = d.time()
		default:
			return false, nil
		}
		return true, err
	})
	return p, err
}

// outcome reads the prediction, status and error keys shared by vessel
// and stream results.
func (d *dec) outcome(k string, p **sdk.Prediction, status, msg *string) (bool, error) {
	var err error
	switch k {
	case "prediction":
		*p, err = d.prediction()
	case "status":
		*status, err = d.str()
	case "error":
		*msg, err = d.str()
	default:
		return false, nil
	}
	return true, err
}

func outcomeErr(p *sdk.Prediction, status, msg string) error {
	if p != nil {
		return nil
	}
	if status == "" {
		return fmt.Errorf("%w: neither prediction nor status", ErrMalformed)
	}
	return vesselError(status, msg)
}

// DecodePredictAnswer decodes the answer of predict. A vessel without a
// prediction gets an Err for which errors.Is(err, sdk.ErrNoVoyage) holds
// when its status is no_voyage.
func DecodePredictAnswer(b []byte) ([]sdk.VesselResult, error) {
	d := newDec(b)
	var out []sdk.VesselResult
	err := d.fields(func(k string) (bool, error) {
		if k != "vessels" {
			return false, nil
		}
		n, err := d.arrayOf(minVesselBytes)
		if err != nil {
			return true, err
		}
		out = make([]sdk.VesselResult, n)
		for i := range out {
			r := &out[i]
			var status, msg string
			err := d.fields(func(k string) (bool, error) {
				var err error
				switch k {
				case "mmsi":
					r.MMSI, err = d.u32()
				case "name":
					r.Name, err = d.str()
				default:
					return d.outcome(k, &r.Prediction, &status, &msg)
				}
				return true, err
			})
			if err == nil {
				r.Err = outcomeErr(r.Prediction, status, msg)
			}
			if err != nil {
				return true, fmt.Errorf("vessel %d: %w", i, err)
			}
		}
		return true, nil
	})
	return out, d.end("predict answer", err)
}

// DecodeStreamResult decodes the answer of stream_push.
func DecodeStreamResult(b []byte) (*StreamResult, error) {
	d := newDec(b)
	r := &StreamResult{}
	var status, msg string
	err := d.fields(func(k string) (bool, error) {
		var err error
		switch k {
		case "mmsi":
			r.MMSI, err = d.u32()
		case "dropped":
			r.Dropped, err = d.count(math.MaxInt32)
		default:
			return d.outcome(k, &r.Prediction, &status, &msg)
		}
		return true, err
	})
	if err == nil {
		err = outcomeErr(r.Prediction, status, msg)
		if err != nil && StatusOf(err) == NoVoyage {
			r.Err, err = err, nil
		}
	}
	return r, d.end("stream answer", err)
}

// DecodeForecastAnswer decodes the answer of forecast.
func DecodeForecastAnswer(b []byte) ([]KeyedForecast, error) {
	d := newDec(b)
	var out []KeyedForecast
	err := d.fields(func(k string) (bool, error) {
		if k != "forecasts" {
			return false, nil
		}
		n, err := d.arrayOf(minForecastBytes)
		if err != nil {
			return true, err
		}
		out = make([]KeyedForecast, n)
		for i := range out {
			f := &out[i]
			if err := d.fields(func(k string) (bool, error) {
				var err error
				switch k {
				case "key":
					f.Key, err = d.d.Uint()
				case "mean":
					f.Mean, err = d.d.Float()
				case "total":
					f.Total, err = d.d.Float()
				case "epistemic":
					f.Epistemic, err = d.d.Float()
				case "aleatoric":
					f.Aleatoric, err = d.d.Float()
				case "lo90":
					f.Lo90, err = d.d.Float()
				case "hi90":
					f.Hi90, err = d.d.Float()
				case "samples":
					f.Samples, err = d.float64s()
				case "sample_var":
					f.SampleVar, err = d.float64s()
				default: // std is derived from total
					return false, nil
				}
				return true, err
			}); err != nil {
				return true, fmt.Errorf("forecast %d: %w", i, err)
			}
		}
		return true, nil
	})
	return out, d.end("forecast answer", err)
}

// DecodeDecodeAnswer decodes the answer of decode_ais.
func DecodeDecodeAnswer(b []byte) ([]ais.Position, error) {
	d := newDec(b)
	var out []ais.Position
	err := d.fields(func(k string) (bool, error) {
		if k != "positions" {
			return false, nil
		}
		var err error
		out, err = d.positions()
		return true, err
	})
	return out, d.end("decode answer", err)
}

// DecodeEmpty checks the answer of calls that return nothing.
func DecodeEmpty(b []byte) error {
	d := newDec(b)
	return d.end("answer", d.fields(func(string) (bool, error) { return false, nil }))
}
