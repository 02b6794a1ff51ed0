package abi

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/portolan-sdk/portolan/internal/mpack"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// The requests. Each has Append (hosts encode) and Decode (the guest
// decodes); unknown keys are ignored. Byte fields returned by Decode are
// slices of the request, valid only while the request buffer is.

// Defaults of optional request fields (sdk.NewConfig's).
const (
	DefaultTopK    = 5
	DefaultSamples = 20
	DefaultSeed    = 1
)

// LoadRequest asks the guest to load a bundle: {bundle: bin}.
type LoadRequest struct {
	Bundle []byte // a .portolan file
}

// Append encodes the request.
func (r *LoadRequest) Append(b []byte) []byte {
	m := beginMap(b)
	m.bin("bundle", r.Bundle)
	return m.done()
}

// Decode decodes the request.
func (r *LoadRequest) Decode(b []byte) error {
	return decodeOne(b, "bundle", "load request", func(d *dec) (err error) {
		r.Bundle, err = d.text()
		return err
	})
}

// HandleRequest names a model ({handle: uint}, release) or a stream
// ({stream: uint}, stream_close).
type HandleRequest struct {
	Key    string // "handle" or "stream"
	Handle uint32
}

// Append encodes the request.
func (r *HandleRequest) Append(b []byte) []byte {
	m := beginMap(b)
	m.uint(r.Key, uint64(r.Handle))
	return m.done()
}

// Decode decodes the request; r.Key says which key to read.
func (r *HandleRequest) Decode(b []byte) error {
	return decodeOne(b, r.Key, r.Key+" request", func(d *dec) (err error) {
		r.Handle, err = d.u32()
		return err
	})
}

// DecodeRequest asks the guest to decode AIS text: {ais: str or bin}.
type DecodeRequest struct {
	AIS []byte // NMEA, MarineCadastre CSV or DMA CSV
}

// Append encodes the request.
func (r *DecodeRequest) Append(b []byte) []byte {
	m := beginMap(b)
	m.bin("ais", r.AIS)
	return m.done()
}

// Decode decodes the request.
func (r *DecodeRequest) Decode(b []byte) error {
	return decodeOne(b, "ais", "decode_ais request", func(d *dec) (err error) {
		r.AIS, err = d.text()
		return err
	})
}

// decodeOne decodes a request of one required field, key, read by read;
// other keys are skipped. what names the request in errors.
func decodeOne(b []byte, key, what string, read func(d *dec) error) error {
	d := newDec(b)
	has, err := d.fieldsSeen(func(k string) (bool, error) {
		if k != key {
			return false, nil
		}
		return true, read(d)
	})
	if err == nil {
		err = has.need(key)
	}
	return d.end(what, err)
}

// PredictRequest asks for the destinations of every vessel in AIS text or
// in a list of positions: {handle, top_k?, ais? | positions?}.
type PredictRequest struct {
	Handle    uint32
	TopK      int // default DefaultTopK
	AIS       []byte
	Positions []ais.Position
}

// Append encodes the request. Exactly one of AIS and Positions should be
// set; Positions is written when AIS is nil.
func (r *PredictRequest) Append(b []byte) []byte {
	m := beginMap(b)
	m.uint("handle", uint64(r.Handle))
	m.int("top_k", int64(orDefault(r.TopK, DefaultTopK)))
	if r.AIS != nil {
		m.bin("ais", r.AIS)
	} else {
		m.key("positions").b = AppendPositions(m.b, r.Positions)
	}
	return m.done()
}

// Decode decodes the request.
func (r *PredictRequest) Decode(b []byte) error {
	d := newDec(b)
	r.TopK = DefaultTopK
	has, err := d.fieldsSeen(func(k string) (bool, error) {
		var err error
		switch k {
		case "handle":
			r.Handle, err = d.u32()
		case "top_k":
			r.TopK, err = d.count(MaxTopK)
		case "ais":
			r.AIS, err = d.text()
		case "positions":
			r.Positions, err = d.positions()
		default:
			return false, nil
		}
		return true, err
	})
	if err == nil {
		err = has.need("handle")
	}
	if err == nil && has["ais"] == has["positions"] {
		err = fmt.Errorf("%w: give either ais or positions", ErrMalformed)
	}
	return d.end("predict request", err)
}

