package pipeline

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// DropTooDense is the reason counted for records of an hour in which one
// MMSI sent more than the records a worker holds at once (see
// PredictOptions.MaxHeld): no transponder reports that often, so such an
// hour is a shared or spoofed id, dropped whole rather than held.
const DropTooDense = "too dense"

// vesselFn follows each vessel through its records in time order, as
// portolan predict follows it through a time-ordered input, and predicts
// its voyage in progress; predictions run in batches of Batch vessels.
type vesselFn struct {
	Model   string
	TopK    int
	IdleNs  int64 // a vessel silent this long starts afresh; ≤ 0 never
	MaxHeld int   // records of one vessel held at once
	Batch   int   // vessels per model call

	d       *sdk.Destinations
	pending []*sdk.VoyageInput
}

func (f *vesselFn) Setup(ctx context.Context) error {
	m, err := openModel(ctx, f.Model)
	if err != nil {
		return err
	}
	f.d, err = m.Destinations(sdk.NewConfig().WithTopK(f.TopK))
	return err
}

func (f *vesselFn) ProcessElement(ctx context.Context, mmsi uint32, batches func(*[]byte) bool, emit func(Answer)) error {
	in, st, err := f.follow(ctx, batches)
	if err != nil {
		return fmt.Errorf("vessel %d: %w", mmsi, err)
	}
	countStream(ctx, st)
	if in == nil { // static data only
		return nil
	}
	f.pending = append(f.pending, in)
	if len(f.pending) >= f.Batch {
		return f.answer(ctx, emit)
	}
	return nil
}

func (f *vesselFn) FinishBundle(ctx context.Context, emit func(Answer)) error {
	return f.answer(ctx, emit)
}

// answer predicts the pending vessels as one batch and emits their rows.
func (f *vesselFn) answer(ctx context.Context, emit func(Answer)) error {
	if len(f.pending) == 0 {
		return nil
	}
	res, err := f.d.PredictInputs(ctx, f.pending)
	if err != nil {
		return err
	}
	f.pending = f.pending[:0]
	for _, r := range res {
		a, err := vesselAnswer(r)
		if err != nil {
			return err
		}
		switch {
		case r.Err == nil:
			beam.NewCounter(namespace, "predictions").Inc(ctx, 1)
		case a.status == "no_voyage":
			beam.NewCounter(namespace, "vessels without a voyage in progress").Inc(ctx, 1)
		default:
			beam.NewCounter(namespace, "failed").Inc(ctx, 1)
		}
		emit(a.Answer)
	}
	return nil
}

// vesselStats accounts for one vessel.
type vesselStats struct {
	trajectory.StreamStats
	voyages  int // voyages cut, as portolan voyages counts them
	sessions int // times the vessel started afresh after falling silent, plus one
	tooDense int
	spilled  int // 1 when the vessel's records were spilled to disk and read in spans
}

// follow reads a vessel's records in order and returns the model input of
// its voyage in progress after its last silence longer than IdleNs (nil
// when it sent no position).
func (f *vesselFn) follow(ctx context.Context, batches func(*[]byte) bool) (*sdk.VoyageInput, vesselStats, error) {
	var st vesselStats
	st.Dropped = map[string]int{}
	idle := time.Duration(f.IdleNs)
	var (
		tracker *ais.Tracker
		stream  *trajectory.VoyageStream
		in      *sdk.VoyageInput
		last    time.Time
	)
	end := func() {
		if stream == nil {
			return
		}
		stream.Flush()
		s := stream.Stats()
		st.Positions += s.Positions
		st.Kept += s.Kept
		for k, v := range s.Dropped {
			st.Dropped[k] += v
		}
		stream = nil
	}
	start := func() {
		st.sessions++
		stream = trajectory.NewVoyageStream(trajectory.StreamConfig{Ports: f.d.Ports(), Visit: f.d.Visit(), Idle: -1},
			func(v *trajectory.Vessel) trajectory.VoyageSink {
				in = f.d.NewVoyageInput(v)
				return &countingSink{VoyageInput: in, voyages: &st.voyages}
			})
	}
	dense, spilled, err := ordered(batches, f.MaxHeld, func(r *Record) {
		p := &r.Pos
		if r.Msg != nil {
			if tracker == nil {
				tracker = ais.NewTracker()
			}
			pos, ok := tracker.Update(r.Msg)
			if !ok {
				return
			}
			p = &pos
		}
		if stream != nil && idle > 0 && !p.Time.IsZero() && !last.IsZero() && p.Time.Sub(last) > idle {
			end()
		}
		if stream == nil {
			start()
		}
		if p.Time.After(last) {
			last = p.Time
		}
		stream.Push(p)
	})
	if err != nil {
		return nil, st, err
	}
	end()
	st.tooDense = dense
	if spilled {
		st.spilled = 1
	}
	if st.sessions > 0 {
		st.Vessels = 1
	}
	return in, st, ctx.Err()
}

// countStream adds a vessel's accounting to the pipeline's counters.
func countStream(ctx context.Context, st vesselStats) {
	for k, v := range st.Dropped {
		beam.NewCounter(namespace, "dropped: "+k).Inc(ctx, int64(v))
	}
	if st.tooDense > 0 {
		beam.NewCounter(namespace, "dropped: "+DropTooDense).Inc(ctx, int64(st.tooDense))
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"used", st.Kept}, {"vessels", st.Vessels}, {"voyages", st.voyages}, {"vessels started afresh after silence", st.sessions - 1}, {"vessels read in spans", st.spilled}} {
		if c.n > 0 {
			beam.NewCounter(namespace, c.name).Inc(ctx, int64(c.n))
		}
	}
}

