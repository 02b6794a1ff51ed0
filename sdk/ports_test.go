package sdk

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/portolan-sdk/portolan/trajectory/sim"
	"github.com/stretchr/testify/require"
)

// extraPort is a catalogue port outside the demo model's vocabulary.
var extraPort = export.PortArea{Locode: "XXEXT", Name: "Extra", Lat: 52.5, Lon: 3.0, RadiusM: 4000}

// demoWithAreas returns the demo WAY bundle with other port areas (the
// built-in ports with their radii, plus extraPort) and visit rules.
func demoWithAreas(t testing.TB, visit *export.VisitRules) *Model {
	b, err := export.ReadFile(filepath.Join(testdata, "models", "way-demo.portolan"))
	require.NoError(t, err)
	require.NotEmpty(t, b.Preprocessing.PortAreas, "the committed demo carries its port areas")
	b.Preprocessing.PortAreas = nil
	for _, p := range sim.BuiltinPorts {
		b.Preprocessing.PortAreas = append(b.Preprocessing.PortAreas,
			export.PortArea{Locode: p.Locode, Name: p.Name, Lat: p.Lat, Lon: p.Lon, RadiusM: p.Radius})
	}
	b.Preprocessing.PortAreas = append(b.Preprocessing.PortAreas, extraPort)
	b.Preprocessing.Visit = visit
	data, err := export.Marshal(b)
	require.NoError(t, err)
	m, err := OpenBytes(data)
	require.NoError(t, err)
	return m
}

// demoFormat10 returns the demo WAY bundle as format 1.0 wrote it:
// without port areas and visit rules.
func demoFormat10(t testing.TB) *Model {
	b, err := export.ReadFile(filepath.Join(testdata, "models", "way-demo.portolan"))
	require.NoError(t, err)
	b.Preprocessing.PortAreas, b.Preprocessing.Visit = nil, nil
	data, err := export.Marshal(b)
	require.NoError(t, err)
	m, err := OpenBytes(data)
	require.NoError(t, err)
	return m
}

// stopThenSail is a vessel stopped for dwell at (lat, lon), then sailing
// west at 12 knots for six hours, one position every 10 minutes.
func stopThenSail(lat, lon float64, dwell time.Duration) *trajectory.Track {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tr := &trajectory.Track{MMSI: 244000001, ShipType: ais.Opt[int]{V: 70, Valid: true}}
	add := func(at time.Time, lat, lon, sog float64) {
		tr.Points = append(tr.Points, trajectory.Point{Time: at, Lat: lat, Lon: lon,
			SOG: ais.Opt[float64]{V: sog, Valid: true}, COG: ais.Opt[float64]{V: 270, Valid: true}})
	}
	at := t0
	for ; at.Sub(t0) <= dwell; at = at.Add(10 * time.Minute) {
		add(at, lat, lon, 0)
	}
	for k := 1; k <= 36; k++ {
		add(at, lat, lon-0.054*float64(k), 12) // 12 knots is 0.054° of longitude per 10 minutes at 52°N
		at = at.Add(10 * time.Minute)
	}
	return tr
}

