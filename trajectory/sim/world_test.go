package sim

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/portolan-sdk/portolan/internal/shareddata"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/stretchr/testify/require"
)

// TestNearestMatchesScan compares the indexed search with a scan of every
// node, on the built-in lanes and on a random network that spans the
// antimeridian and the poles.
func TestNearestMatchesScan(t *testing.T) {
	scan := func(n *Network, lat, lon float64) (int, float64) {
		best, bestD := -1, math.Inf(1)
		for i, p := range n.nodes {
			if d := trajectory.Distance(lat, lon, p.Lat(), p.Lon()); d < bestD {
				best, bestD = i, d
			}
		}
		return best, bestD
	}
	rng := rand.New(rand.NewPCG(4, 4))
	var lines []orb.LineString
	for range 60 {
		lat, lon := rng.Float64()*170-85, rng.Float64()*360-180
		lines = append(lines, orb.LineString{{lon, lat}, {lon + rng.Float64()*20 - 10, math.Max(-90, math.Min(90, lat+rng.Float64()*10-5))}})
	}
	lines = append(lines, orb.LineString{{179.9, 89.5}, {-179.9, 89.9}}, orb.LineString{{10, -89.9}, {20, -89.8}})
	random, err := NewNetwork(lines)
	require.NoError(t, err)
	for _, n := range []*Network{BuiltinNetwork(), random} {
		for range 2000 {
			lat, lon := rng.Float64()*180-90, rng.Float64()*360-180
			if rng.IntN(4) == 0 { // near a node
				p := n.nodes[rng.IntN(len(n.nodes))]
				lat, lon = math.Max(-90, math.Min(90, p.Lat()+rng.NormFloat64())), p.Lon()+rng.NormFloat64()
			}
			wi, wd := scan(n, lat, lon)
			gi, gd := n.Nearest(lat, lon)
			require.Equal(t, wi, gi, "%v,%v", lat, lon)
			require.Equal(t, wd, gd)
		}
	}
}

func TestLoadNetworkRestrict(t *testing.T) {
	data := []byte(`{"type":"FeatureCollection","features":[
	 {"type":"Feature","geometry":{"type":"LineString","coordinates":[[0,0],[1,0]]},"properties":{}},
	 {"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,0],[2,0]]},"properties":{"passage":"suez"}},
	 {"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[[[2,0],[3,0]]]},"properties":{"passage":"northwest"}}]}`)
	all, err := LoadNetworkGeoJSON(data)
	require.NoError(t, err)
	require.Equal(t, 4, all.Len())
	_, metres, ok := all.Path(0, 3)
	require.True(t, ok)
	require.InDelta(t, 3*111.2e3, metres, 1e3)
	some, err := LoadNetworkGeoJSON(data, "northwest")
	require.NoError(t, err)
	require.Equal(t, 3, some.Len())
	none, err := LoadNetworkGeoJSON(data, "northwest", "suez")
	require.NoError(t, err)
	require.Equal(t, 2, none.Len())
	_, _, ok = none.Path(0, 1)
	require.True(t, ok)
}

// TestShortestPathTree: the path a fleet's route takes from a port's
// shortest-path tree is the one Path finds between the two nodes.
func TestShortestPathTree(t *testing.T) {
	n := BuiltinNetwork()
	for from := 0; from < n.Len(); from += 7 {
		_, prev := n.dijkstra(from, -1)
		for to := 0; to < n.Len(); to += 5 {
			want, _, wok := n.Path(from, to)
			got, gok := n.pathTo(prev, from, to)
			require.Equal(t, wok, gok)
			require.Equal(t, want, got)
		}
	}
}

func TestPickWeighted(t *testing.T) {
	w := []float64{1, 0, 3}
	require.Equal(t, 0, pickWeighted(0, w))
	require.Equal(t, 0, pickWeighted(0.2499, w))
	require.Equal(t, 2, pickWeighted(0.25, w))
	require.Equal(t, 2, pickWeighted(0.9999, w))
	require.Equal(t, 2, pickWeighted(1, w), "rounding past the end: the last positive weight")
	require.Equal(t, 0, pickWeighted(1, []float64{1, 0}))
}

