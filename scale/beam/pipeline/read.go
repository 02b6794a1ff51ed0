package pipeline

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/portolan-sdk/portolan/trajectory/ais/feed"
)

// matchFiles expands file patterns (globs of a registered Beam filesystem)
// when the pipeline runs: each pattern's files in name order, the patterns
// in the order given, each file once, numbered from 0. A pattern that
// matches nothing fails the pipeline.
func matchFiles(s beam.Scope, patterns []string) beam.PCollection {
	s = s.Scope("MatchFiles")
	list := beam.Create(s, strings.Join(patterns, "\n"))
	files := beam.ParDo(s, expandFn, list)
	// spread the files over the workers (a Create's output is one bundle)
	return beam.Reshuffle(s, files)
}

// expandFn lists the files of newline-separated patterns, emitting each
// one's index and path.
func expandFn(ctx context.Context, patterns string, emit func(int, string)) error {
	seen := map[string]bool{}
	n := 0
	for _, p := range strings.Split(patterns, "\n") {
		fs, err := filesystem.New(ctx, p)
		if err != nil {
			return err
		}
		names, err := fs.List(ctx, p)
		fs.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if len(names) == 0 {
			return fmt.Errorf("%s: no file matches", p)
		}
		slices.Sort(names)
		for _, name := range names {
			if seen[name] {
				continue
			}
			seen[name] = true
			emit(n, name)
			n++
		}
	}
	return nil
}

// readAISFn decodes one AIS input file (every stream of it: a zip
// archive's members, compressed or not) into batches of records keyed by
// MMSI, and counts what it read as portolan predict accounts for it.
//
// Only position reports and static data enter the shuffle: base station
// reports (type 4), aids to navigation (type 21), binary and safety
// messages are skipped and counted here, so base stations never become hot
// keys. Positions from ids that are not ships' (search and rescue
// aircraft, placeholder ids shared by many transponders) do travel, so
// that they are answered as portolan predict answers them (no voyage).
type readAISFn struct {
	// CSVMap is a column mapping (ais.ParseCSVFormat), "" to recognise
	// the layout by its header.
	CSVMap string
	// FlushRecords is how many records the reader holds before it emits
	// them, grouped by vessel (default 65536).
	FlushRecords int
	// ShipsOnly drops the positions of ids that are not ships' here,
	// before the shuffle (counted as cleaning counts them, "invalid
	// MMSI"), and their static data: they get no output row.
	ShipsOnly bool

	opt ais.Options
}

func (f *readAISFn) Setup() error {
	if f.CSVMap != "" {
		c, err := ais.ParseCSVFormat(f.CSVMap)
		if err != nil {
			return fmt.Errorf("csv map: %w", err)
		}
		f.opt.CSV = &c
	}
	if f.FlushRecords <= 0 {
		f.FlushRecords = 1 << 16
	}
	return nil
}

func (f *readAISFn) ProcessElement(ctx context.Context, index int, path string, emit func(uint32, []byte)) error {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return err
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, path)
	if err != nil {
		return err
	}
	defer r.Close()
	in, err := feed.OpenReader(path, r)
	if err != nil {
		return err
	}
	defer in.Close()
	beam.NewCounter(namespace, "files").Inc(ctx, 1)
	b := &vesselBatches{emit: emit, limit: f.FlushRecords, shipsOnly: f.ShipsOnly}
	var acc ais.Account
	seq := int64(0)
	for {
		s, err := in.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		beam.NewCounter(namespace, "streams").Inc(ctx, 1)
		a, err := f.readStream(ctx, s, int32(index), &seq, b)
		if err != nil {
			return err
		}
		acc.Add(a)
	}
	b.flush()
	countAccount(ctx, acc)
	for _, c := range []struct {
		name string
		n    int
	}{{"dropped: " + trajectory.DropMMSI, b.notShips}, {"records shuffled", b.records}, {"bytes shuffled", b.bytes}} {
		if c.n > 0 {
			beam.NewCounter(namespace, c.name).Inc(ctx, int64(c.n))
		}
	}
	return nil
}

