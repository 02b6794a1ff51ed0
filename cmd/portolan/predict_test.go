package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb/geojson"
	"github.com/stretchr/testify/require"
)

const (
	wayDemo   = "../../testdata/models/way-demo.portolan"
	tdDemo    = "../../testdata/models/td-demo.portolan"
	sampleCSV = "../../testdata/series/sample.csv"
)

func TestPredict(t *testing.T) {
	code, out, errOut := portolan("predict", "--model", wayDemo, "--ais", sampleNMEA, "--top", "3")
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 9, "header + 8 vessels")
	require.Contains(t, lines[0], "DESTINATIONS")

	code, out, _ = portolan("predict", "--model", wayDemo, "--ais", sampleNMEA, "--format", "jsonl")
	require.Equal(t, 0, code)
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var row struct {
			MMSI       uint32 `json:"mmsi"`
			Prediction *struct {
				Top []struct {
					Locode string  `json:"locode"`
					Prob   float64 `json:"prob"`
				} `json:"destinations"`
				ETAHours float64 `json:"eta_hours"`
			} `json:"prediction"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &row))
		if row.Prediction != nil {
			require.Len(t, row.Prediction.Top, 5)
			require.NotEmpty(t, row.Prediction.Top[0].Locode)
			require.Positive(t, row.Prediction.Top[0].Prob)
			require.GreaterOrEqual(t, row.Prediction.ETAHours, 0.0)
			n++
		}
	}
	require.Greater(t, n, 4)

	code, out, _ = portolan("predict", "--model", wayDemo, "--ais", sampleNMEA, "--format", "geojson")
	require.Equal(t, 0, code)
	fc, err := geojson.UnmarshalFeatureCollection([]byte(out))
	require.NoError(t, err)
	require.Equal(t, n, len(fc.Features))

	// --ports overrides the model's port areas
	code, out, errOut = portolan("predict", "--model", wayDemo, "--ais", sampleNMEA, "--ports", "builtin")
	require.Equal(t, 0, code, errOut)
	require.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 9)
	code, _, errOut = portolan("predict", "--model", wayDemo, "--ais", sampleNMEA, "--ports", "nowhere.geojson")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "--ports")

	code, _, errOut = portolan("predict", "--model", tdDemo, "--ais", sampleNMEA)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no destination head")
}

func TestForecastCommand(t *testing.T) {
	code, out, errOut := portolan("forecast", "--model", tdDemo, "--series", sampleCSV)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, 13, strings.Count(out, "\n"), "header + 12 series")
	code, out, _ = portolan("forecast", "--model", tdDemo, "--series", sampleCSV, "--format", "jsonl", "--samples", "7")
	require.Equal(t, 0, code)
	var row struct {
		ID        string    `json:"id"`
		Mean      float64   `json:"mean"`
		Lo90      float64   `json:"lo90"`
		Hi90      float64   `json:"hi90"`
		Samples   []float64 `json:"samples"`
		Target    float64   `json:"target"`
		Epistemic float64   `json:"epistemic"`
	}
	require.NoError(t, json.Unmarshal([]byte(strings.Split(out, "\n")[0]), &row))
	require.Equal(t, "site00", row.ID)
	require.Len(t, row.Samples, 7)
	require.True(t, row.Lo90 < row.Mean && row.Mean < row.Hi90)
	// columns are matched by name: reordered columns give the same
	// forecasts, a renamed one is refused
	_, want, _ := portolan("forecast", "--model", tdDemo, "--series", sampleCSV)
	data, err := os.ReadFile(sampleCSV)
	require.NoError(t, err)
	var swapped []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(l, ",")
		f[2], f[6] = f[6], f[2] // ndvi <-> soil
		swapped = append(swapped, strings.Join(f, ","))
	}
	reordered := filepath.Join(t.TempDir(), "reordered.csv")
	require.NoError(t, os.WriteFile(reordered, []byte(strings.Join(swapped, "\n")+"\n"), 0o644))
	code, got, errOut := portolan("forecast", "--model", tdDemo, "--series", reordered)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, want, got)
	renamed := filepath.Join(t.TempDir(), "renamed.csv")
	require.NoError(t, os.WriteFile(renamed, []byte(strings.Replace(string(data), "soil", "Soil", 1)), 0o644))
	code, _, errOut = portolan("forecast", "--model", tdDemo, "--series", renamed)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no column for feature(s) soil")
	require.Contains(t, errOut, "Soil are not features")
	// the wrong shape is refused with the shapes named
	code, _, errOut = portolan("forecast", "--model", tdDemo, "--series", "../../testdata/conformance/../series/sample.csv", "--samples", "0")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "samples")
}
