package ais

import (
	"bytes"
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