func TestDestinationsUseBundleAreas(t *testing.T) {
	ctx := context.Background()
	m := demoWithAreas(t, nil)
	d, err := m.Destinations(NewConfig())
	require.NoError(t, err)
	require.Equal(t, len(sim.BuiltinPorts)+1, d.Ports().Len())
	i, ok := d.Ports().Index("NLRTM")
	require.True(t, ok)
	require.Equal(t, 8000.0, d.Ports().At(i).Radius, "the area's radius, not the 5 km default")
	require.Equal(t, trajectory.VisitConfig{}.Defaults(), d.Visit(), "no visit rules: the defaults")

	// catalogue ports map to vocabulary classes by UN/LOCODE; others to 0
	vocab := m.Bundle.Preprocessing.Ports
	require.Equal(t, "NLRTM", vocab[d.classOf(i)].Locode)
	x, ok := d.Ports().Index("XXEXT")
	require.True(t, ok)
	require.Equal(t, 0, d.classOf(x))
	require.Equal(t, 0, d.classOf(-1))

	// a stop at a catalogue port outside the vocabulary still ends a voyage
	p, err := d.Predict(ctx, stopThenSail(extraPort.Lat, extraPort.Lon, time.Hour))
	require.NoError(t, err)
	require.Equal(t, "XXEXT", p.Departure)
	for _, c := range p.Top {
		require.NotEqual(t, "XXEXT", c.Locode, "only vocabulary ports are destinations")
	}

	// 7.5 km from Rotterdam's centre: inside its 8 km area, outside the
	// 5 km a 1.0 bundle falls back to
	lon := 4.05 - 7500/(111320*0.6157) // cos(51.95°) = 0.6157
	p, err = d.Predict(ctx, stopThenSail(51.95, lon, time.Hour))
	require.NoError(t, err)
	require.Equal(t, "NLRTM", p.Departure)
	d10, err := demoFormat10(t).Destinations(NewConfig())
	require.NoError(t, err)
	old, err := d10.Predict(ctx, stopThenSail(51.95, lon, time.Hour))
	require.NoError(t, err)
	require.Equal(t, "", old.Departure, "the vocabulary at 5 km misses the stop")
}

func TestDestinationsUseBundleVisitRules(t *testing.T) {
	ctx := context.Background()
	strict, err := demoWithAreas(t, &export.VisitRules{MaxSpeedKnots: 0.5, MinDwellS: 7200}).Destinations(NewConfig())
	require.NoError(t, err)
	require.Equal(t, trajectory.VisitConfig{MaxSpeedKnots: 0.5, MinDwell: 2 * time.Hour}, strict.Visit())
	loose, err := demoWithAreas(t, nil).Destinations(NewConfig())
	require.NoError(t, err)

	tr := stopThenSail(51.95, 4.05, time.Hour) // a one-hour stop in Rotterdam
	p, err := loose.Predict(ctx, tr)
	require.NoError(t, err)
	require.Equal(t, "NLRTM", p.Departure, "30 minutes make a visit")
	p, err = strict.Predict(ctx, tr)
	require.NoError(t, err)
	require.Equal(t, "", p.Departure, "the bundle asks for two hours")
}

func TestDestinationsOldBundleAndOverride(t *testing.T) {
	d, err := demoFormat10(t).Destinations(NewConfig()) // no areas, no rules
	require.NoError(t, err)
	vocab := d.m.Preprocessing.Ports
	require.Equal(t, len(vocab)-1, d.Ports().Len())
	for i := 0; i < d.Ports().Len(); i++ {
		require.Equal(t, trajectory.DefaultPortRadius, d.Ports().At(i).Radius)
		require.Equal(t, i+1, d.classOf(i))
	}
	require.Equal(t, trajectory.VisitConfig{}.Defaults(), d.Visit())

	cat, err := trajectory.NewPorts(sim.BuiltinPorts)
	require.NoError(t, err)
	m, err := Open(filepath.Join(testdata, "models", "way-demo.portolan"))
	require.NoError(t, err)
	o, err := m.Destinations(NewConfig().WithPorts(cat))
	require.NoError(t, err)
	require.Same(t, cat, o.Ports())
	empty, err := trajectory.NewPorts(nil)
	require.NoError(t, err)
	_, err = m.Destinations(NewConfig().WithPorts(empty))
	require.Error(t, err)
}

func TestDestinationsRefuseOtherFeatures(t *testing.T) {
	b, err := export.ReadFile(filepath.Join(testdata, "models", "way-demo.portolan"))
	require.NoError(t, err)
	f := b.Preprocessing.Features
	f[0], f[1] = f[1], f[0] // reordered
	data, err := export.Marshal(b)
	require.NoError(t, err)
	m, err := OpenBytes(data)
	require.NoError(t, err)
	_, err = m.Destinations(NewConfig())
	require.ErrorIs(t, err, ErrBundle)
	require.Contains(t, err.Error(), f[0])
}
