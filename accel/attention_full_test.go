package accel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// fullCase is one shape of TestAttention: rows queries over keys keys.
type fullCase struct{ rows, keys, heads, dk int }

var fullCases = []fullCase{
	{1, 1, 1, 1}, {1, 12, 4, 16}, {3, 3, 2, 7}, {4, 4, 4, 16}, {12, 12, 2, 8}, {5, 9, 4, 16},
	{64, 64, 4, 16}, {65, 65, 2, 64}, {130, 30, 4, 16}, {24, 200, 3, 8},
}

// fullInputs makes guarded inputs as attnInputs does, with keys keys: a
// kernel reading past the keys or into padding meets NaN.
func fullInputs(r *rand.Rand, c fullCase) (q, k, v, dst []float32, ldq, ldk, ldv, ldd int, ok func() bool) {
	// attnInputs lays out prev+rows keys; ask for keys of them
	prev := max(0, c.keys-c.rows)
	q, k, v, dst, ldq, ldk, ldv, ldd, ok = attnInputs(r, attnCase{c.rows, prev, c.heads, c.dk})
	if extra := prev + c.rows - c.keys; extra > 0 { // fewer keys than queries: poison the rest
		for t := c.keys; t < c.keys+extra; t++ {
			for j := 0; j < c.heads*c.dk; j++ {
				k[t*ldk+j], v[t*ldv+j] = float32(math.NaN()), float32(math.NaN())
			}
		}
	}
	return q, k, v, dst, ldq, ldk, ldv, ldd, ok
}

func checkFull(t *testing.T, name string, c fullCase, q, k, v, dst []float32, ldq, ldk, ldv, ldd int) {
	want, bound := refAttentionSeen(q, k, v, ldq, ldk, ldv, c.rows, c.heads, c.dk, 0.25, func(int) int { return c.keys })
	hd := c.heads * c.dk
	for i := 0; i < c.rows; i++ {
		for j := 0; j < ldd; j++ {
			got := dst[i*ldd+j]
			if j >= hd {
				require.True(t, math.IsNaN(float64(got)), "%s: padding (%d,%d) written", name, i, j)
				continue
			}
			tol := 64*0x1p-23*bound[i*hd+j]*float64(c.dk+c.keys) + 1e-6
			require.InDelta(t, want[i*hd+j], float64(got), tol, "%s (%d,%d)", name, i, j)
		}
	}
}

func TestAttention(t *testing.T) {
	eachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(31, 32))
		for _, c := range fullCases {
			name := fmt.Sprintf("rows %d keys %d heads %d dk %d", c.rows, c.keys, c.heads, c.dk)
			q, k, v, dst, ldq, ldk, ldv, ldd, ok := fullInputs(r, c)
			var w Workspace
			w.Attention(dst, ldd, q, ldq, k, ldk, v, ldv, c.rows, c.keys, c.heads, c.dk, 0.25)
			require.True(t, ok(), "guards %s", name)
			checkFull(t, name, c, q, k, v, dst, ldq, ldk, ldv, ldd)
		}
	})
	require.Panics(t, func() {
		var w Workspace
		w.Attention(make([]float32, 4), 4, make([]float32, 4), 4, make([]float32, 4), 4, make([]float32, 4), 4, 1, 2, 1, 4, 1)
	})
}

// TestAttentionThreads: heads shared among goroutines give the
// single-goroutine result bit for bit; a query block's result does not
// depend on the other queries (TD runs one sequence per call).
func TestAttentionThreads(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	for _, c := range []fullCase{{130, 130, 4, 16}, {300, 300, 3, 32}} {
		q, k, v, dst, ldq, ldk, ldv, ldd, _ := fullInputs(r, c)
		requireSameOnThreads(t, c, dst, func(w *Workspace) {
			w.Attention(dst, ldd, q, ldq, k, ldk, v, ldv, c.rows, c.keys, c.heads, c.dk, 0.25)
		})
	}
}

// FuzzAttention compares the active kernels with the generic ones and both
// with the float64 reference.
func FuzzAttention(f *testing.F) {
	f.Add(uint8(70), uint8(30), uint8(2), uint8(16), int64(1))
	f.Add(uint8(12), uint8(12), uint8(4), uint8(8), int64(2))
	f.Fuzz(func(t *testing.T, rows, keys, heads, dk uint8, seed int64) {
		c := fullCase{int(rows%80) + 1, int(keys%80) + 1, int(heads%3) + 1, int(dk%24) + 1}
		r := rand.New(rand.NewPCG(uint64(seed), 5))
		q, k, v, dst, ldq, ldk, ldv, ldd, _ := fullInputs(r, c)
		var w Workspace
		w.Attention(dst, ldd, q, ldq, k, ldk, v, ldv, c.rows, c.keys, c.heads, c.dk, 0.25)
		fast := append([]float32(nil), dst...)
		restore := ForceGeneric()
		w.Attention(dst, ldd, q, ldq, k, ldk, v, ldv, c.rows, c.keys, c.heads, c.dk, 0.25)
		restore()
		want, bound := refAttentionSeen(q, k, v, ldq, ldk, ldv, c.rows, c.heads, c.dk, 0.25, func(int) int { return c.keys })
		hd := c.heads * c.dk
		for i := 0; i < c.rows; i++ {
			for j := 0; j < hd; j++ {
				tol := 64*0x1p-23*bound[i*hd+j]*float64(c.dk+c.keys) + 1e-6
				if math.Abs(float64(fast[i*ldd+j])-want[i*hd+j]) > tol || math.Abs(float64(dst[i*ldd+j])-want[i*hd+j]) > tol {
					t.Fatalf("%v (%d,%d): %s %v, generic %v, reference %v", c, i, j, Implementation(), fast[i*ldd+j], dst[i*ldd+j], want[i*hd+j])
				}
			}
		}
	})
}
