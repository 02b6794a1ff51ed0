package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/portolan-sdk/portolan/internal/shareddata"
	"github.com/stretchr/testify/require"
)

// Tests for real inputs: compressed archives, CSV variants, receive times,
// and the one-line account every command prints.

func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

func gzipped(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, err := w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

func zipped(t *testing.T, members ...[]byte) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for i, m := range members {
		f, err := w.Create(string(rune('a'+i)) + ".txt")
		require.NoError(t, err)
		_, err = f.Write(m)
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return b.Bytes()
}

// summaryLine returns the command's one-line account from its stderr.
func summaryLine(t *testing.T, cmd, stderr string) string {
	t.Helper()
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "portolan "+cmd+": read ") {
			return l
		}
	}
	t.Fatalf("no summary line in %q", stderr)
	return ""
}

func sortedLines(s string) []string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	sort.Strings(l)
	return l
}

// TestCompressedInputs: gzip, zip (each member) and standard input give
// the same voyages as the plain file, whatever the file is called.
func TestCompressedInputs(t *testing.T) {
	plain, err := os.ReadFile(sampleNMEA)
	require.NoError(t, err)
	code, want, errOut := portolan("voyages", "--ais", sampleNMEA, "--format", "jsonl")
	require.Equal(t, 0, code, errOut)
	require.NotEmpty(t, want)

	gz := write(t, "feed.nmea", gzipped(t, plain)) // the name says plain text
	code, got, errOut := portolan("voyages", "--ais", gz, "--format", "jsonl")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, sortedLines(want), sortedLines(got))
	require.Contains(t, summaryLine(t, "voyages", errOut), "(nmea, 1 input)")

	// a zip of two halves: static data of the first half reaches the second
	cut := bytes.Index(plain[len(plain)/2:], []byte("\n")) + len(plain)/2 + 1
	zp := write(t, "feed.zip", zipped(t, plain[:cut], plain[cut:]))
	code, got, errOut = portolan("voyages", "--ais", zp, "--format", "jsonl")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, sortedLines(want), sortedLines(got))
	require.Contains(t, summaryLine(t, "voyages", errOut), "(nmea, 2 inputs)")

	stdin = bytes.NewReader(gzipped(t, plain))
	defer func() { stdin = os.Stdin }()
	code, got, errOut = portolan("voyages", "--ais", "-", "--format", "jsonl")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, sortedLines(want), sortedLines(got))

	t.Run("zstd", func(t *testing.T) { // the shared MarineCadastre slice is one
		code, _, errOut := portolan("decode", "--format", "csv", shareddata.Path(t, marineCadastreSlice))
		require.Equal(t, 0, code, errOut)
		require.Contains(t, summaryLine(t, "decode", errOut), "read 521867 rows (marinecadastre, 1 input)")
	})
}

const marineCadastreSlice = "marinecadastre-2020-01-01/AIS_2020_01_01_1200-1400.csv.zst"

// TestCSVWithFloatTypes is the first example: a MarineCadastre
// export that writes VesselType as 70.0 (and headings as 511.0) loses no
// rows, and the summary says what was used.
func TestCSVWithFloatTypes(t *testing.T) {
	code, out, errOut := portolan("simulate", "--seed", "3", "--vessels", "6", "--days", "4", "--format", "csv")
	require.Equal(t, 0, code, errOut)
	floaty := regexp.MustCompile(`,(\d+),(\d+),(\d*),(\d*),(\d*),,([AB])\n`).ReplaceAllString(out, ",$1.0,$2.0,$3,$4,$5,,$6\n")
	require.NotEqual(t, out, floaty)
	require.Contains(t, floaty, ".0,")
	a := write(t, "a.csv", []byte(out))
	b := write(t, "b.csv", []byte(floaty))
	code, want, errA := portolan("voyages", "--ais", a, "--format", "jsonl")
	require.Equal(t, 0, code, errA)
	code, got, errB := portolan("voyages", "--ais", b, "--format", "jsonl")
	require.Equal(t, 0, code, errB)
	require.Equal(t, want, got)
	require.Equal(t, summaryLine(t, "voyages", errA), summaryLine(t, "voyages", errB))
	require.NotContains(t, errB, "dropped")
}

