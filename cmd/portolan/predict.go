package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/trajectory"
)

func runPredict(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("predict", "--model M.portolan --ais FILES [--top 5] [--format table|jsonl|geojson] [--idle 24h] [--unsorted] [--csv-map MAP] [--rejects FILE]", stderr)
	model := fs.String("model", "", "a WAY bundle")
	af := addAISFlags(fs, true)
	top := fs.Int("top", 5, "destinations to list per vessel")
	format := fs.String("format", "table", "table, jsonl or geojson (latest positions with their predictions)")
	portsFile := fs.String("ports", "", "port catalogue to find port visits with (World Port Index CSV, GeoJSON points or builtin); default: the port areas the model carries")
	idle := fs.Duration("idle", 24*time.Hour, "a vessel silent this long (in the input's time) is answered then and forgotten; 0 keeps every vessel")
	unsorted := fs.Bool("unsorted", false, "the input is not in time order: hold every position and sort each vessel's track (memory grows with the input)")
	threads := fs.Int("threads", 1, "goroutines that run the model")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *model == "" || len(af.files) == 0 {
		fs.Usage()
		return errUsage
	}
	if *format != "table" && *format != "jsonl" && *format != "geojson" {
		return fmt.Errorf("unknown --format %q (want table, jsonl or geojson)", *format)
	}
	m, err := sdk.Open(*model)
	if err != nil {
		return err
	}
	cfg := sdk.NewConfig().WithTopK(*top).WithThreads(*threads)
	if *portsFile != "" {
		ports, err := loadPorts(*portsFile)
		if err != nil {
			return fmt.Errorf("--ports: %w", err)
		}
		cfg = cfg.WithPorts(ports)
	}
	d, err := m.Destinations(cfg)
	if err != nil {
		return err
	}
	in, err := af.open(af.files, stdin)
	if err != nil {
		return err
	}
	defer in.Close()
	ctx := context.Background()
	bar := newProgress(stderr, "vessels answered")
	sum := &summary{cmd: "predict", usedAs: "used"}
	var res []sdk.VesselResult
	if *unsorted {
		tracks, err := trajectory.Collect(in)
		if err != nil {
			return err
		}
		var total trajectory.CleanStats
		for i, t := range tracks {
			_, st := trajectory.Clean(t, trajectory.CleanConfig{})
			total.Add(st)
			p, err := d.Predict(ctx, t)
			res = append(res, sdk.VesselResult{MMSI: t.MMSI, Name: t.Name, Prediction: p, Err: err})
			bar.update(i+1, len(tracks))
		}
		sum.used, sum.dropped = total.Kept, total.Dropped
	} else {
		var st sdk.IngestStats
		res, st, err = d.PredictReader(ctx, in, sdk.IngestConfig{Idle: idleSetting(*idle), Dropped: in.dropped},
			func(n int) { bar.update(n, 0) })
		if err != nil {
			return err
		}
		sum.used, sum.dropped = st.Kept, st.Dropped
		sum.extra = fmt.Sprintf("at most %d vessels held, %d let go idle", st.Peak, st.Evicted)
		defer orderNote(stderr, st.StreamStats)
	}
	bar.done()
	answered := 0
	for _, r := range res {
		if r.Err == nil {
			answered++
		}
	}
	extra := fmt.Sprintf("%d vessels: %d with a voyage in progress answered, %d without", len(res), answered, len(res)-answered)
	if sum.extra != "" {
		extra += " (" + sum.extra + ")"
	}
	sum.acc, sum.inputs, sum.extra = in.Account(), in.streams, extra
	fmt.Fprintln(stderr, sum)
	if err := sum.check(); err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	switch *format {
	case "jsonl":
		for _, r := range res {
			data, err := json.Marshal(vesselRow(r))
			if err != nil {
				return err
			}
			w.Write(append(data, '\n'))
		}
	case "geojson":
		fc := geojson.NewFeatureCollection()
		for _, r := range res {
			if r.Err != nil {
				continue
			}
			p := r.Prediction
			f := geojson.NewFeature(orb.Point{p.Lon, p.Lat})
			f.Properties = geojson.Properties{"mmsi": p.MMSI, "name": r.Name, "departure": p.Departure,
				"eta": p.ETA.UTC().Format(time.RFC3339), "eta_hours": p.ETAHours, "destinations": p.Top}
			fc.Append(f)
		}
		data, err := json.Marshal(fc)
		if err != nil {
			return err
		}
		w.Write(append(data, '\n'))
	default:
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "MMSI\tNAME\tFROM\tDEPARTED\tPOSITION\tDESTINATIONS\tETA (UTC)\tIN")
		for _, r := range res {
			if r.Err != nil {
				fmt.Fprintf(tw, "%d\t%s\t\t\t\t(%s)\t\t\n", r.MMSI, r.Name, strings.TrimPrefix(r.Err.Error(), "sdk: "))
				continue
			}
			p := r.Prediction
			var dest []string
			for _, c := range p.Top {
				dest = append(dest, fmt.Sprintf("%s %.0f%%", c.Locode, 100*c.Prob))
			}
			from := p.Departure
			if from == "" {
				from = "?"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%.3f,%.3f\t%s\t%s\t%.1f h\n", p.MMSI, r.Name, from, p.Depart.UTC().Format("01-02 15:04"),
				p.Lat, p.Lon, strings.Join(dest, ", "), p.ETA.UTC().Format("01-02 15:04"), p.ETAHours)
		}
		tw.Flush()
	}
	return nil
}

