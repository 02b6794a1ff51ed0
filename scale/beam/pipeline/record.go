package pipeline

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// Record is one vessel's AIS input on its way through the shuffle by MMSI:
// a position (a CSV row, with the static columns it carries) or an NMEA
// message (a position report or static data, merged per vessel by an
// ais.Tracker after the shuffle), with its place in the input. Records of
// a vessel are put in order by (time, file, seq): time order, and read
// order among equal times, as portolan predict reads its inputs in turn.
type Record struct {
	File int32 // index of the input file in the sorted list of matches
	Seq  int64 // index of the record in its file
	// Msg is set for NMEA input; Pos otherwise.
	Msg *ais.Message
	Pos ais.Position
}

// Time returns the record's receive time.
func (r *Record) Time() time.Time {
	if r.Msg != nil {
		return r.Msg.Time
	}
	return r.Pos.Time
}

// compareRecords orders records by time, then file, then seq.
func compareRecords(a, b *Record) int {
	if c := a.Time().Compare(b.Time()); c != 0 {
		return c
	}
	if a.File != b.File {
		return int(a.File - b.File)
	}
	switch {
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// The records of one vessel from one bundle of input travel as one byte
// string (Beam's bytes coder): a uvarint count, then each record. Only
// the fields that cleaning, voyages, the model's features and ais.Tracker
// read are kept.

const (
	kindPosition = 0
	kindMessage  = 1
)

var errRecords = errors.New("pipeline: damaged record batch")

type enc struct{ b []byte }

func (e *enc) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) f64(v float64)    { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *enc) str(s string) { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) time(t time.Time) {
	if t.IsZero() {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.varint(t.UnixNano())
}
func (e *enc) optF(o ais.Opt[float64]) {
	e.bool(o.Valid)
	if o.Valid {
		e.f64(o.V)
	}
}
func (e *enc) optI(o ais.Opt[int]) {
	e.bool(o.Valid)
	if o.Valid {
		e.varint(int64(o.V))
	}
}
func (e *enc) eta(x ais.ETA) {
	e.bool(x.Valid)
	if x.Valid {
		e.b = append(e.b, byte(x.Month), byte(x.Day), byte(x.Hour), byte(x.Minute))
	}
}

type dec struct {
	b    []byte
	err  error
	strs [4]string // the last string read of each kind: a vessel's records repeat them
}

func (d *dec) fail() { d.err, d.b = errRecords, nil }
func (d *dec) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}
func (d *dec) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}
func (d *dec) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}
func (d *dec) f64() float64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}
func (d *dec) bool() bool { return d.byte() == 1 }

// str reads a string of kind k (0..3), reusing the previous one of that
// kind when it is the same.
func (d *dec) str(k int) string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	if string(d.b[:n]) != d.strs[k] {
		d.strs[k] = string(d.b[:n])
	}
	d.b = d.b[n:]
	return d.strs[k]
}
func (d *dec) time() time.Time {
	if d.byte() == 0 {
		return time.Time{}
	}
	return time.Unix(0, d.varint()).UTC()
}
func (d *dec) optF() (o ais.Opt[float64]) {
	if o.Valid = d.bool(); o.Valid {
		o.V = d.f64()
	}
	return o
}
func (d *dec) optI() (o ais.Opt[int]) {
	if o.Valid = d.bool(); o.Valid {
		o.V = int(d.varint())
	}
	return o
}
func (d *dec) eta() (x ais.ETA) {
	if x.Valid = d.bool(); x.Valid {
		x.Month, x.Day, x.Hour, x.Minute = int(d.byte()), int(d.byte()), int(d.byte()), int(d.byte())
	}
	return x
}

// appendRecords appends the encoding of recs to dst.
func appendRecords(dst []byte, recs []Record) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(recs)))
	for i := range recs {
		dst = appendRecord(dst, &recs[i])
	}
	return dst
}

