package ais

import (
	"strconv"
	"time"
)

// AppendJSON appends m as one JSON object. Absent values are left out;
// field names are snake_case and units are those of Message.
func AppendJSON(dst []byte, m *Message) []byte {
	w := jsonWriter{b: append(dst, '{')}
	w.int("type", m.Type)
	w.uint("mmsi", uint64(m.MMSI))
	if m.Repeat != 0 {
		w.int("repeat", m.Repeat)
	}
	if !m.Time.IsZero() {
		w.str("time", m.Time.UTC().Format(time.RFC3339Nano))
	}
	if m.Channel != 0 {
		w.str("channel", string(m.Channel))
	}
	if m.Source != "" {
		w.str("source", m.Source)
	}
	if m.Own {
		w.bool("own", true)
	}
	switch m.Type {
	case 1, 2, 3, 4, 18, 19, 27:
		if m.HasPosition() {
			w.float("lat", m.Lat.V)
			w.float("lon", m.Lon.V)
		}
		w.optFloat("sog", m.SOG)
		w.optFloat("cog", m.COG)
		w.optInt("heading", m.Heading)
		w.optFloat("rot", m.ROT)
		w.optInt("nav_status", m.NavStatus)
		w.bool("accuracy", m.Accuracy)
		w.optInt("second", m.Second)
		w.bool("raim", m.RAIM)
		if m.Type <= 3 {
			w.int("maneuver", m.Maneuver)
		}
	}
	if m.Type == 4 && m.UTC.Valid {
		w.str("utc", m.UTC.V.Format(time.RFC3339))
	}
	if m.Type == 24 {
		w.int("part", m.PartNum)
	}
	if m.IsStatic() {
		if m.IMO.Valid {
			w.uint("imo", uint64(m.IMO.V))
		}
		w.optStr("callsign", m.CallSign)
		w.optStr("name", m.Name)
		w.optInt("ship_type", m.ShipType)
		w.optInt("to_bow", m.ToBow)
		w.optInt("to_stern", m.ToStern)
		w.optInt("to_port", m.ToPort)
		w.optInt("to_starboard", m.ToStarboard)
		w.optFloat("draught", m.Draught)
		w.optStr("destination", m.Destination)
		if m.ETA.Valid {
			w.str("eta", m.ETA.String())
		}
		w.optStr("vendor_id", m.VendorID)
		if m.Mothership != 0 {
			w.uint("mothership_mmsi", uint64(m.Mothership))
		}
	}
	return append(w.b, '}')
}

// AppendPositionJSON appends a position (with its static data) as one
// JSON object, in the units and snake_case names of AppendJSON; absent
// values are left out.
func AppendPositionJSON(dst []byte, p *Position) []byte {
	w := jsonWriter{b: append(dst, '{')}
	w.uint("mmsi", uint64(p.MMSI))
	if !p.Time.IsZero() {
		w.str("time", p.Time.UTC().Format(time.RFC3339Nano))
	}
	w.float("lat", p.Lat)
	w.float("lon", p.Lon)
	w.optFloat("sog", p.SOG)
	w.optFloat("cog", p.COG)
	w.optInt("heading", p.Heading)
	w.optFloat("rot", p.ROT)
	w.optInt("nav_status", p.NavStatus)
	if p.ClassB {
		w.str("class", "B")
	}
	s := &p.Static
	if s.IMO.Valid {
		w.uint("imo", uint64(s.IMO.V))
	}
	w.optStr("callsign", s.CallSign)
	w.optStr("name", s.Name)
	w.optInt("ship_type", s.ShipType)
	w.optInt("length", s.Length)
	w.optInt("width", s.Width)
	w.optFloat("draught", s.Draught)
	w.optStr("destination", s.Destination)
	if eta, ok := p.ReportedETA(); ok {
		w.str("eta", eta.UTC().Format(time.RFC3339))
	}
	return append(w.b, '}')
}

type jsonWriter struct {
	b []byte
	n int
}

func (w *jsonWriter) key(k string) {
	if w.n > 0 {
		w.b = append(w.b, ',')
	}
	w.n++
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *jsonWriter) int(k string, v int) { w.key(k); w.b = strconv.AppendInt(w.b, int64(v), 10) }
func (w *jsonWriter) uint(k string, v uint64) {
	w.key(k)
	w.b = strconv.AppendUint(w.b, v, 10)
}
func (w *jsonWriter) float(k string, v float64) {
	w.key(k)
	w.b = strconv.AppendFloat(w.b, v, 'f', -1, 64)
}
func (w *jsonWriter) bool(k string, v bool) { w.key(k); w.b = strconv.AppendBool(w.b, v) }

func (w *jsonWriter) str(k, v string) {
	w.key(k)
	w.b = appendJSONString(w.b, v)
}

func (w *jsonWriter) optStr(k, v string) {
	if v != "" {
		w.str(k, v)
	}
}

func (w *jsonWriter) optFloat(k string, v Opt[float64]) {
	if v.Valid {
		w.float(k, v.V)
	}
}

func (w *jsonWriter) optInt(k string, v Opt[int]) {
	if v.Valid {
		w.int(k, v.V)
	}
}

func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// CSVHeader is the column list of AppendCSV.
var CSVHeader = []string{"type", "mmsi", "time", "channel", "lat", "lon", "sog", "cog", "heading", "rot",
	"nav_status", "imo", "callsign", "name", "ship_type", "to_bow", "to_stern", "to_port", "to_starboard",
	"draught", "destination", "eta"}

// CSVRecord returns m as the fields of CSVHeader; absent values are empty.
func CSVRecord(m *Message) []string {
	f := func(o Opt[float64]) string {
		if !o.Valid {
			return ""
		}
		return strconv.FormatFloat(o.V, 'f', -1, 64)
	}
	i := func(o Opt[int]) string {
		if !o.Valid {
			return ""
		}
		return strconv.Itoa(o.V)
	}
	var tm, ch, imo, eta string
	if !m.Time.IsZero() {
		tm = m.Time.UTC().Format(time.RFC3339Nano)
	}
	if m.Channel != 0 {
		ch = string(m.Channel)
	}
	if m.IMO.Valid {
		imo = strconv.FormatUint(uint64(m.IMO.V), 10)
	}
	if m.ETA.Valid {
		eta = m.ETA.String()
	}
	lat, lon := m.Lat, m.Lon
	return []string{strconv.Itoa(m.Type), strconv.FormatUint(uint64(m.MMSI), 10), tm, ch, f(lat), f(lon),
		f(m.SOG), f(m.COG), i(m.Heading), f(m.ROT), i(m.NavStatus), imo, m.CallSign, m.Name, i(m.ShipType),
		i(m.ToBow), i(m.ToStern), i(m.ToPort), i(m.ToStarboard), f(m.Draught), m.Destination, eta}
}