func runForecast(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("forecast", "--model M.portolan --series FILE [--samples 20] [--seed 1] [--format table|jsonl]", stderr)
	model := fs.String("model", "", "a temporal-dropout (td) bundle")
	series := fs.String("series", "", "series: long-format CSV (id, step, features…, [target]), a float32/float64 .npy of shape (N, T, D), or a td shard (portolan prepare td)")
	samples := fs.Int("samples", 20, "Monte Carlo samples")
	seed := fs.Uint64("seed", 1, "seed of the shared generator (same seed, same samples as the PyTorch reference)")
	format := fs.String("format", "table", "table or jsonl (jsonl includes the raw samples)")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *model == "" || *series == "" {
		fs.Usage()
		return errUsage
	}
	m, err := sdk.Open(*model)
	if err != nil {
		return err
	}
	f, err := m.Forecaster(sdk.NewConfig().WithSamples(*samples).WithSeed(*seed))
	if err != nil {
		return err
	}
	set, err := loadSeries(*series, "", "")
	if err != nil {
		return err
	}
	out, err := f.ForecastSet(context.Background(), set)
	if err != nil {
		return fmt.Errorf("%s: %w", *series, err)
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	if *format == "jsonl" {
		for i, fc := range out {
			row := forecastRow{ID: set.IDs[i], Forecast: fc, Std: fc.Std()}
			if t := set.Target[i]; !math.IsNaN(t) {
				row.Target = &t
			}
			data, err := json.Marshal(row)
			if err != nil {
				return err
			}
			w.Write(append(data, '\n'))
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ID\tMEAN\tSTD\t90% LOW\t90% HIGH\tEPISTEMIC σ\tALEATORIC σ\tTARGET\t")
	for i, fc := range out {
		tgt := ""
		if t := set.Target[i]; !math.IsNaN(t) {
			tgt = fmt.Sprintf("%.1f", t)
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.2f\t%.2f\t%s\t\n", set.IDs[i], fc.Mean, fc.Std(), fc.Lo90, fc.Hi90,
			math.Sqrt(fc.Epistemic), math.Sqrt(fc.Aleatoric), tgt)
	}
	return tw.Flush()
}

// The JSON rows of predict and forecast follow the answer schema
// (docs/SCHEMA.md), which the WebAssembly guest's msgpack answers share:
// sdk's types carry the field names.

// vesselRowJSON is one line of predict --format jsonl: mmsi, name and either
// prediction or status ("no_voyage" or "failed") and error.
type vesselRowJSON struct {
	sdk.VesselResult
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

func vesselRow(r sdk.VesselResult) vesselRowJSON {
	row := vesselRowJSON{VesselResult: r}
	if r.Err != nil {
		row.Status, row.Error = "failed", r.Err.Error()
		if errors.Is(r.Err, sdk.ErrNoVoyage) {
			row.Status = "no_voyage"
		}
	}
	return row
}

// forecastRow is one line of forecast --format jsonl: the series id, the
// forecast with its standard deviation, and the target when the input has
// one.
type forecastRow struct {
	ID string `json:"id"`
	sdk.Forecast
	Std    float64  `json:"std"`
	Target *float64 `json:"target,omitempty"`
}

// progress draws a progress bar on stderr when it is a terminal.
type progress struct {
	w     io.Writer
	label string
	on    bool
}

func newProgress(w io.Writer, label string) *progress {
	f, ok := w.(*os.File)
	on := false
	if ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			on = true
		}
	}
	return &progress{w: w, label: label, on: on}
}

func (p *progress) update(done, total int) {
	if !p.on || (done%16 != 0 && done != total) {
		return
	}
	if total <= 0 { // unknown total: a count
		fmt.Fprintf(p.w, "\r%s %d", p.label, done)
		return
	}
	const width = 30
	n := width * done / max(1, total)
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d", p.label, strings.Repeat("#", n), strings.Repeat(".", width-n), done, total)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}