// TestUnknownCSVAndCSVMap: a CSV in a layout no reader knows (DEBS 2018)
// is an error naming its first line and --csv-map; with the map, it reads.
func TestUnknownCSVAndCSVMap(t *testing.T) {
	const debs = "../../testdata/ais/debs2018.csv"
	for _, cmd := range [][]string{
		{"decode", debs},
		{"voyages", "--ais", debs},
		{"prepare", "way", "--ais", debs, "--out", t.TempDir()},
		{"predict", "--model", wayDemo, "--ais", debs},
	} {
		code, out, errOut := portolan(cmd...)
		require.Equal(t, 1, code, "%v: %s", cmd, errOut)
		require.Empty(t, out)
		require.Contains(t, errOut, `first line is "SHIP_ID,SHIPTYPE,SPEED,LON,LAT,COURSE,HEADING,TIMESTAMP,DEPARTURE_PORT_NAME,REPORTED_DRAUGHT"`, cmd)
		require.Contains(t, errOut, "--csv-map", cmd)
	}
	const mapping = "mmsi=SHIP_ID,time=TIMESTAMP,lat=LAT,lon=LON,sog=SPEED/10,cog=COURSE,heading=HEADING,ship_type=SHIPTYPE," +
		"draught=REPORTED_DRAUGHT/10;layout=02-01-06 15:04;ids=hash"
	mapFile := write(t, "debs.map", []byte("# DEBS 2018 Grand Challenge\n"+strings.ReplaceAll(strings.ReplaceAll(mapping, ",", "\n"), ";", "\n")))
	for _, m := range []string{mapping, mapFile} {
		rejects := filepath.Join(t.TempDir(), "rejects.tsv")
		code, out, errOut := portolan("decode", "--csv-map", m, "--rejects", rejects, debs)
		require.Equal(t, 0, code, errOut)
		require.Equal(t, 29, strings.Count(out, "\n"))
		require.Contains(t, out, `"sog":10.5`)
		require.Contains(t, out, `"name":"0x5ca1d9be8b1d1ccb3c4fbd8b4b8b5b1e0ffb1d2a"`)
		require.Equal(t, "portolan decode: read 30 rows (custom, 1 input), 29 positions, 29 written; dropped 1: bad time 1",
			summaryLine(t, "decode", errOut))
		data, err := os.ReadFile(rejects)
		require.NoError(t, err)
		require.Regexp(t, `^`+regexp.QuoteMeta(debs)+`\t18\tbad time\t0x9f1e2a7c44d0b3e8a61f0c52d7e9b1a3c4d5e6f7,80,122,[^\n]*,31-02-15 10:00,AUGUSTA,98\n$`, string(data))
	}
	code, out, errOut := portolan("voyages", "--ais", debs, "--csv-map", mapping, "--format", "jsonl")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, 3, strings.Count(out, "\n"), "three vessels under way")
	code, _, errOut = portolan("voyages", "--ais", debs, "--csv-map", "mmsi=SHIP_ID")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `lacks "time"`)
}

