package accel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// refAttention is CausalAttention in float64, with the bound of its
// rounding error per output (Σ_t p_t·|v_t| times a few ulps per term).
func refAttention(q, k, v []float32, ldq, ldk, ldv, rows, prev, heads, dk int, scale float32) (out, scaleErr []float64) {
	return refAttentionSeen(q, k, v, ldq, ldk, ldv, rows, heads, dk, scale, func(i int) int { return prev + i + 1 })
}

// refAttentionSeen is attention in float64 where query i sees the first
// seen(i) keys.
func refAttentionSeen(q, k, v []float32, ldq, ldk, ldv, rows, heads, dk int, scale float32, seen func(i int) int) (out, scaleErr []float64) {
	hd := heads * dk
	out = make([]float64, rows*hd)
	scaleErr = make([]float64, rows*hd)
	for i := 0; i < rows; i++ {
		n := seen(i)
		for h := 0; h < heads; h++ {
			s := make([]float64, n)
			m := math.Inf(-1)
			for t := range s {
				var acc float64
				for j := 0; j < dk; j++ {
					acc += float64(q[i*ldq+h*dk+j]) * float64(k[t*ldk+h*dk+j])
				}
				s[t] = float64(scale) * acc
				m = math.Max(m, s[t])
			}
			var sum float64
			for t := range s {
				s[t] = math.Exp(s[t] - m)
				sum += s[t]
			}
			for j := 0; j < dk; j++ {
				var acc, abs float64
				for t := range s {
					p := s[t] / sum
					acc += p * float64(v[t*ldv+h*dk+j])
					abs += p * math.Abs(float64(v[t*ldv+h*dk+j]))
				}
				out[i*hd+h*dk+j] = acc
				scaleErr[i*hd+h*dk+j] = abs
			}
		}
	}
	return out, scaleErr
}

// attnCase is one shape of TestCausalAttention.
type attnCase struct{ rows, prev, heads, dk int }

var attnCases = []attnCase{
	{1, 0, 1, 1}, {1, 10, 4, 16}, {3, 5, 2, 7}, {4, 0, 4, 16}, {5, 0, 4, 16}, {64, 0, 4, 16},
	{65, 0, 2, 64}, {130, 7, 4, 16}, {200, 100, 3, 8}, {129, 0, 4, 64},
}

// attnInputs makes guarded q, k, v and dst with padded row strides; the
// keys and values past prev+rows and every padding cell are NaN, so a
// kernel that reads a key it must not see, or a padding cell, fails.
func attnInputs(r *rand.Rand, c attnCase) (q, k, v, dst []float32, ldq, ldk, ldv, ldd int, ok func() bool) {
	hd := c.heads * c.dk
	n := c.prev + c.rows
	ldq, ldk, ldv, ldd = hd+1, hd+3, hd+2, hd+5
	nan := float32(math.NaN())
	mk := func(rows, ld int) ([]float32, func() bool) {
		s, g := guarded(r, rows*ld)
		for i := 0; i < rows; i++ {
			for j := hd; j < ld; j++ {
				s[i*ld+j] = nan
			}
		}
		return s, g
	}
	q, g1 := mk(c.rows, ldq)
	k, g2 := mk(n, ldk)
	v, g3 := mk(n, ldv)
	dst, g4 := mk(c.rows, ldd)
	return q, k, v, dst, ldq, ldk, ldv, ldd, func() bool { return g1() && g2() && g3() && g4() }
}

