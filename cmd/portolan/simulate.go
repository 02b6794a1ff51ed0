package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/sim"
)

func runSimulate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("simulate", "[flags]", stderr)
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives byte-identical output")
	vessels := fs.Int("vessels", 50, "number of vessels")
	days := fs.Float64("days", 14, "days to simulate")
	start := fs.String("start", "2026-01-01T00:00:00Z", "start time (RFC 3339)")
	interval := fs.Duration("interval", 10*time.Minute, "archive interval: at most one position per vessel per interval")
	lanes := fs.String("lanes", "builtin", "sea-lane network (GeoJSON LineStrings), or builtin")
	var restrict stringList
	fs.Var(&restrict, "restrict", `lanes left out by their "passage" property (repeated or comma-separated; default northwest, the ice-bound passages; "none" keeps every lane)`)
	portsFile := fs.String("ports", "builtin", "ports (World Port Index CSV or GeoJSON points, whose \"weight\" properties, when every port has one, set the traffic each draws), or builtin")
	selectMode := fs.String("select", "largest", "which ports of --ports: largest (by harbour size) or traffic (World Port Index CSV only: by liner services and harbour; docs/RESULTS.md)")
	traffic := fs.String("traffic", "", "for --select traffic: GeoJSON port points with \"to_cty\" liner-service lists (MARNET ports.geojson)")
	maxPorts := fs.Int("max-ports", 40, "use at most this many ports")
	portsOut := fs.String("ports-out", "", "write the ports the fleet uses (with their area radius and traffic weight) as GeoJSON, for prepare way --ports")
	distPower := fs.Float64("distance-power", 1, "next port picked in proportion to weight/(distance + range)^power: 2 keeps world-wide voyages mostly regional")
	noVoyage := fs.Float64("no-voyage-data", 0.25, "share of class A vessels that never report destination, ETA or draught (class B never do)")
	format := fs.String("format", "nmea", "output: nmea (tag-blocked AIVDM) or csv (MarineCadastre)")
	out := fs.String("out", "-", "output file, - for stdout")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	t0, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		return fmt.Errorf("--start: %w", err)
	}
	if *noVoyage < 0 || *noVoyage > 1 {
		return fmt.Errorf("--no-voyage-data %v: want a share in [0, 1]", *noVoyage)
	}
	if *format != "nmea" && *format != "csv" {
		return fmt.Errorf("unknown --format %q (want nmea or csv)", *format)
	}
	if len(restrict) == 0 {
		restrict = stringList{"northwest"}
	}
	net := sim.BuiltinNetwork()
	if *lanes != "builtin" {
		data, err := os.ReadFile(*lanes)
		if err != nil {
			return err
		}
		if net, err = sim.LoadNetworkGeoJSON(data, restrict...); err != nil {
			return err
		}
	}
	list, weights, selected, err := simulationPorts(*portsFile, *selectMode, *traffic, *maxPorts, net)
	if err != nil {
		return err
	}
	share := *noVoyage
	if share == 0 {
		share = -1 // sim.Config: zero means the default, negative none
	}
	fleet, err := sim.NewFleet(net, list, sim.Config{Seed: *seed, Vessels: *vessels, Days: *days, Start: t0,
		Interval: *interval, NoVoyageShare: share, PortWeights: weights, DistancePower: *distPower})
	if err != nil {
		return err
	}
	if *portsOut != "" {
		if err := writePortsGeoJSON(*portsOut, fleet.Ports(), fleet.Weights(), selected); err != nil {
			return err
		}
	}
	w := stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	var n int
	if *format == "nmea" {
		n, err = fleet.WriteNMEA(w)
	} else {
		n, err = fleet.WriteMarineCadastre(w)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "simulated %d vessels for %g days between %d ports: %d messages\n", *vessels, *days, len(fleet.Ports()), n)
	return nil
}

