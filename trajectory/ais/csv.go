package ais

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Reasons a CSV row is dropped; CSVStats.Dropped counts by these.
const (
	ReasonColumns  = "wrong number of columns"
	ReasonVesselID = "bad vessel id"
	ReasonTime     = "bad time"
	ReasonLatLon   = "bad latitude or longitude"
	ReasonQuote    = "unterminated quote"
)

// CSVStats accounts for every data row a CSVReader has read: each row is
// exactly one of Positions, NoPosition, NotVessel or BadRows.
type CSVStats struct {
	Rows       int // data rows read (the header and blank lines are not counted)
	Blank      int // blank lines
	Positions  int // rows returned as positions
	NoPosition int // valid rows whose position is not available (91/181, empty)
	NotVessel  int // rows from base stations, AtoN and other non-vessel stations
	BadRows    int // rows dropped: a required value unreadable, or the wrong number of columns
	// Dropped counts BadRows by reason (Reason* constants of this file).
	Dropped map[string]int
	// Ignored counts optional values left absent because they could not
	// be read, by field name (Field*); their rows are kept.
	Ignored map[string]int
	// HashedIDs is the number of distinct vessel ids mapped by
	// CSVFormat.HashIDs, and IDCollisions how many of them hashed to an id
	// already taken and took the next free one.
	HashedIDs, IDCollisions int
	BadLines                []int // line numbers of the first 1000 bad rows
}

// CSVReader reads positions from a CSV export.
type CSVReader struct {
	br      *bufio.Reader
	format  CSVFormat
	comma   byte
	col     [numFields]int // column of each field, -1 when absent
	scale   [numFields]float64
	times   [2]timeParser // time, eta
	ncols   int
	maxLine int
	stats   CSVStats
	reject  func(line int, reason string, text []byte)
	pos     Position

	line     int      // line number of the current record's first line
	fields   [][]byte // the current record
	rec      []byte   // a record that needed unquoting or spans lines
	starts   []int
	raw      []byte            // the current record's text, for Reject
	texts    map[uint32]*texts // each vessel's latest texts
	ids      map[uint32]string // HashIDs: id → original text
	lastMMSI []byte
	lastID   uint32
}

// NewCSVReader reads the header row and returns a reader of the rows that
// follow. The header must name the required columns of f (mmsi, time, lat,
// lon). opt.Reject, when set, receives every dropped row (and every row
// with an ignored value, with reason "ignored <field>"), and
// opt.MaxLineBytes bounds a record.
func NewCSVReader(r io.Reader, f CSVFormat, opt Options) (*CSVReader, error) {
	opt = opt.withDefaults()
	c := &CSVReader{br: bufio.NewReaderSize(r, 64<<10), format: f, comma: ',', reject: opt.Reject, maxLine: max(opt.MaxLineBytes, 1<<16),
		texts: map[uint32]*texts{}}
	c.stats.Dropped, c.stats.Ignored = map[string]int{}, map[string]int{}
	if f.Comma != 0 {
		if f.Comma >= 0x80 {
			return nil, fmt.Errorf("ais: %s CSV separator %q: want an ASCII character", f.Name, f.Comma)
		}
		c.comma = byte(f.Comma)
	}
	for i, field := range []string{FieldTime, FieldETA} {
		layout := f.TimeLayout
		if l, ok := f.Layouts[field]; ok {
			layout = l
		}
		tp, err := newTimeParser(layout)
		if err != nil {
			return nil, err
		}
		c.times[i] = tp
	}
	for i := range c.scale {
		c.scale[i] = 1
		if x, ok := f.Scale[fieldNames[i]]; ok {
			c.scale[i] = x
		}
	}
	if f.HashIDs {
		c.ids = map[uint32]string{}
	}
	// the header: the first non-blank record
	for {
		err := c.readRecord()
		if err == io.EOF {
			return nil, fmt.Errorf("ais: %s CSV: no header row", f.Name)
		}
		if err != nil {
			return nil, fmt.Errorf("ais: %s CSV header: %w", f.Name, err)
		}
		if len(c.fields) > 1 || len(c.fields[0]) > 0 {
			break
		}
	}
	header := make([]string, len(c.fields))
	for i, h := range c.fields {
		header[i] = string(h)
	}
	var missing []string
	c.col, missing = f.match(header)
	if len(missing) > 0 {
		return nil, fmt.Errorf("ais: %s CSV header %q has no column for %s", f.Name, strings.Join(header, string(rune(c.comma))), strings.Join(missing, ", "))
	}
	c.ncols = len(header)
	return c, nil
}

