package ais

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Tests for real capture formats: receive times of every resolution, the
// in-order reassembly rule, byte order marks, CSV spellings and layouts.

func TestLeadingTimes(t *testing.T) {
	s1 := sentence(1, 1, "", "A", type1p, 0)
	want := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		line string
		want time.Time
	}{
		{"seconds", "1714564800 " + s1, want},
		{"seconds with fraction", "1714564800.25\t" + s1, want.Add(250 * time.Millisecond)},
		{"milliseconds", "1714564800123 " + s1, want.Add(123 * time.Millisecond)},
		{"milliseconds with fraction", "1714564800123.5 " + s1, want.Add(123500 * time.Microsecond)},
		{"microseconds", "1714564800123456," + s1, want.Add(123456 * time.Microsecond)},
		{"nanoseconds", "1714564800123456789;" + s1, want.Add(123456789 * time.Nanosecond)},
		{"ISO 8601", "2024-05-01T12:00:00Z " + s1, want},
		{"ISO 8601 with space and fraction", "2024-05-01 12:00:00.5 " + s1, want.Add(500 * time.Millisecond)},
		{"ISO 8601 with offset", "2024-05-01T14:00:00+02:00 " + s1, want},
		{"CSV of time and sentence", "2024-05-01 12:00:00," + s1, want},
		{"tag block seconds", tagBlock("c:1714564800") + s1, want},
		{"tag block milliseconds", tagBlock("c:1714564800123,s:r1") + s1, want.Add(123 * time.Millisecond)},
		{"trailing seconds", s1 + ",1714564800", want},
		{"no time", s1, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msgs, st := decodeString(t, lines(tc.line), Options{})
			require.Len(t, msgs, 1)
			require.True(t, tc.want.Equal(msgs[0].Time), "got %v", msgs[0].Time)
			require.Equal(t, 0, st.Prefixed)
		})
	}
	// text before the sentence that is not a time (a line number, a counter
	// before 1990) is counted, and the sentence still decoded
	msgs, st := decodeString(t, lines("96:"+s1, "12 "+s1, "station-7 "+s1), Options{})
	require.Len(t, msgs, 3)
	require.Equal(t, 3, st.Prefixed)
	require.True(t, msgs[0].Time.IsZero())
	// every message carries its line's time, fragments the first one's
	a1, a2 := sentence(2, 1, "3", "A", type5a, 0), sentence(2, 2, "3", "A", type5b, 2)
	msgs, _ = decodeString(t, lines("1714564800000000 "+a1, "1714564801000000 "+a2, "1714564802 "+s1), Options{})
	require.Len(t, msgs, 2)
	require.Equal(t, want, msgs[0].Time)
	require.Equal(t, want.Add(2*time.Second), msgs[1].Time)
}

func tagBlock(body string) string {
	return "\\" + body + "*" + hexByte(xorSum([]byte(body))) + "\\"
}

func TestUnixTimeResolutions(t *testing.T) {
	for in, want := range map[string]time.Time{
		"1714564800":          time.Unix(1714564800, 0),
		"1714564800.000001":   time.Unix(1714564800, 1000),
		"1714564800999":       time.Unix(1714564800, 999e6),
		"1714564800999999":    time.Unix(1714564800, 999999e3),
		"1714564800999999999": time.Unix(1714564800, 999999999), // exact: no float rounding
		"631152000":           time.Unix(631152000, 0),          // 1990-01-01, the earliest believed
	} {
		require.Equal(t, want.UTC(), unixTime([]byte(in)), in)
	}
	for _, in := range []string{"", "12", "631151999", "-1714564800", "1714564800x", "99999999999999999999", "1.2.3", "17145648e3"} {
		require.True(t, unixTime([]byte(in)).IsZero(), in)
	}
}

