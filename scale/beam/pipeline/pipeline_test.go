package pipeline

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/klauspost/compress/zstd"
	"github.com/portolan-sdk/portolan/internal/shareddata"
	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/sim"
	"github.com/stretchr/testify/require"
)

// The tests run the pipelines on Prism, Beam's runner that runs in this
// process, and compare their files with the portolan command's output on
// the same data.
func TestMain(m *testing.M) { ptest.MainWithDefault(m, "prism") }

// repoRoot is the main module's directory (this package is
// scale/beam/pipeline).
func repoRoot(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

var cli struct {
	once sync.Once
	path string
	err  error
}

// portolan builds the portolan command once and runs it, returning its
// stdout and stderr.
func portolan(t *testing.T, args ...string) (stdout, stderr []byte) {
	t.Helper()
	cli.once.Do(func() {
		dir, err := os.MkdirTemp("", "portolan-beam-test-")
		if err != nil {
			cli.err = err
			return
		}
		cli.path = filepath.Join(dir, "portolan")
		cmd := exec.Command("go", "build", "-o", cli.path, "./cmd/portolan")
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			cli.err = err
			cli.path = string(out)
		}
	})
	require.NoError(t, cli.err, cli.path)
	var out, errb bytes.Buffer
	cmd := exec.Command(cli.path, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), errb.String())
	return out.Bytes(), errb.Bytes()
}

// runPredict runs the destination pipeline on Prism and returns its JSON
// lines, its GeoJSON and its counters.
func runPredict(t *testing.T, o PredictOptions) (jsonl, geo []byte, counters map[string]int64) {
	t.Helper()
	o.Out = filepath.Join(t.TempDir(), "out")
	p, s := beam.NewPipelineWithRoot()
	require.NoError(t, Predict(s, o))
	res, err := ptest.RunWithMetrics(p)
	require.NoError(t, err)
	jsonl, err = os.ReadFile(o.Out + ".jsonl")
	require.NoError(t, err)
	geo, err = os.ReadFile(o.Out + ".geojson")
	require.NoError(t, err)
	return jsonl, geo, countersOf(res)
}

func countersOf(res beam.PipelineResult) map[string]int64 {
	out := map[string]int64{}
	for _, c := range res.Metrics().AllMetrics().Counters() {
		if c.Key.Namespace == namespace {
			out[c.Key.Name] += c.Committed
		}
	}
	return out
}

// summaryCounts reads the numbers of portolan predict's summary line on
// stderr: "read N lines|rows (…), [M messages, ]P positions, U used, …;
// dropped D: reason n, …".
func summaryCounts(t *testing.T, stderr []byte) map[string]int64 {
	t.Helper()
	line := string(stderr)
	out := map[string]int64{}
	for _, m := range regexp.MustCompile(`(\d+) (lines|rows|messages|positions|used)\b`).FindAllStringSubmatch(line, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		out[m[2]] = n
	}
	if i := strings.Index(line, "; dropped "); i >= 0 {
		rest := line[i+len("; dropped "):]
		rest = rest[strings.Index(rest, ":")+1:]
		if j := strings.Index(rest, ";"); j >= 0 {
			rest = rest[:j]
		}
		for _, part := range strings.Split(strings.TrimSpace(rest), ", ") {
			k := strings.LastIndexByte(part, ' ')
			n, err := strconv.ParseInt(strings.TrimSpace(part[k+1:]), 10, 64)
			require.NoError(t, err, part)
			out["dropped: "+part[:k]] = n
		}
	}
	return out
}

// requireSameCounts checks the pipeline's counters against the command's
// summary: rows or lines read, messages, positions, positions used and
// every drop reason.
func requireSameCounts(t *testing.T, want, got map[string]int64) {
	t.Helper()
	require.NotEmpty(t, want)
	for k, v := range want {
		require.Equal(t, v, got[k], "counter %q", k)
	}
	for k, v := range got {
		if strings.HasPrefix(k, "dropped: ") {
			require.Equal(t, want[k], v, "counter %q", k)
		}
	}
}

