package sdk

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/internal/hostile"
	"github.com/portolan-sdk/portolan/timeseries"
	"github.com/stretchr/testify/require"
)

// hostileBundle returns a copy of the demo bundle name with every value
// of each named tensor set to its value and config keys changed.
func hostileBundle(t testing.TB, name string, tensors map[string]float32, config export.Config) []byte {
	b, err := export.ReadFile(filepath.Join(testdata, "models", name))
	require.NoError(t, err)
	for i := range b.Tensors {
		tn := &b.Tensors[i]
		v, ok := tensors[tn.Name]
		if !ok {
			continue
		}
		require.Equal(t, export.F32, tn.DType)
		for k := 0; k+4 <= len(tn.Data); k += 4 {
			binary.LittleEndian.PutUint32(tn.Data[k:], math.Float32bits(v))
		}
		delete(tensors, tn.Name)
	}
	require.Empty(t, tensors, "tensors not found")
	for k, v := range config {
		b.Config[k] = v
	}
	data, err := export.Marshal(b) // finite weights: the bundle is valid
	require.NoError(t, err)
	return data
}

// hostileWAY is the demo WAY model with an ETA bias near float32's largest
// value and an eta_scale within its range: the ETA overflows to +Inf.
func hostileWAY(t testing.TB) *Destinations {
	m, err := OpenBytes(hostileBundle(t, "way-demo.portolan", map[string]float32{"eta.bias": 3e38}, export.Config{"eta_scale": 9e5}))
	require.NoError(t, err)
	d, err := m.Destinations(NewConfig().WithTopK(3))
	require.NoError(t, err)
	return d
}

// TestConfigLimits: every Config setting out of its range is refused
// with ErrLimit where the Config is used.
func TestConfigLimits(t *testing.T) {
	way, err := Open(filepath.Join(testdata, "models", "way-demo.portolan"))
	require.NoError(t, err)
	td, err := Open(filepath.Join(testdata, "models", "td-demo.portolan"))
	require.NoError(t, err)
	for name, c := range map[string]Config{
		"samples 0":          NewConfig().WithSamples(0),
		"samples 10001":      NewConfig().WithSamples(10001),
		"top-k 0":            NewConfig().WithTopK(0),
		"top-k 1001":         NewConfig().WithTopK(1001),
		"threads 0":          NewConfig().WithThreads(0),
		"threads 1025":       NewConfig().WithThreads(1025),
		"cells -1":           NewConfig().WithMaxCells(-1),
		"series 0":           NewConfig().WithMaxSeries(0),
		"series 2^24+1":      NewConfig().WithMaxSeries(1<<24 + 1),
		"cells over max_len": NewConfig().WithMaxCells(513),
		"work 1 MiB - 1":     NewConfig().WithMaxWorkBytes(1<<20 - 1),
		"work 1 TiB + 1":     NewConfig().WithMaxWorkBytes(1<<40 + 1),
	} {
		_, err := way.Destinations(c)
		require.ErrorIs(t, err, ErrLimit, name)
		if name != "cells over max_len" {
			_, err = td.Forecaster(c)
			require.ErrorIs(t, err, ErrLimit, name)
		}
	}
	for _, n := range []int64{0, 1023, export.HeaderSize + export.MaxBodySize + 1} {
		_, err := OpenWithConfig(filepath.Join(testdata, "models", "td-demo.portolan"), NewConfig().WithMaxBundleBytes(n))
		require.ErrorIs(t, err, ErrLimit, "bundle bytes %d", n)
	}
}

// TestOpenRefusesLargeBundles: a bundle over Config.WithMaxBundleBytes is
// refused before it is read (a file) or decoded (bytes).
func TestOpenRefusesLargeBundles(t *testing.T) {
	path := filepath.Join(testdata, "models", "way-demo.portolan")
	st, err := os.Stat(path)
	require.NoError(t, err)
	_, err = OpenWithConfig(path, NewConfig().WithMaxBundleBytes(st.Size()-1))
	require.ErrorIs(t, err, ErrLimit)
	require.Contains(t, err.Error(), "over the limit")
	_, err = OpenWithConfig(path, NewConfig().WithMaxBundleBytes(st.Size()))
	require.NoError(t, err)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	_, err = OpenBytesWithConfig(data, NewConfig().WithMaxBundleBytes(1<<10))
	require.ErrorIs(t, err, ErrLimit)
}

// tdSeries returns the sample series as raw values and the forecaster.
func tdSeries(t testing.TB) (*Forecaster, *timeseries.Set) {
	m, err := Open(filepath.Join(testdata, "models", "td-demo.portolan"))
	require.NoError(t, err)
	f, err := m.Forecaster(NewConfig().WithSamples(8))
	require.NoError(t, err)
	file, err := os.Open(filepath.Join(testdata, "series", "sample.csv"))
	require.NoError(t, err)
	defer file.Close()
	set, err := timeseries.ReadCSV(file)
	require.NoError(t, err)
	require.NoError(t, set.Match(f.FeatureNames()))
	return f, set
}

