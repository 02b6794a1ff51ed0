package ais

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTrackerMergesStatic(t *testing.T) {
	tr := NewTracker()
	t0 := time.Date(2026, 12, 30, 10, 0, 0, 0, time.UTC)
	pos := func(mmsi uint32, typ int, at time.Time) *Message {
		return &Message{Type: typ, MMSI: mmsi, Time: at, Lat: some(1.0), Lon: some(2.0), SOG: some(12.0)}
	}
	// a position before any static data carries none
	p, ok := tr.Update(pos(1, 1, t0))
	require.True(t, ok)
	require.Equal(t, Static{}, p.Static)

	tr.Update(&Message{Type: 5, MMSI: 1, Time: t0, Name: "NORD STAR", ShipType: some(80),
		ToBow: some(150), ToStern: some(30), ToPort: some(12), ToStarboard: some(13),
		Draught: some(12.5), Destination: "NLRTM", ETA: ETA{Month: 1, Day: 2, Hour: 6, Valid: true}})
	p, ok = tr.Update(pos(1, 1, t0.Add(time.Hour)))
	require.True(t, ok)
	require.Equal(t, "NORD STAR", p.Static.Name)
	require.Equal(t, some(180), p.Static.Length)
	require.Equal(t, some(25), p.Static.Width)
	require.Equal(t, some(12.5), p.Static.Draught)
	eta, ok := p.ReportedETA()
	require.True(t, ok)
	require.Equal(t, time.Date(2027, 1, 2, 6, 0, 0, 0, time.UTC), eta, "2 January reported on 30 December is next year")

	// class B static arrives in two parts
	tr.Update(&Message{Type: 24, MMSI: 2, PartNum: 0, Name: "LITTLE DIPPER"})
	tr.Update(&Message{Type: 24, MMSI: 2, PartNum: 1, ShipType: some(36), CallSign: "WDE1234"})
	p, ok = tr.Update(pos(2, 18, t0))
	require.True(t, ok)
	require.True(t, p.ClassB)
	require.Equal(t, "LITTLE DIPPER", p.Static.Name)
	require.Equal(t, "WDE1234", p.Static.CallSign)
	require.Equal(t, some(36), p.Static.ShipType)

	// a later type 5 without destination clears it; base stations and positionless reports give nothing
	tr.Update(&Message{Type: 5, MMSI: 1, Name: "NORD STAR"})
	s, _ := tr.Static(1)
	require.Equal(t, "", s.Destination)
	require.False(t, s.Draught.Valid)
	_, ok = tr.Update(&Message{Type: 4, MMSI: 3, Lat: some(1.0), Lon: some(1.0)})
	require.False(t, ok)
	_, ok = tr.Update(&Message{Type: 1, MMSI: 3})
	require.False(t, ok)
	require.Equal(t, 2, tr.Len())
}

func readPositions(t *testing.T, in string) ([]Position, PositionReader) {
	t.Helper()
	pr, err := OpenPositions(strings.NewReader(in), Options{})
	require.NoError(t, err)
	var out []Position
	for {
		p, err := pr.Next()
		if err != nil {
			break
		}
		out = append(out, *p)
	}
	return out, pr
}

func TestMarineCadastreCSV(t *testing.T) {
	in := "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass\n" +
		"367000001,2023-01-01T00:00:05,29.93,-89.99,10.2,271.5,270,OCEAN STAR,IMO9074729,WDC1234,70,0,180,30,9.5,70,A\n" +
		"367000002,2023-01-01T00:01:00,29.90,-90.00,102.3,360.0,511,,,,,,,,,,B\n" + // SOG/COG/heading not available
		"367000003,not a time,29.90,-90.00,1,1,1,,,,,,,,,,A\n" + // bad time
		"367000004,2023-01-01T00:01:00,91,181,0,0,0,,,,,,,,,,A\n" + // no position
		"367000005,2023-01-01T00:01:00,29.9\n" + // short row
		"abc,2023-01-01T00:01:00,29.9,-90,0,0,0,,,,,,,,,,A\n" // bad MMSI
	ps, pr := readPositions(t, in)
	require.Len(t, ps, 2)
	p := ps[0]
	require.Equal(t, uint32(367000001), p.MMSI)
	require.Equal(t, time.Date(2023, 1, 1, 0, 0, 5, 0, time.UTC), p.Time)
	require.Equal(t, 29.93, p.Lat)
	require.Equal(t, some(10.2), p.SOG)
	require.Equal(t, some(270), p.Heading)
	require.Equal(t, some(0), p.NavStatus)
	require.Equal(t, some(uint32(9074729)), p.Static.IMO)
	require.Equal(t, some(70), p.Static.ShipType)
	require.Equal(t, some(180), p.Static.Length)
	require.Equal(t, some(9.5), p.Static.Draught)
	require.False(t, p.ClassB)
	q := ps[1]
	require.False(t, q.SOG.Valid)
	require.False(t, q.COG.Valid)
	require.False(t, q.Heading.Valid)
	require.True(t, q.ClassB)

	st := pr.(*CSVReader).Stats()
	require.Equal(t, CSVStats{Rows: 6, Positions: 2, NoPosition: 1, BadRows: 3, BadLines: []int{4, 6, 7},
		Dropped: map[string]int{ReasonTime: 1, ReasonColumns: 1, ReasonVesselID: 1}, Ignored: map[string]int{}}, st)
}

