package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/internal/hostile"
	"github.com/stretchr/testify/require"
)

// writeHostile writes a copy of a demo bundle with every value of the
// named tensors set and config keys changed, and returns its path.
func writeHostile(t *testing.T, demo string, tensors map[string]float32, config export.Config) string {
	b, err := export.ReadFile(demo)
	require.NoError(t, err)
	for i := range b.Tensors {
		if v, ok := tensors[b.Tensors[i].Name]; ok {
			for k := 0; k+4 <= len(b.Tensors[i].Data); k += 4 {
				binary.LittleEndian.PutUint32(b.Tensors[i].Data[k:], math.Float32bits(v))
			}
		}
	}
	for k, v := range config {
		b.Config[k] = v
	}
	data, err := export.Marshal(b)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "hostile.portolan")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

// TestPredictNonFiniteOutput: a bundle whose ETA overflows makes every
// format fail with exit status 1 and say why; no row carries a number
// that is not finite, no line is empty.
func TestPredictNonFiniteOutput(t *testing.T) {
	model := writeHostile(t, wayDemo, map[string]float32{"eta.bias": 3e38}, export.Config{"eta_scale": 9e5})
	for _, format := range []string{"table", "jsonl", "geojson"} {
		code, out, errOut := portolan("predict", "--model", model, "--ais", sampleNMEA, "--format", format)
		require.Equal(t, 1, code, format)
		require.Contains(t, errOut, "8 vessels failed", format)
		require.Contains(t, errOut, "non-finite or out-of-range output", format)
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			require.NotEmpty(t, strings.TrimSpace(line), format)
		}
		switch format {
		case "table": // each vessel's row says why, in place of numbers
			rows := strings.Split(strings.TrimSpace(out), "\n")[1:]
			require.Len(t, rows, 8)
			for _, row := range rows {
				require.Contains(t, row, "(vessel ")
				require.False(t, strings.HasSuffix(strings.TrimSpace(row), "Inf h"), row)
			}
		case "geojson": // no feature for a failed vessel
			require.JSONEq(t, `{"type":"FeatureCollection","features":[]}`, out)
		case "jsonl":
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				var row struct{ Status, Error string }
				require.NoError(t, json.Unmarshal([]byte(line), &row))
				require.Equal(t, "failed", row.Status)
				require.Contains(t, row.Error, "ETA of +Inf hours")
			}
		}
	}
}

// TestForecastNonFiniteOutput: a td bundle whose mean overflows fails
// with exit status 1 in both formats.
func TestForecastNonFiniteOutput(t *testing.T) {
	model := writeHostile(t, tdDemo, map[string]float32{"mu.bias": 3e38}, export.Config{"y_std": 1e300})
	for _, format := range []string{"table", "jsonl"} {
		code, out, errOut := portolan("forecast", "--model", model, "--series", sampleCSV, "--format", format)
		require.Equal(t, 1, code, format)
		require.Empty(t, out, format)
		require.Contains(t, errOut, "non-finite or out-of-range output", format)
	}
}

// TestInspectRefusesConfigOverLimits: a well-formed WAY bundle whose
// sub_len or max_len is 2^20 is refused by inspect (as by predict), not
// reported as fine.
func TestInspectRefusesConfigOverLimits(t *testing.T) {
	for _, key := range []string{"sub_len", "max_len"} {
		model := writeHostile(t, wayDemo, nil, export.Config{key: int64(1 << 20)})
		code, out, errOut := portolan("inspect", model)
		require.Equal(t, 1, code, key)
		require.Contains(t, out, "kind", "the summary is printed")
		require.Contains(t, errOut, "runtime refuses its model", key)
		require.Contains(t, errOut, key)
		code, _, errOut = portolan("predict", "--model", model, "--ais", sampleNMEA)
		require.Equal(t, 1, code, key)
		require.Contains(t, errOut, key)
	}
}

