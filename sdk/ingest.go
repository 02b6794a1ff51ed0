package sdk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/portolan-sdk/portolan/models"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// IngestConfig sets how PredictReader holds vessels. The zero value gives
// the defaults.
type IngestConfig struct {
	// Idle is how long, in the input's own time, a vessel may send nothing
	// before it is answered and forgotten (seen again, it starts afresh).
	// The default is 24 hours; a negative value keeps every vessel to the
	// end of the input.
	Idle time.Duration
	// Dropped, when set, is called with every position that cleaning drops
	// and the reason (a trajectory.Drop* constant), from PredictReader's
	// goroutine. The position is only valid during the call.
	Dropped func(p *ais.Position, reason string)
}

// IngestStats accounts for what PredictReader read and answered.
type IngestStats struct {
	trajectory.StreamStats
	Answered int // vessels whose voyage in progress was predicted
	NoVoyage int // vessels without one (in port, too few clean positions, not a ship)
	Failed   int // vessels whose prediction failed (ErrOutput: a broken model)
}

// PredictReader reads positions in time order from r (an archive or a
// feed; see ais.OpenPositions) and predicts every vessel's voyage in
// progress, returning one result per vessel in MMSI order.
//
// Its memory grows with the vessels present, not with the positions read:
// per vessel it keeps the cleaning and port-visit state and its voyage in
// progress reduced to the model's input (trajectory.VoyageStream in
// progress mode, which holds no points back; trajectory.NestedBuilder). A vessel idle for IngestConfig.Idle is
// answered then and forgotten. On input in time order the answers are
// those Predict gives on each vessel's whole track; a position that comes
// late for its vessel is dropped and counted (trajectory.DropLate), and
// IngestStats.Behind counts positions far behind the input's clock. For
// input that is not in time order use PredictAll, which holds every
// position and sorts each track.
//
// Predictions run on Config's threads in batches as vessels finish;
// progress, when not nil, is called with the vessels answered so far.
func (d *Destinations) PredictReader(ctx context.Context, r ais.PositionReader, cfg IngestConfig, progress func(answered int)) ([]VesselResult, IngestStats, error) {
	var st IngestStats
	results := map[uint32]VesselResult{}
	var jobs []*VoyageInput
	answer := func() error {
		if err := d.answer(ctx, jobs); err != nil {
			return err
		}
		for _, j := range jobs {
			results[j.v.MMSI] = j.result
			switch {
			case j.result.Err == nil:
				st.Answered++
			case errors.Is(j.result.Err, ErrNoVoyage):
				st.NoVoyage++
			default:
				st.Failed++
			}
		}
		jobs = jobs[:0]
		if progress != nil {
			progress(st.Answered + st.NoVoyage + st.Failed)
		}
		return nil
	}
	stream := trajectory.NewVoyageStream(trajectory.StreamConfig{Ports: d.ports, Clean: d.clean, Visit: d.visit, Idle: cfg.Idle, InProgress: true},
		func(v *trajectory.Vessel) trajectory.VoyageSink {
			in := d.NewVoyageInput(v)
			in.done = func(in *VoyageInput) { jobs = append(jobs, in) }
			return in
		})
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, st, err
			}
		}
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, st, err
		}
		if why := stream.Push(p); why != "" && cfg.Dropped != nil {
			cfg.Dropped(p, why)
		}
		if len(jobs) >= 256 {
			if err := answer(); err != nil {
				return nil, st, err
			}
		}
	}
	stream.Flush()
	if err := answer(); err != nil {
		return nil, st, err
	}
	st.StreamStats = stream.Stats()
	out := make([]VesselResult, 0, len(results))
	for _, res := range results {
		out = append(out, res)
	}
	slices.SortFunc(out, func(a, b VesselResult) int { return cmp.Compare(a.MMSI, b.MMSI) })
	return out, st, nil
}

