package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/internal/wayprep"
	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/uncertainty"
)

// runEvaluate scores a model on labelled data with the metrics of package
// uncertainty (td) or the WAY step metrics below, and for WAY two simple
// baselines on the same steps (docs/MODELS.md, "Evaluation").
func runEvaluate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("evaluate", "--model M.portolan (--series FILE | --shards DIR) [flags]", stderr)
	model := fs.String("model", "", "a td or way bundle")
	series := fs.String("series", "", "td: labelled series: CSV with a target column, a td shard (portolan prepare td), or a .npy with --targets")
	targets := fs.String("targets", "", "td: targets of a .npy series file, shape (N,)")
	group := fs.String("group", "", "td: a CSV column that is a group label, not a feature")
	samples := fs.Int("samples", 20, "td: Monte Carlo samples")
	seed := fs.Uint64("seed", 1, "td: seed of the shared generator")
	bins := fs.Int("bins", 10, "td: equal-count bins of predicted σ for ENCE")
	calCSV := fs.String("calibration", "", "td: write the calibration curve (level, observed coverage) to this CSV")
	plot := fs.String("plot", "", "td: write the calibration curve as an SVG plot to this file")
	shards := fs.String("shards", "", "way: a shard directory (portolan prepare way)")
	split := fs.String("split", "test", "way: the split to score")
	trainSplit := fs.String("train-split", "train", "way: the split the most-frequent-destination baseline learns from")
	threads := fs.Int("threads", 1, "goroutines scoring in parallel (results do not depend on it)")
	format := fs.String("format", "table", "table or json")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *model == "" || (*series == "") == (*shards == "") {
		fs.Usage()
		return errUsage
	}
	if *format != "table" && *format != "json" {
		return fmt.Errorf("unknown --format %q (want table or json)", *format)
	}
	m, err := sdk.Open(*model)
	if err != nil {
		return err
	}
	cfg := sdk.NewConfig().WithSamples(*samples).WithSeed(*seed).WithThreads(*threads)
	var rep any
	switch {
	case m.Kind() == "td" && *series != "":
		r, err := evaluateTD(m, cfg, *seed, *series, *targets, *group, *bins)
		if err != nil {
			return err
		}
		if err := writeCalibration(r, *calCSV, *plot); err != nil {
			return err
		}
		rep = r
	case m.Kind() == "way" && *shards != "":
		if *calCSV != "" || *plot != "" {
			return fmt.Errorf("--calibration and --plot are for td models")
		}
		r, err := evaluateWAY(m, cfg, *shards, *split, *trainSplit, *threads)
		if err != nil {
			return err
		}
		rep = r
	case m.Kind() == "td":
		return fmt.Errorf("a td model is scored on --series, not --shards")
	case m.Kind() == "way":
		return fmt.Errorf("a way model is scored on --shards (portolan prepare way), not --series")
	default:
		return fmt.Errorf("cannot evaluate a %q bundle", m.Kind())
	}
	if *format == "json" {
		data, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		_, err = stdout.Write(append(data, '\n'))
		return err
	}
	switch r := rep.(type) {
	case *tdReport:
		return r.table(stdout)
	case *wayReport:
		return r.table(stdout)
	}
	return nil
}

// tdReport is the outcome of evaluating a td model.
type tdReport struct {
	Kind        string             `json:"kind"`
	Model       string             `json:"model"`
	Data        string             `json:"data"`
	Series      int                `json:"series"`
	Samples     int                `json:"samples"`
	Seed        uint64             `json:"seed"`
	Bins        int                `json:"ence_bins"`
	Metrics     map[string]float64 `json:"metrics"`
	Calibration []calPoint         `json:"calibration"`
}

type calPoint struct {
	Level    float64 `json:"level"`    // nominal coverage of the central interval
	Observed float64 `json:"observed"` // share of targets inside it
}

// tdMetrics are the td metrics in report order, with their labels.
var tdMetrics = []struct{ key, label string }{
	{"r2", "R²"}, {"rmse", "RMSE"}, {"mae", "MAE"}, {"nll", "NLL (Gaussian)"}, {"crps", "CRPS"},
	{"mace", "MACE"}, {"picp90", "PICP 90%"}, {"ence", "ENCE"}, {"sharpness", "sharpness (mean σ)"},
}