// Format returns the layout the reader reads.
func (c *CSVReader) Format() CSVFormat { return c.format }

// Line returns the line number of the last record read.
func (c *CSVReader) Line() int { return c.line }

// Stats returns the row accounting so far.
func (c *CSVReader) Stats() CSVStats {
	s := c.stats
	s.BadLines = append([]int(nil), s.BadLines...)
	s.Dropped = copyCounts(s.Dropped)
	s.Ignored = copyCounts(s.Ignored)
	return s
}

// VesselID returns the original text of an id that CSVFormat.HashIDs
// mapped.
func (c *CSVReader) VesselID(id uint32) (string, bool) {
	s, ok := c.ids[id]
	return s, ok
}

func copyCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

var (
	errLineTooLong = errors.New(ReasonTooLong)
	errQuote       = errors.New(ReasonQuote)
)

// readRecord reads the next record into c.fields. Plain lines are split in
// place; a line with quotes is unquoted into c.rec, reading on while a
// quoted field spans lines.
func (c *CSVReader) readRecord() error {
	line, err := c.readLine()
	if err != nil {
		return err
	}
	if c.line == 1 {
		line = trimBOM(line)
	}
	c.raw = line
	c.fields = c.fields[:0]
	if bytes.IndexByte(line, '"') < 0 {
		for {
			i := bytes.IndexByte(line, c.comma)
			if i < 0 {
				c.fields = append(c.fields, line)
				return nil
			}
			c.fields = append(c.fields, line[:i])
			line = line[i+1:]
		}
	}
	c.rec = append(c.rec[:0], line...)
	first := c.line
	for quotesOpen(c.rec) {
		more, err := c.readLine()
		if err == io.EOF {
			c.line, c.raw = first, c.rec
			return errQuote
		}
		if err != nil {
			return err
		}
		c.rec = append(append(c.rec, '\n'), more...)
		if len(c.rec) > c.maxLine {
			c.line, c.raw = first, c.rec[:80]
			return errLineTooLong
		}
	}
	c.line = first
	c.raw = c.rec
	c.splitQuoted()
	return nil
}

// readLine returns the next line without its terminator; overlong lines
// are consumed and reported with errLineTooLong.
func (c *CSVReader) readLine() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if len(line) == 0 && err != nil {
		return nil, err
	}
	c.line++
	if err == bufio.ErrBufferFull {
		c.raw = append(c.rec[:0], line[:80]...)
		for err == bufio.ErrBufferFull {
			_, err = c.br.ReadSlice('\n')
		}
		return nil, errLineTooLong
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	return bytes.TrimSuffix(line, []byte{'\r'}), nil
}

func quotesOpen(b []byte) bool {
	return bytes.Count(b, []byte{'"'})%2 == 1
}

// splitQuoted splits c.rec into fields, removing the quotes around a field
// and undoubling "" inside one; a quote inside an unquoted field is kept.
func (c *CSVReader) splitQuoted() {
	src := c.rec
	out := make([]byte, 0, len(src))
	c.starts = append(c.starts[:0], 0)
	inQ, fieldStart := false, true
	for i := 0; i < len(src); i++ {
		ch := src[i]
		switch {
		case inQ && ch == '"' && i+1 < len(src) && src[i+1] == '"':
			out = append(out, '"')
			i++
		case inQ && ch == '"':
			inQ = false
		case !inQ && ch == '"' && fieldStart:
			inQ = true
		case !inQ && ch == c.comma:
			c.starts = append(c.starts, len(out))
			fieldStart = true
			continue
		default:
			out = append(out, ch)
		}
		fieldStart = false
	}
	c.starts = append(c.starts, len(out))
	c.fields = c.fields[:0]
	for k := 0; k+1 < len(c.starts); k++ {
		c.fields = append(c.fields, out[c.starts[k]:c.starts[k+1]])
	}
}

// Next returns the next position. The Position is owned by the reader and
// valid until the next call. It returns io.EOF at the end; bad rows are
// counted and skipped, never fatal.
func (c *CSVReader) Next() (*Position, error) {
	for {
		err := c.readRecord()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			if err != errLineTooLong && err != errQuote {
				return nil, err
			}
			c.stats.Rows++
			c.bad(err.Error(), c.raw)
			continue
		}
		if len(c.fields) == 1 && len(bytes.TrimSpace(c.fields[0])) == 0 {
			c.stats.Blank++
			continue
		}
		c.stats.Rows++
		if len(c.fields) != c.ncols {
			c.bad(ReasonColumns, c.raw)
			continue
		}
		switch ok, why := c.parse(); {
		case why != "":
			c.bad(why, c.raw)
		case ok:
			c.stats.Positions++
			return &c.pos, nil
		}
	}
}