// TestReceiveTimesAtAnyResolution is the fourth example: lines
// prefixed with unix times in microseconds or nanoseconds (and the other
// resolutions and ISO times) give the same voyages as tag-block times.
func TestReceiveTimesAtAnyResolution(t *testing.T) {
	plain, err := os.ReadFile(sampleNMEA)
	require.NoError(t, err)
	code, want, errOut := portolan("voyages", "--ais", sampleNMEA, "--format", "jsonl")
	require.Equal(t, 0, code, errOut)
	tag := regexp.MustCompile(`\\(?:g:\d-\d-\d,)?(?:s:[^,*]*,)?c:(\d+)\*[0-9A-F]{2}\\`)
	group := regexp.MustCompile(`\\g:\d-\d-\d\*[0-9A-F]{2}\\`)
	for name, prefix := range map[string]string{"seconds": "$1 ", "milliseconds": "${1}000 ", "microseconds": "${1}000000 ",
		"nanoseconds": "${1}000000000\t", "csv of seconds": "$1,"} {
		text := group.ReplaceAll(tag.ReplaceAll(plain, []byte(prefix)), nil)
		require.NotContains(t, string(text[:2000]), `\`)
		code, got, errOut := portolan("voyages", "--ais", write(t, "f.nmea", text), "--format", "jsonl")
		require.Equal(t, 0, code, "%s: %s", name, errOut)
		require.Equal(t, sortedLines(want), sortedLines(got), name)
	}
	// without times every position is dropped: the command says so and fails
	untimed := group.ReplaceAll(tag.ReplaceAll(plain, nil), nil)
	code, out, errOut := portolan("voyages", "--ais", write(t, "u.nmea", untimed), "--format", "jsonl")
	require.Equal(t, 1, code)
	require.Empty(t, strings.TrimSpace(out))
	line := summaryLine(t, "voyages", errOut)
	require.Regexp(t, `, 0 used, .*; dropped \d+: no timestamp \d+`, line)
	require.Contains(t, errOut, "nothing usable in")
}

// TestAccounting: every command that reads AIS prints one summary line,
// and exits 1 when it used nothing of a non-empty input (0 for an empty
// one); --rejects lists dropped rows and positions alike.
func TestAccounting(t *testing.T) {
	empty := write(t, "empty.nmea", nil)
	junk := write(t, "junk.nmea", []byte("# only a comment\n$GPGGA,1*00\n\n"))
	for _, cmd := range []string{"decode", "voyages", "predict", "prepare"} {
		args := func(file string) []string {
			switch cmd {
			case "decode":
				return []string{"decode", file}
			case "voyages":
				return []string{"voyages", "--ais", file}
			case "predict":
				return []string{"predict", "--model", wayDemo, "--ais", file}
			}
			return []string{"prepare", "way", "--ais", file, "--out", t.TempDir()}
		}
		code, _, errOut := portolan(args(empty)...)
		require.Equal(t, 0, code, "%s: %s", cmd, errOut)
		require.Contains(t, summaryLine(t, cmd, errOut), "read 0 lines (nmea, 1 input)")
		code, _, errOut = portolan(args(junk)...)
		require.Equal(t, 1, code, "%s: %s", cmd, errOut)
		require.Contains(t, summaryLine(t, cmd, errOut), "read 3 lines (nmea, 1 input), 0 messages, 0 positions, 0 ")
		require.Contains(t, summaryLine(t, cmd, errOut), "skipped 3: blank 1, comment 1, other text 1")
		require.Contains(t, errOut, "nothing usable in 3 lines")
	}

	// a CSV with a bad row, a non-ship MMSI and a repeated time: rejects has them all
	in := "MMSI,BaseDateTime,LAT,LON,SOG\n" +
		"244000001,2024-01-01T00:00:00,51.0,3.0,10\n" +
		"244000001,2024-01-01T00:00:00,51.0,3.0,10\n" + // duplicate time
		"244000001,2024-01-01T00:10:00,51.02,3.0,10\n" +
		"992440001,2024-01-01T00:10:00,51.0,3.0,0\n" + // an AtoN
		"244000001,yesterday,51.0,3.0,10\n"
	path := write(t, "f.csv", []byte(in))
	rejects := filepath.Join(t.TempDir(), "r.tsv")
	code, _, errOut := portolan("voyages", "--ais", path, "--rejects", rejects, "--format", "jsonl")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "portolan voyages: read 5 rows (marinecadastre, 1 input), 4 positions, 2 used, "+
		"2 vessels (at most 2 held, 0 let go idle), 1 voyages; dropped 3: bad time 1, duplicate time 1, invalid MMSI 1",
		summaryLine(t, "voyages", errOut))
	data, err := os.ReadFile(rejects)
	require.NoError(t, err)
	require.Equal(t, []string{
		path + "\t3\tduplicate time\tmmsi 244000001 time 2024-01-01T00:00:00Z lat 51 lon 3",
		path + "\t5\tinvalid MMSI\tmmsi 992440001 time 2024-01-01T00:10:00Z lat 51 lon 3",
		path + "\t6\tbad time\t244000001,yesterday,51.0,3.0,10",
	}, strings.Split(strings.TrimSpace(string(data)), "\n"))
}

// TestStreamingMatchesBatch: voyages on a time-ordered input finds what
// --unsorted (every position held, each track sorted) finds; on a shuffled
// input the streaming path says the input is out of order.
func TestStreamingMatchesBatch(t *testing.T) {
	code, streamed, errOut := portolan("voyages", "--ais", sampleNMEA, "--format", "jsonl")
	require.Equal(t, 0, code, errOut)
	require.NotContains(t, errOut, "not in time order")
	code, batch, errOut := portolan("voyages", "--ais", sampleNMEA, "--format", "jsonl", "--unsorted")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, sortedLines(batch), sortedLines(streamed))

	code, out, _ := portolan("simulate", "--seed", "4", "--vessels", "5", "--days", "3", "--format", "csv")
	require.Equal(t, 0, code)
	rows := strings.Split(strings.TrimSpace(out), "\n")
	body := rows[1:]
	sort.Slice(body, func(i, j int) bool { return body[i] < body[j] }) // by MMSI, then time: not by time
	path := write(t, "by-vessel.csv", []byte(rows[0]+"\n"+strings.Join(body, "\n")+"\n"))
	code, byVessel, errOut := portolan("voyages", "--ais", path, "--format", "jsonl")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, errOut, "not in time order", "the clock runs ahead: reported")
	code, want, _ := portolan("voyages", "--ais", path, "--format", "jsonl", "--unsorted")
	require.Equal(t, 0, code)
	require.Equal(t, sortedLines(want), sortedLines(byVessel), "sorted by vessel then time: nothing is lost")
}

// TestByteOrderMark: a file saved with a UTF-8 byte order mark keeps its
// first sentence (NMEA) and its header (CSV).
func TestByteOrderMark(t *testing.T) {
	plain, err := os.ReadFile(sampleNMEA)
	require.NoError(t, err)
	_, want, _ := portolan("decode", sampleNMEA)
	code, got, errOut := portolan("decode", write(t, "bom.nmea", append([]byte("\ufeff"), plain...)))
	require.Equal(t, 0, code, errOut)
	require.Equal(t, want, got)
	code, out, errOut := portolan("decode", write(t, "bom.csv", []byte("\ufeffMMSI,BaseDateTime,LAT,LON\n244000001,2024-01-01T00:00:00,51,3\n")))
	require.Equal(t, 0, code, errOut)
	require.Equal(t, `{"mmsi":244000001,"time":"2024-01-01T00:00:00Z","lat":51,"lon":3}`+"\n", out)
}
