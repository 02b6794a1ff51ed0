package models

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portolan-sdk/portolan/export"
	"github.com/stretchr/testify/require"
)

func loadTD(t testing.TB) *TD { return loadTDModel(t, "td-demo", "") }

// loadTDModel builds testdata/models/NAME.portolan, converted to dtype
// unless it is empty.
func loadTDModel(t testing.TB, name string, dtype export.DType) *TD {
	b, err := export.ReadFile(filepath.Join(testdata, "models", name+".portolan"))
	require.NoError(t, err)
	if dtype != "" {
		b, err = b.Convert(dtype)
		require.NoError(t, err)
	}
	m, err := NewTD(b)
	require.NoError(t, err)
	return m
}

// tdVectors are the PyTorch reference vectors of a TD model.
type tdVectors struct {
	model                  string       // the model bundle's name, without .portolan
	dtype                  export.DType // the model converted to this dtype ("": as stored)
	x                      []float32
	n                      int
	keys                   []uint64
	samples                int
	seed                   uint64
	mu, vr, mean, epi, ale []float32
	rel, abs               float64
}

func readTDVectors(t testing.TB) *tdVectors {
	return readTDVectorFile(t, filepath.Join(testdata, "conformance", "td-demo.vectors.portolan"))
}

func readTDVectorFile(t testing.TB, path string) *tdVectors {
	b, err := export.ReadFile(path)
	require.NoError(t, err)
	get := func(name string) ([]float32, []int) {
		tn, err := b.Tensor(name)
		require.NoError(t, err)
		v, err := tn.Float32s()
		require.NoError(t, err)
		return v, tn.Shape
	}
	v := &tdVectors{}
	model, err := b.Config.String("model", "")
	require.NoError(t, err)
	v.model = strings.TrimSuffix(model, ".portolan")
	dt, err := b.Config.String("dtype", "")
	require.NoError(t, err)
	v.dtype = export.DType(dt)
	var shape []int
	v.x, shape = get("x_raw")
	v.n = shape[0]
	v.mu, _ = get("sample_mean")
	v.vr, _ = get("sample_var")
	v.mean, _ = get("mean")
	v.epi, _ = get("epistemic")
	v.ale, _ = get("aleatoric")
	v.samples, err = b.Config.Int("samples", 0)
	require.NoError(t, err)
	seed, err := b.Config.Int("seed", 0)
	require.NoError(t, err)
	v.seed = uint64(seed)
	for _, k := range b.Config["keys"].([]any) {
		switch k := k.(type) {
		case uint64:
			v.keys = append(v.keys, k)
		case int64:
			v.keys = append(v.keys, uint64(k))
		default:
			t.Fatalf("key %T", k)
		}
	}
	require.Len(t, v.keys, v.n)
	tol := b.Config["tolerance"].(map[string]any)
	v.rel, v.abs = tol["stats_rel"].(float64), tol["stats_abs"].(float64)
	return v
}

// tdVectorFiles lists every temporal-dropout vector file: the demo model
// (as stored, f16 and int8) and the small model of every kind on both
// backbones.
func tdVectorFiles(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join(testdata, "conformance", "td-*.vectors.portolan"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 13)
	return files
}