// TestOrphanNeverJoinsUnrelatedMessage is the example: a leftover
// second fragment (its first lost) must not complete a later, unrelated
// first fragment that reuses the sequence id — that turned the destination
// TEMSE into TEMSEBDAM.
func TestOrphanNeverJoinsUnrelatedMessage(t *testing.T) {
	type5msg := func(mmsi uint32, dest string) (string, int) {
		m := Message{Type: 5, MMSI: mmsi, Name: "SHIP", Destination: dest, ShipType: some(70),
			ETA: ETA{Month: 5, Day: 1, Hour: 12, Valid: true}, Draught: some(7.5)}
		p, fill, err := Encode(&m)
		require.NoError(t, err)
		return p, fill
	}
	// destinations padded with spaces, as many transmitters send them
	pa, fa := type5msg(244000001, "ROTTERDAM       BDAM")
	pb, fb := type5msg(244000002, "TEMSE               ")
	a := strings.Split(strings.TrimSpace(string(AppendSentences(nil, pa, fa, SentenceOptions{SeqID: 4}))), "\n")
	b := strings.Split(strings.TrimSpace(string(AppendSentences(nil, pb, fb, SentenceOptions{SeqID: 4}))), "\n")
	require.Len(t, a, 2)
	require.Len(t, b, 2)

	// what joining A's second fragment to B's first would decode to
	var joined Message
	require.NoError(t, Decode([]byte(pb[:60]+pa[60:]), fa, &joined))
	require.Equal(t, "TEMSE           BDAM", joined.Destination, "the corrupted join the rule prevents")

	var log rejectLog
	msgs, st := decodeString(t, lines(a[1], b[0], b[1]), Options{Reject: log.add})
	require.Len(t, msgs, 1)
	require.Equal(t, uint32(244000002), msgs[0].MMSI)
	require.Equal(t, "TEMSE", msgs[0].Destination)
	require.Equal(t, 1, st.Orphans)
	require.Equal(t, 1, st.OrphanFragments)
	require.Equal(t, []string{"1 orphan fragment: " + a[1]}, log.lines)

	// a missing middle fragment orphans the message, and the third fragment too
	m3 := Message{Type: 5, MMSI: 244000003, Name: strings.Repeat("X", 20), Destination: strings.Repeat("Y", 20), CallSign: "ABCDEFG"}
	p3, f3, err := Encode(&m3)
	require.NoError(t, err)
	frags := []string{
		sentence(3, 1, "1", "B", p3[:30], 0),
		sentence(3, 2, "1", "B", p3[30:60], 0),
		sentence(3, 3, "1", "B", p3[60:], f3),
	}
	msgs, st = decodeString(t, lines(frags[0], frags[2]), Options{})
	require.Empty(t, msgs)
	require.Equal(t, 2, st.Orphans)
	msgs, _ = decodeString(t, lines(frags...), Options{})
	require.Len(t, msgs, 1)
	require.Equal(t, m3.Destination, msgs[0].Destination)
}

func TestByteOrderMark(t *testing.T) {
	bom := "\ufeff"
	s1 := sentence(1, 1, "", "A", type1p, 0)
	msgs, st := decodeString(t, bom+lines(s1, s1), Options{})
	require.Len(t, msgs, 2, "the first sentence survives the byte order mark")
	require.Equal(t, 0, st.OtherNMEA)
	_, st = decodeString(t, bom+lines("# comment", s1), Options{})
	require.Equal(t, 1, st.Comments)

	// through OpenPositions: NMEA and CSV headers
	ps, _ := readPositions(t, bom+lines(s1))
	require.Len(t, ps, 1)
	csv := bom + "MMSI,BaseDateTime,LAT,LON\n367000001,2023-01-01T00:00:05,29.93,-89.99\n"
	ps, pr := readPositions(t, csv)
	require.Len(t, ps, 1)
	require.Equal(t, "marinecadastre", pr.(*CSVReader).Format().Name)
	// a quoted header with a byte order mark
	ps, _ = readPositions(t, bom+`"MMSI","BaseDateTime","LAT","LON"`+"\n367000001,2023-01-01T00:00:05,29.93,-89.99\n")
	require.Len(t, ps, 1)
}

