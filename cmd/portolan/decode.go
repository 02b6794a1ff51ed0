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

func runDecode(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("decode", "[--format jsonl|csv] [--stats] [--rejects FILE] FILE|-", stderr)
	format := fs.String("format", "jsonl", "output format: jsonl or csv")
	stats := fs.Bool("stats", false, "print statistics that account for every input line to stderr")
	rejects := fs.String("rejects", "", "write every dropped line or message, with its line number and reason, to this file")
	if err := parse(fs, args, 1); err != nil {
		return err
	}
	if *format != "jsonl" && *format != "csv" {
		return fmt.Errorf("unknown --format %q (want jsonl or csv)", *format)
	}
	in, closeIn, err := openInput(fs.Arg(0))
	if err != nil {
		return err
	}
	defer closeIn()

	var opt ais.Options
	if *rejects != "" {
		f, err := os.Create(*rejects)
		if err != nil {
			return err
		}
		defer f.Close()
		rw := bufio.NewWriter(f)
		defer rw.Flush()
		opt.Reject = func(line int, reason string, text []byte) {
			fmt.Fprintf(rw, "%d\t%s\t%s\n", line, reason, text)
		}
	}

	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	var cw *csv.Writer
	if *format == "csv" {
		cw = csv.NewWriter(out)
		cw.Write(ais.CSVHeader)
		defer cw.Flush()
	}
	r := ais.NewReader(in, opt)
	var buf []byte
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if cw != nil {
			cw.Write(ais.CSVRecord(m))
			continue
		}
		buf = append(ais.AppendJSON(buf[:0], m), '\n')
		out.Write(buf)
	}
	if *stats {
		st := r.Stats()
		printStats(stderr, &st)
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
