package ais

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// FuzzSentence throws arbitrary lines at the sentence parser, the payload
// decoder and the streaming reader. None may panic, and the reader's
// statistics must account for every line.
func FuzzSentence(f *testing.F) {
	for _, s := range []string{
		sentence(1, 1, "", "B", type1p, 0),
		sentence(2, 1, "3", "A", type5a, 0) + "\n" + sentence(2, 2, "3", "A", type5b, 2),
		"\\s:r1,c:1426032000*00\\" + sentence(1, 1, "", "A", type1p, 0),
		"1241544035.5 " + sentence(1, 1, "", "A", type1p, 0),
		"$PGHP,1,2008,5,9,0,0,0,10,338,2,,1,09*17",
		sentence(1, 1, "", "B", "", 0),
		"!AIVDM,1,1,,B,B5NJ;PP005l4ot5Isbl03wsUkP06,0*76",
		"# comment",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := ParseSentence(data); err == nil {
			var m Message
			_ = Decode(s.Payload, s.Fill, &m)
		}
		r := NewReader(bytes.NewReader(data), Options{MaxPending: 4, MaxAgeLines: 8})
		n := 0
		for {
			if _, err := r.Next(); err != nil {
				break
			}
			n++
		}
		st := r.Stats()
		if st.Messages != n {
			t.Fatalf("returned %d messages, stats say %d", n, st.Messages)
		}
		lines := bytes.Count(data, []byte("\n"))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			lines++
		}
		if st.Lines != lines {
			t.Fatalf("read %d lines, input has %d", st.Lines, lines)
		}
		other := st.Blank + st.Comments + st.OtherNMEA + st.TimeLines + st.Rejected[ReasonChecksum] +
			st.Rejected[ReasonSyntax] + st.Rejected[ReasonTooLong]
		if other+st.Sentences != st.Lines {
			t.Fatalf("lines %d != sentences %d + other %d (%+v)", st.Lines, st.Sentences, other, st)
		}
	})
}

// FuzzOpenPositions throws arbitrary inputs at format detection and both
// position readers (with a known layout, a custom map with hashed ids and
// scaling, and NMEA). None may panic, and a CSV reader must account for
// every row it read.
func FuzzOpenPositions(f *testing.F) {
	for _, s := range []string{
		"MMSI,BaseDateTime,LAT,LON,SOG,VesselType\n367000001,2023-01-01T00:00:05,29.93,-89.99,10.2,70.0\n",
		"\ufeffmmsi;time;lat;lon\n\"1\";1700000000123;1;2\n",
		"SHIP_ID,SPEED,LON,LAT,TIMESTAMP\n0xab,105,14.5,35.8,10-03-15 9:05\n",
		"1714564800123456 " + sentence(1, 1, "", "A", type1p, 0),
		"id,t,y,x\n\"a\nb\",1,2,3\n",
	} {
		f.Add([]byte(s))
	}
	custom, err := ParseCSVFormat("mmsi=SHIP_ID,time=TIMESTAMP,lat=LAT,lon=LON,sog=SPEED/10;layout=02-01-06 15:04;ids=hash")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opt := range []Options{{MaxLineBytes: 256}, {CSV: &custom}} {
			pr, err := OpenPositions(bytes.NewReader(data), opt)
			if err != nil {
				continue
			}
			n := 0
			for {
				if _, err := pr.Next(); err != nil {
					break
				}
				n++
			}
			a := pr.(Accounter).Account()
			if a.Positions != n {
				t.Fatalf("returned %d positions, account says %d", n, a.Positions)
			}
			if cr, ok := pr.(*CSVReader); ok {
				st := cr.Stats()
				if st.Rows != st.Positions+st.NoPosition+st.NotVessel+st.BadRows {
					t.Fatalf("rows do not add up: %+v", st)
				}
			}
		}
	})
}

// layoutHeaders are a header row of every known CSV layout and of a
// custom map, each with the format that reads it.
func layoutHeaders(t testing.TB) []struct {
	header string
	format CSVFormat
} {
	custom, err := ParseCSVFormat("mmsi=SHIP_ID,time=TIMESTAMP@unix_ms,lat=LAT*1e-6,lon=LON/1000000,sog=SPEED/10,eta=ETA@02-01 15:04;ids=hash;comma=;")
	if err != nil {
		t.Fatal(err)
	}
	return []struct {
		header string
		format CSVFormat
	}{
		{strings.Join(MarineCadastreHeader, ","), MarineCadastre},
		{"# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,Destination,ETA,Data source type,A,B,C,D", DMA},
		{"mmsi,time,lat,lon,sog,cog,heading,rot,nav_status,name,ship_type,draught,destination,eta,class", Generic},
		{"SHIP_ID;TIMESTAMP;LAT;LON;SPEED;ETA", custom},
	}
}