// TestCSVFloatSpelling: numeric fields in float spelling, as pandas writes
// an integer column with gaps (the shared MarineCadastre slice writes
// VesselType 70.0; 98% of its rows were lost when that was a bad row).
func TestCSVFloatSpelling(t *testing.T) {
	in := "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass\n" +
		"367000001.0,2023-01-01T00:00:05,29.93,-89.99,10.2,271.5,270.0,OCEAN STAR,IMO9074729.0,WDC1234,70.0,0.0,180.0,30.0,9.5,70.0,A\n" +
		"367000002,2023-01-01T00:00:06,29.93,-89.99,10,271,511.0,,IMO0000000,,1004.0,15.0,,,,,B\n" +
		"367000003,2023-01-01T00:00:07,29.93,-89.99,1e1,2.71e2,2.7e2,,9074729,,7e1,5,1.8e2,,,,A\n" +
		"367000004,2023-01-01T00:00:08,29.93,-89.99,ten,271,270,,IMO12x,,70.5,moored-ish,,,,,A\n"
	ps, pr := readPositions(t, in)
	require.Len(t, ps, 4)
	p := ps[0]
	require.Equal(t, uint32(367000001), p.MMSI)
	require.Equal(t, some(70), p.Static.ShipType)
	require.Equal(t, some(0), p.NavStatus)
	require.Equal(t, some(270), p.Heading)
	require.Equal(t, some(uint32(9074729)), p.Static.IMO)
	require.Equal(t, some(180), p.Static.Length)
	// 511.0 is "not available", 1004 (a US NAIS code) is no AIS ship type, IMO0000000 is none
	q := ps[1]
	require.False(t, q.Heading.Valid)
	require.False(t, q.Static.ShipType.Valid)
	require.False(t, q.NavStatus.Valid)
	require.False(t, q.Static.IMO.Valid)
	// exponents
	r := ps[2]
	require.Equal(t, some(10.0), r.SOG)
	require.Equal(t, some(271.0), r.COG)
	require.Equal(t, some(70), r.Static.ShipType)
	require.Equal(t, some(5), r.NavStatus)
	// unreadable optional values are left absent and counted; the row stays
	s := ps[3]
	require.False(t, s.SOG.Valid)
	require.False(t, s.Static.ShipType.Valid)
	st := pr.(*CSVReader).Stats()
	require.Equal(t, map[string]int{FieldSOG: 1, FieldIMO: 1, FieldShipType: 1, FieldNavStatus: 1}, st.Ignored)
	require.Equal(t, 0, st.BadRows)
}

func TestCSVHeadersByName(t *testing.T) {
	tests := []struct {
		name, in, format string
	}{
		{"any order, a subset", "LON,Heading,LAT,BaseDateTime,MMSI\n-89.99,270,29.93,2023-01-01T00:00:05,367000001\n", "marinecadastre"},
		{"snake_case spelling", "mmsi,base_date_time,latitude,longitude,sog,vessel_type\n367000001,2023-01-01T00:00:05,29.93,-89.99,10,70\n", "marinecadastre"},
		{"semicolons", "MMSI;BaseDateTime;LAT;LON\n367000001;2023-01-01T00:00:05;29.93;-89.99\n", "marinecadastre"},
		{"generic names, unix times", "timestamp,mmsi,latitude,longitude,speed,course\n1672531205,367000001,29.93,-89.99,10,271\n", "generic"},
		{"generic names, ISO times with zone", "time,lat,lon,mmsi\n2023-01-01T00:00:05Z,29.93,-89.99,367000001\n", "generic"},
		{"quoted fields with commas", "MMSI,BaseDateTime,LAT,LON,VesselName\n367000001,2023-01-01T00:00:05,29.93,-89.99,\"STAR, OCEAN \"\"II\"\"\"\n", "marinecadastre"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps, pr := readPositions(t, tc.in)
			require.Len(t, ps, 1)
			require.Equal(t, tc.format, pr.(*CSVReader).Format().Name)
			p := ps[0]
			require.Equal(t, uint32(367000001), p.MMSI)
			require.Equal(t, time.Date(2023, 1, 1, 0, 0, 5, 0, time.UTC), p.Time)
			require.Equal(t, [2]float64{29.93, -89.99}, [2]float64{p.Lat, p.Lon})
		})
	}
	ps, _ := readPositions(t, tests[len(tests)-1].in)
	require.Equal(t, `STAR, OCEAN "II"`, ps[0].Static.Name)
	ps, _ = readPositions(t, tests[1].in)
	require.Equal(t, some(70), ps[0].Static.ShipType)
}

