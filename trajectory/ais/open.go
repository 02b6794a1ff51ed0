package ais

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// PositionReader yields positions merged with static data, whatever the
// input format.
type PositionReader interface {
	Next() (*Position, error)
}

// Accounter is a reader that accounts for its input: NMEAPositions and
// CSVReader are.
type Accounter interface {
	Account() Account
}

// Account sums up what a reader did with its input: how much it read, how
// many positions it returned, and why the rest was not used.
type Account struct {
	Format    string // "nmea", or the CSV layout's name ("marinecadastre", "dma", "generic", "custom")
	Unit      string // what Read counts: "lines" (NMEA) or "rows" (CSV)
	Read      int    // lines or data rows read
	Messages  int    // NMEA messages decoded (0 for CSV)
	Positions int    // positions returned
	// Skipped counts input that carries no position and is no damage, by
	// kind: blank lines, comments, other text, $PGHP time lines, messages
	// without a position (static data, base stations), CSV rows without a
	// position or from stations that are not vessels.
	Skipped map[string]int
	// Dropped counts damaged or unusable input, by reason: rejected lines
	// and messages (Reason* constants), unsupported message types, orphaned
	// fragments, dropped CSV rows.
	Dropped map[string]int
	// Ignored counts optional CSV values left absent because they could
	// not be read, by field.
	Ignored map[string]int
}

// Add accumulates o into a (formats and units are joined when they differ).
func (a *Account) Add(o Account) {
	join := func(x, y string) string {
		switch {
		case x == "" || x == y:
			return y
		case y == "" || strings.Contains(x, y):
			return x
		}
		return x + "+" + y
	}
	a.Format, a.Unit = join(a.Format, o.Format), join(a.Unit, o.Unit)
	a.Read += o.Read
	a.Messages += o.Messages
	a.Positions += o.Positions
	for _, m := range []struct {
		dst *map[string]int
		src map[string]int
	}{{&a.Skipped, o.Skipped}, {&a.Dropped, o.Dropped}, {&a.Ignored, o.Ignored}} {
		for k, v := range m.src {
			if v == 0 {
				continue
			}
			if *m.dst == nil {
				*m.dst = map[string]int{}
			}
			(*m.dst)[k] += v
		}
	}
}

// Count is one reason and its count.
type Count struct {
	Reason string
	N      int
}