// StreamOpenRequest opens a stream for one vessel:
// {handle, mmsi, ship_type?, top_k?}.
type StreamOpenRequest struct {
	Handle   uint32
	MMSI     uint32
	ShipType ais.Opt[int]
	TopK     int // default DefaultTopK
}

// Append encodes the request.
func (r *StreamOpenRequest) Append(b []byte) []byte {
	m := beginMap(b)
	m.uint("handle", uint64(r.Handle))
	m.uint("mmsi", uint64(r.MMSI))
	optInt(&m, "ship_type", r.ShipType)
	m.int("top_k", int64(orDefault(r.TopK, DefaultTopK)))
	return m.done()
}

// Decode decodes the request.
func (r *StreamOpenRequest) Decode(b []byte) error {
	d := newDec(b)
	r.TopK = DefaultTopK
	has, err := d.fieldsSeen(func(k string) (bool, error) {
		var err error
		switch k {
		case "handle":
			r.Handle, err = d.u32()
		case "mmsi":
			r.MMSI, err = d.u32()
		case "ship_type":
			r.ShipType, err = d.optInt()
		case "top_k":
			r.TopK, err = d.count(MaxTopK)
		default:
			return false, nil
		}
		return true, err
	})
	if err == nil {
		err = has.need("handle", "mmsi")
	}
	return d.end("stream_open request", err)
}

// AppendStreamOpenAnswer appends the answer of stream_open: {stream: uint}.
func AppendStreamOpenAnswer(b []byte, stream uint32) []byte {
	return (&HandleRequest{Key: "stream", Handle: stream}).Append(b)
}

// DecodeStreamOpenAnswer decodes the answer of stream_open.
func DecodeStreamOpenAnswer(b []byte) (uint32, error) {
	r := HandleRequest{Key: "stream"}
	err := r.Decode(b)
	return r.Handle, err
}

// StreamPushRequest pushes positions of the stream's vessel, in time
// order: {stream, positions}.
type StreamPushRequest struct {
	Stream    uint32
	Positions []ais.Position
}

// Append encodes the request.
func (r *StreamPushRequest) Append(b []byte) []byte {
	m := beginMap(b)
	m.uint("stream", uint64(r.Stream))
	m.key("positions").b = AppendPositions(m.b, r.Positions)
	return m.done()
}

// Decode decodes the request.
func (r *StreamPushRequest) Decode(b []byte) error {
	d := newDec(b)
	has, err := d.fieldsSeen(func(k string) (bool, error) {
		var err error
		switch k {
		case "stream":
			r.Stream, err = d.u32()
		case "positions":
			r.Positions, err = d.positions()
		default:
			return false, nil
		}
		return true, err
	})
	if err == nil {
		err = has.need("stream", "positions")
	}
	if err == nil && len(r.Positions) == 0 {
		err = fmt.Errorf("%w: no positions", ErrMalformed)
	}
	return d.end("stream_push request", err)
}

// ForecastRequest asks for forecasts of series:
// {handle, series, samples?, seed?, keys?}. Each series is steps ×
// features raw values, row-major: an array of numbers (nil for a gap) or
// a bin of little-endian float32 (NaN for a gap). Keys are the series'
// Monte Carlo keys; by default series i has key i.
type ForecastRequest struct {
	Handle  uint32
	Series  [][]float32
	Samples int    // default DefaultSamples
	Seed    uint64 // default DefaultSeed
	Keys    []uint64
}