func TestOpenPositionsRefusesWhatItCannotRead(t *testing.T) {
	_, err := OpenPositions(strings.NewReader("SHIP_ID,SPEED,LON,LAT,TIMESTAMP\n0xabc,105,14.5,35.8,10-03-15 12:15\n"), Options{})
	var fe *FormatError
	require.ErrorAs(t, err, &fe)
	require.ErrorIs(t, err, ErrFormat)
	require.Equal(t, "SHIP_ID,SPEED,LON,LAT,TIMESTAMP", fe.FirstLine)
	require.Contains(t, err.Error(), `first line is "SHIP_ID,SPEED,LON,LAT,TIMESTAMP"`)

	for kind, head := range map[string][]byte{"gzip": {0x1f, 0x8b, 8, 0}, "zstd": {0x28, 0xb5, 0x2f, 0xfd, 0}, "zip": []byte("PK\x03\x04rest")} {
		_, err = OpenPositions(bytes.NewReader(head), Options{})
		require.ErrorIs(t, err, ErrCompressed, kind)
		require.Contains(t, err.Error(), kind)
	}
	_, err = OpenPositions(bytes.NewReader([]byte{0xff, 0xfe, 'M', 0, 'M', 0}), Options{})
	require.ErrorContains(t, err, "UTF-16")

	// empty input is NMEA with nothing in it; comments and other NMEA before the
	// first AIS sentence are fine
	pr, err := OpenPositions(strings.NewReader(""), Options{})
	require.NoError(t, err)
	_, err = pr.Next()
	require.Equal(t, "EOF", err.Error())
	ps, _ := readPositions(t, lines("# header", "$GPGGA,1*00", sentence(1, 1, "", "A", type1p, 0)))
	require.Len(t, ps, 1)
	// a known header with a required column missing names it
	_, err = NewCSVReader(strings.NewReader("MMSI,LAT,LON\n"), MarineCadastre, Options{})
	require.ErrorContains(t, err, `time ("BaseDateTime")`)
}

const debsMap = "mmsi=SHIP_ID,time=TIMESTAMP,lat=LAT,lon=LON,sog=SPEED/10,cog=COURSE,heading=HEADING,ship_type=SHIPTYPE," +
	"draught=REPORTED_DRAUGHT/10;layout=02-01-06 15:04;ids=hash"

