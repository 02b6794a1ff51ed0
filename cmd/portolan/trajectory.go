package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/portolan-sdk/portolan/internal/wayprep"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/portolan-sdk/portolan/trajectory/sim"
)

// loadPorts reads a port list file, or the simulator's built-in ports for
// "" or "builtin".
func loadPorts(path string) (*trajectory.Ports, error) {
	list := sim.BuiltinPorts
	if path != "" && path != "builtin" {
		var err error
		if list, err = trajectory.LoadPortsFile(path); err != nil {
			return nil, err
		}
	}
	return trajectory.NewPorts(list)
}

// loadInputs loads the port catalogue and the tracks of the AIS files.
func loadInputs(portsFile string, files []string) (*trajectory.Ports, []*trajectory.Track, error) {
	ports, err := loadPorts(portsFile)
	if err != nil {
		return nil, nil, err
	}
	tracks, err := readTracks(files)
	return ports, tracks, err
}

// readTracks reads positions from every AIS file (NMEA or CSV, detected)
// and groups them into tracks.
func readTracks(files []string) ([]*trajectory.Track, error) {
	var readers []ais.PositionReader
	for _, f := range files {
		in, closeIn, err := openInput(f)
		if err != nil {
			return nil, err
		}
		defer closeIn()
		r, err := ais.OpenPositions(in, ais.Options{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		readers = append(readers, r)
	}
	return trajectory.Collect(readers...)
}

// stringList is a flag that may be repeated or comma-separated.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error {
	for _, x := range strings.Split(v, ",") {
		if x != "" {
			*s = append(*s, x)
		}
	}
	return nil
}

func runSimulate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("simulate", "[flags]", stderr)
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives byte-identical output")
	vessels := fs.Int("vessels", 50, "number of vessels")
	days := fs.Float64("days", 14, "days to simulate")
	start := fs.String("start", "2026-01-01T00:00:00Z", "start time (RFC 3339)")
	interval := fs.Duration("interval", 10*time.Minute, "archive interval: at most one position per vessel per interval")
	lanes := fs.String("lanes", "builtin", "sea-lane network (GeoJSON LineStrings), or builtin")
	portsFile := fs.String("ports", "builtin", "ports (World Port Index CSV or GeoJSON points), or builtin")
	maxPorts := fs.Int("max-ports", 40, "use at most this many ports (largest harbours first)")
	format := fs.String("format", "nmea", "output: nmea (tag-blocked AIVDM) or csv (MarineCadastre)")
	out := fs.String("out", "-", "output file, - for stdout")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	t0, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		return fmt.Errorf("--start: %w", err)
	}
	net := sim.BuiltinNetwork()
	if *lanes != "builtin" {
		data, err := os.ReadFile(*lanes)
		if err != nil {
			return err
		}
		if net, err = sim.LoadNetworkGeoJSON(data); err != nil {
			return err
		}
	}
	ports, err := loadPorts(*portsFile)
	if err != nil {
		return err
	}
	fleet, err := sim.NewFleet(net, largestPorts(ports.All(), *maxPorts), sim.Config{
		Seed: *seed, Vessels: *vessels, Days: *days, Start: t0, Interval: *interval})
	if err != nil {
		return err
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
	switch *format {
	case "nmea":
		n, err = fleet.WriteNMEA(w)
	case "csv":
		n, err = fleet.WriteMarineCadastre(w)
	default:
		return fmt.Errorf("unknown --format %q (want nmea or csv)", *format)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "simulated %d vessels for %g days between %d ports: %d messages\n", *vessels, *days, len(fleet.Ports()), n)
	return nil
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

func runVoyages(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("voyages", "--ais FILES [--ports PORTS] [--format geojson|jsonl]", stderr)
	var files stringList
	fs.Var(&files, "ais", "AIS input files (NMEA, MarineCadastre or DMA CSV); repeat or comma-separate")
	portsFile := fs.String("ports", "builtin", "ports (World Port Index CSV or GeoJSON points), or builtin")
	format := fs.String("format", "geojson", "geojson (a FeatureCollection of LineStrings) or jsonl")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if len(files) == 0 {
		fs.Usage()
		return errUsage
	}
	if *format != "geojson" && *format != "jsonl" {
		return fmt.Errorf("unknown --format %q (want geojson or jsonl)", *format)
	}
	ports, tracks, err := loadInputs(*portsFile, files)
	if err != nil {
		return err
	}
	fc := geojson.NewFeatureCollection()
	bw := bufio.NewWriter(stdout)
	defer bw.Flush()
	var total trajectory.CleanStats
	count := 0
	for _, t := range tracks {
		voyages, st := trajectory.VoyagesOf(t, ports, trajectory.CleanConfig{}, trajectory.VisitConfig{})
		total.Add(st)
		for _, v := range voyages {
			props := voyageProps(&v, ports)
			count++
			if *format == "jsonl" {
				data, _ := json.Marshal(props)
				bw.Write(append(data, '\n'))
				continue
			}
			ls := make(orb.LineString, len(v.Points))
			for i, p := range v.Points {
				ls[i] = orb.Point{p.Lon, p.Lat}
			}
			f := geojson.NewFeature(ls)
			f.Properties = props
			fc.Append(f)
		}
	}
	if *format == "geojson" {
		data, err := json.Marshal(fc)
		if err != nil {
			return err
		}
		bw.Write(append(data, '\n'))
	}
	fmt.Fprintf(stderr, "%d tracks, %d voyages; %d of %d points kept, dropped %v\n", len(tracks), count, total.Kept, total.In, total.Dropped)
	return nil
}

func voyageProps(v *trajectory.Voyage, ports *trajectory.Ports) map[string]any {
	name := func(i int) any {
		if i < 0 {
			return nil
		}
		p := ports.At(i)
		if p.Locode != "" {
			return p.Locode
		}
		return p.Name
	}
	props := map[string]any{
		"mmsi": v.MMSI, "ship_type": trajectory.ShipCategories[v.ShipType], "from": name(v.From), "to": name(v.To),
		"depart": v.Depart.UTC().Format(time.RFC3339), "points": len(v.Points), "in_progress": v.InProgress(),
	}
	if !v.InProgress() {
		props["arrive"] = v.Arrive.UTC().Format(time.RFC3339)
		props["hours"] = v.Arrive.Sub(v.Depart).Hours()
	}
	return props
}

func runPrepare(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "td" {
		return runPrepareTD(args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "way" {
		fmt.Fprintln(stderr, "usage: portolan prepare way --ais FILES --ports PORTS --out DIR [flags]")
		fmt.Fprintln(stderr, "       portolan prepare td --series FILE --out FILE.portolan [flags]")
		return errUsage
	}
	fs := newFlags("prepare way", "--ais FILES --ports PORTS --out DIR [flags]", stderr)
	var files stringList
	fs.Var(&files, "ais", "AIS input files (NMEA, MarineCadastre or DMA CSV); repeat or comma-separate")
	portsFile := fs.String("ports", "builtin", "ports (World Port Index CSV or GeoJSON points), or builtin")
	out := fs.String("out", "", "output directory for shards and manifest.json")
	cfg := wayprep.DefaultConfig()
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed for the split by vessel and random sampling")
	fs.IntVar(&cfg.Nested.MaxLen, "max-len", 512, "outer sequence length (cells) the model sees")
	fs.IntVar(&cfg.Nested.SubLen, "sub-len", 5, "points per cell")
	resolution := fs.Float64("resolution", 1, "grid cell size in degrees (divides 15)")
	sampling := fs.String("sampling", "even", "point selection in a cell: even (deterministic) or random (seeded)")
	areas := fs.String("port-areas", "all", "port areas the shards (and the model) carry for visit detection: all (the whole catalogue) or visited (only ports where a visit was found)")
	if err := parse(fs, args[1:], 0); err != nil {
		return err
	}
	switch *areas {
	case "all":
	case "visited":
		cfg.VisitedAreasOnly = true
	default:
		return fmt.Errorf("unknown --port-areas %q (want all or visited)", *areas)
	}
	if len(files) == 0 || *out == "" {
		fs.Usage()
		return errUsage
	}
	g, err := trajectory.NewGrid(*resolution)
	if err != nil {
		return err
	}
	cfg.Nested.Grid = g
	switch *sampling {
	case "even":
	case "random":
		cfg.Nested.Sampling, cfg.Nested.Seed = trajectory.Random, cfg.Seed
	default:
		return fmt.Errorf("unknown --sampling %q (want even or random)", *sampling)
	}
	ports, tracks, err := loadInputs(*portsFile, files)
	if err != nil {
		return err
	}
	d, err := wayprep.Prepare(tracks, ports, cfg)
	if err != nil {
		return err
	}
	m, err := d.Write(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d vessels, %d voyages (%d in progress skipped, %d too short), %d ports in the vocabulary, %d port areas\n",
		len(tracks), m.Voyages["complete"], m.Voyages["in_progress"], m.Voyages["too_short"], m.Ports-1, m.Areas)
	for _, split := range wayprep.Splits {
		st := m.Splits[split]
		fmt.Fprintf(stdout, "  %-5s %5d voyages of %4d vessels, %7d cells, %8d points, %d destinations, files %v\n",
			split, st.Voyages, st.Vessels, st.Cells, st.Points, len(st.ByDestination), st.Files)
	}
	fmt.Fprintf(stdout, "wrote %s/manifest.json\n", *out)
	return nil
}
