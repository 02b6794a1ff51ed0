package main

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/portolan-sdk/portolan/internal/feed"
	"github.com/portolan-sdk/portolan/internal/shareddata"
	"github.com/stretchr/testify/require"
)

// TestMarineCadastreSlice runs the whole path on 2 hours of a real US AIS
// day (../shared/data/marinecadastre-2020-01-01: zstd CSV, 521,867 rows,
// 10,426 MMSIs, float ship types): decode accounts for every row, voyages
// finds port calls between World Port Index ports, and predict answers
// every vessel with a voyage in progress — exactly the vessels the batch
// path (--unsorted, every row held) answers, with the same answers. Under
// the race detector it reads the first 60,000 rows.
func TestMarineCadastreSlice(t *testing.T) {
	path := shareddata.Path(t, marineCadastreSlice)
	wantDecode := "portolan decode: read 521867 rows (marinecadastre, 1 input), 521783 positions, 521783 written; dropped 84: bad vessel id 84"
	if shareddata.Race {
		path = csvPrefix(t, path, 60000)
		wantDecode = ""
	}
	code, out, errOut := portolan("decode", path)
	require.Equal(t, 0, code, errOut)
	line := summaryLine(t, "decode", errOut)
	if wantDecode != "" {
		require.Equal(t, wantDecode, line)
		require.Equal(t, 521783, strings.Count(out, "\n"))
	}
	require.Contains(t, out, `"ship_type":70`, "float ship types read")
	out = ""

	ports := "builtin"
	if wpi := filepath.Join(shareddata.Root(), "wpi", "UpdatedPub150.csv"); fileExists(wpi) {
		ports = wpi
	}
	code, out, errOut = portolan("voyages", "--ais", path, "--ports", ports, "--format", "jsonl")
	require.Equal(t, 0, code, errOut)
	line = summaryLine(t, "voyages", errOut)
	require.Regexp(t, `, (\d+) used, `, line)
	voyages := strings.Count(out, "\n")
	complete := strings.Count(out, `"in_progress":false`)
	require.Greater(t, voyages, 1000)
	if ports != "builtin" && !shareddata.Race {
		require.Greater(t, complete, 10, "port calls between real ports in 2 hours")
	}

	code, streamed, errOut := portolan("predict", "--model", wayDemo, "--ais", path, "--format", "jsonl", "--top", "3")
	require.Equal(t, 0, code, errOut)
	line = summaryLine(t, "predict", errOut)
	m := regexp.MustCompile(`(\d+) vessels: (\d+) with a voyage in progress answered, (\d+) without`).FindStringSubmatch(line)
	require.NotNil(t, m, line)
	vessels, _ := strconv.Atoi(m[1])
	answered, _ := strconv.Atoi(m[2])
	require.Equal(t, strings.Count(streamed, "\n"), vessels)
	require.Equal(t, answered, strings.Count(streamed, `"prediction":`))
	if !shareddata.Race {
		require.Equal(t, 10425, vessels, "every MMSI but the 84 rows of 10-digit ids")
	}
	require.Greater(t, answered, vessels/2)

	code, batch, errOut := portolan("predict", "--model", wayDemo, "--ais", path, "--format", "jsonl", "--top", "3", "--unsorted")
	require.Equal(t, 0, code, errOut)
	require.True(t, batch == streamed, "bounded streaming answers what holding every row answers")
}

// csvPrefix writes the header and the first n rows of a compressed CSV.
func csvPrefix(t *testing.T, path string, n int) string {
	in, err := feed.Open(path, nil)
	require.NoError(t, err)
	defer in.Close()
	s, err := in.Next()
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "prefix.csv")
	f, err := os.Create(out)
	require.NoError(t, err)
	defer f.Close()
	br := bufio.NewReader(s.R)
	for i := 0; i <= n; i++ {
		l, err := br.ReadString('\n')
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		_, err = f.WriteString(l)
		require.NoError(t, err)
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
