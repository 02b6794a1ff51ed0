// Command realcheck puts a WAY model to real AIS (package realcheck):
//
//	go run ./internal/realcheck/cmd/realcheck -model M.portolan -ais FILE            # voyages seen end to end: hits halfway
//	go run ./internal/realcheck/cmd/realcheck -model M.portolan -ais FILE -show 2    # 2 vessels per region and their answers
//
// -ports cuts voyages with another catalogue than the model's port areas
// (a World Port Index CSV or GeoJSON points); -stamp gives NMEA without
// receive times a time per line.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/portolan-sdk/portolan/internal/realcheck"
	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/trajectory"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "realcheck:", err)
		os.Exit(1)
	}
}

func run(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("realcheck", flag.ContinueOnError)
	model := fs.String("model", "", "a WAY bundle")
	path := fs.String("ais", "", "an AIS file (NMEA or CSV, plain or compressed)")
	portsFile := fs.String("ports", "", "cut voyages with this catalogue (World Port Index CSV or GeoJSON) instead of the model's port areas")
	top := fs.Int("top", 5, "answers that count")
	nearKm := fs.Float64("near-km", 50, "an answer this close to the port reached counts as nearby")
	show := fs.Int("show", 0, "instead of the check: this many vessels per region and the model's answers")
	stamp := fs.Duration("stamp", 0, "the input is NMEA without receive times: give its lines times this far apart")
	format := fs.String("format", "table", "table or json")
	list := fs.Bool("list", false, "with the check's table: every voyage")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *model == "" || *path == "" || (*format != "table" && *format != "json") {
		fs.Usage()
		return fmt.Errorf("want -model and -ais, and -format table or json")
	}
	m, err := sdk.Open(*model)
	if err != nil {
		return err
	}
	cfg := sdk.NewConfig().WithTopK(max(*top, 3))
	if *portsFile != "" {
		list, err := trajectory.LoadPortsFile(*portsFile)
		if err != nil {
			return err
		}
		cat, err := trajectory.NewPorts(list)
		if err != nil {
			return err
		}
		cfg = cfg.WithPorts(cat)
	}
	d, err := m.Destinations(cfg)
	if err != nil {
		return err
	}
	tracks, err := realcheck.ReadTracks(*path, time.Date(2020, 1, 1, 12, 0, 0, 0, time.UTC), *stamp)
	if err != nil {
		return err
	}
	ctx := context.Background()
	if *show > 0 {
		picks, err := realcheck.Showcase(ctx, d, tracks, realcheck.Regions, *show)
		if err != nil {
			return err
		}
		if *format == "json" {
			return writeJSON(w, picks)
		}
		return showTable(w, picks)
	}
	rep, err := realcheck.Check(ctx, d, m.Bundle.Preprocessing.Ports, tracks, realcheck.Options{Top: *top, Near: *nearKm * 1000})
	if err != nil {
		return err
	}
	if *format == "json" {
		return writeJSON(w, rep)
	}
	return checkTable(w, rep, *list)
}

func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

func showTable(w io.Writer, picks []realcheck.Pick) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "region\tMMSI\tname\ttype\tlat\tlon\tSOG\tfrom\tdestinations")
	for _, p := range picks {
		q := p.Prediction
		var top []string
		for _, c := range q.Top[:min(3, len(q.Top))] {
			top = append(top, fmt.Sprintf("%s %s %.2f", c.Locode, c.Name, c.Prob))
		}
		from := q.Departure
		if from == "" {
			from = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%.3f\t%.3f\t%.1f\t%s\t%s\n", p.Region, q.MMSI, orDash(p.Name), p.ShipType, q.Lat, q.Lon, p.SOG, from, strings.Join(top, ", "))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func checkTable(w io.Writer, r *realcheck.Report, list bool) error {
	fmt.Fprintf(w, "%d vessels; voyages cut with %d port areas; answers halfway in time; top %d; nearby: within %g km\n\n", r.Vessels, r.Ports, r.Top, r.NearKm)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "voyages\tseen\tanswered\tport in vocabulary\ttop-1\ttop-%d\tnearby in top-%d\tmedian km, top-1 to port\tnearest port: top-1\ttop-%d\t\n", r.Top, r.Top, r.Top)
	row := func(label string, s realcheck.Summary) {
		pct := func(n, of int) string {
			if of == 0 {
				return "-"
			}
			return fmt.Sprintf("%d (%.0f%%)", n, 100*float64(n)/float64(of))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%.0f\t%s\t%s\t\n", label, s.Voyages, s.Answered, s.InVocab,
			pct(s.Top1, s.InVocab), pct(s.TopK, s.InVocab), pct(s.NearK, s.Answered), s.MedianTop1Km,
			pct(s.NearestTop1, s.InVocab), pct(s.NearestTopK, s.InVocab))
	}
	row("from a port to another", r.Known)
	row("from the archive's start to a port", r.AtSea)
	if err := tw.Flush(); err != nil {
		return err
	}
	if !list {
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MMSI\ttype\tfrom\tto\tdepart\tarrive\trank\tnear rank\tnearest rank\tanswers")
	for _, o := range r.Voyages {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", o.MMSI, o.ShipType, orDash(o.From), o.To,
			o.Depart.Format("15:04"), o.Arrive.Format("15:04"), o.Rank, o.NearRank, o.NearestRank, strings.Join(o.Top, " "))
	}
	return tw.Flush()
}
