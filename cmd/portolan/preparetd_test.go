package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portolan-sdk/portolan/timeseries"
	"github.com/stretchr/testify/require"
)

const rulesCSV = "../../testdata/series/rules.csv"

// TestPrepareTDRoundTrip: a td shard reads back as the CSV it came from.
func TestPrepareTDRoundTrip(t *testing.T) {
	out := filepath.Join(t.TempDir(), "rules.portolan")
	code, stdout, errOut := portolan("prepare", "td", "--series", rulesCSV, "--group", "site", "--out", out)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, stdout, "3 series × 4 steps × 2 features (14 missing values), with targets")

	f, err := os.Open(rulesCSV)
	require.NoError(t, err)
	defer f.Close()
	want, err := timeseries.ReadCSVWith(f, timeseries.CSVOptions{Group: "site"})
	require.NoError(t, err)
	got, err := readTDShard(out)
	require.NoError(t, err)
	require.Equal(t, want.IDs, got.IDs)
	require.Equal(t, want.Steps, got.Steps)
	require.Equal(t, want.Groups, got.Groups)
	require.Equal(t, want.Features, got.Features)
	require.Equal(t, want.Target, got.Target, "these targets are exact in float32")
	require.Equal(t, len(want.X), len(got.X))
	for i := range want.X {
		same := math.Float32bits(want.X[i]) == math.Float32bits(got.X[i]) || math.IsNaN(float64(want.X[i])) && math.IsNaN(float64(got.X[i]))
		require.True(t, same, "value %d: %v, read back %v", i, want.X[i], got.X[i])
	}
}

func TestPrepareTDForecastsLikeCSV(t *testing.T) {
	shard := filepath.Join(t.TempDir(), "sample.portolan")
	code, _, errOut := portolan("prepare", "td", "--series", sampleCSV, "--out", shard)
	require.Equal(t, 0, code, errOut)
	_, want, _ := portolan("forecast", "--model", tdDemo, "--series", sampleCSV)
	code, got, errOut := portolan("forecast", "--model", tdDemo, "--series", shard)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, want, got)
}

func TestPrepareTDErrors(t *testing.T) {
	dir := t.TempDir()
	partial := filepath.Join(dir, "partial.csv")
	require.NoError(t, os.WriteFile(partial, []byte("id,step,x,target\na,0,1,5\nb,0,2,\n"), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--series", partial}, `series "b" has no target but 1 others have one`},
		{[]string{"--series", sampleCSV, "--targets", "y.npy"}, "--targets is for .npy"},
		{[]string{"--series", "x.npy", "--group", "site"}, "a .npy has none"},
		{[]string{"--series", rulesCSV}, "not a decimal number"}, // site is a feature without --group
		{[]string{"--series", sampleCSV, "--group", "region"}, `no group column "region"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := portolan(append([]string{"prepare", "td", "--out", filepath.Join(dir, "o.portolan")}, tc.args...)...)
			require.Equal(t, 1, code)
			require.Contains(t, errOut, tc.want)
		})
	}
	code, _, _ := portolan("prepare", "td", "--series", sampleCSV)
	require.Equal(t, 2, code, "--out is required")
}