// requireSameLines checks that two outputs are byte for byte the same,
// reporting the first line that differs (not the whole output).
func requireSameLines(t *testing.T, want, got []byte) {
	t.Helper()
	if bytes.Equal(want, got) {
		return
	}
	w, g := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < min(len(w), len(g)); i++ {
		if !bytes.Equal(w[i], g[i]) {
			t.Fatalf("line %d differs (%d lines wanted, %d got):\nwant %.2000s\ngot  %.2000s", i+1, len(w), len(g), w[i], g[i])
		}
	}
	t.Fatalf("%d lines wanted, %d got", len(w), len(g))
}

// compress writes data to path plain, gzip- or zstd-compressed, or as the
// single member of a zip archive.
func compress(t *testing.T, path, kind string, data []byte) {
	t.Helper()
	var b bytes.Buffer
	switch kind {
	case "":
		b.Write(data)
	case "gzip":
		w := gzip.NewWriter(&b)
		_, err := w.Write(data)
		require.NoError(t, err)
		require.NoError(t, w.Close())
	case "zstd":
		w, err := zstd.NewWriter(nil)
		require.NoError(t, err)
		b.Write(w.EncodeAll(data, nil))
	case "zip":
		w := zip.NewWriter(&b)
		f, err := w.Create(filepath.Base(path) + ".csv")
		require.NoError(t, err)
		_, err = f.Write(data)
		require.NoError(t, err)
		require.NoError(t, w.Close())
	}
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
}

// splitNMEA cuts NMEA text into n parts of about equal size, at lines that
// start a message (never between the fragments of one).
func splitNMEA(text []byte, n int) [][]byte {
	var parts [][]byte
	start := 0
	for i := 1; i < n; i++ {
		cut := start + (len(text)-start)/(n-i+1)
		for cut < len(text) {
			j := bytes.IndexByte(text[cut:], '\n')
			if j < 0 {
				cut = len(text)
				break
			}
			cut += j + 1
			if next := text[cut:]; len(next) > 0 && firstFragment(next) {
				break
			}
		}
		parts = append(parts, text[start:cut])
		start = cut
	}
	return append(parts, text[start:])
}

// firstFragment reports whether the NMEA line at the start of b is a
// message's first (or only) sentence: !AIVDM,count,1,…
func firstFragment(b []byte) bool {
	i := bytes.Index(b, []byte("VDM,"))
	if i < 0 {
		return false
	}
	f := bytes.SplitN(b[i+4:], []byte(","), 3)
	return len(f) == 3 && string(f[1]) == "1"
}

func model(t *testing.T, name string) string {
	return filepath.Join(repoRoot(t), "testdata", "models", name)
}

// TestPredictSimulatedFleet: a simulated fleet's NMEA split into three
// files (plain, gzip, zstd) gives, through the pipeline, the same bytes
// as portolan predict --format jsonl and geojson on the whole file, and
// the same accounting. Static data (type 5) reach positions in the other
// files; a small MaxHeld makes every vessel be read in spans of hours.
func TestPredictSimulatedFleet(t *testing.T) {
	f, err := sim.NewFleet(sim.BuiltinNetwork(), sim.BuiltinPorts, sim.Config{Seed: 3, Vessels: 40, Days: 6})
	require.NoError(t, err)
	var text bytes.Buffer
	_, err = f.WriteNMEA(&text)
	require.NoError(t, err)
	dir := t.TempDir()
	whole := filepath.Join(dir, "fleet.nmea")
	require.NoError(t, os.WriteFile(whole, text.Bytes(), 0o644))
	parts := splitNMEA(text.Bytes(), 3)
	require.Len(t, parts, 3)
	for i, kind := range []string{"", "gzip", "zstd"} {
		compress(t, filepath.Join(dir, "part-"+strconv.Itoa(i)+".nmea"), kind, parts[i])
	}
	way := model(t, "way-demo.portolan")
	wantJSONL, stderr := portolan(t, "predict", "--model", way, "--ais", whole, "--format", "jsonl")
	wantGeo, _ := portolan(t, "predict", "--model", way, "--ais", whole, "--format", "geojson")
	want := summaryCounts(t, stderr)
	require.Positive(t, want["lines"])

	for _, maxHeld := range []int{0, 60} {
		jsonl, geo, got := runPredict(t, PredictOptions{Inputs: []string{filepath.Join(dir, "part-*")}, Model: way, MaxHeld: maxHeld, Batch: 7})
		requireSameLines(t, wantJSONL, jsonl)
		requireSameLines(t, wantGeo, geo)
		requireSameCounts(t, want, got)
		require.Equal(t, int64(3), got["files"])
		require.Equal(t, int64(40), got["vessels"])
		require.Equal(t, int64(bytes.Count(wantJSONL, []byte(`"prediction"`))), got["predictions"])
		require.Positive(t, got["predictions"])
		require.Positive(t, got["voyages"])
		require.Zero(t, got["dropped: "+DropTooDense])
		if maxHeld > 0 {
			require.Equal(t, int64(40), got["vessels read in spans"])
		} else {
			require.Zero(t, got["vessels read in spans"])
		}
	}
}

