package ais

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Field names used in CSV column mappings.
const (
	FieldMMSI        = "mmsi"
	FieldTime        = "time"
	FieldLat         = "lat"
	FieldLon         = "lon"
	FieldSOG         = "sog"
	FieldCOG         = "cog"
	FieldHeading     = "heading"
	FieldROT         = "rot"
	FieldNavStatus   = "nav_status"
	FieldIMO         = "imo"
	FieldName        = "name"
	FieldCallSign    = "callsign"
	FieldShipType    = "ship_type"
	FieldLength      = "length"
	FieldWidth       = "width"
	FieldDraught     = "draught"
	FieldDestination = "destination"
	FieldETA         = "eta"
	FieldClass       = "class"
)

// CSVFormat maps the columns of a tabular AIS export onto Position fields.
//
// Values are read the same way for every format: an empty cell, "NA",
// "NaN", "Unknown", "Undefined" or "Not available" is absent; heading 511
// (or ≥ 360), SOG ≥ 102.3, COG ≥ 360, navigational status 15, ship type 0,
// IMO 0 and positions off the globe (91/181) are absent, as on the air.
// Navigational status and ship type may be codes or the text names the
// Danish Maritime Authority uses ("Under way using engine", "Cargo"). IMO
// may carry an "IMO" prefix. A class column ("A", "B", "Class A", …)
// drops rows from other station kinds (base stations, AtoN).
type CSVFormat struct {
	Name string
	// Columns maps Field* names to column headers (case-insensitive).
	// mmsi, time, lat and lon are required.
	Columns map[string]string
	// TimeLayout is the Go time layout of the time and ETA columns, in
	// UTC. Empty means RFC 3339 (with or without zone) or unix seconds.
	TimeLayout string
	// Comma is the field separator; 0 means ','.
	Comma rune
}

// MarineCadastre is the US MarineCadastre.gov AIS CSV export:
// MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,
// VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass.
var MarineCadastre = CSVFormat{
	Name: "marinecadastre",
	Columns: map[string]string{
		FieldMMSI: "MMSI", FieldTime: "BaseDateTime", FieldLat: "LAT", FieldLon: "LON", FieldSOG: "SOG",
		FieldCOG: "COG", FieldHeading: "Heading", FieldName: "VesselName", FieldIMO: "IMO",
		FieldCallSign: "CallSign", FieldShipType: "VesselType", FieldNavStatus: "Status",
		FieldLength: "Length", FieldWidth: "Width", FieldDraught: "Draft", FieldClass: "TransceiverClass",
	},
	TimeLayout: "2006-01-02T15:04:05",
}

// DMA is the Danish Maritime Authority's AIS CSV export (26 columns
// starting "# Timestamp", times as dd/mm/yyyy HH:MM:SS).
var DMA = CSVFormat{
	Name: "dma",
	Columns: map[string]string{
		FieldTime: "# Timestamp", FieldClass: "Type of mobile", FieldMMSI: "MMSI", FieldLat: "Latitude",
		FieldLon: "Longitude", FieldNavStatus: "Navigational status", FieldROT: "ROT", FieldSOG: "SOG",
		FieldCOG: "COG", FieldHeading: "Heading", FieldIMO: "IMO", FieldCallSign: "Callsign", FieldName: "Name",
		FieldShipType: "Ship type", FieldWidth: "Width", FieldLength: "Length", FieldDraught: "Draught",
		FieldDestination: "Destination", FieldETA: "ETA",
	},
	TimeLayout: "02/01/2006 15:04:05",
}

// ParseCSVFormat reads a generic mapping such as
// "mmsi=MMSI,time=ts,lat=LAT,lon=LON,sog=SOG;layout=2006-01-02 15:04:05;comma=;"
// (field=header pairs separated by commas, then optional ;layout= and
// ;comma= settings).
func ParseCSVFormat(spec string) (CSVFormat, error) {
	f := CSVFormat{Name: "custom", Columns: map[string]string{}}
	parts := strings.Split(spec, ";")
	for _, kv := range strings.Split(parts[0], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" || v == "" {
			return f, fmt.Errorf("ais: column mapping %q: want field=header", kv)
		}
		f.Columns[strings.TrimSpace(k)] = v
	}
	for i := 1; i < len(parts); i++ {
		k, v, _ := strings.Cut(parts[i], "=")
		switch k {
		case "layout":
			f.TimeLayout = v
		case "comma":
			r := []rune(v)
			if len(r) != 1 {
				if i+1 < len(parts) && v == "" { // "comma=;" splits the ';' away
					f.Comma = ';'
					i++
					continue
				}
				return f, fmt.Errorf("ais: comma %q: want one character", v)
			}
			f.Comma = r[0]
		case "":
		default:
			return f, fmt.Errorf("ais: unknown CSV setting %q", k)
		}
	}
	for _, k := range []string{FieldMMSI, FieldTime, FieldLat, FieldLon} {
		if _, ok := f.Columns[k]; !ok {
			return f, fmt.Errorf("ais: column mapping lacks %q", k)
		}
	}
	return f, nil
}