func (c *CSVReader) bad(reason string, raw []byte) {
	c.stats.BadRows++
	c.stats.Dropped[reason]++
	if len(c.stats.BadLines) < 1000 {
		c.stats.BadLines = append(c.stats.BadLines, c.line)
	}
	if c.reject != nil {
		c.reject(c.line, reason, raw)
	}
}

func (c *CSVReader) ignored(f int) {
	c.stats.Ignored[fieldNames[f]]++
	if c.reject != nil {
		c.reject(c.line, "ignored "+fieldNames[f], c.raw)
	}
}

// cell returns the trimmed text of field f, or nil when the column is
// absent or the value says "not available".
func (c *CSVReader) cell(f int) []byte {
	i := c.col[f]
	if i < 0 {
		return nil
	}
	v := bytes.TrimSpace(c.fields[i])
	if len(v) == 0 || len(v) > 13 {
		return v
	}
	switch v[0] | 0x20 { // cheap pre-check of the first letter
	case 'n', 'u':
		switch strings.ToLower(string(v)) {
		case "na", "n/a", "nan", "unknown", "undefined", "not available", "null", "none":
			return nil
		}
	}
	return v
}

// num reads numeric field f with its unit scale; ok is false when the
// value is absent, bad is true when it is present but not a number.
func (c *CSVReader) num(f int) (v float64, ok, bad bool) {
	b := c.cell(f)
	if len(b) == 0 {
		return 0, false, false
	}
	x, ok := parseNum(b)
	if !ok {
		return 0, false, true
	}
	return x * c.scale[f], true, false
}

// optNum reads an optional number, counting an unreadable one.
func (c *CSVReader) optNum(f int) (float64, bool) {
	v, ok, bad := c.num(f)
	if bad {
		c.ignored(f)
	}
	return v, ok
}

// str returns the text of field f, reusing the string the vessel's
// previous row gave when the text is the same (static data repeats row
// after row), so that a row allocates only when a text changes.
func (c *CSVReader) str(f int, prev string) string {
	b := c.cell(f)
	if len(b) == 0 {
		return ""
	}
	if string(b) == prev {
		return prev
	}
	return string(b)
}

// texts are a vessel's latest name, call sign and destination.
type texts struct{ name, callsign, destination string }

// lastTexts returns the vessel's texts of its previous row, for str.
func (c *CSVReader) lastTexts(mmsi uint32) *texts {
	t := c.texts[mmsi]
	if t == nil {
		if len(c.texts) >= 1<<20 { // hostile input: forget, and allocate again
			clear(c.texts)
		}
		t = &texts{}
		c.texts[mmsi] = t
	}
	return t
}

