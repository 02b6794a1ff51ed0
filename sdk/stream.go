package sdk

import (
	"context"
	"fmt"
	"time"
	"unsafe"

	"github.com/portolan-sdk/portolan/models"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// Stream predicts one vessel's destination as its AIS positions arrive.
// It applies the rules of Destinations.Predict, with the same
// configuration, to the positions so far: cleaning
// (trajectory.CleanConfig.Check; a position earlier than the last kept one
// is dropped, since a stream cannot reorder), port visits and voyage
// boundaries (trajectory.Segmenter in progress mode) and the nested
// sequence (trajectory.NestedBuilder). After each position its answer is
// the one Predict gives on the track so far.
//
// Its memory follows the voyage in progress, not the positions pushed:
// the last cells the model reads (Config.WithMaxCells) with a few points
// each, the open cell's selection candidates (at most
// trajectory.NestedConfig.Capacity points however long the vessel stays in
// it), and the model's key and value caches, which grow with the cells.
// A vessel in port holds almost nothing. Bytes estimates it.
//
// Each position updates only the newest grid cell of the model's input
// (the earlier cells' attention keys and values are kept), so an update
// costs about one cell's worth of computation. Not safe for concurrent
// use; Manager holds many streams for concurrent callers.
type Stream struct {
	d       *Destinations
	mmsi    uint32
	ship    int
	seg     *trajectory.Segmenter
	v       streamVoyage
	ms      *models.Stream // nil while no voyage is in progress
	synced  int            // closed cells of the voyage in ms
	points  int            // the voyage's points when ms was last updated
	departs int            // v.departs when ms was last rebuilt
	stale   bool           // ms must be rebuilt (the ship type changed)
	dropped int
	x       []float32 // reused: a cell's scaled features
}

// streamVoyage is a Stream's VoyageSink: the voyage in progress as its
// nested sequence.
type streamVoyage struct {
	cfg     trajectory.NestedConfig
	b       *trajectory.NestedBuilder // nil before the first departure and after an arrival
	from    int                       // departure port (catalogue index), -1 when unknown
	depart  time.Time
	open    bool
	departs int // Depart calls so far
}

func (v *streamVoyage) Depart(from int, p *trajectory.Point) {
	if v.b == nil {
		v.b = trajectory.NewNestedBuilder(v.cfg, p.Time, 0)
	} else {
		v.b.Reset(p.Time, 0)
	}
	v.from, v.depart, v.open = from, p.Time, true
	v.departs++
	v.b.Add(p)
}

func (v *streamVoyage) Add(p *trajectory.Point) { v.b.Add(p) }

// Arrive lets the voyage's builder go: a vessel in port holds nothing.
func (v *streamVoyage) Arrive(int) { v.open, v.b = false, nil }
func (v *streamVoyage) Close()     { v.open, v.b = false, nil }

// inProgress reports whether a voyage of two points or more (what
// VoyagesOf counts as a voyage) is in progress.
func (v *streamVoyage) inProgress() bool { return v.open && v.b.Len() >= 2 }

// NewStream starts predicting for a vessel. shipType is its AIS ship and
// cargo type if known (it may also arrive with the positions' static
// data). An MMSI that is not a ship station's (a base station, an aid to
// navigation, a search and rescue aircraft) gets ErrNoVoyage: cleaning
// drops such tracks whole.
func (d *Destinations) NewStream(mmsi uint32, shipType ais.Opt[int]) (*Stream, error) {
	if !trajectory.ValidShipMMSI(mmsi) {
		return nil, fmt.Errorf("%w: MMSI %d is not a ship station", ErrNoVoyage, mmsi)
	}
	s := &Stream{d: d, mmsi: mmsi, ship: trajectory.ShipCategory(shipType)}
	s.v = streamVoyage{cfg: d.nested, from: -1}
	s.seg = trajectory.NewSegmenterConfig(mmsi, trajectory.SegmenterConfig{Ports: d.ports, Clean: d.clean, Visit: d.visit, InProgress: true}, &s.v)
	return s, nil
}

// Dropped returns how many positions cleaning has dropped.
func (s *Stream) Dropped() int { return s.dropped }

// Push takes the vessel's next position and returns the updated
// prediction, or ErrNoVoyage while the vessel is in port (or before its
// voyage holds two usable positions). Positions must come in time order;
// late ones are dropped and counted. The position is only read during the
// call.
func (s *Stream) Push(ctx context.Context, p *ais.Position) (*Prediction, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p.MMSI != s.mmsi {
		return nil, fmt.Errorf("sdk: position of vessel %d pushed to the stream of %d", p.MMSI, s.mmsi)
	}
	if cat := trajectory.ShipCategory(p.Static.ShipType); p.Static.ShipType.Valid && cat != s.ship {
		s.ship, s.stale = cat, true
	}
	if s.seg.Push(trajectory.PointOf(p)) != "" {
		s.dropped++
	}
	if !s.v.inProgress() {
		s.ms, s.synced, s.points = nil, 0, 0 // in port: let the model's caches go
		return nil, fmt.Errorf("%w: vessel %d", ErrNoVoyage, s.mmsi)
	}
	if err := s.sync(); err != nil {
		return nil, err
	}
	b := s.v.b
	pred, err := s.d.prediction(s.ms.Logits(), s.ms.ETA(), b.Last())
	if err != nil {
		return nil, fmt.Errorf("vessel %d: %w", s.mmsi, err)
	}
	pred.MMSI, pred.Depart, pred.Cells = s.mmsi, s.v.depart, s.ms.Len()+1
	if s.v.from >= 0 {
		pred.Departure = portName(s.d.ports.At(s.v.from))
	}
	return pred, nil
}

// sync brings the model's stream up to the voyage: a new departure or a
// ship type change rebuilds it; otherwise the cells closed since the last
// push are committed (sliding the window, a rebuild, when it is full) and
// the open cell is evaluated.
func (s *Stream) sync() error {
	b := s.v.b
	if s.ms == nil || s.stale || s.departs != s.v.departs {
		return s.rebuild()
	}
	if b.Len() == s.points { // a dropped position: nothing changed
		return nil
	}
	if k := b.Closed() - s.synced; k > 0 {
		if s.ms.Len()+k > s.d.nested.MaxLen-1 {
			return s.rebuild()
		}
		closed := b.ClosedCells()
		for i := len(closed) - k; i < len(closed); i++ {
			if err := s.update(&closed[i], true); err != nil {
				return err
			}
		}
		s.synced = b.Closed()
	}
	open := b.Open()
	s.points = b.Len()
	return s.update(&open, false)
}

// rebuild evaluates the voyage's last MaxLen cells into a fresh model
// stream.
func (s *Stream) rebuild() error {
	b, dep := s.v.b, s.d.classOf(s.v.from)
	var err error
	if s.ms == nil {
		s.ms, err = s.d.m.NewStream(s.ship, dep)
	} else {
		err = s.ms.Reset(s.ship, dep)
	}
	if err != nil {
		return err
	}
	s.stale, s.departs = false, s.v.departs
	tail := b.Tail()
	for i := range tail {
		if err := s.update(&tail[i], i < len(tail)-1); err != nil {
			return err
		}
	}
	s.synced, s.points = b.Closed(), b.Len()
	return nil
}

// update evaluates a nested cell as the model stream's newest cell.
func (s *Stream) update(c *trajectory.NestedCell, commit bool) error {
	x := s.x[:0]
	for _, f := range c.Features {
		x = append(x, f[:]...)
	}
	s.x = x
	s.d.m.Scale(x)
	mc := models.Cell{Lon: float32(c.Lon), Lat: float32(c.Lat), Hours: c.Hours, X: x}
	return s.ms.Update(&mc, commit)
}

// streamBytes is what a Stream holds besides its voyage and its model
// stream: the Stream, its Segmenter and its feature buffer.
var streamBytes = int(unsafe.Sizeof(Stream{}) + unsafe.Sizeof(trajectory.Segmenter{}))

// Bytes estimates the memory the stream holds: its voyage's nested
// sequence, the model's caches and buffers, and its own state.
func (s *Stream) Bytes() int {
	n := streamBytes + 4*cap(s.x)
	if s.v.b != nil {
		n += s.v.b.Bytes()
	}
	if s.ms != nil {
		n += s.ms.Bytes()
	}
	return n
}