// TestDEBS2018 reads the DEBS 2018 Grand Challenge layout with a column
// map: hexadecimal vessel hashes, speed in tenths of a knot, draught in
// decimetres, dd-mm-yy H:MM times.
func TestDEBS2018(t *testing.T) {
	f, err := ParseCSVFormat(debsMap)
	require.NoError(t, err)
	require.Equal(t, map[string]float64{FieldSOG: 0.1, FieldDraught: 0.1}, f.Scale)
	require.Equal(t, "02-01-06 15:04", f.TimeLayout)
	require.True(t, f.HashIDs)
	in, err := os.Open("../../testdata/ais/debs2018.csv")
	require.NoError(t, err)
	defer in.Close()
	pr, err := OpenPositions(in, Options{CSV: &f})
	require.NoError(t, err)
	var ps []Position
	for {
		p, err := pr.Next()
		if err != nil {
			break
		}
		ps = append(ps, *p)
	}
	cr := pr.(*CSVReader)
	st := cr.Stats()
	require.Equal(t, 30, st.Rows)
	require.Equal(t, 29, len(ps))
	require.Equal(t, map[string]int{ReasonTime: 1}, st.Dropped, "one row's time is 31-02")
	require.Equal(t, 3, st.HashedIDs)
	p := ps[0]
	require.Equal(t, HashID("0x5ca1d9be8b1d1ccb3c4fbd8b4b8b5b1e0ffb1d2a"), p.MMSI)
	require.True(t, ValidMMSIRange(p.MMSI))
	require.Equal(t, "0x5ca1d9be8b1d1ccb3c4fbd8b4b8b5b1e0ffb1d2a", p.Static.Name, "no name column: the original id")
	id, ok := cr.VesselID(p.MMSI)
	require.True(t, ok)
	require.Equal(t, p.Static.Name, id)
	require.Equal(t, time.Date(2015, 3, 10, 9, 5, 0, 0, time.UTC), p.Time, "10-03-15 9:05")
	require.InDelta(t, 10.5, p.SOG.V, 1e-12)
	require.InDelta(t, 11.1, p.Static.Draught.V, 1e-12)
	require.Equal(t, some(70), p.Static.ShipType)
	require.Equal(t, p.MMSI, ps[3].MMSI)
	require.False(t, ps[3].Heading.Valid, "heading 511")
}

// ValidMMSIRange reports whether id lies in the ship range HashID uses.
func ValidMMSIRange(id uint32) bool { return id >= 201000000 && id <= 775999999 }

func TestHashIDCollisions(t *testing.T) {
	f := CSVFormat{Name: "t", Columns: map[string]string{FieldMMSI: "id", FieldTime: "t", FieldLat: "y", FieldLon: "x"}, HashIDs: true}
	cr, err := NewCSVReader(strings.NewReader("id,t,y,x\nA,1700000000,1,2\nB,1700000001,1,2\nA,1700000002,1,2\n"), f, Options{})
	require.NoError(t, err)
	cr.ids[HashID("A")] = "someone else" // as if another id had hashed there first
	var got []uint32
	for {
		p, err := cr.Next()
		if err != nil {
			break
		}
		got = append(got, p.MMSI)
	}
	require.Equal(t, []uint32{HashID("A") + 1, HashID("B"), HashID("A") + 1}, got, "A takes the next free id, every time")
	st := cr.Stats()
	require.Equal(t, 1, st.IDCollisions)
	require.Equal(t, 2, st.HashedIDs)
}

func TestParseCSVFormat(t *testing.T) {
	f, err := ParseCSVFormat("mmsi=id; time=ts@unix_ms\neta=eta@Jan 2, 2006 15:04\nlat=y*1e-6,lon=x/1e6,comma=tab\n# a comment\nname=boat")
	require.NoError(t, err)
	require.Equal(t, map[string]string{FieldTime: "unix_ms", FieldETA: "Jan 2, 2006 15:04"}, f.Layouts, "a comma inside a layout")
	require.Equal(t, map[string]float64{FieldLat: 1e-6, FieldLon: 1e-6}, f.Scale)
	require.Equal(t, '\t', f.Comma)
	require.Equal(t, "boat", f.Name)
	cr, err := NewCSVReader(strings.NewReader("id\tts\ty\tx\teta\n244000001\t1714564800500\t51900000\t4100000\tMay 3, 2024 06:30\n"), f, Options{})
	require.NoError(t, err)
	p, err := cr.Next()
	require.NoError(t, err)
	require.Equal(t, time.Date(2024, 5, 1, 12, 0, 0, 5e8, time.UTC), p.Time)
	require.InDelta(t, 51.9, p.Lat, 1e-12)
	require.Equal(t, some(time.Date(2024, 5, 3, 6, 30, 0, 0, time.UTC)), p.Static.ETATime)

	for spec, want := range map[string]string{
		"mmsi=id,time=ts":                          "lacks \"lat\"",
		"mmsi=id,time=ts,lat=y,lon=x,speed=s":      "unknown field or setting \"speed\"",
		"mmsi=id,time=ts,lat=y,lon=x,mmsi=z":       "mapped twice",
		"mmsi=id*2,time=ts,lat=y,lon=x":            "unit scaling applies to",
		"mmsi=id,time=ts,lat=y*0,lon=x":            "non-zero",
		"mmsi=id,time=ts@nonsense,lat=y,lon=x":     "no date or time elements",
		"mmsi=id,time=ts,lat=y@2006,lon=x":         "only time and eta take a layout",
		"mmsi=id,time=ts,lat=y,lon=x;ids=sequence": "ids=hash",
		"mmsi=id,time=ts,lat=y,lon=x;comma=ab":     "one character",
		"justtext":                                 "want field=HEADER",
	} {
		_, err := ParseCSVFormat(spec)
		require.ErrorContains(t, err, want, spec)
	}
	// a header may hold '/' when what follows is no number
	f, err = ParseCSVFormat("mmsi=id,time=ts,lat=y,lon=x,destination=UN/LOCODE")
	require.NoError(t, err)
	require.Equal(t, "UN/LOCODE", f.Columns[FieldDestination])
}

