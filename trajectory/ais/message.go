package ais

import (
	"fmt"
	"math"
	"time"
)

// Opt is an optional value. Valid is false when the message said "not
// available" (or sent a value outside the field's range), and V is then the
// zero value, never a plausible-looking number.
type Opt[T any] struct {
	V     T
	Valid bool
}

func some[T any](v T) Opt[T] { return Opt[T]{V: v, Valid: true} }

// Get returns the value and whether it is present.
func (o Opt[T]) Get() (T, bool) { return o.V, o.Valid }

// ETA is the estimated time of arrival as a type 5 message reports it:
// month, day, hour and minute in UTC, without a year.
type ETA struct {
	Month, Day, Hour, Minute int
	// Valid is true when month and day are given and form a date. A
	// missing hour or minute (24 or 60 on the wire) reads as 0.
	Valid bool
}

// String formats the ETA as MM-DDTHH:MM, or "" when it is not valid.
func (e ETA) String() string {
	if !e.Valid {
		return ""
	}
	return fmt.Sprintf("%02d-%02dT%02d:%02d", e.Month, e.Day, e.Hour, e.Minute)
}

// Resolve places the ETA in the year that puts it nearest to ref (the time
// the report was received), so an ETA of 2 January reported on 30 December
// falls in the next year. It reports false when the ETA is not valid.
func (e ETA) Resolve(ref time.Time) (time.Time, bool) {
	if !e.Valid {
		return time.Time{}, false
	}
	ref = ref.UTC()
	var best time.Time
	for y := ref.Year() - 1; y <= ref.Year()+1; y++ {
		t := time.Date(y, time.Month(e.Month), e.Day, e.Hour, e.Minute, 0, 0, time.UTC)
		if t.Day() != e.Day { // 29 February in a common year
			continue
		}
		if best.IsZero() || absDur(t.Sub(ref)) < absDur(best.Sub(ref)) {
			best = t
		}
	}
	return best, !best.IsZero()
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// Message is one decoded AIS message. Which fields are meaningful depends on
// Type; the others are zero (and their Opt fields not Valid).
type Message struct {
	Type   int    // message type, 1..27
	Repeat int    // repeat indicator, 0..3
	MMSI   uint32 // source MMSI
	Own    bool   // from a VDO sentence: the receiving station's own vessel
	// Channel is the radio channel ('A' or 'B', sometimes '1' or '2'), or
	// 0 when the sentence left it empty.
	Channel byte
	// Time is when the message was received, from a tag block, a receiver
	// timestamp prefix or a $PGHP line; zero when the input carries none.
	Time time.Time
	// Source is the tag block's source station (s:), if any.
	Source string

	// Position and motion: types 1, 2, 3, 18, 19, 27 (and 4 for position).
	Lat, Lon  Opt[float64] // degrees WGS84; both valid or both absent
	SOG       Opt[float64] // speed over ground, knots (102.2 means 102.2 or more)
	COG       Opt[float64] // course over ground, degrees true
	Heading   Opt[int]     // true heading, degrees
	ROT       Opt[float64] // rate of turn, degrees per minute, positive to starboard
	NavStatus Opt[int]     // navigational status 0..14 (15, "not defined", is absent)
	Accuracy  bool         // position accuracy: true for high (< 10 m)
	Second    Opt[int]     // UTC second of the position fix, 0..59
	Maneuver  int          // special manoeuvre indicator, 0..2
	RAIM      bool         // RAIM in use

	// Static and voyage data: types 5, 19, 24.
	PartNum     int         // type 24: 0 for part A (name), 1 for part B
	IMO         Opt[uint32] // IMO number
	CallSign    string
	Name        string
	ShipType    Opt[int] // ship and cargo type, 1..99
	ToBow       Opt[int] // metres from the reference point (511 means 511 or more)
	ToStern     Opt[int]
	ToPort      Opt[int]
	ToStarboard Opt[int]
	EPFD        int          // position fixing device type
	Draught     Opt[float64] // maximum present static draught, metres
	Destination string
	ETA         ETA
	VendorID    string // type 24 part B
	Mothership  uint32 // type 24 part B, auxiliary craft only

	// Base station report: type 4.
	UTC Opt[time.Time]
}

// HasPosition reports whether the message carries a position.
func (m *Message) HasPosition() bool { return m.Lat.Valid && m.Lon.Valid }

// IsStatic reports whether the message carries static or voyage data.
func (m *Message) IsStatic() bool { return m.Type == 5 || m.Type == 19 || m.Type == 24 }

// Supported reports whether Decode decodes message type t.
func Supported(t int) bool {
	switch t {
	case 1, 2, 3, 4, 5, 18, 19, 24, 27:
		return true
	}
	return false
}

// DecodeError says why a payload could not be decoded.
type DecodeError struct {
	Type   int    // message type, when it could be read
	Reason string // one of the Reason* constants
	Detail string
}

func (e *DecodeError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("ais: type %d: %s: %s", e.Type, e.Reason, e.Detail)
	}
	return fmt.Sprintf("ais: type %d: %s", e.Type, e.Reason)
}

