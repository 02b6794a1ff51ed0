package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb/geojson"
	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/internal/shareddata"
	"github.com/portolan-sdk/portolan/trajectory/sim"
	"github.com/stretchr/testify/require"
)

const sampleNMEA = "../../testdata/ais/sample.nmea"

// TestCommittedSample checks that testdata/ais/sample.nmea is what its
// command (in the Makefile's testdata target) produces today.
func TestCommittedSample(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s.nmea")
	code, _, errOut := portolan("simulate", "--seed", "7", "--vessels", "8", "--days", "3", "--out", out)
	require.Equal(t, 0, code, errOut)
	want, err := os.ReadFile(sampleNMEA)
	require.NoError(t, err)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	require.True(t, string(want) == string(got), "testdata/ais/sample.nmea is stale: run make testdata")
}

func TestSimulatePrepareVoyages(t *testing.T) {
	dir := t.TempDir()
	nmea := filepath.Join(dir, "fleet.nmea")
	code, _, errOut := portolan("simulate", "--seed", "1", "--vessels", "20", "--days", "10", "--out", nmea)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, errOut, "simulated 20 vessels for 10 days between 18 ports")

	shards := filepath.Join(dir, "shards")
	code, out, errOut := portolan("prepare", "way", "--ais", nmea, "--ports", "builtin", "--out", shards)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "train")
	var m struct {
		Voyages map[string]int `json:"voyages"`
		Splits  map[string]struct {
			Voyages       int            `json:"voyages"`
			ByDestination map[string]int `json:"by_destination"`
		} `json:"splits"`
	}
	data, err := os.ReadFile(filepath.Join(shards, "manifest.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &m))
	require.Greater(t, m.Splits["train"].Voyages, 20)
	n := 0
	for _, c := range m.Splits["train"].ByDestination {
		n += c
	}
	require.Equal(t, m.Splits["train"].Voyages, n, "voyages per destination add up")

	// the shards carry the catalogue and the visit rules prediction will use
	sh, err := export.ReadFile(filepath.Join(shards, "way-train-000.portolan"))
	require.NoError(t, err)
	require.Len(t, sh.Preprocessing.PortAreas, len(sim.BuiltinPorts))
	require.Equal(t, sim.BuiltinPorts[0].Radius, sh.Preprocessing.PortAreas[0].RadiusM)
	require.Equal(t, &export.VisitRules{MaxSpeedKnots: 1, MinDwellS: 1800}, sh.Preprocessing.Visit)
	visited := filepath.Join(dir, "visited")
	code, _, errOut = portolan("prepare", "way", "--ais", nmea, "--out", visited, "--port-areas", "visited")
	require.Equal(t, 0, code, errOut)
	sh2, err := export.ReadFile(filepath.Join(visited, "way-train-000.portolan"))
	require.NoError(t, err)
	require.LessOrEqual(t, len(sh2.Preprocessing.PortAreas), len(sim.BuiltinPorts))
	require.GreaterOrEqual(t, len(sh2.Preprocessing.PortAreas), len(sh2.Preprocessing.Ports)-1, "every vocabulary port was visited")
	code, out, errOut = portolan("inspect", filepath.Join(shards, "way-train-000.portolan"))
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "port areas  18, radius 5–8 km")
	require.Contains(t, out, "visits      at most 1 knots for at least 30m0s")
	code, _, _ = portolan("prepare", "way", "--ais", nmea, "--out", visited, "--port-areas", "some")
	require.Equal(t, 1, code)

	code, out, errOut = portolan("voyages", "--ais", nmea, "--format", "geojson")
	require.Equal(t, 0, code, errOut)
	fc, err := geojson.UnmarshalFeatureCollection([]byte(out))
	require.NoError(t, err, "valid GeoJSON")
	require.Greater(t, len(fc.Features), 20)
	require.Equal(t, "LineString", fc.Features[0].Geometry.GeoJSONType())

	code, out, _ = portolan("voyages", "--ais", nmea, "--format", "jsonl")
	require.Equal(t, 0, code)
	require.Equal(t, len(fc.Features), strings.Count(out, "\n"))

	// the MarineCadastre CSV of the same fleet gives the same voyages
	csvPath := filepath.Join(dir, "fleet.csv")
	code, _, errOut = portolan("simulate", "--seed", "1", "--vessels", "20", "--days", "10", "--format", "csv", "--out", csvPath)
	require.Equal(t, 0, code, errOut)
	code, out2, _ := portolan("voyages", "--ais", csvPath, "--format", "jsonl")
	require.Equal(t, 0, code)
	require.Equal(t, strings.Count(out, "\n"), strings.Count(out2, "\n"))
}

