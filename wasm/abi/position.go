package abi

import (
	"fmt"
	"math"
	"time"

	"github.com/portolan-sdk/portolan/internal/mpack"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// minPositionBytes is the size of the smallest valid position, {"mmsi": 0,
// "lat": 0, "lon": 0}: arrays claiming more positions than the bytes left
// could hold are refused before anything is allocated.
const minPositionBytes = 17

// AppendPosition appends a position (docs/SCHEMA.md, Position): a map with
// mmsi, lat and lon always, and the other fields only when present. eta is
// the vessel's reported ETA resolved to a full time (ais.Position.ReportedETA).
func AppendPosition(b []byte, p *ais.Position) []byte {
	m := beginMap(b)
	m.uint("mmsi", uint64(p.MMSI))
	if !p.Time.IsZero() {
		m.time("time", p.Time)
	}
	m.float("lat", p.Lat)
	m.float("lon", p.Lon)
	optFloat(&m, "sog", p.SOG)
	optFloat(&m, "cog", p.COG)
	optInt(&m, "heading", p.Heading)
	optFloat(&m, "rot", p.ROT)
	optInt(&m, "nav_status", p.NavStatus)
	if p.ClassB {
		m.bool("class_b", true)
	}
	if p.Static.Name != "" {
		m.str("name", p.Static.Name)
	}
	optInt(&m, "ship_type", p.Static.ShipType)
	optFloat(&m, "draught", p.Static.Draught)
	if p.Static.Destination != "" {
		m.str("destination", p.Static.Destination)
	}
	if eta, ok := p.ReportedETA(); ok {
		m.time("eta", eta)
	}
	return m.done()
}

func optFloat(m *mapEnc, k string, v ais.Opt[float64]) {
	if v.Valid {
		m.float(k, v.V)
	}
}

func optInt(m *mapEnc, k string, v ais.Opt[int]) {
	if v.Valid {
		m.int(k, int64(v.V))
	}
}

// AppendPositions appends an array of positions.
func AppendPositions(b []byte, ps []ais.Position) []byte {
	b = mpack.AppendArrayHeader(b, len(ps))
	for i := range ps {
		b = AppendPosition(b, &ps[i])
	}
	return b
}

// position reads a position. lat and lon are required and must be on the
// globe; mmsi is required.
func (d *dec) position(p *ais.Position) error {
	var hasMMSI, hasLat, hasLon bool
	err := d.fields(func(k string) (bool, error) {
		var err error
		switch k {
		case "mmsi":
			p.MMSI, err = d.u32()
			hasMMSI = true
		case "time":
			p.Time, err = d.time()
		case "lat":
			p.Lat, err = d.d.Float()
			hasLat = true
		case "lon":
			p.Lon, err = d.d.Float()
			hasLon = true
		case "sog":
			p.SOG, err = d.optFloat()
		case "cog":
			p.COG, err = d.optFloat()
		case "heading":
			p.Heading, err = d.optInt()
		case "rot":
			p.ROT, err = d.optFloat()
		case "nav_status":
			p.NavStatus, err = d.optInt()
		case "class_b":
			if d.d.IsNil() {
				return true, d.d.Nil()
			}
			p.ClassB, err = d.d.Bool()
		case "name":
			p.Static.Name, err = d.str()
		case "ship_type":
			p.Static.ShipType, err = d.optInt()
		case "draught":
			p.Static.Draught, err = d.optFloat()
		case "destination":
			p.Static.Destination, err = d.str()
		case "eta":
			var t time.Time
			if t, err = d.time(); err == nil && !t.IsZero() {
				p.Static.ETATime = ais.Opt[time.Time]{V: t, Valid: true}
			}
		default:
			return false, nil
		}
		return true, err
	})
	switch {
	case err != nil:
		return err
	case !hasMMSI || !hasLat || !hasLon:
		return fmt.Errorf("%w: a position needs mmsi, lat and lon", ErrMalformed)
	case !(p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180):
		return fmt.Errorf("%w: position %v, %v is off the globe", ErrMalformed, p.Lat, p.Lon)
	}
	for _, v := range []ais.Opt[float64]{p.SOG, p.COG, p.ROT, p.Static.Draught} {
		if v.Valid && (math.IsNaN(v.V) || math.IsInf(v.V, 0)) {
			return fmt.Errorf("%w: non-finite value in the position of %d", ErrMalformed, p.MMSI)
		}
	}
	return nil
}

// positions reads an array of positions.
func (d *dec) positions() ([]ais.Position, error) {
	n, err := d.arrayOf(minPositionBytes)
	if err != nil {
		return nil, err
	}
	out := make([]ais.Position, n)
	for i := range out {
		if err := d.position(&out[i]); err != nil {
			return nil, fmt.Errorf("position %d: %w", i, err)
		}
	}
	return out, nil
}