// TestForecastMissingValues: a series whose every value is missing, or
// with a feature never observed, is refused naming it.
func TestForecastMissingValues(t *testing.T) {
	data, err := os.ReadFile(sampleCSV)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var allGone, oneGone []string
	for i, l := range lines {
		f := strings.Split(l, ",")
		if i > 0 && f[0] == "site03" {
			for k := 2; k < len(f)-1; k++ {
				f[k] = "NA"
			}
			allGone = append(allGone, strings.Join(f, ","))
			f = strings.Split(l, ",")
			f[4] = "" // sar_vv
			oneGone = append(oneGone, strings.Join(f, ","))
			continue
		}
		allGone, oneGone = append(allGone, l), append(oneGone, l)
	}
	for name, rows := range map[string][]string{"no value is observed": allGone, `"sar_vv" observed at none`: oneGone} {
		path := filepath.Join(t.TempDir(), "series.csv")
		require.NoError(t, os.WriteFile(path, []byte(strings.Join(rows, "\n")+"\n"), 0o644))
		code, out, errOut := portolan("forecast", "--model", tdDemo, "--series", path)
		require.Equal(t, 1, code, name)
		require.Empty(t, out)
		require.Contains(t, errOut, `series "site03"`)
		require.Contains(t, errOut, name)
	}
}

// failingWriter fails every write after the first n bytes (a full disk,
// a closed pipe).
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errors.New("no space left on device")
	}
	w.n -= len(p)
	return len(p), nil
}

// TestWriteErrorsAreErrors: every command that writes answers fails when
// its output cannot be written, in every format.
func TestWriteErrorsAreErrors(t *testing.T) {
	for _, args := range [][]string{
		{"predict", "--model", wayDemo, "--ais", sampleNMEA},
		{"predict", "--model", wayDemo, "--ais", sampleNMEA, "--format", "jsonl"},
		{"predict", "--model", wayDemo, "--ais", sampleNMEA, "--format", "geojson"},
		{"forecast", "--model", tdDemo, "--series", sampleCSV},
		{"forecast", "--model", tdDemo, "--series", sampleCSV, "--format", "jsonl"},
		{"decode", sampleNMEA},
		{"decode", "--format", "csv", sampleNMEA},
		{"voyages", "--ais", sampleNMEA},
		{"voyages", "--ais", sampleNMEA, "--format", "jsonl"},
		{"inspect", wayDemo},
	} {
		var e bytes.Buffer
		code := run(args, &failingWriter{n: 100}, &e)
		require.Equal(t, 1, code, "%v: %s", args, e.String())
		require.Contains(t, e.String(), "no space left on device", "%v", args)
	}
}

// TestInspectRefusesWorkingMemory: a temporal-dropout bundle whose config
// is within every limit but whose forecasts would need gigabytes of
// working memory (4096 steps, feed-forward width 8192) is refused by inspect as by forecast,
// naming the limit.
func TestInspectRefusesWorkingMemory(t *testing.T) {
	b, err := export.ReadFile(filepath.Join("..", "..", "testdata", "models", "td-transformer-mc-td.portolan"))
	require.NoError(t, err)
	hostile.WideTransformer(b, 4096, 8192)
	data, err := export.Marshal(b)
	require.NoError(t, err)
	model := filepath.Join(t.TempDir(), "hostile.portolan")
	require.NoError(t, os.WriteFile(model, data, 0o644))
	code, out, errOut := portolan("inspect", model)
	require.Equal(t, 1, code, errOut)
	require.Contains(t, out, "kind", "the summary is printed")
	require.Contains(t, errOut, "runtime refuses its model")
	require.Contains(t, errOut, "working memory")
	code, _, errOut = portolan("forecast", "--model", model, "--series", sampleCSV)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "working memory")

	code, _, errOut = portolan("inspect", tdDemo)
	require.Equal(t, 0, code, errOut)
}
