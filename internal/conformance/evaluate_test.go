package conformance_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/internal/conformance"
	"github.com/portolan-sdk/portolan/internal/conformance/matrix"
	"github.com/stretchr/testify/require"
)

var testdata = filepath.Join("..", "..", "testdata")

func read(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// TestEvaluateEveryVector runs every committed vector natively: each
// passes, and a vector of a converted model also checks the converted
// model against the f32 model's outputs.
func TestEvaluateEveryVector(t *testing.T) {
	vs, err := matrix.Vectors(filepath.Join(testdata, "conformance"), filepath.Join(testdata, "models"))
	require.NoError(t, err)
	quantised := 0
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			r := conformance.Evaluate(read(t, v.Path), read(t, v.Model))
			require.Empty(t, r.Error)
			require.True(t, r.Pass, "%+v", r.Checks)
			vs := 0
			for _, c := range r.Checks {
				if strings.HasSuffix(c.Name, "_vs_f32") || strings.HasSuffix(c.Name, "_vs_f32_rel") {
					vs++
				}
			}
			if strings.HasSuffix(v.Name, "-f16") || strings.HasSuffix(v.Name, "-int8") {
				require.NotZero(t, vs, "no checks against the f32 model")
				quantised++
			} else {
				require.Zero(t, vs)
			}
		})
	}
	require.GreaterOrEqual(t, quantised, 6, "f16 and int8 vectors of the WAY demo, the TD demo and a transformer")
}

// withConfig returns the vector file with its config changed by f.
func withConfig(t *testing.T, path string, f func(export.Config)) []byte {
	b, err := export.ReadFile(path)
	require.NoError(t, err)
	f(b.Config)
	out, err := export.Marshal(b)
	require.NoError(t, err)
	return out
}

// TestQuantBoundsBite: the checks against the f32 model fail when their
// bound is tighter than the quantisation error, a vector of an unknown
// dtype is an error, and a converted model's vectors fail against the
// model as stored.
func TestQuantBoundsBite(t *testing.T) {
	dir := filepath.Join(testdata, "conformance")
	for _, tc := range []struct {
		vector, model, key, check string
	}{
		{"way-demo-int8", "way-demo", "f32_logits_abs", "logits_vs_f32"},
		{"way-demo-int8", "way-demo", "f32_probs_abs", "probs_vs_f32"},
		{"way-demo-f16", "way-demo", "f32_eta_rel", "eta_vs_f32_rel"},
		{"td-demo-int8", "td-demo", "f32_mu_ystd", "sample_mean_vs_f32"},
		{"td-demo-f16", "td-demo", "f32_var_rel", "sample_var_vs_f32"},
		{"td-transformer-mc-td-int8", "td-transformer-mc-td", "f32_var_rel", "aleatoric_vs_f32"},
	} {
		t.Run(tc.vector+" "+tc.key, func(t *testing.T) {
			vec := withConfig(t, filepath.Join(dir, tc.vector+".vectors.portolan"), func(c export.Config) {
				c["tolerance"].(map[string]any)[tc.key] = 1e-12
			})
			r := conformance.Evaluate(vec, read(t, filepath.Join(testdata, "models", tc.model+".portolan")))
			require.Empty(t, r.Error)
			require.False(t, r.Pass)
			for _, c := range r.Checks {
				if c.Name == tc.check {
					require.False(t, c.Pass)
					return
				}
			}
			t.Fatalf("no check %s in %+v", tc.check, r.Checks)
		})
	}
	model := read(t, filepath.Join(testdata, "models", "td-demo.portolan"))
	r := conformance.Evaluate(withConfig(t, filepath.Join(dir, "td-demo-int8.vectors.portolan"), func(c export.Config) { c["dtype"] = "int4" }), model)
	require.Contains(t, r.Error, "int4")
	r = conformance.Evaluate(withConfig(t, filepath.Join(dir, "td-demo-int8.vectors.portolan"), func(c export.Config) { delete(c, "dtype") }), model)
	require.False(t, r.Pass, "int8 references from the f32 model")
}