// parse fills c.pos from the current record. It returns ok false for rows
// that are valid but not positions (counted), and a reason for rows that
// are dropped.
func (c *CSVReader) parse() (ok bool, why string) {
	p := &c.pos
	*p = Position{}
	if cls := c.cell(fClass); len(cls) > 0 {
		switch strings.TrimPrefix(strings.ToLower(string(cls)), "class ") {
		case "a":
		case "b":
			p.ClassB = true
		default:
			c.stats.NotVessel++
			return false, ""
		}
	}
	if !c.vessel(p) {
		return false, ReasonVesselID
	}
	t, ok := c.times[0].parse(c.cell(fTime))
	if !ok {
		return false, ReasonTime
	}
	p.Time = t
	lat, latOK, latBad := c.num(fLat)
	lon, lonOK, lonBad := c.num(fLon)
	if latBad || lonBad {
		return false, ReasonLatLon
	}
	if v, ok := c.optNum(fSOG); ok && v >= 0 && v < 102.3 {
		p.SOG = some(v)
	}
	if v, ok := c.optNum(fCOG); ok && v >= 0 && v < 360 {
		p.COG = some(v)
	}
	if v, ok := c.optNum(fHeading); ok && v >= 0 && v < 360 {
		p.Heading = some(int(v))
	}
	if v, ok := c.optNum(fROT); ok && math.Abs(v) < 720 {
		p.ROT = some(v)
	}
	s := &p.Static
	if v, ok := c.optNum(fLength); ok && v > 0 && v < 1e4 {
		s.Length = some(int(math.Round(v)))
	}
	if v, ok := c.optNum(fWidth); ok && v > 0 && v < 1e4 {
		s.Width = some(int(math.Round(v)))
	}
	if v, ok := c.optNum(fDraught); ok && v > 0 && v < 100 {
		s.Draught = some(v)
	}
	if c.col[fName] >= 0 || c.col[fCallSign] >= 0 || c.col[fDestination] >= 0 {
		tx := c.lastTexts(p.MMSI)
		tx.name, tx.callsign, tx.destination = c.str(fName, tx.name), c.str(fCallSign, tx.callsign), c.str(fDestination, tx.destination)
		s.Name, s.CallSign, s.Destination = tx.name, tx.callsign, tx.destination
	}
	if s.Name == "" && c.ids != nil && c.col[fName] < 0 {
		s.Name = c.ids[p.MMSI]
	}
	if v := c.cell(fIMO); len(v) > 0 {
		if len(v) > 3 && (v[0]|0x20) == 'i' && (v[1]|0x20) == 'm' && (v[2]|0x20) == 'o' {
			v = v[3:]
		}
		if n, ok := parseInt(v); !ok || n < 0 {
			c.ignored(fIMO)
		} else if n > 0 && n <= math.MaxUint32 {
			s.IMO = some(uint32(n))
		}
	}
	if v := c.cell(fNavStatus); len(v) > 0 {
		if p.NavStatus, ok = navStatusText(v); !ok {
			c.ignored(fNavStatus)
		}
	}
	if v := c.cell(fShipType); len(v) > 0 {
		if s.ShipType, ok = shipTypeText(v); !ok {
			c.ignored(fShipType)
		}
	}
	if v := c.cell(fETA); len(v) > 0 {
		if t, ok := c.times[1].parse(v); ok {
			s.ETATime = some(t)
		} else {
			c.ignored(fETA)
		}
	}
	s.Updated = p.Time
	if !latOK || !lonOK || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		c.stats.NoPosition++
		return false, ""
	}
	p.Lat, p.Lon = lat, lon
	return true, ""
}

// vessel reads the vessel id into p.MMSI: an MMSI number (integer or float
// spelling), or with HashIDs any text, mapped to a stable id.
func (c *CSVReader) vessel(p *Position) bool {
	b := c.cell(fMMSI)
	if len(b) == 0 {
		return false
	}
	if c.ids == nil {
		n, ok := parseInt(b)
		if !ok || n <= 0 || n > 999999999 {
			return false
		}
		p.MMSI = uint32(n)
		return true
	}
	if bytes.Equal(b, c.lastMMSI) {
		p.MMSI = c.lastID
		return true
	}
	id := hashBytes(b)
	for {
		s, taken := c.ids[id]
		if !taken {
			if len(c.ids) >= 1<<24 { // hostile input: more vessels than any feed carries
				return false
			}
			c.ids[id] = string(b)
			c.stats.HashedIDs++
			if id != hashBytes(b) {
				c.stats.IDCollisions++
			}
			break
		}
		if s == string(b) {
			break
		}
		if id++; id > 775999999 {
			id = 201000000
		}
	}
	c.lastMMSI, c.lastID = append(c.lastMMSI[:0], b...), id
	p.MMSI = id
	return true
}

func hashBytes(b []byte) uint32 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for _, x := range b {
		h ^= uint64(x)
		h *= prime
	}
	return uint32(201000000 + h%575000000)
}

var navStatusNames = []string{
	"under way using engine", "at anchor", "not under command", "restricted manoeuvrability|restricted maneuverability|restricted manoeuverability",
	"constrained by her draught", "moored", "aground", "engaged in fishing", "under way sailing",
	"reserved for future amendment [hsc]", "reserved for future amendment [wig]", "power-driven vessel towing astern",
	"power-driven vessel pushing ahead or towing alongside", "reserved for future use", "ais-sart",
}

func navStatusText(v []byte) (Opt[int], bool) {
	if n, ok := parseInt(v); ok {
		if n < 0 || n > 15 {
			return Opt[int]{}, false
		}
		return navStatus(uint32(n)), true
	}
	lv := strings.ToLower(string(v))
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

// shipTypeText reads a ship type code (any non-negative integer: codes
// beyond 1–99 are absent) or a DMA name; it reports false for anything else.
func shipTypeText(v []byte) (Opt[int], bool) {
	if n, ok := parseInt(v); ok {
		if n < 0 {
			return Opt[int]{}, false
		}
		if n > 99 {
			return Opt[int]{}, true
		}
		return shipType(uint32(n)), true
	}
	if code, ok := shipTypeNames[strings.ToLower(string(v))]; ok {
		return shipType(uint32(code)), true
	}
	return Opt[int]{}, false
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
