package models

import (
	"math"
	"path/filepath"
	"sort"
	"testing"

	"github.com/portolan-sdk/portolan/export"
	"github.com/stretchr/testify/require"
)

var testdata = filepath.Join("..", "testdata")

func loadWAY(t testing.TB) *WAY {
	b, err := export.ReadFile(filepath.Join(testdata, "models", "way-demo.portolan"))
	require.NoError(t, err)
	m, err := NewWAY(b)
	require.NoError(t, err)
	return m
}

type wayVectors struct {
	b          *export.Bundle
	st, x      []float32
	n, ship    []int32
	dep, topk  []int32
	logits     []float32
	eta        []float32
	B, L, S, P int
	tolLogits  float64
	tolETA     float64
}

func readWAYVectors(t testing.TB) *wayVectors {
	b, err := export.ReadFile(filepath.Join(testdata, "conformance", "way-demo.vectors.portolan"))
	require.NoError(t, err)
	v := &wayVectors{b: b}
	f := func(name string) []float32 {
		tn, err := b.Tensor(name)
		require.NoError(t, err)
		x, err := tn.Float32s()
		require.NoError(t, err)
		return x
	}
	i := func(name string) []int32 {
		tn, err := b.Tensor(name)
		require.NoError(t, err)
		x, err := tn.Int32s()
		require.NoError(t, err)
		return x
	}
	v.st, v.x, v.logits, v.eta = f("spacetime"), f("sub_x_raw"), f("logits"), f("eta_hours")
	v.n, v.ship, v.dep, v.topk = i("sub_len"), i("ship"), i("departure"), i("topk")
	tn, _ := b.Tensor("sub_x_raw")
	v.B, v.L, v.S = tn.Shape[0], tn.Shape[1], tn.Shape[2]
	tl, _ := b.Tensor("logits")
	v.P = tl.Shape[2]
	tol := b.Config["tolerance"].(map[string]any)
	v.tolLogits, v.tolETA = tol["logits_abs"].(float64), tol["eta_rel"].(float64)
	return v
}

// cells returns voyage i's cells, scaled with the model's statistics.
func (v *wayVectors) cells(m *WAY, i int) []Cell {
	var out []Cell
	for j := 0; j < v.L; j++ {
		n := int(v.n[i*v.L+j])
		if n == 0 {
			break
		}
		base := ((i*v.L + j) * v.S) * 9
		x := append([]float32(nil), v.x[base:base+n*9]...)
		m.Scale(x)
		st := v.st[(i*v.L+j)*3:]
		out = append(out, Cell{Lon: st[0], Lat: st[1], Hours: st[2], X: x})
	}
	return out
}

// TestWAYConformance checks the Go model against the PyTorch reference
// vectors: logits within the stated absolute tolerance at every step, ETA
// within the relative tolerance, and the same top-5 at the last step.
func TestWAYConformance(t *testing.T) {
	m := loadWAY(t)
	v := readWAYVectors(t)
	var worst, worstETA float64
	for i := 0; i < v.B; i++ {
		cells := v.cells(m, i)
		out, err := m.Forward(cells, int(v.ship[i]), int(v.dep[i]))
		require.NoError(t, err)
		for j := range cells {
			for p := 0; p < v.P; p++ {
				d := math.Abs(float64(out.Logits[j*v.P+p] - v.logits[(i*v.L+j)*v.P+p]))
				worst = math.Max(worst, d)
			}
			ref := float64(v.eta[i*v.L+j])
			worstETA = math.Max(worstETA, math.Abs(float64(out.ETA[j])-ref)/math.Max(1, math.Abs(ref)))
		}
		last := out.Logits[(len(cells)-1)*v.P : len(cells)*v.P]
		require.Equal(t, v.topk[i*5:(i+1)*5], topK(last, 5), "voyage %d top-5", i)
	}
	t.Logf("max |logit error| %.2e, max relative ETA error %.2e", worst, worstETA)
	require.LessOrEqual(t, worst, v.tolLogits)
	require.LessOrEqual(t, worstETA, v.tolETA)
}

func topK(x []float32, k int) []int32 {
	idx := make([]int32, len(x))
	for i := range idx {
		idx[i] = int32(i)
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] > x[idx[b]] })
	return idx[:k]
}

// TestStreamMatchesFull feeds whole voyages cell by cell (with an open cell
// updated before it is committed) and compares every step with Forward.
func TestStreamMatchesFull(t *testing.T) {
	m := loadWAY(t)
	v := readWAYVectors(t)
	for i := 0; i < v.B; i++ {
		cells := v.cells(m, i)
		full, err := m.Forward(cells, int(v.ship[i]), int(v.dep[i]))
		require.NoError(t, err)
		s, err := m.NewStream(int(v.ship[i]), int(v.dep[i]))
		require.NoError(t, err)
		for j := range cells {
			if n := len(cells[j].X) / 9; n > 1 { // the cell while it was still open
				open := cells[j]
				open.X = open.X[:9]
				require.NoError(t, s.Update(&open, false))
			}
			require.NoError(t, s.Update(&cells[j], true))
			for p := 0; p < v.P; p++ {
				require.InDelta(t, full.Logits[j*v.P+p], s.Logits()[p], 1e-5, "voyage %d step %d", i, j)
			}
			require.InDelta(t, full.ETA[j], s.ETA(), 1e-4)
		}
		require.Equal(t, len(cells), s.Len())
	}
}