// checkCSV reads every position of a CSV reader and checks the account:
// no panic, every row accounted for, every position on the globe with
// finite values.
func checkCSV(t *testing.T, cr *CSVReader) {
	t.Helper()
	n := 0
	for {
		p, err := cr.Next()
		if err != nil {
			break
		}
		n++
		if !(p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180) {
			t.Fatalf("position off the globe: %v, %v", p.Lat, p.Lon)
		}
		for _, v := range []Opt[float64]{p.SOG, p.COG, p.ROT, p.Static.Draught} {
			if v.Valid && (math.IsNaN(v.V) || math.IsInf(v.V, 0)) {
				t.Fatalf("a non-finite value: %+v", p)
			}
		}
	}
	st := cr.Stats()
	if st.Positions != n || st.Rows != st.Positions+st.NoPosition+st.NotVessel+st.BadRows {
		t.Fatalf("rows do not add up (%d returned): %+v", n, st)
	}
}

// FuzzCSVLayouts throws arbitrary rows under the header of every known
// layout and of a custom map (hashed ids, unix milliseconds, scaled
// columns, ';' separated), so every layout's row parser is reached.
func FuzzCSVLayouts(f *testing.F) {
	for _, s := range []string{
		"367000001,2023-01-01T00:00:05,29.93,-89.99,10.2,181.0,511,NAME,IMO1,CS,70.0,0,100,20,7.5,,A\n",
		"27/02/2024 00:00:00,Class A,219000001,55.5,11.1,Under way using engine,0.0,12.3,45.6,46,Unknown,OXAB2,NIELS,Cargo,,20,120,GPS,7.2,DKAAR,28/02/2024 06:00:00,AIS,100,20,10,10\n",
		"244000001,1714564800123,51.9,4.1,3.5,90,91,-2.5,0,SHIP,70,8.1,NLRTM,2024-05-02T06:00:00Z,B\n",
		"0xab;1714564800123;35800000;14500000;105;10-03 09:05\n\"a;b\";x;1;2;3;4\n",
		"\n\n,,,,\n\"unterminated\n",
	} {
		f.Add([]byte(s))
	}
	layouts := layoutHeaders(f)
	f.Fuzz(func(t *testing.T, rows []byte) {
		for _, l := range layouts {
			in := append([]byte(l.header+"\n"), rows...)
			cr, err := NewCSVReader(bytes.NewReader(in), l.format, Options{MaxLineBytes: 512})
			if err != nil {
				continue
			}
			checkCSV(t, cr)
		}
	})
}

// FuzzCSVMap throws arbitrary --csv-map specs, and a header and rows, at
// ParseCSVFormat and the reader it configures: a spec is refused or reads
// without a panic, accounting for every row.
func FuzzCSVMap(f *testing.F) {
	f.Add("mmsi=SHIP_ID,time=TIMESTAMP,lat=LAT,lon=LON,sog=SPEED/10;layout=02-01-06 15:04;ids=hash",
		[]byte("SHIP_ID,SPEED,LON,LAT,TIMESTAMP\n0xab,105,14.5,35.8,10-03-15 9:05\n"))
	f.Add("# a comment\nmmsi = id\ntime=t@unix\nlat=y*0.5\nlon=x\ncomma=tab\nname=feed",
		[]byte("id\tt\ty\tx\n244000001\t1700000000\t100\t3\n"))
	f.Add("mmsi=a,time=b,lat=c,lon=d,eta=e@Jan 2 15:04;comma=|", []byte("a|b|c|d|e\n1|2|3|4|5\n"))
	f.Add("lat=LAT,lon=LON;=;,,;ids=x", []byte("LAT,LON\n"))
	f.Fuzz(func(t *testing.T, spec string, data []byte) {
		format, err := ParseCSVFormat(spec)
		if err != nil {
			return
		}
		cr, err := NewCSVReader(bytes.NewReader(data), format, Options{MaxLineBytes: 512})
		if err != nil {
			return
		}
		checkCSV(t, cr)
	})
}
