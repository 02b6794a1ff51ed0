package trajectory

import (
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func opt[T any](v T) ais.Opt[T] { return ais.Opt[T]{V: v, Valid: true} }

func pt(min int, lat, lon, sog float64) Point {
	return Point{Time: t0.Add(time.Duration(min) * time.Minute), Lat: lat, Lon: lon, SOG: opt(sog)}
}

func TestClean(t *testing.T) {
	tr := &Track{MMSI: 244660000, Points: []Point{
		pt(0, 52, 4, 10),
		pt(10, 52.02, 4, 10),
		pt(5, 52.01, 4, 10),         // out of order: repaired
		pt(10, 52.03, 4, 10),        // duplicate time
		{Lat: 52, Lon: 4},           // no time
		pt(20, 0, 0, 10),            // null island
		pt(21, 95, 4, 10),           // off the globe
		pt(30, 54, 4, 10),           // 220 km in 20 minutes: impossible
		pt(40, 52.05, 4, 10),        // fine again relative to the last kept point
		pt(60*24*400, 52.06, 4, 10), // far future
	}}
	got, st := Clean(tr, CleanConfig{Now: t0.Add(48 * time.Hour)})
	require.Equal(t, 10, st.In)
	require.Equal(t, 4, st.Kept)
	require.Equal(t, 1, st.Reordered)
	require.Equal(t, map[string]int{DropDuplicate: 1, DropNoTime: 1, DropPosition: 2, DropJump: 1, DropFuture: 1}, st.Dropped)
	var lats []float64
	for _, p := range got.Points {
		lats = append(lats, p.Lat)
	}
	require.Equal(t, []float64{52, 52.01, 52.02, 52.05}, lats)

	// invalid MMSI drops the whole track
	_, st = Clean(&Track{MMSI: 123, Points: tr.Points}, CleanConfig{})
	require.Equal(t, map[string]int{DropMMSI: 10}, st.Dropped)
	require.True(t, ValidShipMMSI(244660000))
	require.False(t, ValidShipMMSI(992446000)) // AtoN range
}

func testPorts(t *testing.T) *Ports {
	p, err := NewPorts([]Port{
		{Locode: "NLRTM", Name: "Rotterdam", Lat: 51.95, Lon: 4.10, Radius: 5000},
		{Locode: "GBFXT", Name: "Felixstowe", Lat: 51.95, Lon: 1.33, Radius: 4000},
		{Locode: "FJSUV", Name: "Suva", Lat: -18.13, Lon: 178.42, Radius: 5000},
		{Locode: "WSAPW", Name: "Apia-ish (east of the antimeridian)", Lat: -18.13, Lon: -179.98, Radius: 5000},
	})
	require.NoError(t, err)
	return p
}

func TestPortsWithin(t *testing.T) {
	p := testPorts(t)
	i, d, ok := p.Within(51.96, 4.11)
	require.True(t, ok)
	require.Equal(t, "NLRTM", p.At(i).Locode)
	require.Less(t, d, 2000.0)
	_, _, ok = p.Within(52.2, 4.1) // 28 km north
	require.False(t, ok)
	// across the antimeridian: a point at +179.99 is 3 km from the port at -179.98
	i, _, ok = p.Within(-18.13, 179.99)
	require.True(t, ok)
	require.Equal(t, "WSAPW", p.At(i).Locode)
	idx, ok := p.Index("GBFXT")
	require.True(t, ok)
	require.Equal(t, 1, idx)
	_, err := NewPorts([]Port{{Lat: 100, Radius: 1}})
	require.Error(t, err)
}

func TestVisitsAndVoyages(t *testing.T) {
	p := testPorts(t)
	var pts []Point
	add := func(min int, lat, lon, sog float64) { pts = append(pts, pt(min, lat, lon, sog)) }
	// moored in Rotterdam for an hour
	for m := 0; m <= 60; m += 10 {
		add(m, 51.95, 4.10, 0.1)
	}
	// sail west, passing through Felixstowe's area at speed without stopping
	add(120, 51.95, 3.5, 12)
	add(180, 51.95, 1.34, 12)
	add(190, 51.95, 1.32, 11)
	add(240, 51.95, 0.9, 12)
	// anchored outside Felixstowe's area for three hours: not a visit
	for m := 300; m <= 480; m += 30 {
		add(m, 51.85, 1.20, 0)
	}
	// back east and stop in Rotterdam for 40 minutes
	add(600, 51.95, 3.0, 12)
	for m := 700; m <= 740; m += 10 {
		add(m, 51.95, 4.09, 0.3)
	}
	// a short stop of 10 minutes is not a visit; then leave
	add(800, 51.95, 3.0, 12)
	tr := &Track{MMSI: 244660000, ShipType: opt(70), Points: pts}
	visits := Visits(tr, p, VisitConfig{})
	require.Len(t, visits, 2)
	require.Equal(t, 0, visits[0].Port)
	require.Equal(t, t0, visits[0].Arrive)
	require.Equal(t, t0.Add(time.Hour), visits[0].Depart)
	require.Equal(t, t0.Add(700*time.Minute), visits[1].Arrive)

	vs := Voyages(tr, visits)
	require.Len(t, vs, 2)
	require.Equal(t, 0, vs[0].From)
	require.Equal(t, 0, vs[0].To)
	require.Equal(t, t0.Add(time.Hour), vs[0].Depart)
	require.Equal(t, t0.Add(700*time.Minute), vs[0].Arrive)
	require.Equal(t, 1, vs[0].ShipType, "cargo")
	require.True(t, vs[1].InProgress())
	require.Equal(t, 2, len(vs[1].Points))

	// a minimum dwell of two hours finds only... none: the first stop lasts one hour
	require.Empty(t, Visits(tr, p, VisitConfig{MinDwell: 2 * time.Hour}))
}

func TestShipCategory(t *testing.T) {
	for code, want := range map[int]int{70: 1, 79: 1, 84: 2, 60: 3, 30: 4, 52: 5, 37: 6, 99: 7} {
		require.Equal(t, want, ShipCategory(opt(code)), "%d", code)
	}
	require.Equal(t, 0, ShipCategory(ais.Opt[int]{}))
}

// TestCheckMatchesClean: the one-point rules streams use give the reasons
// Clean counts.
func TestCheckMatchesClean(t *testing.T) {
	c := CleanConfig{Now: t0.Add(48 * time.Hour)}.Defaults()
	prev := pt(0, 52, 4, 10)
	cases := map[string]Point{
		"":            pt(10, 52.02, 4, 10),
		DropNoTime:    {Lat: 52, Lon: 4},
		DropPosition:  pt(20, 0, 0, 10),
		DropFuture:    pt(60*24*400, 52.06, 4, 10),
		DropDuplicate: pt(0, 52.01, 4, 10),
		DropJump:      pt(20, 54, 4, 10),
	}
	for want, p := range cases {
		require.Equal(t, want, c.Check(&prev, &p), want)
	}
	late := prev
	late.Time = t0.Add(-time.Minute)
	require.Equal(t, DropLate, c.Check(&prev, &late))
	require.Equal(t, "", c.Check(nil, &prev))
	require.Equal(t, 10.0, Speed(nil, &prev), "the reported SOG")
	noSOG := pt(60, 52.2, 4, 0) // no SOG: implied by the distance covered in an hour
	noSOG.SOG = ais.Opt[float64]{}
	require.InDelta(t, Distance(52, 4, 52.2, 4)/3600/Knot, Speed(&prev, &noSOG), 1e-9)
	require.InDelta(t, 12, Speed(&prev, &noSOG), 0.1) // 0.2° of latitude is about 12 nm
}