func evaluateTD(m *sdk.Model, cfg sdk.Config, seed uint64, path, targets, group string, bins int) (*tdReport, error) {
	if bins < 1 {
		return nil, fmt.Errorf("--bins %d: want at least 1", bins)
	}
	f, err := m.Forecaster(cfg)
	if err != nil {
		return nil, err
	}
	set, err := loadSeries(path, targets, group, f.Steps())
	if err != nil {
		return nil, err
	}
	missing := 0
	for _, y := range set.Target {
		if math.IsNaN(y) {
			missing++
		}
	}
	if missing > 0 {
		return nil, fmt.Errorf("%s: %d of %d series have no target; evaluate needs labelled data", path, missing, len(set.IDs))
	}
	out, err := f.ForecastSet(context.Background(), set)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	mt := uncertainty.Metrics{Y: set.Target}
	for _, fc := range out {
		mt.Mu = append(mt.Mu, fc.Mean)
		mt.Var = append(mt.Var, fc.Total)
	}
	if err := mt.Check(); err != nil {
		return nil, err
	}
	r := &tdReport{Kind: "td", Model: m.Bundle.Kind, Data: filepath.Base(path), Series: len(set.IDs),
		Samples: len(out[0].Samples), Bins: bins, Metrics: map[string]float64{
			"r2": mt.R2(), "rmse": mt.RMSE(), "mae": mt.MAE(), "nll": mt.NLL(), "crps": mt.CRPS(), "mace": mt.MACE(),
			"picp90": mt.PICP(0.9), "ence": mt.ENCE(bins), "sharpness": mt.Sharpness()}}
	r.Seed = seed
	for i, obs := range mt.CalibrationCurve() {
		r.Calibration = append(r.Calibration, calPoint{uncertainty.Levels[i], obs})
	}
	return r, nil
}

func (r *tdReport) table(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "data\t%s: %d series, %d Monte Carlo samples, seed %d\n", r.Data, r.Series, r.Samples, r.Seed)
	for _, k := range tdMetrics {
		label := k.label
		if k.key == "ence" {
			label = fmt.Sprintf("ENCE (%d bins)", r.Bins)
		}
		fmt.Fprintf(tw, "%s\t%.4f\n", label, r.Metrics[k.key])
	}
	var cal []string
	for _, c := range r.Calibration {
		cal = append(cal, fmt.Sprintf("%.2f→%.2f", c.Level, c.Observed))
	}
	fmt.Fprintf(tw, "calibration\t%s\n", strings.Join(cal, " "))
	return tw.Flush()
}