// arrivals counts the complete voyages of a simulation by destination,
// and their mean great-circle length in km.
func arrivals(t *testing.T, f *Fleet) (map[int]int, float64) {
	tracks, err := f.Tracks()
	require.NoError(t, err)
	ports, err := trajectory.NewPorts(f.Ports())
	require.NoError(t, err)
	by, km, n := map[int]int{}, 0.0, 0
	for _, tr := range tracks {
		voyages, _ := trajectory.VoyagesOf(tr, ports, trajectory.CleanConfig{}, trajectory.VisitConfig{})
		for _, v := range voyages {
			if v.From >= 0 && v.To >= 0 {
				by[v.To]++
				a, b := ports.At(v.From), ports.At(v.To)
				km += trajectory.Distance(a.Lat, a.Lon, b.Lat, b.Lon) / 1000
				n++
			}
		}
	}
	require.Greater(t, n, 50)
	return by, km / float64(n)
}

// TestPortWeightsAndDistancePower: a port that draws ten times the
// traffic gets several times the arrivals, and a higher distance power
// shortens voyages.
func TestPortWeightsAndDistancePower(t *testing.T) {
	weights := make([]float64, len(BuiltinPorts))
	for i := range weights {
		weights[i] = 1
	}
	hub := 3 // Bremerhaven
	weights[hub] = 10
	cfg := Config{Seed: 5, Vessels: 40, Days: 20}
	plain, err := NewFleet(BuiltinNetwork(), BuiltinPorts, cfg)
	require.NoError(t, err)
	cfg.PortWeights = weights
	weighted, err := NewFleet(BuiltinNetwork(), BuiltinPorts, cfg)
	require.NoError(t, err)
	require.Equal(t, weights, weighted.Weights())
	require.Nil(t, plain.Weights())
	a, km1 := arrivals(t, plain)
	b, _ := arrivals(t, weighted)
	share := func(m map[int]int) float64 {
		total := 0
		for _, c := range m {
			total += c
		}
		return float64(m[hub]) / float64(total)
	}
	require.Greater(t, share(b), 3*share(a), "hub share %.3f against %.3f", share(b), share(a))

	cfg.PortWeights, cfg.DistancePower = nil, 3
	regional, err := NewFleet(BuiltinNetwork(), BuiltinPorts, cfg)
	require.NoError(t, err)
	_, km3 := arrivals(t, regional)
	require.Less(t, km3, 0.8*km1, "mean voyage %.0f km against %.0f km", km3, km1)

	_, err = NewFleet(BuiltinNetwork(), BuiltinPorts, Config{PortWeights: []float64{1}})
	require.Error(t, err, "one weight per port")
	bad := append([]float64(nil), weights...)
	bad[0] = math.NaN()
	_, err = NewFleet(BuiltinNetwork(), BuiltinPorts, Config{PortWeights: bad})
	require.Error(t, err)
	_, err = NewFleet(BuiltinNetwork(), BuiltinPorts, Config{DistancePower: -1})
	require.Error(t, err)
}

// TestRunStreams: messages come in time order, ties by MMSI, each vessel
// keeps its own order even at a short archive interval, and an error from
// emit stops the run.
func TestRunStreams(t *testing.T) {
	f, err := NewFleet(BuiltinNetwork(), BuiltinPorts, Config{Seed: 9, Vessels: 15, Days: 2, Interval: time.Minute})
	require.NoError(t, err)
	var last time.Time
	var lastMMSI uint32
	perVessel := map[uint32]time.Time{}
	n := 0
	require.NoError(t, f.Run(func(m *ais.Message) error {
		require.False(t, m.Time.Before(last))
		if m.Time.Equal(last) {
			require.GreaterOrEqual(t, m.MMSI, lastMMSI)
		}
		require.False(t, m.Time.Before(perVessel[m.MMSI]))
		last, lastMMSI, perVessel[m.MMSI] = m.Time, m.MMSI, m.Time
		n++
		return nil
	}))
	require.Greater(t, n, 10000)
	require.Len(t, perVessel, 15)

	stop := errors.New("enough")
	k := 0
	err = f.Run(func(*ais.Message) error {
		if k++; k == 100 {
			return stop
		}
		return nil
	})
	require.ErrorIs(t, err, stop)
	require.Equal(t, 100, k)
}