// TestSimulateOnRealLanes runs the simulator on the MARNET sea-lane
// network and the World Port Index.
func TestSimulateOnRealLanes(t *testing.T) {
	lanes := shareddata.Path(t, "searoute-marnet/marnet_searoute.geojson")
	wpi := shareddata.Path(t, "wpi/UpdatedPub150.csv")
	out := filepath.Join(t.TempDir(), "world.nmea")
	code, _, errOut := portolan("simulate", "--seed", "2", "--vessels", "10", "--days", "5",
		"--lanes", lanes, "--ports", wpi, "--max-ports", "30", "--out", out)
	require.Equal(t, 0, code, errOut)
	code, _, errOut = portolan("decode", "--stats", out)
	require.Equal(t, 0, code)
	require.Contains(t, errOut, "malformed         0")
}

// TestSimulateWorld selects world ports by traffic, simulates a fleet
// between them and prepares shards with the catalogue it wrote: the
// vocabulary and the port areas are those ports.
func TestSimulateWorld(t *testing.T) {
	lanes := shareddata.Path(t, "searoute-marnet/marnet_searoute.geojson")
	traffic := shareddata.Path(t, "searoute-marnet/ports.geojson")
	wpi := shareddata.Path(t, "wpi/UpdatedPub150.csv")
	dir := t.TempDir()
	nmea, cat := filepath.Join(dir, "world.nmea"), filepath.Join(dir, "ports.geojson")
	args := []string{"simulate", "--seed", "3", "--vessels", "40", "--days", "8", "--lanes", lanes, "--ports", wpi,
		"--select", "traffic", "--traffic", traffic, "--max-ports", "0", "--distance-power", "2", "--ports-out", cat}
	code, _, errOut := portolan(append(args, "--out", nmea)...)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, errOut, "simulated 40 vessels for 8 days between 517 ports")
	code, again, _ := portolan(args...)
	require.Equal(t, 0, code)
	first, err := os.ReadFile(nmea)
	require.NoError(t, err)
	require.True(t, string(first) == again, "the same seed, the same bytes")

	data, err := os.ReadFile(cat)
	require.NoError(t, err)
	fc, err := geojson.UnmarshalFeatureCollection(data)
	require.NoError(t, err)
	require.Len(t, fc.Features, 517)
	weights := map[string]float64{}
	for _, f := range fc.Features {
		weights[f.Properties.MustString("port")] = f.Properties.MustFloat64("weight")
		require.Contains(t, []float64{3000, 4000, 5000, 6000, 10000}, f.Properties.MustFloat64("radius"))
	}
	require.Equal(t, 9.0, weights["BEANR"], "75 countries with liner services + a Large harbour (15), over 10")

	shards := filepath.Join(dir, "shards")
	code, out, errOut := portolan("prepare", "way", "--ais", nmea, "--ports", cat, "--out", shards)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "517 port areas")
	b, err := export.ReadFile(filepath.Join(shards, "way-train-000.portolan"))
	require.NoError(t, err)
	require.Len(t, b.Preprocessing.PortAreas, 517)
	require.Greater(t, len(b.Preprocessing.Ports), 40)
	for _, p := range b.Preprocessing.Ports[1:] {
		_, ok := weights[p.Locode]
		require.True(t, ok, p.Locode)
	}

	// the written catalogue simulates the same fleet: its weights are read back
	code, fromCat, errOut := portolan("simulate", "--seed", "3", "--vessels", "40", "--days", "8", "--lanes", lanes,
		"--ports", cat, "--max-ports", "0", "--distance-power", "2")
	require.Equal(t, 0, code, errOut)
	require.True(t, string(first) == fromCat)

	for _, bad := range [][]string{
		{"--select", "busiest"},
		{"--select", "traffic", "--ports", cat},
		{"--traffic", traffic},
	} {
		code, _, errOut = portolan(append([]string{"simulate", "--vessels", "1", "--days", "1", "--out", filepath.Join(dir, "x")}, bad...)...)
		require.Equal(t, 1, code, "%v: %s", bad, errOut)
	}
}

func TestTrajectoryCommandErrors(t *testing.T) {
	code, _, _ := portolan("prepare")
	require.Equal(t, 2, code)
	code, _, _ = portolan("prepare", "way", "--ais", sampleNMEA)
	require.Equal(t, 2, code, "no --out")
	code, _, errOut := portolan("prepare", "way", "--ais", sampleNMEA, "--out", t.TempDir(), "--resolution", "0.7")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "does not divide")
	txt := filepath.Join(t.TempDir(), "ports.txt")
	require.NoError(t, os.WriteFile(txt, []byte("NLRTM\n"), 0o644))
	code, _, errOut = portolan("voyages", "--ais", sampleNMEA, "--ports", txt)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "want a .csv")
	code, _, _ = portolan("simulate", "--format", "xml", "--vessels", "1", "--days", "1", "--out", filepath.Join(t.TempDir(), "x"))
	require.Equal(t, 1, code)
}