func TestCausalAttention(t *testing.T) {
	eachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(21, 22))
		for _, c := range attnCases {
			name := fmt.Sprintf("rows %d prev %d heads %d dk %d", c.rows, c.prev, c.heads, c.dk)
			q, k, v, dst, ldq, ldk, ldv, ldd, ok := attnInputs(r, c)
			scale := float32(1 / math.Sqrt(float64(c.dk)))
			var w Workspace
			w.CausalAttention(dst, ldd, q, ldq, k, ldk, v, ldv, c.rows, c.prev, c.heads, c.dk, scale)
			require.True(t, ok(), "guards %s", name)
			want, bound := refAttention(q, k, v, ldq, ldk, ldv, c.rows, c.prev, c.heads, c.dk, scale)
			hd := c.heads * c.dk
			for i := 0; i < c.rows; i++ {
				for j := 0; j < ldd; j++ {
					got := dst[i*ldd+j]
					if j >= hd {
						require.True(t, math.IsNaN(float64(got)), "%s: padding (%d,%d) written", name, i, j)
						continue
					}
					// softmax and products in float32: a few ulps per term
					tol := 64*0x1p-23*bound[i*hd+j]*float64(c.dk+c.prev+i+1) + 1e-6
					require.InDelta(t, want[i*hd+j], float64(got), tol, "%s (%d,%d)", name, i, j)
				}
			}
		}
	})
}

// requireSameOnThreads runs attention into dst on one goroutine, then on
// 2 and 4, and requires the same bits (NaN guard cells aside).
func requireSameOnThreads(t *testing.T, c any, dst []float32, run func(w *Workspace)) {
	t.Helper()
	var w1 Workspace
	run(&w1)
	want := append([]float32(nil), dst...)
	for _, threads := range []int{2, 4} {
		var w Workspace
		w.SetThreads(threads)
		clear(dst)
		run(&w)
		for i := range want {
			if !math.IsNaN(float64(want[i])) {
				require.Equal(t, want[i], dst[i], "%v threads %d element %d", c, threads, i)
			}
		}
	}
}

// TestCausalAttentionThreads: heads shared among goroutines give the
// single-goroutine result bit for bit.
func TestCausalAttentionThreads(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, c := range []attnCase{{130, 7, 4, 16}, {129, 0, 4, 64}, {300, 0, 3, 32}} {
		q, k, v, dst, ldq, ldk, ldv, ldd, _ := attnInputs(r, c)
		requireSameOnThreads(t, c, dst, func(w *Workspace) {
			w.CausalAttention(dst, ldd, q, ldq, k, ldk, v, ldv, c.rows, c.prev, c.heads, c.dk, 0.25)
		})
	}
	require.Panics(t, func() {
		var w Workspace
		w.CausalAttention(make([]float32, 4), 4, make([]float32, 4), 4, make([]float32, 4), 4, make([]float32, 4), 4, 1, 1, 1, 4, 1)
	})
}

// FuzzCausalAttention compares the active kernels with the generic ones.
func FuzzCausalAttention(f *testing.F) {
	f.Add(uint8(70), uint8(3), uint8(2), uint8(16), int64(1))
	f.Fuzz(func(t *testing.T, rows, prev, heads, dk uint8, seed int64) {
		c := attnCase{int(rows%80) + 1, int(prev % 40), int(heads%3) + 1, int(dk%24) + 1}
		r := rand.New(rand.NewPCG(uint64(seed), 3))
		q, k, v, dst, ldq, ldk, ldv, ldd, _ := attnInputs(r, c)
		var w Workspace
		w.CausalAttention(dst, ldd, q, ldq, k, ldk, v, ldv, c.rows, c.prev, c.heads, c.dk, 0.5)
		fast := append([]float32(nil), dst...)
		restore := ForceGeneric()
		w.CausalAttention(dst, ldd, q, ldq, k, ldk, v, ldv, c.rows, c.prev, c.heads, c.dk, 0.5)
		restore()
		want, bound := refAttention(q, k, v, ldq, ldk, ldv, c.rows, c.prev, c.heads, c.dk, 0.5)
		hd := c.heads * c.dk
		for i := 0; i < c.rows; i++ {
			for j := 0; j < hd; j++ {
				tol := 64*0x1p-23*bound[i*hd+j]*float64(c.dk+c.prev+i+1) + 1e-6
				if math.Abs(float64(fast[i*ldd+j])-want[i*hd+j]) > tol || math.Abs(float64(dst[i*ldd+j])-want[i*hd+j]) > tol {
					t.Fatalf("%v (%d,%d): %s %v, generic %v, reference %v", c, i, j, Implementation(), fast[i*ldd+j], dst[i*ldd+j], want[i*hd+j])
				}
			}
		}
	})
}