func TestWAYBadInput(t *testing.T) {
	m := loadWAY(t)
	good := Cell{Lon: 4, Lat: 52, Hours: 1, X: make([]float32, 9)}
	_, err := m.Forward([]Cell{good}, 99, 0)
	require.ErrorIs(t, err, ErrInput)
	_, err = m.Forward([]Cell{good}, 0, -1)
	require.ErrorIs(t, err, ErrInput)
	_, err = m.Forward(nil, 0, 0)
	require.ErrorIs(t, err, ErrInput)
	bad := good
	bad.X = make([]float32, 10)
	_, err = m.Forward([]Cell{bad}, 0, 0)
	require.ErrorIs(t, err, ErrInput)
	bad.X = make([]float32, 9*(m.SubLen+1))
	_, err = m.Forward([]Cell{bad}, 0, 0)
	require.ErrorIs(t, err, ErrInput)
	bad = good
	bad.X = []float32{float32(math.NaN()), 0, 0, 0, 0, 0, 0, 0, 0}
	_, err = m.Forward([]Cell{bad}, 0, 0)
	require.ErrorIs(t, err, ErrInput)

	b, err := export.ReadFile(filepath.Join(testdata, "models", "td-demo.portolan"))
	require.NoError(t, err)
	_, err = NewWAY(b)
	require.ErrorIs(t, err, ErrKind)
	wb, err := export.ReadFile(filepath.Join(testdata, "models", "way-demo.portolan"))
	require.NoError(t, err)
	wb.Config["d_model"] = int64(32)
	_, err = NewWAY(wb)
	require.ErrorIs(t, err, ErrShape)
}