// minBits is the shortest payload accepted for each supported type.
var minBits = [28]int{1: 168, 2: 168, 3: 168, 4: 168, 5: 420, 18: 168, 19: 312, 24: 160, 27: 96}

// Decode decodes an armoured payload (the concatenated fragments) with the
// given number of fill bits into m, overwriting it. Unsupported types return
// a *DecodeError with Reason ReasonUnsupported and m.Type set.
func Decode(armoured []byte, fillBits int, m *Message) error {
	var p payload
	if fillBits < 0 || fillBits > 5 {
		return &DecodeError{Reason: ReasonFillBits, Detail: fmt.Sprintf("%d fill bits", fillBits)}
	}
	if !p.appendArmoured(armoured, fillBits) {
		return &DecodeError{Reason: ReasonArmour}
	}
	return decodeBits(&p, m)
}

func decodeBits(p *payload, m *Message) error {
	keep := *m
	*m = Message{Own: keep.Own, Channel: keep.Channel, Time: keep.Time, Source: keep.Source}
	if p.nbit < 38 {
		if p.nbit == 0 {
			return &DecodeError{Reason: ReasonEmpty}
		}
		return &DecodeError{Reason: ReasonShort, Detail: fmt.Sprintf("%d bits", p.nbit)}
	}
	m.Type = int(p.u(0, 6))
	m.Repeat = int(p.u(6, 2))
	m.MMSI = p.u(8, 30)
	if !Supported(m.Type) {
		return &DecodeError{Type: m.Type, Reason: ReasonUnsupported}
	}
	if m.Type == 24 && p.u(38, 2) == 1 {
		// part B is 168 bits
		if p.nbit < 168 {
			return &DecodeError{Type: m.Type, Reason: ReasonShort, Detail: fmt.Sprintf("%d bits, want 168", p.nbit)}
		}
	}
	if want := minBits[m.Type]; p.nbit < want {
		return &DecodeError{Type: m.Type, Reason: ReasonShort, Detail: fmt.Sprintf("%d bits, want %d", p.nbit, want)}
	}
	switch m.Type {
	case 1, 2, 3:
		m.NavStatus = navStatus(p.u(38, 4))
		m.ROT = rot(p.s(42, 8))
		m.SOG = sog(p.u(50, 10))
		m.Accuracy = p.u(60, 1) == 1
		m.Lon, m.Lat = position(p.s(61, 28), p.s(89, 27), 600000)
		m.COG = cog(p.u(116, 12))
		m.Heading = heading(p.u(128, 9))
		m.Second = second(p.u(137, 6))
		m.Maneuver = int(p.u(143, 2))
		m.RAIM = p.u(148, 1) == 1
	case 4:
		m.UTC = baseTime(p)
		m.Accuracy = p.u(78, 1) == 1
		m.Lon, m.Lat = position(p.s(79, 28), p.s(107, 27), 600000)
		m.EPFD = int(p.u(134, 4))
		m.RAIM = p.u(148, 1) == 1
	case 5:
		// 424 bits nominal; the 420- and 422-bit variants read the missing
		// tail (end of destination, DTE) as zero.
		if v := p.u(40, 30); v != 0 {
			m.IMO = some(v)
		}
		m.CallSign = p.text(70, 7)
		m.Name = p.text(112, 20)
		m.ShipType = shipType(p.u(232, 8))
		dims(p, 240, m)
		m.EPFD = int(p.u(270, 4))
		m.ETA = eta(p.u(274, 4), p.u(278, 5), p.u(283, 5), p.u(288, 6))
		if d := p.u(294, 8); d != 0 {
			m.Draught = some(float64(d) / 10)
		}
		m.Destination = p.text(302, 20)
	case 18, 19:
		m.SOG = sog(p.u(46, 10))
		m.Accuracy = p.u(56, 1) == 1
		m.Lon, m.Lat = position(p.s(57, 28), p.s(85, 27), 600000)
		m.COG = cog(p.u(112, 12))
		m.Heading = heading(p.u(124, 9))
		m.Second = second(p.u(133, 6))
		if m.Type == 18 {
			m.RAIM = p.u(147, 1) == 1
		} else {
			m.Name = p.text(143, 20)
			m.ShipType = shipType(p.u(263, 8))
			dims(p, 271, m)
			m.EPFD = int(p.u(301, 4))
			m.RAIM = p.u(305, 1) == 1
		}
	case 24:
		m.PartNum = int(p.u(38, 2))
		switch m.PartNum {
		case 0:
			m.Name = p.text(40, 20)
		case 1:
			m.ShipType = shipType(p.u(40, 8))
			m.VendorID = p.text(48, 3)
			m.CallSign = p.text(90, 7)
			if m.MMSI/10000000 == 98 { // auxiliary craft: mothership MMSI instead of dimensions
				m.Mothership = p.u(132, 30)
			} else {
				dims(p, 132, m)
			}
		default:
			return &DecodeError{Type: m.Type, Reason: ReasonBadField, Detail: fmt.Sprintf("part number %d", m.PartNum)}
		}
	case 27:
		m.Accuracy = p.u(38, 1) == 1
		m.RAIM = p.u(39, 1) == 1
		m.NavStatus = navStatus(p.u(40, 4))
		m.Lon, m.Lat = position(p.s(44, 18), p.s(62, 17), 600)
		if v := p.u(79, 6); v != 63 {
			m.SOG = some(float64(v))
		}
		if v := p.u(85, 9); v < 360 {
			m.COG = some(float64(v))
		}
	}
	return nil
}

