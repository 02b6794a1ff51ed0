package sdk

import (
	"context"
	"fmt"
	"time"

	"github.com/portolan-sdk/portolan/models"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// Stream predicts one vessel's destination as its AIS positions arrive.
// Each position updates only the newest grid cell of the model's input
// (the earlier cells' attention keys and values are kept), so an update
// costs about one cell's worth of computation. It applies the same rules,
// with the same configuration, as Destinations.Predict on the whole track:
// cleaning (trajectory.CleanConfig.Check; late points are dropped, since a
// stream cannot reorder), port visits (trajectory.Visits) and
// nested-sequence construction. Not safe for concurrent use.
type Stream struct {
	d    *Destinations
	mmsi uint32
	ship int
	s    *models.Stream

	last    *trajectory.Point // last kept point (cleaning)
	dropped int

	// the port run in progress: consecutive points inside one port's area
	runPort           int
	runFirst, runLast *trajectory.Point  // first and last stopped points of the run
	afterLast         []trajectory.Point // points since runLast

	// the voyage
	from      int // departure port (catalogue index) or -1
	depart    time.Time
	started   bool
	prev      *trajectory.Point  // last point of the previous cell (feature context)
	open      []trajectory.Point // points of the open (newest) cell
	openFeats [][trajectory.NumFeatures]float32
	openCell  trajectory.Cell
	committed []models.Cell
	sel       []int     // reused: the open cell's selected points
	x         []float32 // reused: the open cell's scaled features
}

// NewStream starts predicting for a vessel. shipType is its AIS ship and
// cargo type if known (it may also arrive with the positions' static data).
func (d *Destinations) NewStream(mmsi uint32, shipType ais.Opt[int]) (*Stream, error) {
	if !trajectory.ValidShipMMSI(mmsi) { // cleaning drops such tracks whole
		return nil, fmt.Errorf("%w: MMSI %d is not a ship station", ErrNoVoyage, mmsi)
	}
	ship := trajectory.ShipCategory(shipType)
	ms, err := d.m.NewStream(ship, 0)
	if err != nil {
		return nil, err
	}
	return &Stream{d: d, mmsi: mmsi, ship: ship, s: ms, runPort: -1, from: -1}, nil
}

// Dropped returns how many positions cleaning has dropped.
func (s *Stream) Dropped() int { return s.dropped }

// Push takes the vessel's next position and returns the updated
// prediction, or ErrNoVoyage while the vessel is in port (or before its
// first usable position). Positions must come in time order; late ones are
// dropped and counted.
func (s *Stream) Push(ctx context.Context, p *ais.Position) (*Prediction, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p.MMSI != s.mmsi {
		return nil, fmt.Errorf("sdk: position of vessel %d pushed to the stream of %d", p.MMSI, s.mmsi)
	}
	pt := trajectory.PointOf(p)
	if s.d.clean.Check(s.last, &pt) != "" {
		s.dropped++
		return s.current()
	}
	if cat := trajectory.ShipCategory(p.Static.ShipType); p.Static.ShipType.Valid && cat != s.ship {
		s.ship = cat
		if err := s.rebuild(); err != nil {
			return nil, err
		}
	}
	// port visits, as trajectory.Visits finds them
	port, _, in := s.d.ports.Within(pt.Lat, pt.Lon)
	if !in || port != s.runPort {
		if s.visit() {
			// the run was a visit: a new voyage starts at its last stopped point
			from, start, rest := s.runPort, *s.runLast, s.afterLast
			s.resetVoyage(from, start.Time)
			if err := s.feed(start); err != nil {
				return nil, err
			}
			for _, q := range rest {
				if err := s.feed(q); err != nil {
					return nil, err
				}
			}
		}
		s.runPort, s.runFirst, s.runLast, s.afterLast = -1, nil, nil, s.afterLast[:0]
		if in {
			s.runPort = port
		}
	}
	if in {
		if trajectory.Speed(s.last, &pt) <= s.d.visit.MaxSpeedKnots {
			q := pt
			if s.runFirst == nil {
				s.runFirst = &q
			}
			s.runLast = &q
			s.afterLast = s.afterLast[:0]
		} else if s.runLast != nil {
			s.afterLast = append(s.afterLast, pt)
		}
	}
	s.last = &pt
	if s.visit() {
		return nil, fmt.Errorf("%w: vessel %d is in port", ErrNoVoyage, s.mmsi)
	}
	if err := s.feed(pt); err != nil {
		return nil, err
	}
	return s.current()
}

// visit reports whether the current run is a port visit.
func (s *Stream) visit() bool {
	return s.runPort >= 0 && s.runFirst != nil && s.runLast.Time.Sub(s.runFirst.Time) >= s.d.visit.MinDwell
}

func (s *Stream) resetVoyage(from int, depart time.Time) {
	s.from, s.depart, s.started = from, depart, false
	s.prev, s.open, s.openFeats, s.committed = nil, s.open[:0], s.openFeats[:0], s.committed[:0]
}

// feed adds a voyage point: it opens a new cell when the point leaves the
// open one (committing it), and re-evaluates the open cell. Each point's
// features are computed once, on arrival, with the voyage's previous point
// as context.
func (s *Stream) feed(p trajectory.Point) error {
	g := s.d.nested.Grid
	cell := g.Cell(p.Lat, p.Lon)
	if !s.started {
		s.started = true
		if s.depart.IsZero() {
			s.depart = p.Time
		}
		s.open, s.openCell = append(s.open[:0], p), cell
		s.openFeats = append(s.openFeats[:0], trajectory.PointFeatures(nil, &p, g))
		return s.rebuild()
	}
	prev := s.open[len(s.open)-1]
	f := trajectory.PointFeatures(&prev, &p, g)
	if cell != s.openCell {
		if err := s.commit(s.openInput()); err != nil {
			return err
		}
		s.prev = &prev
		s.open, s.openFeats, s.openCell = s.open[:0], s.openFeats[:0], cell
	}
	s.open = append(s.open, p)
	s.openFeats = append(s.openFeats, f)
	c := s.openInput()
	return s.s.Update(&c, false)
}

// openInput builds the open cell's model input as BuildNested would in the
// whole voyage (even sampling, hours at the last selected point). Its X is
// the stream's buffer, valid until the next call.
func (s *Stream) openInput() models.Cell {
	s.sel = s.d.nested.Select(s.sel[:0], len(s.open), 0, 0)
	x := s.x[:0]
	for _, k := range s.sel {
		x = append(x, s.openFeats[k][:]...)
	}
	s.x = x
	s.d.m.Scale(x)
	lat, lon := s.d.nested.Grid.Centre(s.openCell)
	last := s.open[s.sel[len(s.sel)-1]].Time
	return models.Cell{Lon: float32(lon), Lat: float32(lat), Hours: float32(max(0, last.Sub(s.depart).Hours())), X: x}
}

// commit appends a closed cell to the history, sliding the window (a
// rebuild of the kept cells) when it is full.
func (s *Stream) commit(c models.Cell) error {
	c.X = append([]float32(nil), c.X...) // openInput's buffer is reused
	s.committed = append(s.committed, c)
	if len(s.committed) >= s.d.m.MaxLen {
		s.committed = append(s.committed[:0], s.committed[len(s.committed)-(s.d.m.MaxLen-1):]...)
		return s.rebuild()
	}
	return s.s.Update(&c, true)
}

// rebuild re-evaluates the kept cells into a fresh model stream (after a
// new departure, a ship-type change or a window slide).
func (s *Stream) rebuild() error {
	if err := s.s.Reset(s.ship, s.d.classOf(s.from)); err != nil {
		return err
	}
	for i := range s.committed {
		if err := s.s.Update(&s.committed[i], true); err != nil {
			return err
		}
	}
	if len(s.open) == 0 {
		return nil
	}
	c := s.openInput()
	return s.s.Update(&c, false)
}

func (s *Stream) current() (*Prediction, error) {
	if !s.started || len(s.open) == 0 {
		return nil, fmt.Errorf("%w: vessel %d", ErrNoVoyage, s.mmsi)
	}
	p := s.d.prediction(s.s.Logits(), s.s.ETA(), s.open[len(s.open)-1])
	p.MMSI, p.Depart, p.Cells = s.mmsi, s.depart, s.s.Len()+1
	if s.from >= 0 {
		p.Departure = portName(s.d.ports.At(s.from))
	}
	return p, nil
}
