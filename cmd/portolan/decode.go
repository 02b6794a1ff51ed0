package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// stdin is the standard input commands read for "-" (tests replace it).
var stdin io.Reader = os.Stdin

func runDecode(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("decode", "[--format jsonl|csv] [--stats] [--rejects FILE] [--csv-map MAP] FILE|- ...", stderr)
	format := fs.String("format", "jsonl", "output format: jsonl or csv (NMEA gives messages, CSV positions)")
	stats := fs.Bool("stats", false, "print statistics that account for every NMEA input line to stderr")
	af := addAISFlags(fs, false)
	if err := parse(fs, args, -1); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	if *format != "jsonl" && *format != "csv" {
		return fmt.Errorf("unknown --format %q (want jsonl or csv)", *format)
	}
	in, err := af.open(fs.Args(), stdin)
	if err != nil {
		return err
	}
	defer in.Close()

	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	var cw *csv.Writer
	header := func(h []string) {
		if *format == "csv" && cw == nil {
			cw = csv.NewWriter(out)
			cw.Write(h)
		}
	}
	var buf []byte
	var nmea ais.Stats
	written := 0
	for {
		pr, err := in.nextStream()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		n := 0
		if r, ok := pr.(*ais.NMEAPositions); ok { // every message, as decoded
			header(ais.CSVHeader)
			n, err = drain(r.Reader.Next, func(m *ais.Message) {
				if cw != nil {
					cw.Write(ais.CSVRecord(m))
				} else {
					buf = append(ais.AppendJSON(buf[:0], m), '\n')
					out.Write(buf)
				}
			})
			addStats(&nmea, r.Reader.Stats())
		} else { // CSV: positions
			header(ais.MarineCadastreHeader)
			n, err = drain(pr.Next, func(p *ais.Position) {
				if cw != nil {
					cw.Write(ais.MarineCadastreRecord(p))
				} else {
					buf = append(ais.AppendPositionJSON(buf[:0], p), '\n')
					out.Write(buf)
				}
			})
		}
		written += n
		if err != nil {
			return err
		}
	}
	if cw != nil {
		cw.Flush()
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if *stats && nmea.Lines > 0 {
		printStats(stderr, &nmea)
	}
	acc := in.Account()
	delete(acc.Skipped, "message without position") // decode writes every message
	sum := &summary{cmd: "decode", acc: acc, inputs: in.streams, used: written, usedAs: "written"}
	if strings.HasPrefix(acc.Format, "nmea") {
		sum.usedAs = "messages written"
	}
	fmt.Fprintln(stderr, sum)
	return sum.check()
}

// drain calls write with every record next returns, until io.EOF, and
// returns how many there were.
func drain[T any](next func() (*T, error), write func(*T)) (int, error) {
	for n := 0; ; n++ {
		x, err := next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		write(x)
	}
}

// addStats accumulates the statistics of one NMEA stream.
func addStats(dst *ais.Stats, s ais.Stats) {
	dst.Lines += s.Lines
	dst.Blank += s.Blank
	dst.Comments += s.Comments
	dst.OtherNMEA += s.OtherNMEA
	dst.TimeLines += s.TimeLines
	dst.Sentences += s.Sentences
	dst.Messages += s.Messages
	dst.Orphans += s.Orphans
	dst.OrphanFragments += s.OrphanFragments
	dst.Prefixed += s.Prefixed
	for i := range s.ByType {
		dst.ByType[i] += s.ByType[i]
		dst.Unsupported[i] += s.Unsupported[i]
		dst.OrphansByType[i] += s.OrphansByType[i]
	}
	if dst.Rejected == nil {
		dst.Rejected = map[string]int{}
	}
	for k, v := range s.Rejected {
		dst.Rejected[k] += v
	}
}

func printStats(w io.Writer, st *ais.Stats) {
	byType := func(counts *[64]int) string {
		var parts []string
		for t, n := range counts {
			if n > 0 {
				parts = append(parts, fmt.Sprintf("%d: %d", t, n))
			}
		}
		if len(parts) == 0 {
			return ""
		}
		return " (type " + strings.Join(parts, ", ") + ")"
	}
	fmt.Fprintf(w, "lines             %d\n", st.Lines)
	fmt.Fprintf(w, "  blank           %d\n", st.Blank)
	fmt.Fprintf(w, "  comments        %d\n", st.Comments)
	fmt.Fprintf(w, "  other text      %d\n", st.OtherNMEA)
	fmt.Fprintf(w, "  $PGHP times     %d\n", st.TimeLines)
	fmt.Fprintf(w, "  AIS sentences   %d\n", st.Sentences)
	if st.Prefixed > 0 {
		fmt.Fprintf(w, "    after text that is not a time %d\n", st.Prefixed)
	}
	fmt.Fprintf(w, "decoded           %d%s\n", st.Messages, byType(&st.ByType))
	fmt.Fprintf(w, "unsupported       %d%s\n", st.UnsupportedTotal(), byType(&st.Unsupported))
	fmt.Fprintf(w, "orphan fragments  %d in %d messages%s\n", st.OrphanFragments, st.Orphans, byType(&st.OrphansByType))
	fmt.Fprintf(w, "malformed         %d\n", st.Malformed())
	for _, reason := range []string{ais.ReasonChecksum, ais.ReasonSyntax, ais.ReasonEmpty, ais.ReasonShort,
		ais.ReasonArmour, ais.ReasonFillBits, ais.ReasonBadField, ais.ReasonFragment, ais.ReasonTooLong} {
		if n := st.Rejected[reason]; n > 0 {
			fmt.Fprintf(w, "  %-24s %d\n", reason, n)
		}
	}
}
