package export

import (
	"math"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/internal/testpy"
	"github.com/stretchr/testify/require"
)

// crossValues mirrors source_values in training/tests/crosslang.py.
func crossValues(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(float64((i*37)%1000-500) / 3.0)
	}
	copy(v, []float32{float32(math.Copysign(0, -1)), 1e-7, 65504, 1 + 1.0/2048, 3e-5})
	return v
}

func reversed(v []float32) []float32 {
	for i, j := 0, len(v)-1; i < j; i, j = i+1, j-1 {
		v[i], v[j] = v[j], v[i]
	}
	return v
}

func crossBundle(t *testing.T, dt DType) *Bundle {
	b := &Bundle{
		Kind:   "crosslang",
		Config: Config{"hidden": int64(7), "rate": 0.5, "name": "x", "list": []any{int64(1), 2.5, "z"}},
		Preprocessing: Preprocessing{
			Features: []string{"a", "b"}, Mean: []float32{1.5, -2}, Std: []float32{0.25, 3},
			Grid:      &Grid{System: "georef", ResolutionDeg: 0.5},
			ShipTypes: []string{"unknown", "cargo"},
			Ports:     []Port{{Locode: "NLRTM", Name: "Rotterdam", Lat: 51.95, Lon: 4.14}},
			PortAreas: []PortArea{{Locode: "NLRTM", Name: "Rotterdam", Lat: 51.95, Lon: 4.14, RadiusM: 10000},
				{Name: "Anchorage B", Lat: 51.99, Lon: 3.5, RadiusM: 3000}},
			Visit: &VisitRules{MaxSpeedKnots: 1.5, MinDwellS: 1800},
		},
		Tensors: []Tensor{
			NewF32("w", []int{5, 7}, crossValues(35)),                    // int8 conversion: f16 (too small)
			NewF32("big", []int{16, 4, 5}, reversed(crossValues(16*20))), // int8 conversion: int8
			NewF32("bias", []int{3}, crossValues(3)),
			NewF32("s", nil, []float32{2.5}),
			NewI32("ids", []int{3}, []int32{-5, 0, 123456789}),
		},
		Producer: Producer{Tool: "crosslang", Version: "1", Framework: "numpy",
			Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			Metrics: map[string]float64{"loss": 0.5}, Extra: map[string]string{"k": "v"}},
	}
	c, err := b.Convert(dt)
	require.NoError(t, err)
	return c
}

// TestCrossLanguage proves that the Python writer and the Go reader (and
// the other way round) agree bit for bit, including f16 rounding and int8
// quantisation done independently on each side.
func TestCrossLanguage(t *testing.T) {
	py := testpy.Python(t, "msgpack")
	script := filepath.Join("..", "training", "tests", "crosslang.py")
	dir := t.TempDir()
	out, err := exec.Command(py, script, "write", dir).CombinedOutput()
	require.NoError(t, err, "%s", out)

	for _, dt := range []DType{F32, F16, Int8} {
		t.Run("python writes, go reads "+string(dt), func(t *testing.T) {
			got, err := ReadFile(filepath.Join(dir, "py_"+string(dt)+".portolan"))
			require.NoError(t, err)
			want := crossBundle(t, dt)
			want.Version = CurrentVersion
			require.Equal(t, want, got)
		})
		t.Run("go writes, python reads "+string(dt), func(t *testing.T) {
			path := filepath.Join(dir, "go_"+string(dt)+".portolan")
			require.NoError(t, WriteFile(path, crossBundle(t, dt)))
			out, err := exec.Command(py, script, "check", path).CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.Contains(t, string(out), "ok ")
		})
	}
}
