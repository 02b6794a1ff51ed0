package ais

import (
	"time"
)

// Static is what a vessel says about itself in static and voyage messages
// (types 5, 19, 24) or in the static columns of a CSV export.
type Static struct {
	IMO         Opt[uint32]
	Name        string
	CallSign    string
	ShipType    Opt[int]     // AIS ship and cargo type, 1..99
	Length      Opt[int]     // metres, bow + stern
	Width       Opt[int]     // metres, port + starboard
	Draught     Opt[float64] // metres
	Destination string       // free text as reported
	ETA         ETA          // reported ETA without a year; see Position.ReportedETA
	// ETATime is a full ETA when the source gives one (CSV exports do);
	// it takes precedence over ETA.
	ETATime Opt[time.Time]
	// Updated is the receive time of the latest static data, zero if unknown.
	Updated time.Time
}

// Position is a position report merged with the vessel's latest static data.
type Position struct {
	MMSI      uint32
	Time      time.Time // receive time; zero when the input has none
	Lat, Lon  float64   // degrees; always present
	SOG       Opt[float64]
	COG       Opt[float64]
	Heading   Opt[int]
	ROT       Opt[float64]
	NavStatus Opt[int]
	ClassB    bool // from a class B transponder (types 18, 19)
	Static    Static
}

// ReportedETA returns the vessel's reported ETA as a time: the full ETA
// when the source gave one, else the month/day/hour/minute placed in the
// year nearest the report time.
func (p *Position) ReportedETA() (time.Time, bool) {
	if p.Static.ETATime.Valid {
		return p.Static.ETATime.V, true
	}
	ref := p.Time
	if !p.Static.Updated.IsZero() {
		ref = p.Static.Updated
	}
	if ref.IsZero() {
		return time.Time{}, false
	}
	return p.Static.ETA.Resolve(ref)
}

// Tracker merges static data into position reports, per MMSI.
type Tracker struct {
	static map[uint32]*Static
}

// NewTracker returns an empty Tracker.
func NewTracker() *Tracker { return &Tracker{static: map[uint32]*Static{}} }

// Len returns the number of vessels with static data.
func (t *Tracker) Len() int { return len(t.static) }

// Static returns the latest static data of a vessel.
func (t *Tracker) Static(mmsi uint32) (Static, bool) {
	s, ok := t.static[mmsi]
	if !ok {
		return Static{}, false
	}
	return *s, true
}

// Update takes one message. Static messages update the vessel's static
// data; a position report (types 1, 2, 3, 18, 19, 27 with a valid
// position) is returned merged with the latest static data, with ok true.
// Base stations (type 4) and other messages return ok false.
func (t *Tracker) Update(m *Message) (p Position, ok bool) {
	if m.IsStatic() {
		t.updateStatic(m)
	}
	switch m.Type {
	case 1, 2, 3, 18, 19, 27:
	default:
		return Position{}, false
	}
	if !m.HasPosition() {
		return Position{}, false
	}
	p = Position{
		MMSI: m.MMSI, Time: m.Time, Lat: m.Lat.V, Lon: m.Lon.V,
		SOG: m.SOG, COG: m.COG, Heading: m.Heading, ROT: m.ROT, NavStatus: m.NavStatus,
		ClassB: m.Type == 18 || m.Type == 19,
	}
	if s, ok := t.static[m.MMSI]; ok {
		p.Static = *s
	}
	return p, true
}

func (t *Tracker) updateStatic(m *Message) {
	s := t.static[m.MMSI]
	if s == nil {
		s = &Static{}
		t.static[m.MMSI] = s
	}
	if !m.Time.IsZero() {
		s.Updated = m.Time
	}
	setStr := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setStr(&s.Name, m.Name)
	setStr(&s.CallSign, m.CallSign)
	if m.ShipType.Valid {
		s.ShipType = m.ShipType
	}
	if m.ToBow.Valid && m.ToStern.Valid {
		s.Length = some(m.ToBow.V + m.ToStern.V)
	}
	if m.ToPort.Valid && m.ToStarboard.Valid {
		s.Width = some(m.ToPort.V + m.ToStarboard.V)
	}
	if m.Type == 5 {
		// Voyage data is replaced as a whole: an absent value in a new
		// report means the crew cleared it.
		if m.IMO.Valid {
			s.IMO = m.IMO
		}
		s.Draught = m.Draught
		s.Destination = m.Destination
		s.ETA = m.ETA
		s.ETATime = Opt[time.Time]{}
	}
}