// TestForecastMissingValuePolicy: gaps are filled with the scaler mean;
// a series with no observed value or a feature never observed is refused
// (ErrMissing, naming them), an infinite value too.
func TestForecastMissingValuePolicy(t *testing.T) {
	f, set := tdSeries(t)
	ctx := context.Background()
	T, D := f.Steps(), f.Features()
	nan := float32(math.NaN())
	base := append([]float32(nil), set.Series(0)...)

	// gaps: a missing cell and a whole missing step read as the mean
	gappy := append([]float32(nil), base...)
	gappy[1] = nan
	for k := 0; k < D; k++ {
		gappy[3*D+k] = nan
	}
	filled := append([]float32(nil), gappy...)
	mean := f.m.Preprocessing.Mean
	for i, v := range filled {
		if v != v {
			filled[i] = mean[i%D]
		}
	}
	got, err := f.ForecastSeries(ctx, []Series{{Key: 7, Values: gappy}})
	require.NoError(t, err)
	want, err := f.ForecastSeries(ctx, []Series{{Key: 7, Values: filled}})
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.True(t, math.IsNaN(float64(gappy[1])), "the caller's series is not changed")

	allNaN := make([]float32, T*D)
	for i := range allNaN {
		allNaN[i] = nan
	}
	_, err = f.ForecastSeries(ctx, []Series{{Values: base}, {Values: allNaN}})
	require.ErrorIs(t, err, timeseries.ErrMissing)
	require.Contains(t, err.Error(), "series 1")
	require.Contains(t, err.Error(), "no value is observed")

	noFeature := append([]float32(nil), base...)
	for tt := 0; tt < T; tt++ {
		noFeature[tt*D+2] = nan
	}
	_, err = f.Forecast(ctx, [][]float32{noFeature})
	require.ErrorIs(t, err, timeseries.ErrMissing)
	require.Contains(t, err.Error(), `"sar_vv"`)

	inf := append([]float32(nil), base...)
	inf[5] = float32(math.Inf(-1))
	_, err = f.Forecast(ctx, [][]float32{inf})
	require.ErrorIs(t, err, timeseries.ErrFormat)

	// ForecastSet names the series by its id
	for k := 0; k < T*D; k++ {
		set.X[2*T*D+k] = nan
	}
	_, err = f.ForecastSet(ctx, set)
	require.ErrorIs(t, err, timeseries.ErrMissing)
	require.Contains(t, err.Error(), `series "`+set.IDs[2]+`"`)
}

// TestForecastLimits: more series than Config.WithMaxSeries are refused
// before any work; a wrong length is ErrInput.
func TestForecastLimits(t *testing.T) {
	m, err := Open(filepath.Join(testdata, "models", "td-demo.portolan"))
	require.NoError(t, err)
	f, err := m.Forecaster(NewConfig().WithMaxSeries(3))
	require.NoError(t, err)
	_, set := tdSeries(t)
	series := make([][]float32, 4)
	for i := range series {
		series[i] = set.Series(i)
	}
	_, err = f.Forecast(context.Background(), series)
	require.ErrorIs(t, err, ErrLimit)
	_, err = f.ForecastSet(context.Background(), set)
	require.ErrorIs(t, err, ErrLimit)
	out, err := f.Forecast(context.Background(), series[:3])
	require.NoError(t, err)
	require.Len(t, out, 3)
}

// TestForecastWorkLimit: a transformer bundle of under 3 MB whose config
// is within every limit (T 4096, ffn 8192) but whose forecasts would need
// gigabytes of activations is refused by Forecaster with ErrLimit before
// anything is allocated; a small model's many samples on many threads
// likewise under a smaller cap; the demo model passes the default cap.
func TestForecastWorkLimit(t *testing.T) {
	b, err := export.ReadFile(filepath.Join(testdata, "models", "td-transformer-mc-td.portolan"))
	require.NoError(t, err)
	hostile.WideTransformer(b, 4096, 8192)
	data, err := export.Marshal(b)
	require.NoError(t, err)
	require.Less(t, len(data), 3<<20)
	m, err := OpenBytes(data)
	require.NoError(t, err, "every config value is within its limit")
	_, err = m.Forecaster(NewConfig())
	require.ErrorIs(t, err, ErrLimit)
	require.Contains(t, err.Error(), "WithMaxWorkBytes")
	require.Greater(t, m.td.WorkBytes(20, forecastBatch), int64(2<<30), "the refused forecast needs gigabytes")
	_, err = m.Forecaster(NewConfig().WithSamples(1).WithMaxWorkBytes(1 << 40))
	require.NoError(t, err, "a host that means it can raise the cap")

	demo, err := Open(filepath.Join(testdata, "models", "td-demo.portolan"))
	require.NoError(t, err)
	_, err = demo.Forecaster(NewConfig())
	require.NoError(t, err)
	_, err = demo.Forecaster(NewConfig().WithSamples(10000).WithThreads(64).WithMaxWorkBytes(1 << 20))
	require.ErrorIs(t, err, ErrLimit)
}

// TestForecastRefusesNonFiniteOutput: weights that overflow give
// ErrOutput, never a NaN forecast.
func TestForecastRefusesNonFiniteOutput(t *testing.T) {
	for name, tensors := range map[string]map[string]float32{
		"mean":     {"mu.bias": 3e38},
		"variance": {"logvar.bias": 3e38},
	} {
		m, err := OpenBytes(hostileBundle(t, "td-demo.portolan", tensors, export.Config{"y_std": 1e300}))
		require.NoError(t, err, name)
		f, err := m.Forecaster(NewConfig().WithSamples(4))
		require.NoError(t, err)
		_, set := tdSeries(t)
		_, err = f.ForecastSet(context.Background(), set)
		require.ErrorIs(t, err, ErrOutput, name)
		require.True(t, strings.HasPrefix(err.Error(), "series 0: "), err.Error())
	}
}