// CSVStats accounts for every data row a CSVReader has read.
type CSVStats struct {
	Rows       int   // data rows read (the header is not counted)
	Positions  int   // rows returned as positions
	NoPosition int   // valid rows whose position is not available
	NotVessel  int   // rows from base stations, AtoN and other non-vessel stations
	BadRows    int   // rows that could not be read
	BadLines   []int // line numbers of the first 1000 bad rows
}

// CSVReader reads positions from a CSV export.
type CSVReader struct {
	r      *csv.Reader
	format CSVFormat
	col    map[string]int
	ncols  int
	stats  CSVStats
	reject func(line int, reason string, text []byte)
	pos    Position
}

// NewCSVReader reads the header row and returns a reader of the rows
// that follow. opt.Reject, when set, receives every bad row.
func NewCSVReader(r io.Reader, f CSVFormat, opt Options) (*CSVReader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	if f.Comma != 0 {
		cr.Comma = f.Comma
	}
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("ais: %s CSV header: %w", f.Name, err)
	}
	byName := map[string]int{}
	for i, h := range header {
		byName[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	c := &CSVReader{r: cr, format: f, col: map[string]int{}, ncols: len(header), reject: opt.Reject}
	for _, field := range []string{FieldMMSI, FieldTime, FieldLat, FieldLon} {
		if _, ok := byName[strings.ToLower(f.Columns[field])]; !ok {
			return nil, fmt.Errorf("ais: %s CSV has no %q column for %s", f.Name, f.Columns[field], field)
		}
	}
	for field, name := range f.Columns {
		if i, ok := byName[strings.ToLower(name)]; ok {
			c.col[field] = i
		}
	}
	return c, nil
}

// Stats returns the row accounting so far.
func (c *CSVReader) Stats() CSVStats {
	s := c.stats
	s.BadLines = append([]int(nil), s.BadLines...)
	return s
}

// Next returns the next position. The Position is owned by the reader and
// valid until the next call. It returns io.EOF at the end; bad rows are
// counted and skipped, never fatal.
func (c *CSVReader) Next() (*Position, error) {
	for {
		rec, err := c.r.Read()
		if err == io.EOF {
			return nil, io.EOF
		}
		line, _ := c.r.FieldPos(0)
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return nil, err
		}
		c.stats.Rows++
		if err != nil {
			c.bad(pe.Line, err.Error())
			continue
		}
		if len(rec) != c.ncols {
			c.bad(line, fmt.Sprintf("%d columns, header has %d", len(rec), c.ncols))
			continue
		}
		ok, why := c.parse(rec)
		switch {
		case why != "":
			c.bad(line, why)
		case !ok:
		default:
			c.stats.Positions++
			return &c.pos, nil
		}
	}
}

func (c *CSVReader) bad(line int, why string) {
	c.stats.BadRows++
	if len(c.stats.BadLines) < 1000 {
		c.stats.BadLines = append(c.stats.BadLines, line)
	}
	if c.reject != nil {
		c.reject(line, ReasonCSV, []byte(why))
	}
}

func (c *CSVReader) cell(rec []string, field string) string {
	if i, ok := c.col[field]; ok {
		v := strings.TrimSpace(rec[i])
		switch strings.ToLower(v) {
		case "", "na", "nan", "unknown", "undefined", "not available", "null", "none":
			return ""
		}
		return v
	}
	return ""
}