func TestAccount(t *testing.T) {
	in := lines("# c", "", "$GPGGA,1*00", sentence(2, 2, "1", "A", type5b, 2), sentence(1, 1, "", "B", type1p, 0),
		sentence(1, 1, "", "B", "", 0), sentence(2, 1, "3", "A", type5a, 0), sentence(2, 2, "3", "A", type5b, 2))
	_, pr := readPositions(t, in)
	a := pr.(Accounter).Account()
	require.Equal(t, Account{Format: "nmea", Unit: "lines", Read: 8, Messages: 2, Positions: 1,
		Skipped: map[string]int{"blank": 1, "comment": 1, "other text": 1, "message without position": 1},
		Dropped: map[string]int{ReasonEmpty: 1, ReasonOrphan: 1}}, a)

	csvIn := "MMSI,BaseDateTime,LAT,LON,TransceiverClass,SOG\n1,2023-01-01T00:00:05,1,1,A,x\n2,2023-01-01T00:00:05,91,181,A,1\n3,2023-01-01T00:00:05,1,1,AtoN,1\n4,bad,1,1,A,1\n"
	_, pr = readPositions(t, csvIn)
	b := pr.(Accounter).Account()
	require.Equal(t, Account{Format: "marinecadastre", Unit: "rows", Read: 4, Positions: 1,
		Skipped: map[string]int{"no position": 1, "not a vessel": 1}, Dropped: map[string]int{ReasonTime: 1},
		Ignored: map[string]int{FieldSOG: 1}}, b)
	a.Add(b)
	require.Equal(t, "nmea+marinecadastre", a.Format)
	require.Equal(t, "lines+rows", a.Unit)
	require.Equal(t, 12, a.Read)
	require.Equal(t, []Count{{ReasonTime, 1}, {ReasonEmpty, 1}, {ReasonOrphan, 1}}, Sorted(a.Dropped), "largest first, then by name")
}

func TestCSVRejects(t *testing.T) {
	var log rejectLog
	in := "MMSI,BaseDateTime,LAT,LON,SOG\n1,2023-01-01T00:00:05,1,1,x\n1,2023-01-01T00:00:06\n\"unterminated,2023-01-01T00:00:05,1,1,1\n"
	cr, err := NewCSVReader(strings.NewReader(in), MarineCadastre, Options{Reject: log.add})
	require.NoError(t, err)
	for {
		if _, err := cr.Next(); err != nil {
			break
		}
	}
	require.Equal(t, []string{
		"2 ignored sog: 1,2023-01-01T00:00:05,1,1,x",
		"3 wrong number of columns: 1,2023-01-01T00:00:06",
		"4 unterminated quote: \"unterminated,2023-01-01T00:00:05,1,1,1",
	}, log.lines)
}
