package sdk

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/portolan-sdk/portolan/models"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// PortProb is a candidate destination.
type PortProb struct {
	Locode string
	Name   string
	Lat    float64
	Lon    float64
	Prob   float64
}

// Prediction is the destination and ETA of a vessel's voyage in progress.
type Prediction struct {
	MMSI      uint32
	Departure string    // UN/LOCODE (or name) of the departure port, "" when unknown
	Depart    time.Time // departure time, or the first position's time when unknown
	At        time.Time // time of the latest position used
	Lat, Lon  float64   // latest position
	Cells     int       // grid cells in the model's input
	Top       []PortProb
	ETAHours  float64   // hours from At to arrival
	ETA       time.Time // At + ETAHours
}

// Destinations predicts where vessels are heading and when they arrive,
// with a WAY model.
type Destinations struct {
	cfg    Config
	m      *models.WAY
	ports  *trajectory.Ports // vocabulary ports 1.., index i is vocabulary id i+1
	nested trajectory.NestedConfig
	clean  trajectory.CleanConfig // the rules Predict and streams share
	visit  trajectory.VisitConfig
}

// Destinations returns the destination predictor of a WAY model.
func (m *Model) Destinations(cfg Config) (*Destinations, error) {
	if m.way == nil {
		return nil, fmt.Errorf("%w: %q model has no destination head", ErrKind, m.Kind())
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	w := m.way
	if f := w.Preprocessing.Features; !slices.Equal(f, trajectory.FeatureNames) {
		return nil, fmt.Errorf("%w: the model was trained on features %q, this runtime computes %q (retrain it on shards from portolan prepare)",
			ErrFeatures, f, trajectory.FeatureNames)
	}
	res := 1.0
	if g := w.Preprocessing.Grid; g != nil {
		res = g.ResolutionDeg
	}
	grid, err := trajectory.NewGrid(res)
	if err != nil {
		return nil, err
	}
	var list []trajectory.Port
	for _, p := range w.Preprocessing.Ports[1:] {
		list = append(list, trajectory.Port{Locode: p.Locode, Name: p.Name, Lat: p.Lat, Lon: p.Lon, Radius: trajectory.DefaultPortRadius})
	}
	ports, err := trajectory.NewPorts(list)
	if err != nil {
		return nil, err
	}
	if ports.Len() != len(list) {
		return nil, fmt.Errorf("sdk: the model's port vocabulary has duplicate UN/LOCODEs")
	}
	return &Destinations{cfg: cfg, m: w, ports: ports,
		nested: trajectory.NestedConfig{Grid: grid, MaxLen: w.MaxLen, SubLen: w.SubLen},
		clean:  trajectory.CleanConfig{}.Defaults(), visit: trajectory.VisitConfig{}.Defaults()}, nil
}

// Ports returns the port catalogue the predictor detects visits with (the
// model's vocabulary without "unknown").
func (d *Destinations) Ports() *trajectory.Ports { return d.ports }

// Predict cleans a vessel's track, finds its voyage in progress (after its
// last port visit) and predicts its destination and ETA. It returns
// ErrNoVoyage when the track ends in port or holds too little.
func (d *Destinations) Predict(ctx context.Context, t *trajectory.Track) (*Prediction, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	voyages, _ := trajectory.VoyagesOf(t, d.ports, d.clean, d.visit)
	if len(voyages) == 0 || !voyages[len(voyages)-1].InProgress() {
		return nil, fmt.Errorf("%w: vessel %d", ErrNoVoyage, t.MMSI)
	}
	v := voyages[len(voyages)-1]
	return d.predictVoyage(&v)
}

func (d *Destinations) predictVoyage(v *trajectory.Voyage) (*Prediction, error) {
	n, err := trajectory.BuildNested(v.Points, v.Depart, d.nested, 0)
	if err != nil {
		return nil, err
	}
	return d.predictCells(v.MMSI, n.Tail(d.m.MaxLen), v.ShipType, v.From, v.Depart, v.Points[len(v.Points)-1])
}

// predictCells predicts from a voyage's last MaxLen nested cells: ship is
// the ShipCategories id, from the departure port's catalogue index (-1
// unknown), last the voyage's latest point.
func (d *Destinations) predictCells(mmsi uint32, cells []trajectory.NestedCell, ship, from int, depart time.Time, last trajectory.Point) (*Prediction, error) {
	in := make([]models.Cell, len(cells))
	for i, c := range cells {
		in[i] = d.cell(&c)
	}
	dep := from + 1 // catalogue index → vocabulary id; -1 → 0 (unknown)
	out, err := d.m.Forward(in, ship, dep)
	if err != nil {
		return nil, err
	}
	k := len(in) - 1
	p := d.prediction(out.Logits[k*d.m.NPorts:(k+1)*d.m.NPorts], out.ETA[k], last)
	p.MMSI, p.Depart, p.Cells = mmsi, depart, len(in)
	if from >= 0 {
		p.Departure = portName(d.ports.At(from))
	}
	return p, nil
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
		port := d.ports.At(i - 1)
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
	MMSI       uint32
	Name       string
	Prediction *Prediction // nil when Err is set
	Err        error       // ErrNoVoyage for vessels in port or with too little data
}

// PredictAll reads every position from r (NMEA or CSV, see
// ais.OpenPositions) and predicts each vessel's voyage in progress, in
// MMSI order, on Config's threads. progress, when not nil, is called as
// vessels finish (from one goroutine at a time).
func (d *Destinations) PredictAll(ctx context.Context, r ais.PositionReader, progress func(done, total int)) ([]VesselResult, error) {
	tracks, err := trajectory.Collect(r)
	if err != nil {
		return nil, err
	}
	out := make([]VesselResult, len(tracks))
	var mu sync.Mutex
	done := 0
	d.parallel(ctx, len(tracks), func(i int) {
		t := tracks[i]
		p, err := d.Predict(ctx, t)
		out[i] = VesselResult{MMSI: t.MMSI, Name: t.Name, Prediction: p, Err: err}
		if progress != nil {
			mu.Lock()
			done++
			progress(done, len(tracks))
			mu.Unlock()
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// parallel calls fn(i) for i in [0, n) on Config's threads, handing out no
// new work once ctx is done.
func (d *Destinations) parallel(ctx context.Context, n int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for g := 0; g < min(d.cfg.threads, max(1, n)); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}