// TestPredictMarineCadastreSlice: the shared slice of a real US AIS day
// (521,867 rows), split into four files (plain, gzip, zstd, zip), gives
// the same bytes and accounting as portolan predict on the original file.
func TestPredictMarineCadastreSlice(t *testing.T) {
	slice := shareddata.Path(t, filepath.Join("marinecadastre-2020-01-01", "AIS_2020_01_01_1200-1400.csv.zst"))
	data, err := os.ReadFile(slice)
	require.NoError(t, err)
	zr, err := zstd.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	text, err := io.ReadAll(zr)
	zr.Close()
	require.NoError(t, err)
	header, rows, _ := bytes.Cut(text, []byte("\n"))
	dir := t.TempDir()
	for i, kind := range []string{"", "gzip", "zstd", "zip"} {
		cut := len(rows)
		if i < 3 {
			cut = bytes.IndexByte(rows[len(rows)/(4-i):], '\n') + len(rows)/(4-i) + 1
		}
		part := append(append(append([]byte{}, header...), '\n'), rows[:cut]...)
		rows = rows[cut:]
		compress(t, filepath.Join(dir, "day-"+strconv.Itoa(i)+".csv"), kind, part)
	}
	way := model(t, "way-demo.portolan")
	wantJSONL, stderr := portolan(t, "predict", "--model", way, "--ais", slice, "--format", "jsonl")
	wantGeo, _ := portolan(t, "predict", "--model", way, "--ais", slice, "--format", "geojson")
	want := summaryCounts(t, stderr)
	require.Equal(t, int64(521867), want["rows"])

	start := time.Now()
	jsonl, geo, got := runPredict(t, PredictOptions{Inputs: []string{filepath.Join(dir, "day-*")}, Model: way})
	t.Logf("pipeline on Prism: %d rows in %v", got["rows"], time.Since(start))
	requireSameLines(t, wantJSONL, jsonl)
	requireSameLines(t, wantGeo, geo)
	requireSameCounts(t, want, got)
	require.Equal(t, int64(4), got["files"])
	require.Equal(t, got["bytes shuffled"] > 0, true)
	t.Logf("%d records shuffled in %d bytes", got["records shuffled"], got["bytes shuffled"])

	// ShipsOnly: the same answers less the rows of ids that are not
	// ships', whose positions never reach the shuffle
	var ships []byte
	for _, line := range bytes.SplitAfter(wantJSONL, []byte("\n")) {
		var row struct{ MMSI uint32 }
		if len(line) > 0 {
			require.NoError(t, json.Unmarshal(line, &row))
			if trajectory.ValidShipMMSI(row.MMSI) {
				ships = append(ships, line...)
			}
		}
	}
	require.Less(t, len(ships), len(wantJSONL))
	jsonl, geo, only := runPredict(t, PredictOptions{Inputs: []string{filepath.Join(dir, "day-*")}, Model: way, ShipsOnly: true})
	requireSameLines(t, ships, jsonl)
	requireSameLines(t, wantGeo, geo)
	requireSameCounts(t, want, only)
	require.Less(t, only["records shuffled"], got["records shuffled"])
}

// TestForecast: series split over two CSV files give, in batches of 3,
// the lines portolan forecast --format jsonl writes for each file in turn.
func TestForecast(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "series", "sample.csv"))
	require.NoError(t, err)
	requireForecastsAsCommand(t, "td-demo.portolan", text)
}

