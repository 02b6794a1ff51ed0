package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/portolan-sdk/portolan/internal/feed"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// aisFlags are the flags every command that reads AIS shares.
type aisFlags struct {
	files   stringList
	csvMap  string
	rejects string
}

// addAISFlags adds --csv-map and --rejects, and --ais unless the command
// takes its inputs as arguments.
func addAISFlags(fs *flag.FlagSet, withAIS bool) *aisFlags {
	a := &aisFlags{}
	if withAIS {
		fs.Var(&a.files, "ais", "AIS inputs: NMEA, MarineCadastre, DMA or generic CSV (or any CSV with --csv-map); plain, gzip, zstd, bzip2 or zip (every member); - for stdin; repeat or comma-separate")
	}
	fs.StringVar(&a.csvMap, "csv-map", "", "read the inputs as CSV with this column mapping: a file, or field=HEADER[*scale|/divisor][@layout],…;layout=…;comma=…;ids=hash (see README)")
	fs.StringVar(&a.rejects, "rejects", "", "write every dropped line, row, message and position to this file (tab-separated: input, line, reason, text)")
	return a
}

// options builds the reader options: the CSV mapping, and the reject log
// (nil when --rejects is not given).
func (a *aisFlags) options() (ais.Options, *rejectLog, error) {
	var opt ais.Options
	if a.csvMap != "" {
		spec := a.csvMap
		if data, err := os.ReadFile(spec); err == nil {
			spec = string(data)
		} else if !strings.Contains(spec, "=") {
			return opt, nil, fmt.Errorf("--csv-map %s: %w", spec, err)
		}
		f, err := ais.ParseCSVFormat(spec)
		if err != nil {
			return opt, nil, fmt.Errorf("--csv-map: %w", err)
		}
		opt.CSV = &f
	}
	if a.rejects == "" {
		return opt, nil, nil
	}
	f, err := os.Create(a.rejects)
	if err != nil {
		return opt, nil, err
	}
	return opt, &rejectLog{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// open checks that every input exists and returns a reader of them all.
func (a *aisFlags) open(paths []string, stdin io.Reader) (*aisInput, error) {
	for _, p := range paths {
		if p == "-" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return nil, err
		}
	}
	opt, rej, err := a.options()
	if err != nil {
		return nil, err
	}
	in := &aisInput{paths: paths, stdin: stdin, opt: opt, rej: rej, tracker: ais.NewTracker()}
	if rej != nil {
		in.opt.Reject = func(line int, reason string, text []byte) { rej.write(in.name, line, reason, text) }
	}
	return in, nil
}

// aisInput reads the streams of every input in turn (each file, each
// member of a zip archive), detecting each one's format, and accounts for
// them all. NMEA streams share one Tracker, so static data from one file
// reaches the positions of the next.
type aisInput struct {
	paths   []string
	stdin   io.Reader
	opt     ais.Options
	tracker *ais.Tracker
	rej     *rejectLog

	in      *feed.Input
	name    string // the current stream
	cur     ais.PositionReader
	done    ais.Account // of the finished streams
	streams int
}

// nextStream opens the next stream and returns its reader, or io.EOF.
func (a *aisInput) nextStream() (ais.PositionReader, error) {
	if a.cur != nil {
		a.done.Add(a.cur.(ais.Accounter).Account())
		a.cur = nil
	}
	for {
		if a.in == nil {
			if len(a.paths) == 0 {
				return nil, io.EOF
			}
			in, err := feed.Open(a.paths[0], a.stdin)
			if err != nil {
				return nil, err
			}
			a.in, a.paths = in, a.paths[1:]
		}
		s, err := a.in.Next()
		if err == io.EOF {
			a.in.Close()
			a.in = nil
			continue
		}
		if err != nil {
			return nil, err
		}
		a.name = s.Name
		pr, err := ais.OpenPositions(s.R, a.opt)
		var fe *ais.FormatError
		switch {
		case errors.As(err, &fe):
			return nil, fmt.Errorf("%s: %w; give its columns with --csv-map (see README)", s.Name, err)
		case err != nil:
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		if n, ok := pr.(*ais.NMEAPositions); ok {
			n.Tracker = a.tracker
		}
		a.cur = pr
		a.streams++
		return pr, nil
	}
}

// Next returns the next position of all the inputs.
func (a *aisInput) Next() (*ais.Position, error) {
	for {
		if a.cur == nil {
			if _, err := a.nextStream(); err != nil {
				return nil, err
			}
		}
		p, err := a.cur.Next()
		if err == io.EOF {
			if _, err := a.nextStream(); err != nil {
				return nil, err
			}
			continue
		}
		return p, err
	}
}

// line returns the line number of the last position read.
func (a *aisInput) line() int {
	if l, ok := a.cur.(interface{ Line() int }); ok {
		return l.Line()
	}
	return 0
}

// Account sums up every stream read so far.
func (a *aisInput) Account() ais.Account {
	acc := a.done
	if a.cur != nil {
		acc.Add(a.cur.(ais.Accounter).Account())
	}
	return acc
}

// dropped logs a position that cleaning dropped.
func (a *aisInput) dropped(p *ais.Position, reason string) {
	if a.rej == nil {
		return
	}
	text := fmt.Sprintf("mmsi %d time %s lat %v lon %v", p.MMSI, p.Time.UTC().Format(time.RFC3339Nano), p.Lat, p.Lon)
	if p.Time.IsZero() {
		text = fmt.Sprintf("mmsi %d (no time) lat %v lon %v", p.MMSI, p.Lat, p.Lon)
	}
	a.rej.write(a.name, a.line(), reason, []byte(text))
}

// Close flushes the reject log and closes the open input.
func (a *aisInput) Close() error {
	if a.in != nil {
		a.in.Close()
	}
	if a.rej != nil {
		return a.rej.close()
	}
	return nil
}

// rejectLog writes dropped input as tab-separated lines.
type rejectLog struct {
	f *os.File
	w *bufio.Writer
}

func (r *rejectLog) write(name string, line int, reason string, text []byte) {
	r.w.WriteString(name)
	r.w.WriteByte('\t')
	r.w.WriteString(strconv.Itoa(line))
	r.w.WriteByte('\t')
	r.w.WriteString(reason)
	r.w.WriteByte('\t')
	for _, c := range text { // one line per entry
		if c == '\n' || c == '\t' {
			c = ' '
		}
		r.w.WriteByte(c)
	}
	r.w.WriteByte('\n')
}

func (r *rejectLog) close() error {
	if err := r.w.Flush(); err != nil {
		return err
	}
	return r.f.Close()
}

// summary is the one-line account a command prints on stderr.
type summary struct {
	cmd     string
	acc     ais.Account
	inputs  int
	used    int    // positions (or messages) the command used
	usedAs  string // "used", "written"
	dropped map[string]int
	extra   string
}

// String formats the summary: what was read, what was used, and why the
// rest was not, largest counts first.
func (s *summary) String() string {
	var b strings.Builder
	a := s.acc
	unit := a.Unit
	if unit == "" {
		unit = "lines"
	}
	format := a.Format
	if format == "" {
		format = "empty"
	}
	fmt.Fprintf(&b, "portolan %s: read %d %s (%s, %d %s)", s.cmd, a.Read, unit, format, s.inputs, plural(s.inputs, "input", "inputs"))
	if strings.HasPrefix(a.Format, "nmea") {
		fmt.Fprintf(&b, ", %d messages", a.Messages)
	}
	fmt.Fprintf(&b, ", %d positions, %d %s", a.Positions, s.used, s.usedAs)
	if s.extra != "" {
		b.WriteString(", " + s.extra)
	}
	drops := map[string]int{}
	for k, v := range a.Dropped {
		drops[k] += v
	}
	for k, v := range s.dropped {
		drops[k] += v
	}
	section := func(name string, m map[string]int) {
		list := ais.Sorted(m)
		if len(list) == 0 {
			return
		}
		total := 0
		parts := make([]string, len(list))
		for i, c := range list {
			parts[i] = fmt.Sprintf("%s %d", c.Reason, c.N)
			total += c.N
		}
		fmt.Fprintf(&b, "; %s %d: %s", name, total, strings.Join(parts, ", "))
	}
	section("dropped", drops)
	section("skipped", a.Skipped)
	section("ignored values", a.Ignored)
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// errNothingUsed is returned when a non-empty input gave nothing to use:
// the command exits 1 after printing its summary.
func (s *summary) check() error {
	if s.acc.Read > 0 && s.used == 0 {
		return fmt.Errorf("nothing usable in %d %s (the summary above says why; --rejects lists every dropped one)", s.acc.Read, s.acc.Unit)
	}
	return nil
}

// openInput opens a file, or standard input for "-".
func openInput(path string) (io.Reader, func(), error) {
	if path == "-" {
		return os.Stdin, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}