// parse fills c.pos from rec. It returns ok false for rows that are valid
// but not positions (counted), and a reason for rows that are bad.
func (c *CSVReader) parse(rec []string) (ok bool, why string) {
	p := &c.pos
	*p = Position{}
	if cls := strings.ToLower(c.cell(rec, FieldClass)); cls != "" {
		switch strings.TrimPrefix(cls, "class ") {
		case "a":
		case "b":
			p.ClassB = true
		default:
			c.stats.NotVessel++
			return false, ""
		}
	}
	mmsi, err := strconv.ParseUint(c.cell(rec, FieldMMSI), 10, 32)
	if err != nil || mmsi == 0 || mmsi > 999999999 {
		return false, fmt.Sprintf("MMSI %q", c.cell(rec, FieldMMSI))
	}
	p.MMSI = uint32(mmsi)
	if p.Time, err = c.parseTime(c.cell(rec, FieldTime)); err != nil {
		return false, fmt.Sprintf("time %q: %v", c.cell(rec, FieldTime), err)
	}
	num := func(field string) (Opt[float64], string) {
		s := c.cell(rec, field)
		if s == "" {
			return Opt[float64]{}, ""
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return Opt[float64]{}, fmt.Sprintf("%s %q", field, s)
		}
		return some(v), ""
	}
	var nums [9]Opt[float64]
	for i, field := range []string{FieldLat, FieldLon, FieldSOG, FieldCOG, FieldHeading, FieldROT, FieldLength, FieldWidth, FieldDraught} {
		if nums[i], why = num(field); why != "" {
			return false, why
		}
	}
	lat, lon, sogv, cogv, hdg, rotv, length, width, draught := nums[0], nums[1], nums[2], nums[3], nums[4], nums[5], nums[6], nums[7], nums[8]
	if sogv.Valid && sogv.V >= 0 && sogv.V < 102.3 {
		p.SOG = sogv
	}
	if cogv.Valid && cogv.V >= 0 && cogv.V < 360 {
		p.COG = cogv
	}
	if hdg.Valid && hdg.V >= 0 && hdg.V < 360 {
		p.Heading = some(int(hdg.V))
	}
	if rotv.Valid && math.Abs(rotv.V) < 720 {
		p.ROT = rotv
	}
	s := &p.Static
	s.Name = c.cell(rec, FieldName)
	s.CallSign = c.cell(rec, FieldCallSign)
	s.Destination = c.cell(rec, FieldDestination)
	if length.Valid && length.V > 0 {
		s.Length = some(int(math.Round(length.V)))
	}
	if width.Valid && width.V > 0 {
		s.Width = some(int(math.Round(width.V)))
	}
	if draught.Valid && draught.V > 0 {
		s.Draught = draught
	}
	if v := strings.TrimPrefix(strings.ToUpper(c.cell(rec, FieldIMO)), "IMO"); v != "" {
		if n, err := strconv.ParseUint(v, 10, 32); err == nil && n > 0 {
			s.IMO = some(uint32(n))
		}
	}
	if v := c.cell(rec, FieldNavStatus); v != "" {
		if p.NavStatus, ok = navStatusText(v); !ok {
			return false, fmt.Sprintf("navigational status %q", v)
		}
	}
	if v := c.cell(rec, FieldShipType); v != "" {
		if s.ShipType, ok = shipTypeText(v); !ok {
			return false, fmt.Sprintf("ship type %q", v)
		}
	}
	if v := c.cell(rec, FieldETA); v != "" {
		if t, err := c.parseTime(v); err == nil {
			s.ETATime = some(t)
		}
	}
	s.Updated = p.Time
	if !lat.Valid || !lon.Valid || lat.V < -90 || lat.V > 90 || lon.V < -180 || lon.V > 180 {
		c.stats.NoPosition++
		return false, ""
	}
	p.Lat, p.Lon = lat.V, lon.V
	return true, ""
}

func (c *CSVReader) parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("empty")
	}
	if c.format.TimeLayout != "" {
		return time.ParseInLocation(c.format.TimeLayout, s, time.UTC)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05", s, time.UTC); err == nil {
		return t, nil
	}
	if t := unixTime([]byte(s)); !t.IsZero() {
		return t, nil
	}
	return time.Time{}, errors.New("not RFC 3339 or unix seconds")
}

var navStatusNames = []string{
	"under way using engine", "at anchor", "not under command", "restricted manoeuvrability|restricted maneuverability|restricted manoeuverability",
	"constrained by her draught", "moored", "aground", "engaged in fishing", "under way sailing",
	"reserved for future amendment [hsc]", "reserved for future amendment [wig]", "power-driven vessel towing astern",
	"power-driven vessel pushing ahead or towing alongside", "reserved for future use", "ais-sart",
}

