package sdk

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/models"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// PortProb is a candidate destination. The field tags are the answer
// schema (docs/SCHEMA.md) that the CLI's JSON and the WebAssembly guest
// share.
type PortProb struct {
	Locode string  `json:"locode"`
	Name   string  `json:"name"`
	Lat    float64 `json:"lat"`
	Lon    float64 `json:"lon"`
	Prob   float64 `json:"prob"`
}

// Prediction is the destination and ETA of a vessel's voyage in progress.
type Prediction struct {
	MMSI      uint32     `json:"mmsi"`
	Departure string     `json:"departure"` // UN/LOCODE (or name) of the departure port, "" when unknown
	Depart    time.Time  `json:"departed"`  // departure time, or the first position's time when unknown
	At        time.Time  `json:"at"`        // time of the latest position used
	Lat       float64    `json:"lat"`       // latest position
	Lon       float64    `json:"lon"`
	Cells     int        `json:"cells"`        // grid cells in the model's input
	Top       []PortProb `json:"destinations"` // most probable first
	ETAHours  float64    `json:"eta_hours"`    // hours from At to arrival
	ETA       time.Time  `json:"eta"`          // At + ETAHours
}

// Destinations predicts where vessels are heading and when they arrive,
// with a WAY model.
type Destinations struct {
	cfg    Config
	m      *models.WAY
	ports  *trajectory.Ports // the catalogue visits are found with
	class  []int             // catalogue index → vocabulary id (0: not in the vocabulary)
	vocab  []export.Port     // the model's port vocabulary: index i is class i
	nested trajectory.NestedConfig
	clean  trajectory.CleanConfig // the rules Predict and streams share
	visit  trajectory.VisitConfig
	works  sync.Pool // *models.WAYWork
}

