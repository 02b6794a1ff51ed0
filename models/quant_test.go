package models

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/portolan-sdk/portolan/export"
	"github.com/stretchr/testify/require"
)

// dequantised returns b with every tensor stored f32 (the exact values
// its f16 and int8 tensors stand for).
func dequantised(t testing.TB, b *export.Bundle) *export.Bundle {
	out := *b
	out.Tensors = make([]export.Tensor, len(b.Tensors))
	for i := range b.Tensors {
		tn, err := b.Tensors[i].Convert(export.F32)
		require.NoError(t, err)
		out.Tensors[i] = tn
	}
	return &out
}

func readBundle(t testing.TB, name string) *export.Bundle {
	b, err := export.ReadFile(filepath.Join(testdata, "models", name+".portolan"))
	require.NoError(t, err)
	return b
}

// TestCompactWeights: a model built from an f16 or int8 bundle keeps its
// weights compact (int8: at most 35% of the f32 model's weight memory,
// f16: at most 55%) and computes bit for bit what the same model computes
// from the dequantised weights held in f32, on every backbone.
func TestCompactWeights(t *testing.T) {
	for _, dt := range []export.DType{export.F16, export.Int8} {
		t.Run("way-demo "+string(dt), func(t *testing.T) {
			b := readBundle(t, "way-demo")
			f32, err := NewWAY(b)
			require.NoError(t, err)
			qb, err := b.Convert(dt)
			require.NoError(t, err)
			q, err := NewWAY(qb)
			require.NoError(t, err)
			full, err := NewWAY(dequantised(t, qb))
			require.NoError(t, err)
			checkRatio(t, dt, q.Bytes(), f32.Bytes())
			require.Equal(t, f32.Bytes(), full.Bytes())
			v := readWAYVectors(t)
			var batch []Voyage
			for i := 0; i < 2; i++ { // two voyages: this runs under emulation in make test
				batch = append(batch, Voyage{Cells: v.cells(f32, i), Ship: int(v.ship[i]), Departure: int(v.dep[i])})
			}
			wq, wf := q.NewWork(), full.NewWork()
			require.NoError(t, q.ForwardBatch(wq, batch))
			require.NoError(t, full.ForwardBatch(wf, batch))
			for i := range batch {
				require.Equal(t, wf.Logits(i), wq.Logits(i), "voyage %d", i)
				require.Equal(t, wf.ETA(i), wq.ETA(i), "voyage %d", i)
			}
		})
		for _, name := range []string{"td-demo", "td-transformer-mc-dropout", "td-lstm-mc-td"} {
			t.Run(fmt.Sprintf("%s %s", name, dt), func(t *testing.T) {
				b := readBundle(t, name)
				f32, err := NewTD(b)
				require.NoError(t, err)
				qb, err := b.Convert(dt)
				require.NoError(t, err)
				q, err := NewTD(qb)
				require.NoError(t, err)
				full, err := NewTD(dequantised(t, qb))
				require.NoError(t, err)
				if name == "td-demo" { // the small models' matrices are mostly below the int8 size
					checkRatio(t, dt, q.Bytes(), f32.Bytes())
				}
				require.Less(t, q.Bytes(), f32.Bytes())
				v := readTDVectorFile(t, filepath.Join(testdata, "conformance", name+".vectors.portolan"))
				wq, wf := q.NewWork(v.samples), full.NewWork(v.samples)
				n := 2 * q.T * q.D // two series
				require.NoError(t, q.SampleBatch(wq, v.x[:n], v.keys[:2], v.seed))
				require.NoError(t, full.SampleBatch(wf, v.x[:n], v.keys[:2], v.seed))
				require.Equal(t, wf.Mu, wq.Mu)
				require.Equal(t, wf.Var, wq.Var)
			})
		}
	}
}

// checkRatio holds a compact model's weight memory to its goal against
// the f32 model's.
func checkRatio(t *testing.T, dt export.DType, compact, f32 int) {
	ratio := float64(compact) / float64(f32)
	t.Logf("%s weights: %d bytes, %.1f%% of f32 (%d)", dt, compact, 100*ratio, f32)
	if dt == export.Int8 {
		require.LessOrEqual(t, ratio, 0.35)
	} else {
		require.LessOrEqual(t, ratio, 0.55)
	}
}
