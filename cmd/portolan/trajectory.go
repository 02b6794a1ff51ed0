package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/portolan-sdk/portolan/internal/wayprep"
	"github.com/portolan-sdk/portolan/trajectory"
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

// openWithPorts loads the port catalogue and opens the --ais inputs.
func (a *aisFlags) openWithPorts(portsFile string) (*trajectory.Ports, *aisInput, error) {
	ports, err := loadPorts(portsFile)
	if err != nil {
		return nil, nil, err
	}
	in, err := a.open(a.files, stdin)
	return ports, in, err
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

func runVoyages(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("voyages", "--ais FILES [--ports PORTS] [--format geojson|jsonl] [--idle 24h] [--unsorted] [--csv-map MAP] [--rejects FILE]", stderr)
	af := addAISFlags(fs, true)
	portsFile := fs.String("ports", "builtin", "ports (World Port Index CSV or GeoJSON points), or builtin")
	format := fs.String("format", "geojson", "geojson (a FeatureCollection of LineStrings) or jsonl")
	idle := fs.Duration("idle", 24*time.Hour, "a vessel silent this long (in the input's time) has its voyage in progress written and is forgotten; 0 keeps every vessel")
	unsorted := fs.Bool("unsorted", false, "the input is not in time order: hold every position and sort each vessel's track (memory grows with the input)")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if len(af.files) == 0 {
		fs.Usage()
		return errUsage
	}
	if *format != "geojson" && *format != "jsonl" {
		return fmt.Errorf("unknown --format %q (want geojson or jsonl)", *format)
	}
	ports, in, err := af.openWithPorts(*portsFile)
	if err != nil {
		return err
	}
	defer in.Close()
	vw := newVoyageWriter(stdout, *format, ports)
	sum := &summary{cmd: "voyages", usedAs: "used"}
	if *unsorted {
		tracks, err := trajectory.Collect(in)
		if err != nil {
			return err
		}
		var total trajectory.CleanStats
		for _, t := range tracks {
			voyages, st := trajectory.VoyagesOf(t, ports, trajectory.CleanConfig{}, trajectory.VisitConfig{})
			total.Add(st)
			for k := range voyages {
				v := &voyages[k]
				var ls orb.LineString
				for _, p := range v.Points {
					ls = vw.appendPoint(ls, &p)
				}
				vw.write(v.MMSI, v.ShipType, v.From, v.To, v.Depart, v.Points[len(v.Points)-1].Time, len(v.Points), ls)
			}
		}
		sum.used, sum.dropped = total.Kept, total.Dropped
		sum.extra = fmt.Sprintf("%d vessels, %d voyages (%d positions reordered)", len(tracks), vw.count, total.Reordered)
	} else {
		stream := trajectory.NewVoyageStream(trajectory.StreamConfig{Ports: ports, Idle: idleSetting(*idle)},
			func(v *trajectory.Vessel) trajectory.VoyageSink { return &voyageSink{v: v, w: vw} })
		for {
			p, err := in.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			if why := stream.Push(p); why != "" {
				in.dropped(p, why)
			}
		}
		stream.Flush()
		st := stream.Stats()
		sum.used, sum.dropped = st.Kept, st.Dropped
		sum.extra = fmt.Sprintf("%d vessels (at most %d held, %d let go idle), %d voyages", st.Vessels, st.Peak, st.Evicted, vw.count)
		defer orderNote(stderr, st)
	}
	if err := vw.close(); err != nil {
		return err
	}
	sum.acc, sum.inputs = in.Account(), in.streams
	fmt.Fprintln(stderr, sum)
	return sum.check()
}

// idleSetting turns the --idle flag (0: never) into StreamConfig.Idle
// (negative: never).
func idleSetting(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// orderNote tells the user when a stream meant to be in time order was not.
func orderNote(w io.Writer, st trajectory.StreamStats) {
	if late := st.Dropped[trajectory.DropLate]; late > 0 || st.Behind > 0 {
		fmt.Fprintf(w, "portolan: the input is not in time order (%d positions came after later ones of their vessel and were dropped, %d ran over an hour behind the latest time): sort it by time, or use --unsorted\n", late, st.Behind)
	}
}

// voyageWriter writes voyages as they are found: GeoJSON features inside
// one FeatureCollection, or JSON lines.
type voyageWriter struct {
	w      *bufio.Writer
	format string
	ports  *trajectory.Ports
	count  int
	err    error // the first encoding error (write errors stick to w)
}

func newVoyageWriter(w io.Writer, format string, ports *trajectory.Ports) *voyageWriter {
	vw := &voyageWriter{w: bufio.NewWriterSize(w, 64<<10), format: format, ports: ports}
	if format == "geojson" {
		vw.w.WriteString(`{"type":"FeatureCollection","features":[`)
	}
	return vw
}

// appendPoint adds a point to a voyage's line when the format draws it.
func (vw *voyageWriter) appendPoint(ls orb.LineString, p *trajectory.Point) orb.LineString {
	if vw.format != "geojson" {
		return ls
	}
	return append(ls, orb.Point{p.Lon, p.Lat})
}

// write writes one voyage of n points: ship is the ShipCategories id,
// from and to port indices (-1 unknown or, for to, in progress), ls its
// line (GeoJSON only).
func (vw *voyageWriter) write(mmsi uint32, ship, from, to int, depart, arrive time.Time, n int, ls orb.LineString) {
	name := func(i int) any {
		if i < 0 {
			return nil
		}
		p := vw.ports.At(i)
		if p.Locode != "" {
			return p.Locode
		}
		return p.Name
	}
	props := map[string]any{
		"mmsi": mmsi, "ship_type": trajectory.ShipCategories[ship], "from": name(from), "to": name(to),
		"depart": depart.UTC().Format(time.RFC3339), "points": n, "in_progress": to < 0,
	}
	if to >= 0 {
		props["arrive"] = arrive.UTC().Format(time.RFC3339)
		props["hours"] = arrive.Sub(depart).Hours()
	}
	var data []byte
	var err error
	if vw.format == "jsonl" {
		data, err = json.Marshal(props)
		vw.w.Write(append(data, '\n'))
	} else {
		f := geojson.NewFeature(ls)
		f.Properties = props
		data, err = json.Marshal(f)
		if vw.count > 0 {
			vw.w.WriteByte(',')
		}
		vw.w.Write(data)
	}
	if err != nil && vw.err == nil {
		vw.err = fmt.Errorf("vessel %d: %w", mmsi, err)
	}
	vw.count++
}

func (vw *voyageWriter) close() error {
	if vw.err != nil {
		return vw.err
	}
	if vw.format == "geojson" {
		vw.w.WriteString("]}\n")
	}
	return vw.w.Flush()
}

// voyageSink holds what the output needs of one vessel's voyage in
// progress (its line for GeoJSON, its ends and count) and writes it when
// it arrives, or at the end while still under way.
type voyageSink struct {
	v              *trajectory.Vessel
	w              *voyageWriter
	from, n        int
	depart, latest time.Time
	ls             orb.LineString
	open           bool
}

func (s *voyageSink) Depart(from int, p *trajectory.Point) {
	s.from, s.n, s.depart, s.latest, s.open = from, 1, p.Time, p.Time, true
	s.ls = s.w.appendPoint(s.ls[:0], p)
}

func (s *voyageSink) Add(p *trajectory.Point) {
	s.n, s.latest = s.n+1, p.Time
	s.ls = s.w.appendPoint(s.ls, p)
}

func (s *voyageSink) Arrive(to int) { s.flush(to) }
func (s *voyageSink) Close()        { s.flush(-1); s.ls = nil }

func (s *voyageSink) flush(to int) {
	if s.open && s.n >= 2 {
		s.w.write(s.v.MMSI, trajectory.ShipCategory(s.v.ShipType), s.from, to, s.depart, s.latest, s.n, s.ls)
	}
	s.open, s.ls = false, s.ls[:0]
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
	af := addAISFlags(fs, true)
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
	if len(af.files) == 0 || *out == "" {
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
	ports, in, err := af.openWithPorts(*portsFile)
	if err != nil {
		return err
	}
	defer in.Close()
	// training data needs every voyage: the whole input is held and each
	// track sorted, so any order of input is fine
	tracks, err := trajectory.Collect(in)
	if err != nil {
		return err
	}
	d, err := wayprep.Prepare(tracks, ports, cfg)
	if err != nil {
		return err
	}
	sum := &summary{cmd: "prepare", acc: in.Account(), inputs: in.streams, used: d.Clean.Kept, usedAs: "used",
		dropped: d.Clean.Dropped, extra: fmt.Sprintf("%d vessels, %d complete voyages", len(tracks), d.Counts["complete"])}
	fmt.Fprintln(stderr, sum)
	if err := sum.check(); err != nil {
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