func TestSelectPorts(t *testing.T) {
	var lane orb.LineString
	for lon := 0.0; lon <= 10; lon++ {
		lane = append(lane, orb.Point{lon, 50})
	}
	net, err := NewNetwork([]orb.LineString{lane, {{0, 0}, {1, 0}}})
	require.NoError(t, err)
	entry := func(code, size string, lat, lon, depth float64) trajectory.WPIEntry {
		return trajectory.WPIEntry{Port: trajectory.Port{Locode: code, Name: code, Lat: lat, Lon: lon, Radius: 6000},
			HarbourSize: size, Depth: depth, Region: "R"}
	}
	wpi := []trajectory.WPIEntry{
		entry("AAHUB", "Small", 50.1, 1, 5),       // liner 40 by code
		entry("AANEA", "Large", 50.2, 1.1, 20),    // 17 km from AAHUB: thinned
		entry("AABIG", "Large", 50, 5, 12),        // eligible by harbour and depth
		entry("AASHL", "Medium", 50, 7, 6),        // too shallow, no liner
		entry("AADPT", "Medium", 50, 9, 9),        // just deep enough
		entry("AAFAR", "Large", 45, 5, 15),        // 555 km from the lanes
		entry("", "Large", 50, 3, 15),             // no UN/LOCODE
		entry("AAXYZ", "Very Small", 0.1, 0.5, 0), // takes AAQQQ's liner services 12 km away
		entry("AAFEW", "Very Small", 0, 1, 0),     // liner services to 4 countries: not enough
	}
	traffic := []trajectory.PortFeature{
		{Port: trajectory.Port{Locode: "AAHUB", Lat: 50.1, Lon: 1}, Properties: map[string]any{"to_cty": make([]any, 40)}},
		{Port: trajectory.Port{Locode: "AAQQQ", Lat: 0.1, Lon: 0.6}, Properties: map[string]any{"to_cty": make([]any, 6)}},
		{Port: trajectory.Port{Locode: "AAFEW", Lat: 0, Lon: 1}, Properties: map[string]any{"to_cty": make([]any, 4)}},
		{Port: trajectory.Port{Locode: "AANONE", Lat: 10, Lon: 10}, Properties: map[string]any{}},
	}
	got := SelectPorts(wpi, traffic, net, SelectConfig{})
	var codes []string
	for _, p := range got {
		codes = append(codes, p.Locode)
	}
	require.Equal(t, []string{"AABIG", "AADPT", "AAHUB", "AAXYZ"}, codes, "in UN/LOCODE order")
	byCode := map[string]SelectedPort{}
	for _, p := range got {
		byCode[p.Locode] = p
	}
	require.Equal(t, 40, byCode["AAHUB"].Liner)
	require.Equal(t, 43.0, byCode["AAHUB"].Score) // 40 + Small 3
	require.Equal(t, 4.3, byCode["AAHUB"].Weight)
	require.Equal(t, 15.0, byCode["AABIG"].Score)
	require.Equal(t, 8.0, byCode["AADPT"].Score)
	require.Equal(t, 6, byCode["AAXYZ"].Liner)
	require.Equal(t, 0.6, byCode["AAXYZ"].Weight)

	// by score then depth: AAHUB (43), AABIG (15), AADPT (8), AAXYZ (6)
	top2 := SelectPorts(wpi, traffic, net, SelectConfig{Max: 2})
	require.Len(t, top2, 2)
	require.Equal(t, "AABIG", top2[0].Locode)
	require.Equal(t, "AAHUB", top2[1].Locode)
	// no traffic points: harbours alone
	harbours := SelectPorts(wpi, nil, net, SelectConfig{})
	codes = codes[:0]
	for _, p := range harbours {
		codes = append(codes, p.Locode)
	}
	require.Equal(t, []string{"AABIG", "AADPT", "AANEA"}, codes)
}

// TestSelectWorldPorts selects from the World Port Index with MARNET's
// liner services and lanes, as `make train-world` does.
func TestSelectWorldPorts(t *testing.T) {
	net, sel := worldPorts(t)
	require.Equal(t, 517, len(sel))
	codes := map[string]bool{}
	countries := map[string]bool{}
	for i, p := range sel {
		codes[p.Locode] = true
		countries[p.Country] = true
		_, d := net.Nearest(p.Lat, p.Lon)
		require.LessOrEqual(t, d, 100e3)
		for _, q := range sel[:i] {
			require.GreaterOrEqual(t, trajectory.Distance(p.Lat, p.Lon, q.Lat, q.Lon), 30e3, "%s %s", p.Locode, q.Locode)
		}
	}
	for _, c := range []string{"NLRTM", "BEANR", "DEHAM", "GRPIR", "ESALG", "USNYC", "USHOU", "USLAX", "USSEA", "USMIA",
		"USSAV", "CNSGH", "KRPUS", "HKHKG", "AEJEA", "INNSA", "BRSSZ", "ZADUR", "AUMEL", "JPYOK"} {
		require.True(t, codes[c], c)
	}
	require.Greater(t, len(countries), 100)
}