func TestDMACSV(t *testing.T) {
	in := "# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,Destination,ETA,Data source type,A,B,C,D\n" +
		"27/02/2024 00:00:00,Class A,219000001,55.5,11.1,Under way using engine,0.0,12.3,45.6,46,Unknown,OXAB2,NIELS,Cargo,,20,120,GPS,7.2,DKAAR,28/02/2024 06:00:00,AIS,100,20,10,10\n" +
		"27/02/2024 00:00:01,Base Station,2190001,55.0,10.0,Unknown value,,,,,Unknown,,,Undefined,,,,GPS,,,,AIS,,,,\n" +
		"27/02/2024 00:00:02,Class B,219000002,56.0,12.0,Unknown value,,0.1,,,Unknown,,,Sailing,,3,10,GPS,,,,AIS,,,,\n" +
		"27/02/2024 00:00:03,Class A,219000003,56.0,12.0,Flying,,0.1,,,Unknown,,,Cargo,,3,10,GPS,,,,AIS,,,,\n"
	ps, pr := readPositions(t, in)
	require.Len(t, ps, 3)
	p := ps[0]
	require.Equal(t, time.Date(2024, 2, 27, 0, 0, 0, 0, time.UTC), p.Time)
	require.Equal(t, some(0), p.NavStatus)
	require.Equal(t, some(0.0), p.ROT)
	require.Equal(t, some(70), p.Static.ShipType)
	require.Equal(t, "DKAAR", p.Static.Destination)
	eta, ok := p.ReportedETA()
	require.True(t, ok)
	require.Equal(t, time.Date(2024, 2, 28, 6, 0, 0, 0, time.UTC), eta)
	require.False(t, p.Static.IMO.Valid)
	require.True(t, ps[1].ClassB)
	require.False(t, ps[1].NavStatus.Valid)
	require.Equal(t, some(36), ps[1].Static.ShipType)
	st := pr.(*CSVReader).Stats()
	require.Equal(t, 1, st.NotVessel)
	require.Empty(t, st.BadLines)
	// an unknown navigational status text leaves the value absent and keeps the row
	require.False(t, ps[2].NavStatus.Valid)
	require.Equal(t, map[string]int{FieldNavStatus: 1}, st.Ignored)
}

func TestGenericCSV(t *testing.T) {
	f, err := ParseCSVFormat("mmsi=id,time=ts,lat=y,lon=x,sog=speed;layout=2006-01-02 15:04:05;comma=;")
	require.NoError(t, err)
	require.Equal(t, ';', f.Comma)
	cr, err := NewCSVReader(strings.NewReader("id;ts;x;y;speed\n244000001;2024-05-01 12:00:00;4.1;51.9;3.5\n"), f, Options{})
	require.NoError(t, err)
	p, err := cr.Next()
	require.NoError(t, err)
	require.Equal(t, 51.9, p.Lat)
	require.Equal(t, 4.1, p.Lon)
	require.Equal(t, some(3.5), p.SOG)

	_, err = ParseCSVFormat("mmsi=id,time=ts")
	require.ErrorContains(t, err, "lacks")
	_, err = NewCSVReader(strings.NewReader("id,ts\n"), MarineCadastre, Options{})
	require.ErrorContains(t, err, `has no column for mmsi ("MMSI"), time ("BaseDateTime")`)
}

func TestOpenPositionsNMEA(t *testing.T) {
	in := lines(sentence(2, 1, "3", "A", type5a, 0), sentence(2, 2, "3", "A", type5b, 2), sentence(1, 1, "", "B", type1p, 0))
	ps, _ := readPositions(t, in)
	require.Len(t, ps, 1)
	require.Equal(t, uint32(366053209), ps[0].MMSI)
}

func TestJSONAndCSVOutput(t *testing.T) {
	var m Message
	require.NoError(t, Decode([]byte(type1p), 0, &m))
	m.Channel = 'B'
	require.Equal(t, `{"type":1,"mmsi":366053209,"channel":"B","lat":37.80211833333333,"lon":-122.34161833333333,"sog":0,"cog":219.3,"heading":1,"rot":0,"nav_status":3,"accuracy":false,"second":59,"raim":false,"maneuver":0}`,
		string(AppendJSON(nil, &m)))
	require.NoError(t, Decode([]byte(type5a+type5b), 2, &m))
	m.Name = `A "QUOTED\ NAME`
	js := string(AppendJSON(nil, &m))
	require.Contains(t, js, `"name":"A \"QUOTED\\ NAME"`)
	require.Contains(t, js, `"eta":"05-15T14:00"`)
	require.Contains(t, js, `"destination":"NEW YORK"`)
	rec := CSVRecord(&m)
	require.Len(t, rec, len(CSVHeader))
	require.Equal(t, "12.2", rec[19])
	require.Equal(t, "", rec[4], "no position in a type 5")
}