// TestTDConformance checks MC samples and their statistics for the
// reference seed and series keys against the PyTorch vectors, one series
// at a time and as one batch, for every kind on both backbones. (The
// vectors of converted models run in internal/conformance and on every
// conformance target; TestCompactWeights shows a compact model computes
// what its dequantised weights do.)
func TestTDConformance(t *testing.T) {
	kinds := map[string]bool{}
	for _, path := range tdVectorFiles(t) {
		v := readTDVectorFile(t, path)
		if v.dtype != "" {
			continue
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			m := loadTDModel(t, v.model, v.dtype)
			kinds[m.Backbone+"/"+m.Kind] = true
			L := v.samples
			within := func(got float64, want float32, what string) {
				require.LessOrEqual(t, math.Abs(got-float64(want)), v.abs+v.rel*math.Abs(float64(want)), "%s: got %v want %v", what, got, want)
			}
			check := func(mu, vr []float64, n int) {
				var mean, ale float64
				for s := 0; s < L; s++ {
					within(mu[s], v.mu[n*L+s], "sample mean")
					within(vr[s], v.vr[n*L+s], "sample variance")
					mean += mu[s]
					ale += vr[s]
				}
				mean /= float64(L)
				var epi float64
				for s := 0; s < L; s++ {
					epi += (mu[s] - mean) * (mu[s] - mean)
				}
				within(mean, v.mean[n], "mean")
				within(epi/float64(L), v.epi[n], "epistemic")
				within(ale/float64(L), v.ale[n], "aleatoric")
			}
			w := m.NewWork(L)
			TD := m.T * m.D
			for n := 0; n < min(2, v.n); n++ { // alone: two series (the batch below has them all)
				require.NoError(t, m.Sample(w, v.x[n*TD:(n+1)*TD], v.keys[n], v.seed))
				check(w.Mu, w.Var, n)
			}
			require.NoError(t, m.SampleBatch(w, v.x, v.keys, v.seed))
			for n := 0; n < v.n; n++ {
				check(w.Mu[n*L:(n+1)*L], w.Var[n*L:(n+1)*L], n)
			}
		})
	}
	for _, bb := range []string{BackboneLSTM, BackboneTransformer} {
		for _, k := range []string{DropoutMCTD, DropoutConcrete, DropoutMC, DropoutNone} {
			require.True(t, kinds[bb+"/"+k], "no vectors for %s %s", bb, k)
		}
	}
}

// TestTDKeyedSamples: a series gives bit-identical samples alone, inside
// a batch, at any position, in batches that span several chunks, and on
// any number of threads; another key gives other samples. For the demo
// model (ConcTD), and MC-Dropout on both backbones, whose masks act inside
// the network.
func TestTDKeyedSamples(t *testing.T) {
	for _, name := range []string{"td-demo", "td-lstm-mc-dropout", "td-transformer-mc-dropout", "td-transformer-mc-td"} {
		t.Run(name, func(t *testing.T) {
			m := loadTDModel(t, name, "")
			v := readTDVectorFile(t, filepath.Join(testdata, "conformance", name+".vectors.portolan"))
			testKeyedSamples(t, m, v)
		})
	}
}

func testKeyedSamples(t *testing.T, m *TD, v *tdVectors) {
	const L = 20
	TD := m.T * m.D
	alone := m.NewWork(L)
	target := v.x[3*TD : 4*TD]
	require.NoError(t, m.Sample(alone, target, 77, 5))
	want := append([]float64(nil), alone.Mu...)
	wantVar := append([]float64(nil), alone.Var...)
	// a batch of 9 series (one chunk of tdChunkRows each) with the target
	// at the start, in the middle (on three threads: chunks in parallel)
	// and at the end
	const n = 9
	for _, c := range []struct{ pos, threads int }{{0, 1}, {4, 3}, {n - 1, 1}} {
		x := make([]float32, 0, n*TD)
		keys := make([]uint64, n)
		for i := 0; i < n; i++ {
			if i == c.pos {
				x = append(x, target...)
				keys[i] = 77
				continue
			}
			x = append(x, v.x[(i%v.n)*TD:(i%v.n+1)*TD]...)
			keys[i] = uint64(1000 + i)
		}
		w := m.NewWork(L)
		w.SetThreads(c.threads)
		require.NoError(t, m.SampleBatch(w, x, keys, 5))
		require.Equal(t, want, w.Mu[c.pos*L:(c.pos+1)*L], "position %d, %d threads", c.pos, c.threads)
		require.Equal(t, wantVar, w.Var[c.pos*L:(c.pos+1)*L], "position %d, %d threads", c.pos, c.threads)
	}
	// with 4 samples a chunk holds 8 series: the target shares its chunk
	few := m.NewWork(4)
	require.NoError(t, m.Sample(few, target, 77, 5))
	wantFew := append([]float64(nil), few.Mu...)
	x := make([]float32, 0, 20*TD)
	keys := make([]uint64, 20)
	for i := range keys {
		keys[i] = uint64(2000 + i)
		x = append(x, v.x[(i%v.n)*TD:(i%v.n+1)*TD]...)
	}
	keys[11] = 77
	copy(x[11*TD:12*TD], target)
	require.NoError(t, m.SampleBatch(few, x, keys, 5))
	require.Equal(t, wantFew, few.Mu[11*4:12*4])
	// one series on two threads shares its products instead
	two := m.NewWork(L)
	two.SetThreads(2)
	require.NoError(t, m.Sample(two, target, 77, 5))
	require.Equal(t, want, two.Mu)
	require.NoError(t, m.Sample(alone, target, 78, 5))
	require.NotEqual(t, want, alone.Mu)
	require.NoError(t, m.Sample(alone, target, 77, 6))
	require.NotEqual(t, want, alone.Mu)
}

