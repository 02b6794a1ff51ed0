package host

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/internal/mpack"
	"github.com/portolan-sdk/portolan/internal/wasmbuild"
	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/timeseries"
	"github.com/portolan-sdk/portolan/wasm/abi"
	"github.com/stretchr/testify/require"
)

// TestSchemaCLIMatchesGuest checks the one answer schema (docs/SCHEMA.md):
// for the same input, the CLI's JSON (predict and forecast --format jsonl)
// and the module's msgpack answers carry the same field names, nested the
// same way, with the same values (to rounding: the CLI runs the SIMD
// kernels, the module the generic ones).
func TestSchemaCLIMatchesGuest(t *testing.T) {
	ctx := context.Background()
	root, err := wasmbuild.ModuleRoot()
	require.NoError(t, err)
	cli := filepath.Join(t.TempDir(), "portolan")
	out, err := exec.Command("go", "build", "-o", cli, filepath.Join(root, "cmd", "portolan")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	runCLI := func(args ...string) []any {
		cmd := exec.Command(cli, args...)
		cmd.Dir = root
		out, err := cmd.Output()
		require.NoError(t, err)
		var rows []any
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var v any
			require.NoError(t, json.Unmarshal(sc.Bytes(), &v))
			rows = append(rows, v)
		}
		return rows
	}
	h := newHost(t, guestWasm, NewConfig().WithInstances(1).WithInterruptible(false))
	guest := func(m *Model, export string, build func(handle uint32) []byte, key string) []any {
		var ans []byte
		_, _, err := h.with(ctx, -1, func(ctx context.Context, in *instance) error {
			handle, err := m.load(ctx, in)
			if err != nil {
				return err
			}
			ans, err = in.call(ctx, export, build(handle))
			return err
		})
		require.NoError(t, err)
		v, err := mpack.NewDecoder(ans).Value(abi.MaxDepth)
		require.NoError(t, err)
		return v.(map[string]any)[key].([]any)
	}

	// destinations
	way := open(t, h, "way-demo.portolan")
	nmea := read(t, "ais/sample.nmea")
	cliRows := runCLI("predict", "--model", "testdata/models/way-demo.portolan", "--ais", "testdata/ais/sample.nmea", "--format", "jsonl", "--top", "4")
	guestRows := guest(way, abi.ExportPredict, func(handle uint32) []byte {
		return (&abi.PredictRequest{Handle: handle, TopK: 4, AIS: nmea}).Append(nil)
	}, "vessels")
	require.Len(t, guestRows, len(cliRows))
	require.NotEmpty(t, cliRows)
	for i := range cliRows {
		sameTree(t, "vessels["+strconv.Itoa(i)+"]", cliRows[i], guestRows[i])
	}

	// forecasts: the CLI names series by id (and adds the target), the
	// module by Monte Carlo key; every other field is shared
	td := open(t, h, "td-demo.portolan")
	cliRows = runCLI("forecast", "--model", "testdata/models/td-demo.portolan", "--series", "testdata/series/sample.csv",
		"--format", "jsonl", "--samples", "5", "--seed", "3")
	set, err := timeseries.ReadCSV(bytesReader(read(t, "series/sample.csv")))
	require.NoError(t, err)
	var series [][]float32
	var keys []uint64 // the CLI keys a CSV series by its id (docs/RNG.md)
	for i, id := range set.IDs {
		series = append(series, set.Series(i))
		keys = append(keys, sdk.SeriesKey(id))
	}
	guestRows = guest(td, abi.ExportForecast, func(handle uint32) []byte {
		return (&abi.ForecastRequest{Handle: handle, Series: series, Samples: 5, Seed: 3, Keys: keys}).Append(nil)
	}, "forecasts")
	require.Len(t, guestRows, len(cliRows))
	for i := range cliRows {
		c, g := cliRows[i].(map[string]any), guestRows[i].(map[string]any)
		require.Equal(t, set.IDs[i], c["id"])
		require.EqualValues(t, keys[i], g["key"])
		delete(c, "id")
		delete(c, "target")
		delete(g, "key")
		sameTree(t, "forecasts["+strconv.Itoa(i)+"]", c, g)
	}
}

// sameTree compares a JSON value with a msgpack value: the same keys at
// every level, strings equal (times within a millisecond, as ETAs come
// from floats), numbers equal to rounding.
func sameTree(t *testing.T, path string, j, m any) {
	t.Helper()
	switch jv := j.(type) {
	case map[string]any:
		mv, ok := m.(map[string]any)
		require.True(t, ok, "%s: %T in msgpack", path, m)
		require.Equal(t, keys(jv), keys(mv), "%s: field names", path)
		for k := range jv {
			sameTree(t, path+"."+k, jv[k], mv[k])
		}
	case []any:
		mv, ok := m.([]any)
		require.True(t, ok, "%s: %T in msgpack", path, m)
		require.Len(t, mv, len(jv), path)
		for i := range jv {
			sameTree(t, path+"["+strconv.Itoa(i)+"]", jv[i], mv[i])
		}
	case string:
		ms, ok := m.(string)
		require.True(t, ok, "%s: %T in msgpack", path, m)
		if jt, err := time.Parse(time.RFC3339Nano, jv); err == nil {
			mt, err := time.Parse(time.RFC3339Nano, ms)
			require.NoError(t, err, path)
			// an ETA is a float32 model output in hours: the module's generic
			// kernels and the native SIMD ones agree within 1e-5 relative,
			// which is seconds over a voyage of days
			require.LessOrEqual(t, math.Abs(float64(jt.Sub(mt))), float64(10*time.Second), "%s: %s vs %s", path, jv, ms)
			return
		}
		require.Equal(t, jv, ms, path)
	case float64:
		var mf float64
		switch x := m.(type) {
		case float64:
			mf = x
		case int64:
			mf = float64(x)
		case uint64:
			mf = float64(x)
		default:
			t.Fatalf("%s: %T in msgpack", path, m)
		}
		require.InDelta(t, jv, mf, 1e-4*math.Max(1, math.Abs(jv)), path)
	default:
		require.Equal(t, j, m, path)
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