func navStatusText(v string) (Opt[int], bool) {
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 || n > 15 {
			return Opt[int]{}, false
		}
		return navStatus(uint32(n)), true
	}
	lv := strings.ToLower(v)
	for code, names := range navStatusNames {
		for _, name := range strings.Split(names, "|") {
			if lv == name {
				return some(code), true
			}
		}
	}
	if strings.HasPrefix(lv, "unknown") {
		return Opt[int]{}, true
	}
	return Opt[int]{}, false
}

// shipTypeNames maps the DMA's ship type names to a representative code.
var shipTypeNames = map[string]int{
	"wig": 20, "fishing": 30, "towing": 31, "towing long/wide": 32, "dredging": 33, "diving": 34,
	"military": 35, "sailing": 36, "pleasure": 37, "hsc": 40, "pilot": 50, "sar": 51, "tug": 52,
	"port tender": 53, "anti-pollution": 54, "law enforcement": 55, "spare 1": 56, "spare 2": 57,
	"medical": 58, "not party to conflict": 59, "passenger": 60, "cargo": 70, "tanker": 80, "other": 90,
	"reserved": 0,
}

func shipTypeText(v string) (Opt[int], bool) {
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 || n > 1023 { // some exports carry codes beyond 99; keep them absent
			return Opt[int]{}, false
		}
		return shipType(uint32(n)), true
	}
	if code, ok := shipTypeNames[strings.ToLower(v)]; ok {
		return shipType(uint32(code)), true
	}
	return Opt[int]{}, false
}

// PositionReader yields positions merged with static data, whatever the
// input format.
type PositionReader interface {
	Next() (*Position, error)
}

// NMEAPositions reads NMEA with a Reader and merges static data with a
// Tracker, returning position reports only.
type NMEAPositions struct {
	*Reader
	Tracker *Tracker
	pos     Position
}

// Next returns the next position report.
func (n *NMEAPositions) Next() (*Position, error) {
	for {
		m, err := n.Reader.Next()
		if err != nil {
			return nil, err
		}
		if p, ok := n.Tracker.Update(m); ok {
			n.pos = p
			return &n.pos, nil
		}
	}
}

// OpenPositions sniffs the input's first line and returns a reader of
// positions: MarineCadastre or DMA CSV by their headers, NMEA otherwise.
func OpenPositions(r io.Reader, opt Options) (PositionReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(4096)
	first := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		first = head[:i]
	}
	first = bytes.TrimPrefix(bytes.TrimSpace(first), []byte("\ufeff"))
	switch {
	case bytes.HasPrefix(first, []byte("MMSI,BaseDateTime")):
		return NewCSVReader(br, MarineCadastre, opt)
	case bytes.HasPrefix(first, []byte("# Timestamp")):
		return NewCSVReader(br, DMA, opt)
	}
	return &NMEAPositions{Reader: NewReader(br, opt), Tracker: NewTracker()}, nil
}

// MarineCadastreHeader is the column row of a MarineCadastre export.
var MarineCadastreHeader = []string{"MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName",
	"IMO", "CallSign", "VesselType", "Status", "Length", "Width", "Draft", "Cargo", "TransceiverClass"}

// MarineCadastreRecord formats a position as a MarineCadastre row, the
// inverse of reading one with MarineCadastre: absent values are empty,
// heading 511, and the IMO number has its "IMO" prefix.
func MarineCadastreRecord(p *Position) []string {
	f := func(o Opt[float64], prec int) string {
		if !o.Valid {
			return ""
		}
		return strconv.FormatFloat(o.V, 'f', prec, 64)
	}
	i := func(o Opt[int]) string {
		if !o.Valid {
			return ""
		}
		return strconv.Itoa(o.V)
	}
	hdg := "511"
	if p.Heading.Valid {
		hdg = strconv.Itoa(p.Heading.V)
	}
	imo := ""
	if p.Static.IMO.Valid {
		imo = "IMO" + strconv.FormatUint(uint64(p.Static.IMO.V), 10)
	}
	class := "A"
	if p.ClassB {
		class = "B"
	}
	s := &p.Static
	return []string{
		strconv.FormatUint(uint64(p.MMSI), 10), p.Time.UTC().Format("2006-01-02T15:04:05"),
		strconv.FormatFloat(p.Lat, 'f', 5, 64), strconv.FormatFloat(p.Lon, 'f', 5, 64),
		f(p.SOG, 1), f(p.COG, 1), hdg, s.Name, imo, s.CallSign, i(s.ShipType), i(p.NavStatus),
		i(s.Length), i(s.Width), f(s.Draught, 1), "", class,
	}
}
