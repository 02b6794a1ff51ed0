package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"time"

	"github.com/portolan-sdk/portolan/accel"
	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/models"
)

// start approximates the process start for the cold-start time.
var start = time.Now()

// Result is the runner protocol: what every runner prints, as one JSON
// object, for one case.
type Result struct {
	Runner     string    `json:"runner"`
	Version    string    `json:"version"`
	Threads    int       `json:"threads"`
	LoadMs     float64   `json:"load_ms"`  // model load and build (ORT: session creation)
	FirstMs    float64   `json:"first_ms"` // the first inference
	ColdMs     float64   `json:"cold_ms"`  // process start to the first result
	WarmupRuns int       `json:"warmup_runs"`
	TimesMs    []float64 `json:"times_ms"` // every timed run, wall clock
	CPUMsRun   float64   `json:"cpu_ms_per_run"`
	PeakRSSKB  int64     `json:"peak_rss_kb"`
	Outputs    []float64 `json:"outputs"` // the case's compared outputs (see export.py)
}

// Median returns the median run time.
func (r *Result) Median() float64 { return median(r.TimesMs) }

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// runCmd runs one case with the Go runtime.
func runCmd(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	dir := fs.String("case", "", "case directory (export.py)")
	threads := fs.Int("threads", 1, "threads")
	warmup := fs.Float64("warmup-ms", 1000, "warm-up time, ms")
	minMs := fs.Float64("min-ms", 2000, "least timed time, ms")
	minRuns := fs.Int("min-runs", 10, "least timed runs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	man, err := readManifest(*dir)
	if err != nil {
		return err
	}
	res := Result{Runner: "portolan", Version: accel.Implementation() + " " + runtime.Version(), Threads: *threads}
	t0 := time.Now()
	b, err := export.ReadFile(man.Bundle)
	if err != nil {
		return err
	}
	var infer func() error
	var outputs func() []float64
	switch man.Kind {
	case "way":
		infer, outputs, err = wayCase(man, b, *threads)
	case "td":
		infer, outputs, err = tdCase(man, b, *threads)
	default:
		err = fmt.Errorf("case kind %q", man.Kind)
	}
	if err != nil {
		return err
	}
	t1 := time.Now()
	if err := infer(); err != nil {
		return err
	}
	t2 := time.Now()
	res.LoadMs, res.FirstMs, res.ColdMs = ms(t1.Sub(t0)), ms(t2.Sub(t1)), ms(t2.Sub(start))
	for w0 := time.Now(); ms(time.Since(w0)) < *warmup || res.WarmupRuns < 3; res.WarmupRuns++ {
		if err := infer(); err != nil {
			return err
		}
	}
	cpu0 := cpuTime()
	for s0 := time.Now(); (len(res.TimesMs) < *minRuns || ms(time.Since(s0)) < *minMs) && len(res.TimesMs) < 2000; {
		a := time.Now()
		if err := infer(); err != nil {
			return err
		}
		res.TimesMs = append(res.TimesMs, ms(time.Since(a)))
	}
	res.CPUMsRun = ms(cpuTime()-cpu0) / float64(len(res.TimesMs))
	res.PeakRSSKB = peakRSSKB()
	res.Outputs = outputs()
	return json.NewEncoder(os.Stdout).Encode(&res)
}

// wayCase builds the voyages of a WAY case (features already scaled).
func wayCase(man *Manifest, b *export.Bundle, threads int) (func() error, func() []float64, error) {
	m, err := models.NewWAY(b)
	if err != nil {
		return nil, nil, err
	}
	st, err := man.float32s("spacetime")
	if err != nil {
		return nil, nil, err
	}
	x, err := man.float32s("sub_x")
	if err != nil {
		return nil, nil, err
	}
	n, err := man.int64s("sub_len")
	if err != nil {
		return nil, nil, err
	}
	ship, err := man.int64s("ship")
	if err != nil {
		return nil, nil, err
	}
	dep, err := man.int64s("departure")
	if err != nil {
		return nil, nil, err
	}
	B, L, F := man.B, man.L, m.NFeatures
	S := man.Inputs["sub_x"].Shape[2]
	batch := make([]models.Voyage, B)
	for i := range batch {
		v := models.Voyage{Ship: int(ship[i]), Departure: int(dep[i]), Cells: make([]models.Cell, L)}
		for j := range v.Cells {
			r := i*L + j
			base := r * S * F
			v.Cells[j] = models.Cell{Lon: st[3*r], Lat: st[3*r+1], Hours: st[3*r+2], X: x[base : base+int(n[r])*F]}
		}
		batch[i] = v
	}
	w := m.NewWork()
	w.SetThreads(threads)
	infer := func() error { return m.ForwardBatch(w, batch) }
	outputs := func() []float64 {
		var out []float64
		for i := 0; i < B; i++ {
			lg := w.Logits(i)
			for _, v := range lg[(L-1)*m.NPorts:] {
				out = append(out, float64(v))
			}
		}
		for i := 0; i < B; i++ {
			for _, v := range w.ETA(i) {
				out = append(out, float64(v))
			}
		}
		return out
	}
	return infer, outputs, nil
}

// tdCase forecasts the case's series (raw values) under its key.
func tdCase(man *Manifest, b *export.Bundle, threads int) (func() error, func() []float64, error) {
	m, err := models.NewTD(b)
	if err != nil {
		return nil, nil, err
	}
	x, err := man.float32s("x_raw")
	if err != nil {
		return nil, nil, err
	}
	key, err := strconv.ParseUint(man.Key, 10, 64)
	if err != nil {
		return nil, nil, err
	}
	w := m.NewWork(man.Samples)
	w.SetThreads(threads)
	keys := []uint64{key}
	infer := func() error { return m.SampleBatch(w, x, keys, man.Seed) }
	outputs := func() []float64 { return append(append([]float64(nil), w.Mu...), w.Var...) }
	return infer, outputs, nil
}