func TestTDBadInput(t *testing.T) {
	for _, name := range []string{"td-demo", "td-transformer-mc-dropout"} {
		t.Run(name, func(t *testing.T) { testTDBadInput(t, loadTDModel(t, name, "")) })
	}
}

func testTDBadInput(t *testing.T, m *TD) {
	w := m.NewWork(4)
	require.ErrorIs(t, m.Sample(w, make([]float32, 3), 0, 1), ErrInput)
	x := make([]float32, m.T*m.D)
	x[5] = float32(math.Inf(1))
	require.ErrorIs(t, m.Sample(w, x, 0, 1), ErrInput)
	require.ErrorIs(t, m.SampleBatch(w, nil, nil, 1), ErrInput)
	require.ErrorIs(t, m.SampleBatch(w, x, []uint64{1, 2}, 1), ErrInput)
	x[5] = 0
	require.NoError(t, m.Sample(w, x, 0, 1))
	allocs := testing.AllocsPerRun(10, func() { _ = m.Sample(w, x, 0, 1) })
	require.Zero(t, allocs)
	require.Panics(t, func() { m.NewWork(0) })
	require.Panics(t, func() { m.NewWork(MaxSamples + 1) })
}

// TestTDConfig: a td bundle whose backbone, kind or transformer settings
// this runtime does not implement is refused with ErrKind or ErrShape,
// naming what is wrong.
func TestTDConfig(t *testing.T) {
	for _, tc := range []struct {
		model, key string
		value      any
		want       error
	}{
		{"td-demo", "backbone", "gru", ErrKind},
		{"td-demo", "kind", "mc-gaussian", ErrKind},
		{"td-lstm-mc-dropout", "alpha", 1.0, ErrShape},
		{"td-transformer-none", "norm_first", true, ErrKind},
		{"td-transformer-none", "heads", int64(3), ErrShape},            // 20 hidden units in 3 heads
		{"td-transformer-none", "ffn", int64(48), ErrShape},             // linear1 is 40 wide
		{"td-transformer-none", "ln_eps", 0.0, ErrShape},                // not a LayerNorm
		{"td-transformer-none", "heads", int64(65), ErrShape},           // over the limit
		{"td-transformer-none", "backbone", "lstm", export.ErrNoTensor}, // no lstm.* tensors
		{"td-lstm-none", "backbone", "transformer", export.ErrNoTensor}, // no inp, enc.* tensors
		{"td-transformer-none", "T", int64(7), ErrShape},                // pos is 6 steps
		{"td-transformer-none", "ffn", int64(tdMaxFFN + 1), ErrShape},
	} {
		t.Run(fmt.Sprintf("%s %s=%v", tc.model, tc.key, tc.value), func(t *testing.T) {
			b, err := export.ReadFile(filepath.Join(testdata, "models", tc.model+".portolan"))
			require.NoError(t, err)
			b.Config[tc.key] = tc.value
			_, err = NewTD(b)
			require.ErrorIs(t, err, tc.want)
		})
	}
}