// writeCalibration writes the curve as CSV and as an SVG reliability
// diagram when asked.
func writeCalibration(r *tdReport, csvPath, svgPath string) error {
	if csvPath != "" {
		var b strings.Builder
		b.WriteString("level,observed\n")
		for _, c := range r.Calibration {
			fmt.Fprintf(&b, "%g,%g\n", c.Level, c.Observed)
		}
		if err := os.WriteFile(csvPath, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	if svgPath != "" {
		title := fmt.Sprintf("%s: MACE %.3f, PICP90 %.3f", r.Data, r.Metrics["mace"], r.Metrics["picp90"])
		return os.WriteFile(svgPath, calibrationSVG(r.Calibration, title), 0o644)
	}
	return nil
}

// calibrationSVG draws a reliability diagram: observed against nominal
// coverage, with the diagonal of perfect calibration.
func calibrationSVG(pts []calPoint, title string) []byte {
	const size, pad = 360.0, 48.0
	x := func(v float64) float64 { return pad + v*(size-2*pad) }
	y := func(v float64) float64 { return size - pad - v*(size-2*pad) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="11">`+"\n", size, size, size, size)
	fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="white"/>`+"\n", size, size)
	fmt.Fprintf(&b, `<text x="%g" y="20" text-anchor="middle" font-size="12">%s</text>`+"\n", size/2, xmlEscape(title))
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#444"/>`+"\n", x(0), y(1), x(1)-x(0), y(0)-y(1))
	for _, t := range []float64{0, 0.25, 0.5, 0.75, 1} {
		fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#ddd"/>`+"\n", x(t), y(0), x(t), y(1))
		fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#ddd"/>`+"\n", x(0), y(t), x(1), y(t))
		fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">%g</text>`+"\n", x(t), y(0)+14, t)
		fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="end">%g</text>`+"\n", x(0)-4, y(t)+4, t)
	}
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#888" stroke-dasharray="4 3"/>`+"\n", x(0), y(0), x(1), y(1))
	var poly []string
	for _, p := range append(append([]calPoint{{0, 0}}, pts...), calPoint{1, 1}) {
		poly = append(poly, fmt.Sprintf("%.2f,%.2f", x(p.Level), y(p.Observed)))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#1f77b4" stroke-width="2"/>`+"\n", strings.Join(poly, " "))
	for _, p := range pts {
		fmt.Fprintf(&b, `<circle cx="%.2f" cy="%.2f" r="2.5" fill="#1f77b4"/>`+"\n", x(p.Level), y(p.Observed))
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">nominal coverage of the central interval</text>`+"\n", size/2, size-12)
	fmt.Fprintf(&b, `<text x="14" y="%g" text-anchor="middle" transform="rotate(-90 14 %g)">observed coverage</text>`+"\n", size/2, size/2)
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// wayScore accumulates WAY metrics over voyage steps by the definitions
// of portolan_train.way.Score (TestWAYScoreMatchesTrainer holds both to
// them): a step is correct at k when fewer than k destination classes
// (never class 0, "unknown") rank above the true one; the progress
// quarter is min(3, int(4·progress)) in float32; ETA MAE is the mean
// absolute error in hours over every step.
type wayScore struct {
	correct [2][4]float64 // top-1, top-5 by quarter
	total   [4]float64
	etaErr  float64
	nll     float64
	n       int
}

// add scores one step: above is the number of classes ranked above the
// true one, etaErr the absolute ETA error in hours, nll its
// cross-entropy (0 for baselines).
func (s *wayScore) add(above int, progress float32, etaErr, nll float64) {
	q := min(3, int(progress*4))
	for k, top := range [2]int{1, 5} {
		if above < top {
			s.correct[k][q]++
		}
	}
	s.total[q]++
	s.etaErr += etaErr
	s.nll += nll
	s.n++
}

// addLogits scores a model step from its logits (classes) and true class.
func (s *wayScore) addLogits(logits []float32, dest int, progress float32, etaErr float64) {
	t := logits[dest]
	above := 0
	m := math.Inf(-1)
	for j, l := range logits {
		if j >= 1 && l > t {
			above++
		}
		m = math.Max(m, float64(l))
	}
	var sum float64
	for _, l := range logits {
		sum += math.Exp(float64(l) - m)
	}
	s.add(above, progress, etaErr, m+math.Log(sum)-float64(t))
}

// result returns the metrics under the trainer's keys.
func (s *wayScore) result(withNLL bool) map[string]float64 {
	out := map[string]float64{}
	for k, name := range [2]string{"acc", "top5"} {
		var c, n float64
		for q := 0; q < 4; q++ {
			out[fmt.Sprintf("%s_q%d", name, q+1)] = s.correct[k][q] / math.Max(s.total[q], 1)
			c += s.correct[k][q]
			n += s.total[q]
		}
		out[name] = c / math.Max(n, 1)
	}
	out["eta_mae_h"] = s.etaErr / float64(max(1, s.n))
	if withNLL {
		out["nll"] = s.nll / float64(max(1, s.n))
	}
	out["steps"] = float64(s.n)
	return out
}

// wayReport is the outcome of evaluating a WAY model and its baselines.
type wayReport struct {
	Kind    string   `json:"kind"`
	Split   string   `json:"split"`
	Voyages int      `json:"voyages"`
	Steps   int      `json:"steps"`
	Ports   int      `json:"ports"` // destination classes without "unknown"
	Rows    []wayRow `json:"rows"`
}

type wayRow struct {
	Name    string             `json:"name"`
	Metrics map[string]float64 `json:"metrics"`
}

// The rows of a WAY evaluation.
const (
	rowModel    = "model"
	rowFrequent = "most_frequent_from_departure"
	rowAhead    = "nearest_port_ahead"
)

// aheadDeg is how far off the course (degrees) a port still counts as
// ahead for the nearest-port baseline.
const aheadDeg = 45

func evaluateWAY(m *sdk.Model, cfg sdk.Config, dir, split, trainSplit string, threads int) (*wayReport, error) {
	d, err := m.Destinations(cfg)
	if err != nil {
		return nil, err
	}
	test, err := wayprep.ReadSplit(dir, split)
	if err != nil {
		return nil, err
	}
	if test.Voyages() == 0 {
		return nil, fmt.Errorf("%s: no voyages in the %s split", dir, split)
	}
	train, err := wayprep.ReadSplit(dir, trainSplit)
	if err != nil {
		return nil, err
	}
	if train.Voyages() == 0 {
		return nil, fmt.Errorf("%s: no voyages in the %s split for the frequency baseline", dir, trainSplit)
	}
	vocab := m.Bundle.Preprocessing.Ports
	class, err := vocabularyMap(vocab, test.Preprocessing.Ports)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	remap := func(s *wayprep.Split) error { // into the model's classes
		for v := range s.Dest {
			if s.Dest[v] < 0 || int(s.Dest[v]) >= len(class) || class[s.Dest[v]] < 1 {
				return fmt.Errorf("%s: %s voyage %d goes to port class %d, which the model does not know", dir, s.Name, v, s.Dest[v])
			}
			s.Dest[v] = int32(class[s.Dest[v]])
			if d := int(s.Dep[v]); d >= 0 && d < len(class) {
				s.Dep[v] = int32(max(0, class[d]))
			} else {
				s.Dep[v] = 0
			}
		}
		return nil
	}
	if err := remap(test); err != nil {
		return nil, err
	}
	if err := remap(train); err != nil {
		return nil, err
	}
	res := 1.0
	if g := test.Preprocessing.Grid; g != nil {
		res = g.ResolutionDeg
	}
	steps := make([]*sdk.Steps, test.Voyages())
	errs := make([]error, test.Voyages())
	next := make(chan int)
	var wg sync.WaitGroup
	for g := 0; g < max(1, threads); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range next {
				n := test.Nested(v)
				steps[v], errs[v] = d.PredictNested(context.Background(), &n)
			}
		}()
	}
	for v := range steps {
		next <- v
	}
	close(next)
	wg.Wait()
	freq := newFrequencyBaseline(train, len(vocab))
	var model, frequent, ahead wayScore
	for v, st := range steps {
		if errs[v] != nil {
			return nil, fmt.Errorf("voyage %d: %w", v, errs[v])
		}
		a, b := int(test.VoyageCells[v]), int(test.VoyageCells[v+1])
		a = b - len(st.ETAHours) // the window the model saw
		dest, dep := int(test.Dest[v]), int(test.Dep[v])
		if dest < 1 || dest >= len(vocab) {
			return nil, fmt.Errorf("%s: voyage %d has destination class %d (vocabulary 1..%d)", dir, v, dest, len(vocab)-1)
		}
		rank := freq.ranking(dep)
		for i, c := 0, a; c < b; i, c = i+1, c+1 {
			prog, eta := test.Progress[c], float64(test.ETA[c])
			model.addLogits(st.Logits[i*st.Classes:(i+1)*st.Classes], dest, prog, math.Abs(float64(st.ETAHours[i])-eta))
			frequent.add(rank[dest], prog, math.Abs(freq.eta(dep, rank, float64(test.Hours[c]))-eta), 0)
			above, etaH := nearestAhead(test, c, res, vocab, dest)
			ahead.add(above, prog, math.Abs(etaH-eta), 0)
		}
	}
	return &wayReport{Kind: "way", Split: split, Voyages: test.Voyages(), Steps: model.n, Ports: len(vocab) - 1,
		Rows: []wayRow{{rowModel, model.result(true)}, {rowFrequent, frequent.result(false)}, {rowAhead, ahead.result(false)}}}, nil
}

// vocabularyMap maps the shards' port classes to the model's, by UN/LOCODE
// (by name for a port without one), so that shards prepared from other
// data — another fleet, or real AIS cut with the model's port areas — can
// be scored: a class the model does not know maps to -1 (an error for a
// destination, unknown for a departure). Class 0 ("unknown") maps to 0.
func vocabularyMap(model, shards []export.Port) ([]int, error) {
	if len(shards) == 0 {
		return nil, fmt.Errorf("the shards have no port vocabulary")
	}
	key := func(p export.Port) string {
		if p.Locode != "" {
			return p.Locode
		}
		return "name:" + p.Name
	}
	ids := map[string]int{}
	for i, p := range model[1:] {
		ids[key(p)] = i + 1
	}
	class := make([]int, len(shards))
	for i, p := range shards[1:] {
		c, ok := ids[key(p)]
		if !ok {
			c = -1
		}
		class[i+1] = c
	}
	return class, nil
}

// frequencyBaseline predicts the destinations most often reached from a
// voyage's departure port in the training split (ties: more frequent
// overall, then the lower class id), and as ETA the median duration of
// those training voyages less the time already sailed.
type frequencyBaseline struct {
	classes int
	byDep   map[int][]float64 // departure → count per destination class
	global  []float64
	dur     map[[2]int][]float64 // (departure, destination) → voyage hours
	durDest map[int][]float64
	durAll  []float64
	ranks   map[int][]int
}

func newFrequencyBaseline(s *wayprep.Split, classes int) *frequencyBaseline {
	f := &frequencyBaseline{classes: classes, byDep: map[int][]float64{}, global: make([]float64, classes),
		dur: map[[2]int][]float64{}, durDest: map[int][]float64{}, ranks: map[int][]int{}}
	for v := 0; v < s.Voyages(); v++ {
		dep, dest := int(s.Dep[v]), int(s.Dest[v])
		if dest <= 0 || dest >= classes || dep < 0 || dep >= classes {
			continue
		}
		if f.byDep[dep] == nil {
			f.byDep[dep] = make([]float64, classes)
		}
		f.byDep[dep][dest]++
		f.global[dest]++
		c := s.VoyageCells[v]
		hours := float64(s.Hours[c]) + float64(s.ETA[c]) // the whole voyage, from its first cell
		f.dur[[2]int{dep, dest}] = append(f.dur[[2]int{dep, dest}], hours)
		f.durDest[dest] = append(f.durDest[dest], hours)
		f.durAll = append(f.durAll, hours)
	}
	return f
}

// ranking returns, for a departure, each class's position in the
// baseline's ordering (0 = its first guess); class 0 is ranked last.
func (f *frequencyBaseline) ranking(dep int) []int {
	if r, ok := f.ranks[dep]; ok {
		return r
	}
	counts := f.byDep[dep]
	if counts == nil {
		counts = make([]float64, f.classes)
	}
	order := make([]int, 0, f.classes-1)
	for c := 1; c < f.classes; c++ {
		order = append(order, c)
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if counts[a] != counts[b] {
			return counts[a] > counts[b]
		}
		return f.global[a] > f.global[b]
	})
	rank := make([]int, f.classes)
	rank[0] = f.classes - 1
	for i, c := range order {
		rank[c] = i
	}
	f.ranks[dep] = rank
	return rank
}

// eta predicts hours to arrival for the baseline's first guess.
func (f *frequencyBaseline) eta(dep int, rank []int, sailed float64) float64 {
	guess := 0
	for c, r := range rank {
		if c > 0 && r == 0 {
			guess = c
		}
	}
	d := f.dur[[2]int{dep, guess}]
	if len(d) == 0 {
		d = f.durDest[guess]
	}
	if len(d) == 0 {
		d = f.durAll
	}
	return math.Max(0, median(d)-sailed)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// nearestAhead ranks the vocabulary ports from the last point of cell c:
// ports within aheadDeg of its course first, nearest first, then the rest
// by distance (ties: lower class id). It returns the number of ports
// ranked above the true destination and, as ETA, the distance to the
// first-ranked port at the point's speed (at least 1 knot).
func nearestAhead(s *wayprep.Split, c int, res float64, vocab []export.Port, dest int) (int, float64) {
	last := s.CellPoints[c+1] - 1
	f := s.Points[int(last)*trajectory.NumFeatures : int(last+1)*trajectory.NumFeatures]
	lat := float64(s.Centre[2*c]) + float64(f[2])*res
	lon := float64(s.Centre[2*c+1]) + float64(f[1])*res
	cog, sog := float64(f[5]), math.Max(1, float64(f[3]))
	type cand struct {
		class int
		ahead bool
		dist  float64
	}
	cands := make([]cand, 0, len(vocab)-1)
	for k := 1; k < len(vocab); k++ {
		p := vocab[k]
		off := math.Abs(math.Mod(trajectory.Bearing(lat, lon, p.Lat, p.Lon)-cog+540, 360) - 180)
		cands = append(cands, cand{k, off <= aheadDeg, trajectory.Distance(lat, lon, p.Lat, p.Lon)})
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].ahead != cands[j].ahead {
			return cands[i].ahead
		}
		return cands[i].dist < cands[j].dist
	})
	above := 0
	for i, cd := range cands {
		if cd.class == dest {
			above = i
		}
	}
	return above, cands[0].dist / (sog * trajectory.Knot) / 3600
}

// wayColumns are the metrics of the WAY table, in order.
var wayColumns = []struct{ key, label string }{
	{"acc_q1", "top-1 1Q"}, {"acc_q2", "2Q"}, {"acc_q3", "3Q"}, {"acc_q4", "4Q"}, {"acc", "all"},
	{"top5_q1", "top-5 1Q"}, {"top5_q2", "2Q"}, {"top5_q3", "3Q"}, {"top5_q4", "4Q"}, {"top5", "all"},
	{"eta_mae_h", "ETA MAE (h)"},
}

func (r *wayReport) table(w io.Writer) error {
	fmt.Fprintf(w, "%s split: %d voyages, %d steps, %d destination ports\n", r.Split, r.Voyages, r.Steps, r.Ports)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "\t")
	for _, c := range wayColumns {
		fmt.Fprintf(tw, "%s\t", c.label)
	}
	fmt.Fprintln(tw)
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t", row.Name)
		for _, c := range wayColumns {
			if c.key == "eta_mae_h" {
				fmt.Fprintf(tw, "%.1f\t", row.Metrics[c.key])
			} else {
				fmt.Fprintf(tw, "%.3f\t", row.Metrics[c.key])
			}
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