// position converts raw longitude and latitude in 1/scale degrees. The
// "not available" values (181° and 91°) and anything off the globe make
// both absent.
func position(lon, lat int32, scale float64) (Opt[float64], Opt[float64]) {
	x, y := float64(lon)/scale, float64(lat)/scale
	if x < -180 || x > 180 || y < -90 || y > 90 {
		return Opt[float64]{}, Opt[float64]{}
	}
	return some(x), some(y)
}

// sog converts speed in 0.1 knot; 1023 is "not available".
func sog(v uint32) Opt[float64] {
	if v == 1023 {
		return Opt[float64]{}
	}
	return some(float64(v) / 10)
}

// cog converts course in 0.1°; 3600 is "not available", above is invalid.
func cog(v uint32) Opt[float64] {
	if v >= 3600 {
		return Opt[float64]{}
	}
	return some(float64(v) / 10)
}

// heading: 511 is "not available", 360..510 invalid.
func heading(v uint32) Opt[int] {
	if v >= 360 {
		return Opt[int]{}
	}
	return some(int(v))
}

// second: 60 not available, 61..63 positioning-system states.
func second(v uint32) Opt[int] {
	if v >= 60 {
		return Opt[int]{}
	}
	return some(int(v))
}

// navStatus: 15 is "not defined" (the default).
func navStatus(v uint32) Opt[int] {
	if v == 15 {
		return Opt[int]{}
	}
	return some(int(v))
}

// rot converts the raw rate-of-turn indicator: ROT = sign·(raw/4.733)²
// degrees per minute. −128 is "not available"; ±127 means turning faster
// than 5° per 30 s with no turn indicator, a rate the message does not give,
// so it is absent too.
func rot(raw int32) Opt[float64] {
	switch {
	case raw == -128 || raw == 127 || raw == -127:
		return Opt[float64]{}
	case raw == 0:
		return some(0.0)
	}
	r := float64(raw) / 4.733
	return some(math.Copysign(r*r, r))
}

// shipType: 0 is "not available".
func shipType(v uint32) Opt[int] {
	if v == 0 || v > 99 {
		return Opt[int]{}
	}
	return some(int(v))
}

// dims reads the 30-bit dimension block at off; 0 is "not available".
func dims(p *payload, off int, m *Message) {
	get := func(v uint32) Opt[int] {
		if v == 0 {
			return Opt[int]{}
		}
		return some(int(v))
	}
	m.ToBow = get(p.u(off, 9))
	m.ToStern = get(p.u(off+9, 9))
	m.ToPort = get(p.u(off+18, 6))
	m.ToStarboard = get(p.u(off+24, 6))
}

func eta(month, day, hour, minute uint32) ETA {
	e := ETA{Month: int(month), Day: int(day), Hour: int(hour), Minute: int(minute)}
	if e.Hour >= 24 {
		e.Hour = 0
	}
	if e.Minute >= 60 {
		e.Minute = 0
	}
	e.Valid = month >= 1 && month <= 12 && day >= 1 && day <= 31 &&
		time.Date(2024, time.Month(month), int(day), 0, 0, 0, 0, time.UTC).Day() == int(day) // 2024: leap year
	return e
}

// baseTime reads the UTC date and time of a type 4 report; any
// "not available" part makes the whole time absent.
func baseTime(p *payload) Opt[time.Time] {
	y, mo, d := int(p.u(38, 14)), int(p.u(52, 4)), int(p.u(56, 5))
	h, mi, s := int(p.u(61, 5)), int(p.u(66, 6)), int(p.u(72, 6))
	if y == 0 || mo == 0 || mo > 12 || d == 0 || h > 23 || mi > 59 || s > 59 {
		return Opt[time.Time]{}
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC)
	if t.Day() != d {
		return Opt[time.Time]{}
	}
	return some(t)
}