// simulationPorts returns the ports a simulation sails between, their
// traffic weights (nil: alike) and, for --select traffic, what chose them.
func simulationPorts(portsFile, mode, trafficFile string, n int, net *sim.Network) ([]trajectory.Port, []float64, []sim.SelectedPort, error) {
	switch mode {
	case "largest":
		if trafficFile != "" {
			return nil, nil, nil, fmt.Errorf("--traffic is for --select traffic")
		}
	case "traffic":
		if strings.ToLower(filepath.Ext(portsFile)) != ".csv" {
			return nil, nil, nil, fmt.Errorf("--select traffic reads a World Port Index CSV (--ports), not %q", portsFile)
		}
		f, err := os.Open(portsFile)
		if err != nil {
			return nil, nil, nil, err
		}
		defer f.Close()
		wpi, err := trajectory.ReadWPI(f)
		if err != nil {
			return nil, nil, nil, err
		}
		var feats []trajectory.PortFeature
		if trafficFile != "" {
			data, err := os.ReadFile(trafficFile)
			if err != nil {
				return nil, nil, nil, err
			}
			if feats, err = trajectory.LoadPortFeatures(data); err != nil {
				return nil, nil, nil, err
			}
		}
		sel := sim.SelectPorts(wpi, feats, net, sim.SelectConfig{Max: n})
		list, weights := make([]trajectory.Port, len(sel)), make([]float64, len(sel))
		for i, s := range sel {
			list[i], weights[i] = s.Port, s.Weight
		}
		return list, weights, sel, nil
	default:
		return nil, nil, nil, fmt.Errorf("unknown --select %q (want largest or traffic)", mode)
	}
	if portsFile == "" || portsFile == "builtin" {
		return largestPorts(sim.BuiltinPorts, n), nil, nil, nil
	}
	if ext := strings.ToLower(filepath.Ext(portsFile)); ext == ".geojson" || ext == ".json" {
		data, err := os.ReadFile(portsFile)
		if err != nil {
			return nil, nil, nil, err
		}
		feats, err := trajectory.LoadPortFeatures(data)
		if err != nil {
			return nil, nil, nil, err
		}
		list, weights := make([]trajectory.Port, len(feats)), make([]float64, len(feats))
		for i, f := range feats {
			list[i] = f.Port
			w, ok := f.Properties["weight"].(float64)
			if !ok {
				weights = nil
			} else if weights != nil {
				weights[i] = w
			}
		}
		if weights != nil {
			return largestWeighted(list, weights, n)
		}
		return largestPorts(list, n), nil, nil, nil
	}
	list, err := trajectory.LoadPortsFile(portsFile)
	if err != nil {
		return nil, nil, nil, err
	}
	return largestPorts(list, n), nil, nil, nil
}

// largestPorts keeps at most n ports, preferring larger port areas (the
// World Port Index harbour size), then the catalogue order.
func largestPorts(list []trajectory.Port, n int) []trajectory.Port {
	if n <= 0 || len(list) <= n {
		return list
	}
	out := append([]trajectory.Port(nil), list...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Radius > out[j].Radius })
	out = out[:n]
	trajectory.SortByLocode(out)
	return out
}

// largestWeighted keeps at most n ports, preferring larger weights, with
// their weights.
func largestWeighted(list []trajectory.Port, weights []float64, n int) ([]trajectory.Port, []float64, []sim.SelectedPort, error) {
	if n <= 0 || len(list) <= n {
		return list, weights, nil, nil
	}
	idx := make([]int, len(list))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return weights[idx[a]] > weights[idx[b]] })
	idx = idx[:n]
	sort.Ints(idx)
	ports, w := make([]trajectory.Port, n), make([]float64, n)
	for k, i := range idx {
		ports[k], w[k] = list[i], weights[i]
	}
	return ports, w, nil, nil
}

// writePortsGeoJSON writes ports as GeoJSON points with the properties
// trajectory.LoadPortsGeoJSON reads (port, name, cty, radius), the traffic
// weight, and the facts that selected them.
func writePortsGeoJSON(path string, ports []trajectory.Port, weights []float64, selected []sim.SelectedPort) error {
	facts := map[string]sim.SelectedPort{}
	for _, s := range selected {
		facts[s.Locode] = s
	}
	type feature struct {
		Type       string         `json:"type"`
		Geometry   map[string]any `json:"geometry"`
		Properties map[string]any `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: []feature{}}
	for i, p := range ports {
		props := map[string]any{"port": p.Locode, "name": p.Name, "cty": p.Country, "radius": p.Radius}
		if weights != nil {
			props["weight"] = weights[i]
		}
		if s, ok := facts[p.Locode]; ok {
			props["region"], props["harbour_size"], props["depth_m"] = s.Region, s.HarbourSize, s.Depth
			props["liner_countries"], props["score"] = s.Liner, s.Score
		}
		fc.Features = append(fc.Features, feature{Type: "Feature",
			Geometry: map[string]any{"type": "Point", "coordinates": []float64{p.Lon, p.Lat}}, Properties: props})
	}
	data, err := json.MarshalIndent(fc, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