// appendRecord appends the encoding of one record to dst (a batch is a
// uvarint count, then its records).
func appendRecord(dst []byte, r *Record) []byte {
	e := enc{b: dst}
	e.varint(int64(r.File))
	e.varint(r.Seq)
	if m := r.Msg; m != nil {
		e.b = append(e.b, kindMessage)
		e.uvarint(uint64(m.Type))
		e.uvarint(uint64(m.MMSI))
		e.time(m.Time)
		e.optF(m.Lat)
		e.optF(m.Lon)
		e.optF(m.SOG)
		e.optF(m.COG)
		e.optI(m.Heading)
		e.optF(m.ROT)
		e.optI(m.NavStatus)
		e.bool(m.IMO.Valid)
		e.uvarint(uint64(m.IMO.V))
		e.str(m.CallSign)
		e.str(m.Name)
		e.optI(m.ShipType)
		e.optI(m.ToBow)
		e.optI(m.ToStern)
		e.optI(m.ToPort)
		e.optI(m.ToStarboard)
		e.optF(m.Draught)
		e.str(m.Destination)
		e.eta(m.ETA)
		return e.b
	}
	p := &r.Pos
	e.b = append(e.b, kindPosition)
	e.uvarint(uint64(p.MMSI))
	e.time(p.Time)
	e.f64(p.Lat)
	e.f64(p.Lon)
	e.optF(p.SOG)
	e.optF(p.COG)
	e.optI(p.Heading)
	e.optF(p.ROT)
	e.optI(p.NavStatus)
	e.bool(p.ClassB)
	s := &p.Static
	e.bool(s.IMO.Valid)
	e.uvarint(uint64(s.IMO.V))
	e.str(s.Name)
	e.str(s.CallSign)
	e.optI(s.ShipType)
	e.optI(s.Length)
	e.optI(s.Width)
	e.optF(s.Draught)
	e.str(s.Destination)
	e.eta(s.ETA)
	e.bool(s.ETATime.Valid)
	e.time(s.ETATime.V)
	e.time(s.Updated)
	return e.b
}

// maxBatch bounds the records one batch may claim, so a damaged count
// cannot make decodeRecords allocate without bound.
const maxBatch = 1 << 24

// decodeRecords appends the records encoded in data to dst.
func decodeRecords(dst []Record, data []byte) ([]Record, error) {
	d := dec{b: data}
	n := d.uvarint()
	if d.err != nil || n > maxBatch || n > uint64(len(data)) {
		return dst, fmt.Errorf("%w: %d records", errRecords, n)
	}
	dst = slices.Grow(dst, int(n))
	for range n {
		var r Record
		r.File = int32(d.varint())
		r.Seq = d.varint()
		switch d.byte() {
		case kindMessage:
			m := &ais.Message{}
			m.Type = int(d.uvarint())
			m.MMSI = uint32(d.uvarint())
			m.Time = d.time()
			m.Lat, m.Lon, m.SOG, m.COG = d.optF(), d.optF(), d.optF(), d.optF()
			m.Heading, m.ROT, m.NavStatus = d.optI(), d.optF(), d.optI()
			m.IMO.Valid = d.bool()
			m.IMO.V = uint32(d.uvarint())
			m.CallSign, m.Name = d.str(0), d.str(1)
			m.ShipType, m.ToBow, m.ToStern, m.ToPort, m.ToStarboard = d.optI(), d.optI(), d.optI(), d.optI(), d.optI()
			m.Draught = d.optF()
			m.Destination = d.str(2)
			m.ETA = d.eta()
			r.Msg = m
		case kindPosition:
			p := &r.Pos
			p.MMSI = uint32(d.uvarint())
			p.Time = d.time()
			p.Lat, p.Lon = d.f64(), d.f64()
			p.SOG, p.COG, p.Heading, p.ROT, p.NavStatus = d.optF(), d.optF(), d.optI(), d.optF(), d.optI()
			p.ClassB = d.bool()
			s := &p.Static
			s.IMO.Valid = d.bool()
			s.IMO.V = uint32(d.uvarint())
			s.Name, s.CallSign = d.str(1), d.str(0)
			s.ShipType, s.Length, s.Width = d.optI(), d.optI(), d.optI()
			s.Draught = d.optF()
			s.Destination = d.str(2)
			s.ETA = d.eta()
			s.ETATime.Valid = d.bool()
			s.ETATime.V = d.time()
			s.Updated = d.time()
		default:
			d.fail()
		}
		if d.err != nil {
			return dst, d.err
		}
		dst = append(dst, r)
	}
	if len(d.b) != 0 {
		return dst, fmt.Errorf("%w: %d trailing bytes", errRecords, len(d.b))
	}
	return dst, nil
}
