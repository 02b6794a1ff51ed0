package models

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// heldBytes returns the bytes a TDWork's buffers hold (capacities), the
// accel workspace aside.
func heldBytes(w *TDWork) int64 {
	n := cap(w.x) + cap(w.dense) + cap(w.out) + cap(w.lw.g) + cap(w.lw.seq) + cap(w.lw.c) +
		cap(w.ew.e) + cap(w.ew.qkv) + cap(w.ew.att) + cap(w.ew.o) + cap(w.ew.f1) + cap(w.ew.f2) + cap(w.ew.pool)
	return 4*int64(n) + 8*int64(cap(w.Mu)+cap(w.Var))
}

// TestTDWorkBytes: WorkBytes bounds what a TDWork holds after batches of
// every size, on both backbones, for few and many samples, and is not
// loose by more than a third (plus one head's attention scores).
func TestTDWorkBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, name := range []string{"td-demo", "td-lstm-mc-td", "td-transformer-mc-td", "td-transformer-concrete"} {
		m := loadTDModel(t, name, "")
		for _, c := range [][2]int{{1, 1}, {1, 64}, {6, 1}, {6, 13}, {20, 3}, {33, 1}, {100, 2}} {
			samples, series := c[0], c[1]
			w := m.NewWork(samples)
			x := make([]float32, series*m.T*m.D)
			for i := range x {
				x[i] = r.Float32()
			}
			keys := make([]uint64, series)
			for i := range keys {
				keys[i] = uint64(i)
			}
			require.NoError(t, m.SampleBatch(w, x, keys, 1))
			held, est := heldBytes(w), m.WorkBytes(samples, series)
			require.LessOrEqual(t, held, est, "%s, %d samples, %d series", name, samples, series)
			scores := int64(4 * m.T * m.T)
			require.LessOrEqual(t, 3*(est-scores), 4*held, "%s, %d samples, %d series: estimate %d for %d held", name, samples, series, est, held)
		}
	}
}