func worldPorts(t *testing.T) (*Network, []SelectedPort) {
	lanes, err := os.ReadFile(shareddata.Path(t, "searoute-marnet/marnet_searoute.geojson"))
	require.NoError(t, err)
	net, err := LoadNetworkGeoJSON(lanes, "northwest")
	require.NoError(t, err)
	data, err := os.ReadFile(shareddata.Path(t, "searoute-marnet/ports.geojson"))
	require.NoError(t, err)
	traffic, err := trajectory.LoadPortFeatures(data)
	require.NoError(t, err)
	f, err := os.Open(shareddata.Path(t, "wpi/UpdatedPub150.csv"))
	require.NoError(t, err)
	defer f.Close()
	wpi, err := trajectory.ReadWPI(f)
	require.NoError(t, err)
	return net, SelectPorts(wpi, traffic, net, SelectConfig{})
}

// TestWorldFleet simulates a small world-wide fleet twice: the same bytes,
// time order, and voyages between the selected ports on several oceans.
func TestWorldFleet(t *testing.T) {
	net, sel := worldPorts(t)
	ports, weights := make([]trajectory.Port, len(sel)), make([]float64, len(sel))
	for i, s := range sel {
		ports[i], weights[i] = s.Port, s.Weight
	}
	cfg := Config{Seed: 3, Vessels: 30, Days: 6, PortWeights: weights, DistancePower: 2}
	var a, b bytes.Buffer
	f1, err := NewFleet(net, ports, cfg)
	require.NoError(t, err)
	require.Len(t, f1.Ports(), len(sel))
	_, err = f1.WriteNMEA(&a)
	require.NoError(t, err)
	f2, err := NewFleet(net, ports, cfg)
	require.NoError(t, err)
	_, err = f2.WriteNMEA(&b)
	require.NoError(t, err)
	require.Equal(t, sha256.Sum256(a.Bytes()), sha256.Sum256(b.Bytes()))

	pr, err := ais.OpenPositions(bytes.NewReader(a.Bytes()), ais.Options{})
	require.NoError(t, err)
	tracks, err := trajectory.Collect(pr)
	require.NoError(t, err)
	require.Len(t, tracks, 30)
	cat, err := trajectory.NewPorts(ports)
	require.NoError(t, err)
	lons := map[int]bool{}
	for _, tr := range tracks {
		voyages, st := trajectory.VoyagesOf(tr, cat, trajectory.CleanConfig{}, trajectory.VisitConfig{})
		require.Equal(t, st.In, st.Kept, "clean: %v", st.Dropped)
		for _, v := range voyages {
			if v.To >= 0 {
				lons[int(math.Floor((cat.At(v.To).Lon+180)/60))] = true
			}
		}
	}
	require.GreaterOrEqual(t, len(lons), 3, "arrivals in several 60° bands of longitude")
}

// TestNoJumps: consecutive positions of a vessel never imply more than 30
// knots, also around waits at anchor (a vessel stops at the anchorage on
// its way in, rather than reaching the port and starting over from there).
func TestNoJumps(t *testing.T) {
	f, err := NewFleet(BuiltinNetwork(), BuiltinPorts, Config{Seed: 11, Vessels: 40, Days: 20})
	require.NoError(t, err)
	type fix struct {
		at       time.Time
		lat, lon float64
	}
	last := map[uint32]fix{}
	anchored := map[uint32]bool{}
	require.NoError(t, f.Run(func(m *ais.Message) error {
		if !m.Lat.Valid {
			return nil
		}
		if m.NavStatus.Valid && m.NavStatus.V == 1 {
			anchored[m.MMSI] = true
		}
		p := fix{m.Time, m.Lat.V, m.Lon.V}
		if q, ok := last[m.MMSI]; ok && p.at.After(q.at) {
			knots := trajectory.Distance(q.lat, q.lon, p.lat, p.lon) / p.at.Sub(q.at).Seconds() / trajectory.Knot
			require.Less(t, knots, 30.0, "vessel %d from %v to %v", m.MMSI, q, p)
		}
		last[m.MMSI] = p
		return nil
	}))
	require.Greater(t, len(anchored), 5, "vessels waited at anchor")
}
