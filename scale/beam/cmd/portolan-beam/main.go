// Command portolan-beam scores AIS archives and time-series files with
// Portolan models on Apache Beam: Prism on this machine (the default),
// Flink or Spark through their job servers (--runner=universal
// --endpoint=HOST:PORT), or Google Cloud Dataflow (--runner=dataflow).
// docs/SCALE.md gives the commands and the sizing.
//
//	portolan-beam predict --ais 'ais/AIS_2020_01_*.csv.zst' --model way.portolan --out out/predictions
//	portolan-beam forecast --series 'sites/*.csv' --model td.portolan --out out/forecasts
//
// predict writes OUT.jsonl and OUT.geojson (OUT-SSSSS-of-NNNNN.* with
// --shards N) in the answer schema of portolan predict --format
// jsonl|geojson, sorted by MMSI; forecast writes OUT.jsonl as portolan
// forecast --format jsonl does. Both print the pipeline's counters.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/portolan-sdk/portolan/scale/beam/pipeline"
)

// list is a repeatable, comma-separated flag.
type list []string

func (l *list) String() string { return strings.Join(*l, ",") }
func (l *list) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

var (
	aisFiles, seriesFiles list
	csvMap                = flag.String("csv-map", "", "predict: read CSV inputs with this column mapping (portolan's --csv-map syntax, README)")
	model                 = flag.String("model", "", "the bundle: a WAY model (predict) or a temporal-dropout model (forecast); a local path or gs://…")
	out                   = flag.String("out", "", "output prefix: OUT.jsonl (and OUT.geojson for predict), or OUT-SSSSS-of-NNNNN.* with --shards")
	shards                = flag.Int("shards", 1, "output files of each kind")
	top                   = flag.Int("top", 5, "predict: destinations listed per vessel")
	idle                  = flag.Duration("idle", 24*time.Hour, "predict: a vessel silent this long (in the input's time) starts afresh; 0 never")
	maxHeld               = flag.Int("max-held", 1<<20, "predict: records of one vessel a worker holds at once; a vessel with more is spilled to local disk and read in spans of hours")
	batch                 = flag.Int("batch", 64, "vessels or series per model call")
	shipsOnly             = flag.Bool("ships-only", false, "predict: drop positions of ids that are not ships' before the shuffle (counted as invalid MMSI; no row for them)")
	samples               = flag.Int("samples", 20, "forecast: Monte Carlo samples")
	seed                  = flag.Uint64("seed", 1, "forecast: seed of the shared generator (same seed, same samples as portolan forecast)")
)

func init() {
	flag.Var(&aisFiles, "ais", "predict: AIS files or globs (NMEA or CSV; plain, gzip, zstd, bzip2 or zip), local or gs://…; repeat or comma-separate")
	flag.Var(&seriesFiles, "series", "forecast: series files or globs (long-format CSV or .npy); repeat or comma-separate")
	flag.Usage = func() {
		w := flag.CommandLine.Output()
		fmt.Fprintln(w, "usage: portolan-beam predict --ais FILES --model WAY.portolan --out PREFIX [--runner=prism|universal|dataflow …]")
		fmt.Fprintln(w, "       portolan-beam forecast --series FILES --model TD.portolan --out PREFIX [--samples 20] [--seed 1]")
		fmt.Fprintln(w, "Beam's flags (--runner, --endpoint, --environment_type, --project, --region, --temp_location, …) follow the usual Beam Go SDK meanings; see docs/SCALE.md.")
		flag.PrintDefaults()
	}
}

func main() {
	// the subcommand comes first; Beam's workers start the binary with
	// flags only
	cmd := ""
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		cmd, os.Args = os.Args[1], append(os.Args[:1:1], os.Args[2:]...)
	}
	flag.Parse()
	beam.Init() // a worker runs here and does not return
	if err := run(context.Background(), cmd, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "portolan-beam:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, cmd string, stderr io.Writer) error {
	if flag.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, flag.Args())
	}
	p, s := beam.NewPipelineWithRoot()
	var err error
	switch cmd {
	case "predict":
		err = pipeline.Predict(s, pipeline.PredictOptions{Inputs: aisFiles, CSVMap: *csvMap, Model: *model, TopK: *top,
			Idle: idleSetting(*idle), MaxHeld: *maxHeld, Batch: *batch, Out: *out, Shards: *shards, ShipsOnly: *shipsOnly})
	case "forecast":
		err = pipeline.Forecast(s, pipeline.ForecastOptions{Series: seriesFiles, Model: *model, Samples: *samples,
			Seed: *seed, Batch: *batch, Out: *out, Shards: *shards})
	default:
		flag.Usage()
		return fmt.Errorf("%w: want predict or forecast, got %q", errUsage, cmd)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	start := time.Now()
	res, err := beamx.RunWithMetrics(ctx, p)
	if err != nil {
		return err
	}
	printCounters(stderr, res, time.Since(start))
	return nil
}

// idleSetting maps --idle 0 (never) to the pipeline's negative value.
func idleSetting(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// printCounters prints the pipeline's counters, one per line, by name.
func printCounters(w io.Writer, res beam.PipelineResult, took time.Duration) {
	if res == nil { // a runner that returns before the job ends (--async)
		fmt.Fprintf(w, "portolan-beam: job submitted in %v\n", took.Round(time.Millisecond))
		return
	}
	byName := map[string]int64{}
	for _, c := range res.Metrics().AllMetrics().Counters() {
		if c.Key.Namespace == "portolan" {
			byName[c.Key.Name] += c.Committed
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	fmt.Fprintf(w, "portolan-beam: done in %v\n", took.Round(time.Millisecond))
	for _, n := range names {
		fmt.Fprintf(w, "  %-40s %d\n", n, byName[n])
	}
}