// readStream reads one stream's positions (CSV) or messages (NMEA) into b.
func (f *readAISFn) readStream(ctx context.Context, s *feed.Stream, file int32, seq *int64, b *vesselBatches) (ais.Account, error) {
	pr, err := ais.OpenPositions(s.R, f.opt)
	var fe *ais.FormatError
	switch {
	case errors.As(err, &fe):
		return ais.Account{}, fmt.Errorf("%s: %w; give its columns with a CSV map (see README)", s.Name, err)
	case err != nil:
		return ais.Account{}, fmt.Errorf("%s: %w", s.Name, err)
	}
	n, isNMEA := pr.(*ais.NMEAPositions)
	if !isNMEA {
		for {
			p, err := pr.Next()
			if err == io.EOF {
				return pr.(ais.Accounter).Account(), nil
			}
			if err != nil {
				return ais.Account{}, fmt.Errorf("%s: %w", s.Name, err)
			}
			*seq++
			b.put(p.MMSI, Record{File: file, Seq: *seq, Pos: *p}, true)
		}
	}
	// NMEA: the messages themselves travel, so that a vessel's static data
	// reach its positions in any other file; the file's own Tracker only
	// tells position reports apart, by the rules that merge them later.
	positions := 0
	for {
		m, err := n.Reader.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return ais.Account{}, fmt.Errorf("%s: %w", s.Name, err)
		}
		*seq++
		_, isPos := n.Tracker.Update(m)
		if isPos {
			positions++
		} else if !m.IsStatic() {
			continue
		}
		c := *m // the reader reuses its message
		b.put(m.MMSI, Record{File: file, Seq: *seq, Msg: &c}, isPos)
	}
	// NMEAPositions accounts for the positions its Next returns: here the
	// messages were read directly, so the count is set from them.
	acc := n.Account()
	acc.Positions = positions
	delete(acc.Skipped, "message without position")
	if k := acc.Messages - positions; k > 0 {
		acc.Skipped["message without position"] = k
	}
	return acc, nil
}

// countAccount adds a reader's accounting to the pipeline's counters.
func countAccount(ctx context.Context, a ais.Account) {
	unit := a.Unit
	if unit == "" {
		unit = "lines"
	}
	for _, c := range []struct {
		name string
		n    int
	}{{unit, a.Read}, {"messages", a.Messages}, {"positions", a.Positions}} {
		if c.n > 0 {
			beam.NewCounter(namespace, c.name).Inc(ctx, int64(c.n))
		}
	}
	for prefix, m := range map[string]map[string]int{"dropped: ": a.Dropped, "skipped: ": a.Skipped, "ignored: ": a.Ignored} {
		for k, v := range m {
			if v > 0 {
				beam.NewCounter(namespace, prefix+k).Inc(ctx, int64(v))
			}
		}
	}
}

// vesselBatches groups records by MMSI, encoded as they come, and emits
// each vessel's records as one batch when limit records are held (and at
// flush).
type vesselBatches struct {
	emit      func(uint32, []byte)
	limit     int
	shipsOnly bool
	held      int
	byMMSI    map[uint32]*pendingBatch

	notShips       int // positions dropped for shipsOnly
	records, bytes int // emitted
}

type pendingBatch struct {
	n    int
	recs []byte // n encoded records
}

// put adds a record; isPos says whether it is a position.
func (b *vesselBatches) put(mmsi uint32, r Record, isPos bool) {
	if b.shipsOnly && !trajectory.ValidShipMMSI(mmsi) {
		if isPos {
			b.notShips++
		}
		return
	}
	if b.byMMSI == nil {
		b.byMMSI = map[uint32]*pendingBatch{}
	}
	p := b.byMMSI[mmsi]
	if p == nil {
		p = &pendingBatch{}
		b.byMMSI[mmsi] = p
	}
	p.n++
	p.recs = appendRecord(p.recs, &r)
	if b.held++; b.held >= b.limit {
		b.flush()
	}
}

func (b *vesselBatches) flush() {
	for mmsi, p := range b.byMMSI {
		out := make([]byte, 0, binary.MaxVarintLen64+len(p.recs))
		out = binary.AppendUvarint(out, uint64(p.n))
		out = append(out, p.recs...)
		b.records += p.n
		b.bytes += len(out)
		b.emit(mmsi, out)
	}
	clear(b.byMMSI)
	b.held = 0
}
