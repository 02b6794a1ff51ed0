package ais

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
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

// field indices, in fieldNames order
const (
	fMMSI = iota
	fTime
	fLat
	fLon
	fSOG
	fCOG
	fHeading
	fROT
	fNavStatus
	fIMO
	fName
	fCallSign
	fShipType
	fLength
	fWidth
	fDraught
	fDestination
	fETA
	fClass
	numFields
)

var fieldNames = [numFields]string{FieldMMSI, FieldTime, FieldLat, FieldLon, FieldSOG, FieldCOG, FieldHeading, FieldROT,
	FieldNavStatus, FieldIMO, FieldName, FieldCallSign, FieldShipType, FieldLength, FieldWidth, FieldDraught,
	FieldDestination, FieldETA, FieldClass}

// scalable are the fields a unit scale may apply to (plain numbers).
var scalable = []string{FieldLat, FieldLon, FieldSOG, FieldCOG, FieldHeading, FieldROT, FieldLength, FieldWidth, FieldDraught}

func fieldIndex(name string) int {
	for i, n := range fieldNames {
		if n == name {
			return i
		}
	}
	return -1
}

// CSVFormat maps the columns of a tabular AIS export onto Position fields.
//
// Values are read the same way for every format. Numbers may be written
// as integers or floats ("70", "70.0", "7e1"), whatever the field. An
// empty cell, "NA", "NaN", "null", "None", "Unknown", "Undefined" or
// "Not available" is absent; heading 511 (or ≥ 360), SOG ≥ 102.3, COG ≥
// 360, navigational status 15, ship type 0 (or beyond AIS's 1–99, such as
// the US NAIS codes 1001–1025), IMO 0 and positions off the globe (91/181)
// are absent, as on the air. Navigational status and ship type may be
// codes or the text names the Danish Maritime Authority uses ("Under way
// using engine", "Cargo"). IMO may carry an "IMO" prefix. A class column
// ("A", "B", "Class A", …) skips rows from other station kinds (base
// stations, AtoN).
//
// A row is dropped only when a required value (vessel id, time, latitude,
// longitude) cannot be read or its column count differs from the header's;
// an optional value that cannot be read is left absent and counted
// (CSVStats.Ignored).
type CSVFormat struct {
	Name string
	// Columns maps Field* names to column headers. Headers match by name,
	// in any order, ignoring case, spaces, underscores, hyphens and dots
	// ("BaseDateTime" matches "base_date_time"); a value may list
	// alternatives separated by '|'. mmsi, time, lat and lon are required;
	// the other fields are read when their column is present.
	Columns map[string]string
	// TimeLayout is the layout of the time columns (time and eta): a Go
	// time layout read in UTC unless it names a zone, or "unix" (seconds,
	// milliseconds, microseconds or nanoseconds by size), "unix_s",
	// "unix_ms", "unix_us" or "unix_ns". Empty means ISO 8601 (with or
	// without zone, 'T' or space) or unix time of any resolution.
	TimeLayout string
	// Layouts overrides TimeLayout for one time field (FieldTime, FieldETA).
	Layouts map[string]string
	// Scale multiplies a numeric field's values into the package's units
	// (degrees, knots, metres, degrees per minute): a SOG column in tenths
	// of a knot has Scale[FieldSOG] = 0.1.
	Scale map[string]float64
	// HashIDs reads every vessel id as text and maps it to a stable
	// 9-digit id (see HashID), for exports whose vessel ids are not MMSI
	// numbers (hashes, internal keys). Distinct texts never share an id:
	// a collision takes the next free id and is counted. When no name
	// column is mapped, the vessel's name is its original id.
	HashIDs bool
	// Comma is the field separator; 0 means ','.
	Comma rune
}

