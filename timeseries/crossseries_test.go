package timeseries

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/portolan-sdk/portolan/internal/testpy"
	"github.com/stretchr/testify/require"
)

// TestSeriesCrossLanguage reads every fixture in testdata/series (and
// testdata/series/invalid) with ReadCSVWith and with the trainer's
// read_series_csv, without and with a group column, and requires the same
// ids, steps, groups, feature names, values (bit for bit, NaN where
// missing) and targets, or a refusal from both.
func TestSeriesCrossLanguage(t *testing.T) {
	py := testpy.Python(t)
	files, err := filepath.Glob(filepath.Join("..", "testdata", "series", "*.csv"))
	require.NoError(t, err)
	invalid, err := filepath.Glob(filepath.Join("..", "testdata", "series", "invalid", "*.csv"))
	require.NoError(t, err)
	files = append(files, invalid...)
	require.GreaterOrEqual(t, len(files), 14)
	accepted := 0
	for _, group := range []string{"", "site"} {
		out, err := exec.Command(py, append([]string{filepath.Join("..", "training", "tests", "crossseries.py"), group}, files...)...).CombinedOutput()
		require.NoError(t, err, "%s", out)
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 1<<24)
		n := 0
		for sc.Scan() {
			var got struct {
				File     string     `json:"file"`
				Error    string     `json:"error"`
				IDs      []string   `json:"ids"`
				Steps    []int      `json:"steps"`
				Groups   []string   `json:"groups"`
				Features []string   `json:"features"`
				Shape    []int      `json:"shape"`
				X        []*float64 `json:"x"`
				Y        []*float64 `json:"y"`
			}
			require.NoError(t, json.Unmarshal(sc.Bytes(), &got))
			require.Equal(t, files[n], got.File)
			n++
			t.Run(filepath.Base(got.File)+"/group="+group, func(t *testing.T) {
				data, err := os.ReadFile(got.File)
				require.NoError(t, err)
				s, err := ReadCSVWith(bytes.NewReader(data), CSVOptions{Group: group})
				if got.Error != "" {
					require.Error(t, err, "python refused: %s", got.Error)
					return
				}
				require.NoError(t, err, "python read it")
				accepted++
				require.Equal(t, got.IDs, s.IDs)
				require.Equal(t, got.Steps, s.Steps)
				require.Equal(t, got.Groups, s.Groups)
				require.Equal(t, got.Features, s.Features)
				require.Equal(t, []int{len(s.IDs), s.T, s.D}, got.Shape)
				require.Len(t, got.X, len(s.X))
				for i, v := range s.X {
					if got.X[i] == nil {
						require.True(t, math.IsNaN(float64(v)), "value %d: python NaN, go %v", i, v)
						continue
					}
					require.Equal(t, math.Float32bits(float32(*got.X[i])), math.Float32bits(v), "value %d", i)
				}
				for i, v := range s.Target {
					if got.Y[i] == nil {
						require.True(t, math.IsNaN(v), "target %d", i)
						continue
					}
					require.Equal(t, *got.Y[i], v, "target %d", i)
				}
			})
		}
		require.Equal(t, len(files), n)
	}
	require.Equal(t, 2, accepted, "sample.csv without a group column, rules.csv with one")
}
