package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portolan-sdk/portolan/internal/shareddata"
	"github.com/stretchr/testify/require"
)

func TestDecodeSample(t *testing.T) {
	path := shareddata.Path(t, "pyais-nmea/nmea_data_sample.txt")
	rejects := filepath.Join(t.TempDir(), "rejects.tsv")
	code, out, errOut := portolan("decode", "--stats", "--rejects", rejects, path)
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 770)
	for _, l := range lines {
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &v), l)
	}
	for _, want := range []string{
		"lines             898",
		"decoded           770 (type 1: 667, 3: 76, 4: 6, 18: 19, 24: 2)",
		"unsupported       8 (type 15: 7, 20: 1)",
		"orphan fragments  20 in 20 messages (type 1: 1, 5: 19)",
		"empty payload            100",
	} {
		require.Contains(t, errOut, want)
	}
	// nothing is lost: every line that did not become a message is in the rejects file
	data, err := os.ReadFile(rejects)
	require.NoError(t, err)
	require.Equal(t, 100+8+20, strings.Count(string(data), "\n"))

	code, out, _ = portolan("decode", "--format", "csv", path)
	require.Equal(t, 0, code)
	require.Equal(t, 771, strings.Count(out, "\n"), "header + 770 rows")
}

func TestDecodeErrors(t *testing.T) {
	code, _, errOut := portolan("decode", "--format", "xml", "x")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "unknown --format")
	code, _, _ = portolan("decode", filepath.Join(t.TempDir(), "missing.nmea"))
	require.Equal(t, 1, code)
}