// Destinations returns the destination predictor of a WAY model. Voyages
// are cut at port visits as the training data were: with the port areas
// and visit rules the bundle carries, or Config.WithPorts's catalogue.
// Bundles written before format 1.1 carry neither; they get the
// vocabulary ports at trajectory.DefaultPortRadius and the default visit
// rules.
func (m *Model) Destinations(cfg Config) (*Destinations, error) {
	if m.way == nil {
		return nil, fmt.Errorf("%w: %q model has no destination head", ErrKind, m.Kind())
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	w := m.way
	pre := &w.Preprocessing
	if len(pre.Ports) == 0 {
		return nil, fmt.Errorf("%w: the WAY bundle has no port vocabulary", ErrBundle)
	}
	if !slices.Equal(pre.Features, trajectory.FeatureNames) {
		return nil, fmt.Errorf("%w: %w: the model was trained on features %q, this runtime computes %q (retrain it on shards from portolan prepare)",
			ErrBundle, ErrFeatures, pre.Features, trajectory.FeatureNames)
	}
	res := 1.0
	if g := pre.Grid; g != nil {
		res = g.ResolutionDeg
	}
	grid, err := trajectory.NewGrid(res)
	if err != nil {
		return nil, err
	}
	ports := cfg.ports
	if ports == nil {
		if ports, err = bundlePorts(pre); err != nil {
			return nil, err
		}
	}
	visit := trajectory.VisitConfig{}
	if v := pre.Visit; v != nil {
		visit = trajectory.VisitConfig{MaxSpeedKnots: v.MaxSpeedKnots, MinDwell: time.Duration(v.MinDwellS * float64(time.Second))}
	}
	d := &Destinations{cfg: cfg, m: w, ports: ports, vocab: pre.Ports,
		nested: trajectory.NestedConfig{Grid: grid, MaxLen: w.MaxLen, SubLen: w.SubLen},
		clean:  trajectory.CleanConfig{}.Defaults(), visit: visit.Defaults()}
	ids := map[string]int{}
	for i, p := range pre.Ports[1:] {
		ids[portKey(p.Locode, p.Name, p.Lat, p.Lon)] = i + 1
	}
	d.class = make([]int, ports.Len())
	for i := range d.class {
		p := ports.At(i)
		if p.Locode != "" {
			d.class[i] = ids[p.Locode]
		} else {
			d.class[i] = ids[portKey("", p.Name, p.Lat, p.Lon)]
		}
	}
	return d, nil
}

// bundlePorts builds the visit catalogue a bundle carries: its port
// areas, or (before format 1.1) its vocabulary at the default radius.
func bundlePorts(pre *export.Preprocessing) (*trajectory.Ports, error) {
	var list []trajectory.Port
	for _, a := range pre.PortAreas {
		list = append(list, trajectory.Port{Locode: a.Locode, Name: a.Name, Lat: a.Lat, Lon: a.Lon, Radius: a.RadiusM})
	}
	if len(list) == 0 {
		for _, p := range pre.Ports[1:] {
			list = append(list, trajectory.Port{Locode: p.Locode, Name: p.Name, Lat: p.Lat, Lon: p.Lon, Radius: trajectory.DefaultPortRadius})
		}
	}
	ports, err := trajectory.NewPorts(list)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if ports.Len() != len(list) {
		return nil, fmt.Errorf("%w: the model's port areas have duplicate UN/LOCODEs", ErrBundle)
	}
	return ports, nil
}

// portKey identifies a port across a catalogue and a vocabulary: its
// UN/LOCODE, or its name and position when it has none.
func portKey(locode, name string, lat, lon float64) string {
	if locode != "" {
		return locode
	}
	return fmt.Sprintf("%s@%.6f,%.6f", name, lat, lon)
}

// Ports returns the port catalogue the predictor detects visits with.
func (d *Destinations) Ports() *trajectory.Ports { return d.ports }

// Visit returns the rules that make a stop in a port area a visit.
func (d *Destinations) Visit() trajectory.VisitConfig { return d.visit }

// classOf returns the vocabulary id of catalogue port i (-1: unknown
// departure); 0 when the port is not in the vocabulary.
func (d *Destinations) classOf(i int) int {
	if i < 0 {
		return 0
	}
	return d.class[i]
}

// Predict cleans a vessel's track, finds its voyage in progress (after its
// last port visit) and predicts its destination and ETA. It returns
// ErrNoVoyage when the track ends in port or holds too little.
func (d *Destinations) Predict(ctx context.Context, t *trajectory.Track) (*Prediction, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, in, err := d.voyageInput(t)
	if err != nil {
		return nil, err
	}
	w := d.work(d.cfg.threads)
	defer d.works.Put(w)
	if err := d.m.ForwardBatch(w, []models.Voyage{in}); err != nil {
		return nil, err
	}
	j := voyageJob(v, in, nil)
	return d.finish(&j, w.Logits(0), w.ETA(0)), nil
}

// work returns a pooled WAYWork using the given threads.
func (d *Destinations) work(threads int) *models.WAYWork {
	w, ok := d.works.Get().(*models.WAYWork)
	if !ok {
		w = d.m.NewWork()
	}
	w.SetThreads(threads)
	return w
}

// voyageInput finds a track's voyage in progress and builds the model's
// input for it (the last MaxLen cells).
func (d *Destinations) voyageInput(t *trajectory.Track) (*trajectory.Voyage, models.Voyage, error) {
	voyages, _ := trajectory.VoyagesOf(t, d.ports, d.clean, d.visit)
	if len(voyages) == 0 || !voyages[len(voyages)-1].InProgress() {
		return nil, models.Voyage{}, fmt.Errorf("%w: vessel %d", ErrNoVoyage, t.MMSI)
	}
	v := voyages[len(voyages)-1]
	n, err := trajectory.BuildNested(v.Points, v.Depart, d.nested, 0)
	if err != nil {
		return nil, models.Voyage{}, err
	}
	n.ShipType, n.Departure = v.ShipType, d.classOf(v.From)
	return &v, d.input(&n), nil
}

// input converts the last MaxLen cells of a nested voyage into the model's
// input, scaling their features.
func (d *Destinations) input(n *trajectory.Nested) models.Voyage {
	return d.cellsInput(n.Tail(d.m.MaxLen), n.ShipType, n.Departure)
}

// cellsInput converts nested cells into the model's input for a ship type
// and a departure vocabulary id, scaling their features.
func (d *Destinations) cellsInput(cells []trajectory.NestedCell, ship, departure int) models.Voyage {
	in := models.Voyage{Cells: make([]models.Cell, len(cells)), Ship: ship, Departure: departure}
	for i, c := range cells {
		in.Cells[i] = d.cell(&c)
	}
	return in
}

// job is one voyage in progress on its way through the model.
type job struct {
	mmsi   uint32
	from   int // departure's catalogue index, -1 when unknown
	depart time.Time
	last   trajectory.Point // the voyage's latest point
	in     models.Voyage
	res    *VesselResult
}

func voyageJob(v *trajectory.Voyage, in models.Voyage, res *VesselResult) job {
	return job{mmsi: v.MMSI, from: v.From, depart: v.Depart, last: v.Points[len(v.Points)-1], in: in, res: res}
}

// finish turns the outputs of a job's voyage into a prediction.
func (d *Destinations) finish(j *job, logits, eta []float32) *Prediction {
	P, last := d.m.NPorts, len(j.in.Cells)-1
	p := d.prediction(logits[last*P:(last+1)*P], eta[last], j.last)
	p.MMSI, p.Depart, p.Cells = j.mmsi, j.depart, len(j.in.Cells)
	if j.from >= 0 {
		p.Departure = portName(d.ports.At(j.from))
	}
	return p
}

// runJobs runs the jobs' voyages through the model as one batch and sets
// each job's prediction or error.
func (d *Destinations) runJobs(w *models.WAYWork, jobs []job) {
	if len(jobs) == 0 {
		return
	}
	batch := make([]models.Voyage, len(jobs))
	for k := range jobs {
		batch[k] = jobs[k].in
	}
	if err := d.m.ForwardBatch(w, batch); err != nil {
		// a voyage the model refuses: run them one by one, so only it fails
		for k := range jobs {
			if err := d.m.ForwardBatch(w, batch[k:k+1]); err != nil {
				jobs[k].res.Err = err
				continue
			}
			jobs[k].res.Prediction = d.finish(&jobs[k], w.Logits(0), w.ETA(0))
		}
		return
	}
	for k := range jobs {
		jobs[k].res.Prediction = d.finish(&jobs[k], w.Logits(k), w.ETA(k))
	}
}

// batches calls fn for consecutive ranges [b0, b1) of at most
// predictAllBatch items out of n on Config's threads, each thread with its
// own model buffers; it hands out no new range once ctx is done.
func (d *Destinations) batches(ctx context.Context, n int, fn func(w *models.WAYWork, b0, b1 int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for g := 0; g < min(d.cfg.threads, max(1, (n+predictAllBatch-1)/predictAllBatch)); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := d.work(1)
			defer d.works.Put(w)
			for b0 := range next {
				fn(w, b0, min(n, b0+predictAllBatch))
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i += predictAllBatch {
		next <- i
	}
	close(next)
	wg.Wait()
}

// Steps are the model's outputs after each cell of a voyage's input.
type Steps struct {
	Classes  int       // destination classes: the vocabulary, class 0 "unknown"
	Logits   []float32 // cells × Classes
	ETAHours []float32 // per cell, hours to arrival
}

// PredictNested runs the model over a prepared voyage: the last MaxLen
// cells of n (raw features, as trajectory.BuildNested and the training
// shards hold them), its ship type and its departure's vocabulary id. It
// returns the outputs at every step, for scoring whole voyages.
func (d *Destinations) PredictNested(ctx context.Context, n *trajectory.Nested) (*Steps, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	in := d.input(n)
	if len(in.Cells) == 0 {
		return nil, fmt.Errorf("%w: a voyage without cells", ErrNoVoyage)
	}
	w := d.work(d.cfg.threads)
	defer d.works.Put(w)
	if err := d.m.ForwardBatch(w, []models.Voyage{in}); err != nil {
		return nil, err
	}
	return &Steps{Classes: d.m.NPorts, Logits: append([]float32(nil), w.Logits(0)...),
		ETAHours: append([]float32(nil), w.ETA(0)...)}, nil
}

// cell converts a nested cell into the model's input, scaling its features.
func (d *Destinations) cell(c *trajectory.NestedCell) models.Cell {
	x := make([]float32, 0, len(c.Features)*trajectory.NumFeatures)
	for _, f := range c.Features {
		x = append(x, f[:]...)
	}
	d.m.Scale(x)
	return models.Cell{Lon: float32(c.Lon), Lat: float32(c.Lat), Hours: c.Hours, X: x}
}

func (d *Destinations) prediction(logits []float32, etaHours float32, last trajectory.Point) *Prediction {
	probs := softmax(logits)
	idx := make([]int, 0, len(probs)-1)
	for i := 1; i < len(probs); i++ { // class 0 is "unknown", never a destination
		idx = append(idx, i)
	}
	sort.SliceStable(idx, func(a, b int) bool { return probs[idx[a]] > probs[idx[b]] })
	k := min(d.cfg.topK, len(idx))
	p := &Prediction{At: last.Time, Lat: last.Lat, Lon: last.Lon, ETAHours: float64(etaHours)}
	p.ETA = last.Time.Add(time.Duration(float64(etaHours) * float64(time.Hour)))
	for _, i := range idx[:k] {
		port := d.vocab[i]
		p.Top = append(p.Top, PortProb{Locode: port.Locode, Name: port.Name, Lat: port.Lat, Lon: port.Lon, Prob: probs[i]})
	}
	return p
}

func softmax(x []float32) []float64 {
	out := make([]float64, len(x))
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	var s float64
	for i, v := range x {
		out[i] = math.Exp(float64(v) - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

func portName(p trajectory.Port) string {
	if p.Locode != "" {
		return p.Locode
	}
	return p.Name
}

// VesselResult is the outcome for one vessel of PredictAll.
type VesselResult struct {
	MMSI       uint32      `json:"mmsi"`
	Name       string      `json:"name"`
	Prediction *Prediction `json:"prediction,omitempty"` // nil when Err is set
	Err        error       `json:"-"`                    // ErrNoVoyage for vessels in port or with too little data
}

// predictAllBatch is how many vessels a PredictAll worker runs through the
// model as one batch.
const predictAllBatch = 16

// PredictAll reads every position from r (NMEA or CSV, see
// ais.OpenPositions) and predicts each vessel's voyage in progress, in
// MMSI order, on Config's threads: each thread takes batches of vessels
// and runs their voyages through the model as one batch. progress, when
// not nil, is called as vessels finish (from one goroutine at a time).
func (d *Destinations) PredictAll(ctx context.Context, r ais.PositionReader, progress func(done, total int)) ([]VesselResult, error) {
	tracks, err := trajectory.Collect(r)
	if err != nil {
		return nil, err
	}
	out := make([]VesselResult, len(tracks))
	var mu sync.Mutex
	done := 0
	d.batches(ctx, len(tracks), func(w *models.WAYWork, b0, b1 int) {
		d.predictBatch(ctx, w, tracks[b0:b1], out[b0:b1])
		if progress != nil {
			mu.Lock()
			for range b1 - b0 {
				done++
				progress(done, len(tracks))
			}
			mu.Unlock()
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// predictBatch predicts a batch of tracks into out: the voyages in
// progress go through the model as one batch.
func (d *Destinations) predictBatch(ctx context.Context, w *models.WAYWork, tracks []*trajectory.Track, out []VesselResult) {
	jobs := make([]job, 0, len(tracks))
	for i, t := range tracks {
		out[i] = VesselResult{MMSI: t.MMSI, Name: t.Name}
		if err := ctx.Err(); err != nil {
			out[i].Err = err
			continue
		}
		v, in, err := d.voyageInput(t)
		if err != nil {
			out[i].Err = err
			continue
		}
		jobs = append(jobs, voyageJob(v, in, &out[i]))
	}
	d.runJobs(w, jobs)
}