// Append encodes the request; series are written as float32 bins.
func (r *ForecastRequest) Append(b []byte) []byte {
	m := beginMap(b)
	m.uint("handle", uint64(r.Handle))
	m.key("series").b = mpack.AppendArrayHeader(m.b, len(r.Series))
	for _, s := range r.Series {
		m.b = appendFloat32Bin(m.b, s)
	}
	m.int("samples", int64(orDefault(r.Samples, DefaultSamples)))
	m.uint("seed", r.Seed)
	if r.Keys != nil {
		m.key("keys").b = mpack.AppendArrayHeader(m.b, len(r.Keys))
		for _, k := range r.Keys {
			m.b = mpack.AppendUint(m.b, k)
		}
	}
	return m.done()
}

// Decode decodes the request.
func (r *ForecastRequest) Decode(b []byte) error {
	d := newDec(b)
	r.Samples, r.Seed = DefaultSamples, DefaultSeed
	has, err := d.fieldsSeen(func(k string) (bool, error) {
		var err error
		switch k {
		case "handle":
			r.Handle, err = d.u32()
		case "series":
			var n int
			if n, err = d.arrayLen(); err != nil {
				return true, err
			}
			r.Series = make([][]float32, 0, min(n, 1024)) // grows with the series present, not the count claimed
			for i := 0; i < n; i++ {
				x, err := d.float32s()
				if err == nil && len(x) == 0 {
					err = fmt.Errorf("%w: no values", ErrMalformed) // and so at least 2 request bytes per series
				}
				if err != nil {
					return true, fmt.Errorf("series %d: %w", i, err)
				}
				r.Series = append(r.Series, x)
			}
		case "samples":
			r.Samples, err = d.count(MaxSamples)
		case "seed":
			r.Seed, err = d.d.Uint()
		case "keys":
			var n int
			if n, err = d.arrayLen(); err != nil {
				return true, err
			}
			r.Keys = make([]uint64, 0, min(n, 1024)) // grows with the keys present
			for i := 0; i < n; i++ {
				k, err := d.d.Uint()
				if err != nil {
					return true, err
				}
				r.Keys = append(r.Keys, k)
			}
		default:
			return false, nil
		}
		return true, err
	})
	if err == nil {
		err = has.need("handle", "series")
	}
	if err == nil && r.Keys != nil && len(r.Keys) != len(r.Series) {
		err = fmt.Errorf("%w: %d keys for %d series", ErrMalformed, len(r.Keys), len(r.Series))
	}
	return d.end("forecast request", err)
}

func appendFloat32Bin(b []byte, v []float32) []byte {
	raw := make([]byte, 0, 4*len(v))
	for _, x := range v {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(x))
	}
	return mpack.AppendBytes(b, raw)
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// hasKeys records which keys a request had.
// hasKeys is the set of keys a request held.
type hasKeys map[string]bool

// fieldsSeen is fields that also returns the keys field took.
func (d *dec) fieldsSeen(field func(k string) (bool, error)) (hasKeys, error) {
	has := hasKeys{}
	err := d.fields(func(k string) (bool, error) {
		took, err := field(k)
		if took {
			has[k] = true
		}
		return took, err
	})
	return has, err
}

func (h hasKeys) need(keys ...string) error {
	for _, k := range keys {
		if !h[k] {
			return fmt.Errorf("%w: no %s", ErrMalformed, k)
		}
	}
	return nil
}

// ConformanceRequest asks the guest to evaluate a reference vector file
// against its model: {vectors: bin, model: bin}. The answer is
// internal/conformance's Result, with the JSON field names
// (docs/CONFORMANCE.md).
type ConformanceRequest struct {
	Vectors, Model []byte
}

// Append encodes the request.
func (r *ConformanceRequest) Append(b []byte) []byte {
	m := beginMap(b)
	m.bin("vectors", r.Vectors)
	m.bin("model", r.Model)
	return m.done()
}

// Decode decodes the request.
func (r *ConformanceRequest) Decode(b []byte) error {
	d := newDec(b)
	has, err := d.fieldsSeen(func(k string) (bool, error) {
		var err error
		switch k {
		case "vectors":
			r.Vectors, err = d.text()
		case "model":
			r.Model, err = d.text()
		default:
			return false, nil
		}
		return true, err
	})
	if err == nil {
		err = has.need("vectors", "model")
	}
	return d.end("conformance request", err)
}