// TestStreamAllocs: a stream's update allocates nothing once its caches
// hold the cell (its buffers come from a pool, which the race detector
// empties at random, so the count is checked without it).
func TestStreamAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	m := loadWAY(t)
	s, err := m.NewStream(1, 1)
	require.NoError(t, err)
	c := Cell{Lon: 4, Lat: 52, Hours: 1, X: make([]float32, 9*3)}
	require.NoError(t, s.Update(&c, true))
	allocs := testing.AllocsPerRun(20, func() {
		if err := s.Update(&c, false); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}

// TestQuantisedBundles runs the demo WAY model stored as f16 and int8: the
// weights are dequantised when the model is built, and the logits stay
// close to the f32 model's (f16: within 1e-2; int8: the top destination
// agrees at the last step of every reference voyage).
func TestQuantisedBundles(t *testing.T) {
	ref := loadWAY(t)
	v := readWAYVectors(t)
	b, err := export.ReadFile(filepath.Join(testdata, "models", "way-demo.portolan"))
	require.NoError(t, err)
	for _, dt := range []export.DType{export.F16, export.Int8} {
		qb, err := b.Convert(dt)
		require.NoError(t, err)
		data, err := export.Marshal(qb)
		require.NoError(t, err)
		qb, err = export.Unmarshal(data)
		require.NoError(t, err)
		q, err := NewWAY(qb)
		require.NoError(t, err)
		for i := 0; i < v.B; i++ {
			cells := v.cells(ref, i)
			a, err := ref.Forward(cells, int(v.ship[i]), int(v.dep[i]))
			require.NoError(t, err)
			c, err := q.Forward(cells, int(v.ship[i]), int(v.dep[i]))
			require.NoError(t, err)
			last := (len(cells) - 1) * v.P
			require.Equal(t, topK(a.Logits[last:last+v.P], 1), topK(c.Logits[last:last+v.P], 1), "%s voyage %d", dt, i)
			if dt == export.F16 {
				for k := range a.Logits {
					require.InDelta(t, a.Logits[k], c.Logits[k], 1e-2)
				}
			}
		}
	}
}

// TestWAYBatchMatchesAlone runs the reference voyages (ragged lengths) as
// one batch, in two orders and on several threads: each voyage's outputs
// equal its forward alone bit for bit, and a kept WAYWork allocates
// nothing on repeated batches.
func TestWAYBatchMatchesAlone(t *testing.T) {
	m := loadWAY(t)
	v := readWAYVectors(t)
	var batch []Voyage
	var alone []*Output
	for i := 0; i < v.B; i++ {
		cells := v.cells(m, i)
		out, err := m.Forward(cells, int(v.ship[i]), int(v.dep[i]))
		require.NoError(t, err)
		alone = append(alone, out)
		batch = append(batch, Voyage{Cells: cells, Ship: int(v.ship[i]), Departure: int(v.dep[i])})
	}
	// repeat the voyages so the batch spans several GRU chunks
	for len(batch) < 3*v.B {
		batch = append(batch, batch[len(batch)%v.B])
	}
	reversed := make([]Voyage, len(batch))
	for i := range batch {
		reversed[len(batch)-1-i] = batch[i]
	}
	for _, threads := range []int{1, 2, 3} {
		w := m.NewWork()
		w.SetThreads(threads)
		for _, order := range [][]Voyage{batch, reversed} {
			require.NoError(t, m.ForwardBatch(w, order))
			for j := range order {
				i := j % v.B
				if &order[0] == &reversed[0] {
					i = (len(order) - 1 - j) % v.B
				}
				require.Equal(t, alone[i].Logits, w.Logits(j), "voyage %d at %d, %d threads", i, j, threads)
				require.Equal(t, alone[i].ETA, w.ETA(j), "voyage %d at %d, %d threads", i, j, threads)
			}
		}
	}
	w := m.NewWork()
	require.NoError(t, m.ForwardBatch(w, batch))
	allocs := testing.AllocsPerRun(3, func() {
		if err := m.ForwardBatch(w, batch); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
	_, err := m.Forward(nil, 0, 0)
	require.ErrorIs(t, err, ErrInput)
	require.ErrorIs(t, m.ForwardBatch(w, nil), ErrInput)
	require.ErrorIs(t, m.ForwardBatch(w, []Voyage{batch[0], {Cells: batch[0].Cells, Ship: -1}}), ErrInput)
}

// TestStreamCacheGrows: a stream's caches follow the cells committed
// (at most twice what they hold, at least 2 cells), not MaxLen, and a
// reset keeps them.
func TestStreamCacheGrows(t *testing.T) {
	m := loadWAY(t)
	s, err := m.NewStream(1, 1)
	require.NoError(t, err)
	require.Zero(t, s.CacheBytes())
	row := 4 * 2 * m.hdk * m.Blocks // bytes of one cell's keys and values
	cells := randomCells(m, 100)
	for i := range cells {
		require.NoError(t, s.Update(&cells[i], true))
		held := s.Len()
		require.LessOrEqual(t, s.CacheBytes(), row*max(2, 2*held), "after %d cells", held)
		require.GreaterOrEqual(t, s.CacheBytes(), row*held)
	}
	require.Less(t, s.CacheBytes(), row*m.MaxLen)
	before := s.CacheBytes()
	require.NoError(t, s.Reset(2, 0))
	require.Equal(t, before, s.CacheBytes())
	require.NoError(t, s.Update(&cells[0], true))
}

// TestConfigLimits: a config value past its documented limit (or a
// product of them, heads·d_k) is refused with ErrShape before anything is
// allocated from it.
func TestConfigLimits(t *testing.T) {
	for _, tc := range []struct {
		bundle, key string
		value       int64
	}{
		{"way-demo", "sub_len", 1 << 20}, {"way-demo", "max_len", 1 << 20}, {"way-demo", "max_len", wayMaxLen + 1},
		{"way-demo", "sub_len", wayMaxSubLen + 1}, {"way-demo", "d_model", wayMaxD + 4}, {"way-demo", "n_heads", wayMaxHeads + 1},
		{"way-demo", "d_k", wayMaxDK + 1}, {"way-demo", "d_ffn", wayMaxDFFN + 1}, {"way-demo", "n_blocks", wayMaxBlocks + 1},
		{"way-demo", "gru_layers", wayMaxGRU + 1}, {"way-demo", "n_ports", wayMaxPorts + 1}, {"way-demo", "n_ship", wayMaxShip + 1},
		{"way-demo", "n_features", wayMaxFeatures + 1}, {"way-demo", "max_len", 0}, {"way-demo", "n_heads", -1},
		{"td-demo", "T", tdMaxT + 1}, {"td-demo", "D", tdMaxD + 1}, {"td-demo", "hidden", tdMaxHidden + 1},
		{"td-demo", "dense", tdMaxDense + 1}, {"td-demo", "layers", tdMaxLayers + 1}, {"td-demo", "T", 0},
		{"td-transformer-mc-td", "heads", tdMaxHeads + 1}, {"td-transformer-mc-td", "ffn", tdMaxFFN + 1},
		{"td-transformer-mc-td", "heads", 3}, {"td-transformer-mc-td", "ffn", 0}, {"td-transformer-none", "T", tdMaxT + 1},
	} {
		t.Run(tc.key, func(t *testing.T) {
			b, err := export.ReadFile(filepath.Join(testdata, "models", tc.bundle+".portolan"))
			require.NoError(t, err)
			b.Config[tc.key] = tc.value
			if tc.bundle == "way-demo" {
				_, err = NewWAY(b)
			} else {
				_, err = NewTD(b)
			}
			require.ErrorIs(t, err, ErrShape)
			require.Contains(t, err.Error(), tc.key)
		})
	}
	b, err := export.ReadFile(filepath.Join(testdata, "models", "way-demo.portolan"))
	require.NoError(t, err)
	b.Config["n_heads"], b.Config["d_k"] = int64(64), int64(128) // each within its limit, the product not
	_, err = NewWAY(b)
	require.ErrorIs(t, err, ErrShape)
}