// Sorted returns the counts of m, largest first (then by reason).
func Sorted(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		if v > 0 {
			out = append(out, Count{k, v})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// Account sums up the NMEA input so far (see Account).
func (n *NMEAPositions) Account() Account {
	st := &n.Reader.stats
	a := Account{Format: "nmea", Unit: "lines", Read: st.Lines, Messages: st.Messages, Positions: n.positions,
		Skipped: map[string]int{}, Dropped: map[string]int{}}
	for k, v := range map[string]int{"blank": st.Blank, "comment": st.Comments, "other text": st.OtherNMEA,
		"$PGHP time": st.TimeLines, "message without position": st.Messages - n.positions} {
		if v > 0 {
			a.Skipped[k] = v
		}
	}
	for k, v := range st.Rejected {
		if v > 0 {
			a.Dropped[k] = v
		}
	}
	if u := st.UnsupportedTotal(); u > 0 {
		a.Dropped[ReasonUnsupported] = u
	}
	if st.Orphans > 0 {
		a.Dropped[ReasonOrphan] = st.Orphans
	}
	return a
}

// Account sums up the CSV input so far (see Account).
func (c *CSVReader) Account() Account {
	st := &c.stats
	a := Account{Format: c.format.Name, Unit: "rows", Read: st.Rows, Positions: st.Positions,
		Skipped: map[string]int{}, Dropped: copyCounts(st.Dropped), Ignored: copyCounts(st.Ignored)}
	if st.NoPosition > 0 {
		a.Skipped["no position"] = st.NoPosition
	}
	if st.NotVessel > 0 {
		a.Skipped["not a vessel"] = st.NotVessel
	}
	return a
}

// NMEAPositions reads NMEA with a Reader and merges static data with a
// Tracker, returning position reports only.
type NMEAPositions struct {
	*Reader
	Tracker   *Tracker
	pos       Position
	positions int
}

// Next returns the next position report.
func (n *NMEAPositions) Next() (*Position, error) {
	for {
		m, err := n.Reader.Next()
		if err != nil {
			return nil, err
		}
		if p, ok := n.Tracker.Update(m); ok {
			n.pos = p
			n.positions++
			return &n.pos, nil
		}
	}
}

// Line returns the number of the last line read.
func (n *NMEAPositions) Line() int { return n.Reader.line }

var (
	// ErrCompressed is returned by OpenPositions for gzip, zstd, zip,
	// bzip2 or xz data: decompress it first (the portolan command does so
	// itself).
	ErrCompressed = errors.New("ais: compressed input")

	// ErrFormat is returned (wrapped in a *FormatError) by OpenPositions
	// for an input that is neither NMEA nor a CSV layout it knows.
	ErrFormat = errors.New("ais: unknown input format")
)

// FormatError says why OpenPositions could not tell what an input is.
type FormatError struct {
	FirstLine string // the first non-blank line, shortened to 200 bytes
	Reason    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("ais: input is neither NMEA nor a known CSV layout (%s); its first line is %q", e.Reason, e.FirstLine)
}

// Unwrap makes errors.Is(err, ErrFormat) true.
func (e *FormatError) Unwrap() error { return ErrFormat }

// magics are the leading bytes of compressed formats.
var magics = []struct {
	kind  string
	magic []byte
}{
	{"gzip", []byte{0x1f, 0x8b}},
	{"zstd", []byte{0x28, 0xb5, 0x2f, 0xfd}},
	{"zip", []byte("PK\x03\x04")},
	{"zip", []byte("PK\x05\x06")},
	{"bzip2", []byte("BZh")},
	{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0}},
}

// CompressionOf returns the compression format named by the leading bytes
// of data ("gzip", "zstd", "zip", "bzip2", "xz"), or "".
func CompressionOf(data []byte) string {
	for _, m := range magics {
		if bytes.HasPrefix(data, m.magic) {
			return m.kind
		}
	}
	return ""
}

// OpenPositions looks at the start of the input and returns a reader of
// its positions:
//
//   - with opt.CSV set, CSV in that layout (its header must name the
//     mapped columns);
//   - CSV whose header matches one of KnownCSVFormats (by column names, in
//     any order, a subset holding mmsi, time, lat and lon);
//   - NMEA when an AIVDM/AIVDO sentence, or a line that starts as an NMEA
//     sentence does ($GPGGA, $PGHP), appears in the first 64 KiB, or the
//     input is empty.
//
// Anything else is a *FormatError that quotes the first line; compressed
// data is ErrCompressed. A UTF-8 byte order mark is skipped.
func OpenPositions(r io.Reader, opt Options) (PositionReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(64 << 10)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, err
	}
	if kind := CompressionOf(head); kind != "" {
		return nil, fmt.Errorf("%w (%s): decompress it first", ErrCompressed, kind)
	}
	first := firstLine(trimBOM(head))
	if opt.CSV != nil {
		return NewCSVReader(br, *opt.CSV, opt)
	}
	if len(first) > 0 {
		if f, ok := knownCSV(first); ok {
			return NewCSVReader(br, f, opt)
		}
	}
	if len(bytes.TrimSpace(head)) == 0 || looksNMEA(head) {
		return &NMEAPositions{Reader: NewReader(br, opt), Tracker: NewTracker()}, nil
	}
	fe := &FormatError{FirstLine: string(first[:min(len(first), 200)]), Reason: "no NMEA sentence in its first 64 KiB, and a header naming no known layout"}
	if bytes.IndexByte(head, 0) >= 0 {
		fe.Reason = "binary data"
		if len(head) >= 2 && (head[0] == 0xff && head[1] == 0xfe || head[0] == 0xfe && head[1] == 0xff) {
			fe.Reason = "UTF-16 text: convert it to UTF-8"
		}
	}
	return nil, fe
}

// firstLine returns the first line of head that is not blank, without its
// terminator.
func firstLine(head []byte) (first []byte) {
	eachLine(head, func(line []byte) bool {
		first = line
		return len(line) > 0
	})
	return first
}

// eachLine calls fn with each line of head, trimmed of spaces and of a
// byte order mark, until fn returns true.
func eachLine(head []byte, fn func(line []byte) bool) {
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		if fn(bytes.TrimSpace(trimBOM(line))) {
			return
		}
	}
}

// knownCSV returns the known layout whose required columns the header
// names, trying ',', ';' and tab as separators.
func knownCSV(header []byte) (CSVFormat, bool) {
	for _, comma := range []byte{',', ';', '\t'} {
		if bytes.Count(header, []byte{comma}) < 3 {
			continue
		}
		cols := strings.Split(string(header), string(comma))
		for _, f := range KnownCSVFormats {
			if _, missing := f.match(cols); len(missing) == 0 {
				if comma != ',' {
					f.Comma = rune(comma)
				}
				return f, true
			}
		}
	}
	return CSVFormat{}, false
}

// looksNMEA reports whether head holds an AIVDM/AIVDO sentence (after any
// prefix), or a line that starts as an NMEA sentence does ("$GPGGA,",
// "$PGHP,", "!AIVDM,").
func looksNMEA(head []byte) bool {
	for _, m := range [][]byte{[]byte("VDM,"), []byte("VDO,")} {
		for off := 0; ; {
			i := bytes.Index(head[off:], m)
			if i < 0 {
				break
			}
			i += off
			if i >= 3 && (head[i-3] == '!' || head[i-3] == '$') {
				return true
			}
			off = i + 1
		}
	}
	found := false
	eachLine(head, func(line []byte) bool {
		if len(line) < 7 || (line[0] != '$' && line[0] != '!') || line[6] != ',' {
			return false
		}
		found = true
		for _, c := range line[1:6] {
			found = found && (c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
		}
		return found
	})
	return found
}