// TestForecastKinds: every temporal-dropout kind on both backbones (the
// small models of testdata/models, which take 6 steps: the first 6 of each
// series of sample.csv) gives the command's lines too.
func TestForecastKinds(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(repoRoot(t), "testdata", "series", "sample.csv"))
	require.NoError(t, err)
	header, rows, _ := bytes.Cut(text, []byte("\n"))
	short := append(append([]byte{}, header...), '\n')
	for _, l := range bytes.Split(bytes.TrimSpace(rows), []byte("\n")) {
		f := bytes.SplitN(l, []byte(","), 3)
		step, err := strconv.Atoi(string(f[1]))
		require.NoError(t, err)
		if step < 6 {
			short = append(append(short, l...), '\n')
		}
	}
	for _, backbone := range []string{"lstm", "transformer"} {
		for _, kind := range []string{"none", "concrete", "mc-dropout", "mc-td"} {
			name := "td-" + backbone + "-" + kind
			t.Run(name, func(t *testing.T) { requireForecastsAsCommand(t, name+".portolan", short) })
		}
	}
}

// requireForecastsAsCommand splits the series of a long-format CSV over
// two files (the ids of the first half of the rows in one, the rest in the
// other), forecasts them with the pipeline in batches of 3 and checks its
// lines against portolan forecast --format jsonl on each file in turn.
func requireForecastsAsCommand(t *testing.T, modelName string, text []byte) {
	t.Helper()
	header, rows, _ := bytes.Cut(text, []byte("\n"))
	dir := t.TempDir()
	files := map[string]*bytes.Buffer{"a": {}, "b": {}}
	for _, b := range files {
		b.Write(header)
		b.WriteByte('\n')
	}
	lines := bytes.Split(bytes.TrimSpace(rows), []byte("\n"))
	firstHalf := map[string]bool{}
	for i, l := range lines {
		id, _, _ := bytes.Cut(l, []byte(","))
		if i < len(lines)/2 {
			firstHalf[string(id)] = true
		}
		if firstHalf[string(id)] {
			files["a"].Write(append(l, '\n'))
		} else {
			files["b"].Write(append(l, '\n'))
		}
	}
	td := model(t, modelName)
	var want []byte
	for _, name := range []string{"a", "b"} {
		path := filepath.Join(dir, name+".csv")
		require.NoError(t, os.WriteFile(path, files[name].Bytes(), 0o644))
		out, _ := portolan(t, "forecast", "--model", td, "--series", path, "--samples", "20", "--seed", "1", "--format", "jsonl")
		want = append(want, out...)
	}
	out := filepath.Join(dir, "forecasts")
	p, s := beam.NewPipelineWithRoot()
	require.NoError(t, Forecast(s, ForecastOptions{Series: []string{filepath.Join(dir, "*.csv")}, Model: td, Samples: 20, Seed: 1, Batch: 3, Out: out}))
	res, err := ptest.RunWithMetrics(p)
	require.NoError(t, err)
	got, err := os.ReadFile(out + ".jsonl")
	require.NoError(t, err)
	requireSameLines(t, want, got)
	c := countersOf(res)
	n := int64(bytes.Count(want, []byte("\n")))
	require.Positive(t, n)
	require.Equal(t, n, c["series"])
	require.Equal(t, n, c["forecasts"])
	require.Equal(t, int64(2), c["series files"])
}

// TestOptionErrors: a pipeline without inputs, model or output is refused
// when it is built.
func TestOptionErrors(t *testing.T) {
	_, s := beam.NewPipelineWithRoot()
	require.Error(t, Predict(s, PredictOptions{Model: "m", Out: "o"}))
	require.Error(t, Predict(s, PredictOptions{Inputs: []string{"x"}, Out: "o"}))
	require.Error(t, Predict(s, PredictOptions{Inputs: []string{"x"}, Model: "m"}))
	require.Error(t, Predict(s, PredictOptions{Inputs: []string{"x"}, Model: "m", Out: "o", TopK: -1}))
	require.Error(t, Forecast(s, ForecastOptions{Model: "m", Out: "o"}))
	require.Error(t, Forecast(s, ForecastOptions{Series: []string{"x"}, Out: "o"}))
}