// MarineCadastre is the US MarineCadastre.gov AIS CSV export:
// MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,
// VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass — any subset
// holding MMSI, BaseDateTime, LAT and LON, in any order, and the
// snake_case spelling of later years (base_date_time, vessel_name, …).
var MarineCadastre = CSVFormat{
	Name: "marinecadastre",
	Columns: map[string]string{
		FieldMMSI: "MMSI", FieldTime: "BaseDateTime", FieldLat: "LAT|latitude", FieldLon: "LON|longitude", FieldSOG: "SOG",
		FieldCOG: "COG", FieldHeading: "Heading", FieldName: "VesselName", FieldIMO: "IMO",
		FieldCallSign: "CallSign", FieldShipType: "VesselType", FieldNavStatus: "Status",
		FieldLength: "Length", FieldWidth: "Width", FieldDraught: "Draft", FieldClass: "TransceiverClass|Transceiver",
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

// Generic is a CSV whose headers name the fields plainly (mmsi, time or
// timestamp, lat or latitude, lon or longitude, sog or speed, …, as
// AISHub and many tools write them), with ISO 8601 or unix times.
var Generic = CSVFormat{
	Name: "generic",
	Columns: map[string]string{
		FieldMMSI: "mmsi", FieldTime: "time|timestamp|datetime|date_time|basedatetime|received|ts",
		FieldLat: "lat|latitude", FieldLon: "lon|lng|long|longitude",
		FieldSOG: "sog|speed", FieldCOG: "cog|course", FieldHeading: "heading|hdg|true_heading", FieldROT: "rot",
		FieldNavStatus: "nav_status|navstat|navigational_status|status", FieldIMO: "imo", FieldName: "name|shipname|vessel_name",
		FieldCallSign: "callsign|call_sign", FieldShipType: "ship_type|shiptype|type|vessel_type", FieldLength: "length",
		FieldWidth: "width|beam", FieldDraught: "draught|draft", FieldDestination: "destination|dest", FieldETA: "eta",
		FieldClass: "class",
	},
}

// KnownCSVFormats are the layouts OpenPositions recognises by their
// headers, in the order tried.
var KnownCSVFormats = []CSVFormat{MarineCadastre, DMA, Generic}

// headerKey normalises a header for matching: lower case, without a byte
// order mark, spaces, underscores, hyphens, dots or quotes.
func headerKey(h string) string {
	h = strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch r {
		case ' ', '_', '-', '.', '"', '\t':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// match returns the column index of every field of f found in header
// (-1 when absent) and the required fields that are missing.
func (f *CSVFormat) match(header []string) (cols [numFields]int, missing []string) {
	byKey := make(map[string]int, len(header))
	for i, h := range header {
		if k := headerKey(h); k != "" {
			if _, dup := byKey[k]; !dup {
				byKey[k] = i
			}
		}
	}
	for i := range cols {
		cols[i] = -1
		alts, ok := f.Columns[fieldNames[i]]
		if !ok {
			continue
		}
		for _, alt := range strings.Split(alts, "|") {
			if j, ok := byKey[headerKey(alt)]; ok {
				cols[i] = j
				break
			}
		}
	}
	for _, req := range []int{fMMSI, fTime, fLat, fLon} {
		if cols[req] < 0 {
			missing = append(missing, fmt.Sprintf("%s (%q)", fieldNames[req], f.Columns[fieldNames[req]]))
		}
	}
	return cols, missing
}

// ParseCSVFormat reads a column mapping. It is a list of key=value
// entries separated by commas, semicolons or new lines (an entry without
// '=' continues the previous value, so layouts may contain commas; lines
// starting with '#' are comments). A key that is a Field* name maps that
// field to a column:
//
//	field=HEADER            the column named HEADER (matched as in CSVFormat.Columns)
//	field=HEADER*0.1        the same, values multiplied by 0.1 (unit scaling)
//	field=HEADER/10         values divided by 10
//	field=HEADER@LAYOUT     a time field with its own layout (see CSVFormat.TimeLayout)
//
// The other keys are settings: layout=LAYOUT (every time field), comma=C
// (one character, or "tab"), ids=hash (CSVFormat.HashIDs) and name=NAME.
// For example, the DEBS 2018 Grand Challenge layout:
//
//	mmsi=SHIP_ID,time=TIMESTAMP,lat=LAT,lon=LON,sog=SPEED/10,cog=COURSE,heading=HEADING,ship_type=SHIPTYPE;layout=02-01-06 15:04;ids=hash
func ParseCSVFormat(spec string) (CSVFormat, error) {
	f := CSVFormat{Name: "custom", Columns: map[string]string{}}
	type entry struct{ key, val string }
	var entries []entry
	for _, line := range strings.Split(spec, "\n") {
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		start := 0
		for i := 0; i <= len(line); i++ {
			if i < len(line) && line[i] != ',' && line[i] != ';' {
				continue
			}
			tok := line[start:i]
			k, v, ok := strings.Cut(tok, "=")
			switch {
			case ok && strings.TrimSpace(k) != "":
				entries = append(entries, entry{strings.ToLower(strings.TrimSpace(k)), v})
			case len(entries) > 0 && start > 0:
				// no '=': the separator belonged to the previous value
				entries[len(entries)-1].val += line[start-1 : i]
			case strings.TrimSpace(tok) != "":
				return f, fmt.Errorf("ais: column mapping entry %q: want field=HEADER or setting=value", tok)
			}
			start = i + 1
		}
	}
	for _, e := range entries {
		v := strings.TrimSpace(e.val)
		switch e.key {
		case "layout":
			f.TimeLayout = v
			continue
		case "comma":
			switch {
			case v == "tab" || v == `\t`:
				f.Comma = '\t'
			case len([]rune(e.val)) == 1:
				f.Comma = []rune(e.val)[0]
			default:
				return f, fmt.Errorf("ais: comma %q: want one character or \"tab\"", e.val)
			}
			continue
		case "ids":
			if v != "hash" {
				return f, fmt.Errorf("ais: ids=%q: the only mapping of vessel ids is ids=hash", v)
			}
			f.HashIDs = true
			continue
		case "name":
			f.Name = v
			continue
		}
		if fieldIndex(e.key) < 0 {
			return f, fmt.Errorf("ais: unknown field or setting %q (fields: %s; settings: layout, comma, ids, name)",
				e.key, strings.Join(fieldNames[:], ", "))
		}
		if _, dup := f.Columns[e.key]; dup {
			return f, fmt.Errorf("ais: field %q mapped twice", e.key)
		}
		header := v
		if i := strings.IndexByte(header, '@'); i >= 0 {
			if e.key != FieldTime && e.key != FieldETA {
				return f, fmt.Errorf("ais: %s=%s: only time and eta take a layout", e.key, v)
			}
			if f.Layouts == nil {
				f.Layouts = map[string]string{}
			}
			header, f.Layouts[e.key] = strings.TrimSpace(header[:i]), strings.TrimSpace(header[i+1:])
		}
		// a trailing *number or /number is a unit scale (a header may hold '/', as "UN/LOCODE" does)
		if i := strings.LastIndexAny(header, "*/"); i >= 0 && isNumber(strings.TrimSpace(header[i+1:])) {
			if !slices.Contains(scalable, e.key) {
				return f, fmt.Errorf("ais: %s=%s: unit scaling applies to %s only", e.key, v, strings.Join(scalable, ", "))
			}
			x, _ := strconv.ParseFloat(strings.TrimSpace(header[i+1:]), 64)
			if x == 0 || math.IsInf(x, 0) {
				return f, fmt.Errorf("ais: %s=%s: scale %q is not a finite non-zero number", e.key, v, header[i+1:])
			}
			if header[i] == '/' {
				x = 1 / x
			}
			if f.Scale == nil {
				f.Scale = map[string]float64{}
			}
			header, f.Scale[e.key] = strings.TrimSpace(header[:i]), x
		}
		if header == "" {
			return f, fmt.Errorf("ais: field %q has no column header", e.key)
		}
		f.Columns[e.key] = header
	}
	for _, k := range []string{FieldMMSI, FieldTime, FieldLat, FieldLon} {
		if _, ok := f.Columns[k]; !ok {
			return f, fmt.Errorf("ais: column mapping lacks %q (mmsi, time, lat and lon are required)", k)
		}
	}
	for k, l := range f.Layouts {
		if _, err := newTimeParser(l); err != nil {
			return f, fmt.Errorf("ais: %s layout: %w", k, err)
		}
	}
	if _, err := newTimeParser(f.TimeLayout); err != nil {
		return f, err
	}
	return f, nil
}

// HashID maps a vessel id that is not an MMSI number to a stable 9-digit
// id: 201000000 + FNV-1a-64(text) mod 575000000, inside the range of ship
// MMSIs (MIDs 201–775) so that cleaning keeps the vessel. These ids are
// not real MMSIs. Distinct texts may collide; CSVReader checks and takes
// the next free id.
func HashID(text string) uint32 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(text); i++ {
		h ^= uint64(text[i])
		h *= prime
	}
	return uint32(201000000 + h%575000000)
}

func isNumber(s string) bool {
	x, err := strconv.ParseFloat(s, 64)
	return err == nil && !math.IsNaN(x)
}