// countingSink counts the voyages a vessel makes (of two points or more,
// as trajectory.VoyagesOf keeps them) on their way to the model's input.
type countingSink struct {
	*sdk.VoyageInput
	voyages *int
	points  int
	open    bool
}

func (c *countingSink) Depart(from int, p *trajectory.Point) {
	c.points, c.open = 1, true
	c.VoyageInput.Depart(from, p)
}

func (c *countingSink) Add(p *trajectory.Point) {
	c.points++
	c.VoyageInput.Add(p)
}

func (c *countingSink) Arrive(to int) {
	c.end()
	c.VoyageInput.Arrive(to)
}

func (c *countingSink) Close() {
	c.end()
	c.VoyageInput.Close()
}

func (c *countingSink) end() {
	if c.open && c.points >= 2 {
		*c.voyages++
	}
	c.open = false
}

// ordered calls visit with a vessel's records in order (compareRecords).
// It holds at most maxHeld records: a vessel with more is spilled to a
// temporary file on the worker's disk, then read again one span of whole
// hours at a time, each span holding at most maxHeld records; an hour with
// more than maxHeld records is dropped and counted (DropTooDense).
func ordered(batches func(*[]byte) bool, maxHeld int, visit func(*Record)) (dense int, spilled bool, err error) {
	var recs []Record
	var b []byte
	for batches(&b) {
		if recs, err = decodeRecords(recs, b); err != nil {
			return 0, false, err
		}
		if len(recs) > maxHeld {
			sp, err := spillAll(recs, b, batches)
			if err != nil {
				return 0, true, err
			}
			defer sp.remove()
			dense, err := orderedBySpans(sp, maxHeld, visit)
			return dense, true, err
		}
	}
	sortRecords(recs)
	for i := range recs {
		visit(&recs[i])
	}
	return 0, false, nil
}

// spill is a vessel's records in a temporary file, as length-prefixed
// encoded batches.
type spill struct{ f *os.File }

// spillAll writes the records held and every batch still to come to a
// temporary file.
func spillAll(held []Record, b []byte, batches func(*[]byte) bool) (*spill, error) {
	f, err := os.CreateTemp("", "portolan-vessel-*")
	if err != nil {
		return nil, err
	}
	sp := &spill{f: f}
	w := bufio.NewWriterSize(f, 1<<20)
	put := func(data []byte) {
		w.Write(binary.AppendUvarint(nil, uint64(len(data))))
		w.Write(data)
	}
	put(appendRecords(nil, held))
	for batches(&b) {
		put(b)
	}
	if err := w.Flush(); err != nil {
		sp.remove()
		return nil, fmt.Errorf("spilling a vessel's records: %w", err)
	}
	return sp, nil
}

func (sp *spill) remove() {
	sp.f.Close()
	os.Remove(sp.f.Name())
}

// each decodes every batch of the file, calling fn with each record; buf
// is reused between batches.
func (sp *spill) each(buf *[]Record, fn func(*Record)) error {
	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReaderSize(sp.f, 1<<20)
	var data []byte
	for {
		n, err := binary.ReadUvarint(r)
		if err == io.EOF {
			return nil
		}
		if err != nil || n > 1<<31 {
			return fmt.Errorf("%w: spill file", errRecords)
		}
		data = slices.Grow(data[:0], int(n))[:n]
		if _, err := io.ReadFull(r, data); err != nil {
			return fmt.Errorf("%w: spill file: %v", errRecords, err)
		}
		recs, err := decodeRecords((*buf)[:0], data)
		if err != nil {
			return err
		}
		for i := range recs {
			fn(&recs[i])
		}
		*buf = recs
	}
}

// hourOf returns the hour a record falls in (zero times first).
func hourOf(r *Record) int64 {
	t := r.Time()
	if t.IsZero() {
		return math.MinInt64
	}
	return t.Unix() / 3600
}

func orderedBySpans(sp *spill, maxHeld int, visit func(*Record)) (dense int, err error) {
	// first pass: records per hour
	perHour := map[int64]int{}
	var recs []Record
	if err := sp.each(&recs, func(r *Record) { perHour[hourOf(r)]++ }); err != nil {
		return 0, err
	}
	hours := make([]int64, 0, len(perHour))
	for h := range perHour {
		hours = append(hours, h)
	}
	slices.Sort(hours)
	// spans of consecutive hours of at most maxHeld records
	type span struct{ first, last int64 }
	var spans []span
	held := 0
	for _, h := range hours {
		n := perHour[h]
		if n > maxHeld {
			dense += n
			continue
		}
		if len(spans) == 0 || held+n > maxHeld {
			spans = append(spans, span{h, h})
			held = 0
		}
		spans[len(spans)-1].last = h
		held += n
	}
	for _, s := range spans {
		var in []Record
		err := sp.each(&recs, func(r *Record) {
			if h := hourOf(r); h >= s.first && h <= s.last && perHour[h] <= maxHeld {
				in = append(in, *r)
			}
		})
		if err != nil {
			return dense, err
		}
		sortRecords(in)
		for i := range in {
			visit(&in[i])
		}
	}
	return dense, nil
}

func sortRecords(recs []Record) {
	slices.SortFunc(recs, func(a, b Record) int { return compareRecords(&a, &b) })
}