// VoyageInput is one vessel's voyage in progress reduced to the model's
// input as its points arrive: the trajectory.VoyageSink that PredictReader
// keeps for each vessel of a trajectory.VoyageStream (or give it to a
// trajectory.Segmenter). Its memory is bounded by the model's input
// (trajectory.NestedBuilder), not by the points. Once closed, PredictInputs
// answers it. Not safe for concurrent use.
type VoyageInput struct {
	d      *Destinations
	v      *trajectory.Vessel
	b      *trajectory.NestedBuilder
	from   int
	open   bool
	done   func(*VoyageInput) // PredictReader's queue; nil otherwise
	closed bool
	result VesselResult
	cells  []trajectory.NestedCell // set at Close when a voyage is in progress
	last   trajectory.Point
	depart time.Time
}

// NewVoyageInput returns the sink of vessel v: its name and ship type are
// read from v when the sink closes and when it is answered.
func (d *Destinations) NewVoyageInput(v *trajectory.Vessel) *VoyageInput {
	return &VoyageInput{d: d, v: v}
}

// PredictInputs predicts the voyages of closed inputs in batches on
// Config's threads and returns one result per input, in order: a
// prediction, or ErrNoVoyage for a vessel in port or with too little data.
// The answers are those PredictReader gives for the same points.
func (d *Destinations) PredictInputs(ctx context.Context, inputs []*VoyageInput) ([]VesselResult, error) {
	for _, in := range inputs {
		if !in.closed || in.d != d {
			return nil, fmt.Errorf("sdk: PredictInputs takes closed inputs of this predictor")
		}
	}
	if err := d.answer(ctx, inputs); err != nil {
		return nil, err
	}
	out := make([]VesselResult, len(inputs))
	for i, in := range inputs {
		out[i] = in.result
	}
	return out, nil
}

// Depart starts a voyage (trajectory.VoyageSink).
func (in *VoyageInput) Depart(from int, p *trajectory.Point) {
	if in.b == nil {
		in.b = trajectory.NewNestedBuilder(in.d.nested, p.Time, 0)
	} else {
		in.b.Reset(p.Time, 0)
	}
	in.from, in.open, in.depart = from, true, p.Time
	in.b.Add(p)
}

// Add appends a point to the voyage (trajectory.VoyageSink).
func (in *VoyageInput) Add(p *trajectory.Point) { in.b.Add(p) }

// Arrive ends the voyage in a port (trajectory.VoyageSink).
func (in *VoyageInput) Arrive(int) { in.open = false }

// Close keeps the model's input of a voyage in progress (of two points or
// more, as VoyagesOf counts voyages) and lets the builder go.
func (in *VoyageInput) Close() {
	in.result = VesselResult{MMSI: in.v.MMSI, Name: in.v.Name}
	if in.open && in.b.Len() >= 2 {
		in.cells, in.last = slices.Clone(in.b.Tail()), in.b.Last()
	} else {
		in.result.Err = fmt.Errorf("%w: vessel %d", ErrNoVoyage, in.v.MMSI)
	}
	in.b, in.closed = nil, true
	if in.done != nil {
		in.done(in)
	}
}

// answer predicts the voyages of the vessels let go, in batches on
// Config's threads.
func (d *Destinations) answer(ctx context.Context, vessels []*VoyageInput) error {
	d.batches(ctx, len(vessels), func(w *models.WAYWork, b0, b1 int) {
		jobs := make([]job, 0, b1-b0)
		for _, v := range vessels[b0:b1] {
			if v.cells == nil {
				continue
			}
			in := d.cellsInput(v.cells, trajectory.ShipCategory(v.v.ShipType), d.classOf(v.from))
			jobs = append(jobs, job{mmsi: v.v.MMSI, from: v.from, depart: v.depart, last: v.last, in: in, res: &v.result})
			v.cells = nil
		}
		d.runJobs(w, jobs)
	})
	return ctx.Err()
}
