package accel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// eachImpl runs f under every implementation this CPU has.
func eachImpl(t *testing.T, f func(t *testing.T)) {
	for _, name := range levels {
		t.Run(name, func(t *testing.T) {
			restore, ok := use(name)
			require.True(t, ok)
			defer restore()
			f(t)
		})
	}
}

// guarded returns a slice of n random values inside a buffer whose guard
// cells on both sides hold NaN, and a check that the guards are intact.
func guarded(r *rand.Rand, n int) ([]float32, func() bool) {
	const g = 16
	buf := make([]float32, n+2*g)
	for i := range buf {
		buf[i] = float32(math.NaN())
	}
	s := buf[g : g+n]
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s, func() bool {
		for i := 0; i < g; i++ {
			if !math.IsNaN(float64(buf[i])) || !math.IsNaN(float64(buf[g+n+i])) {
				return false
			}
		}
		return true
	}
}

// refDot is the float64 dot product.
func refDot(x, y []float32) (sum, abs float64) {
	for i := range x {
		p := float64(x[i]) * float64(y[i])
		sum += p
		abs += math.Abs(p)
	}
	return sum, abs
}

// dotTol is the stated error bound: n·2⁻²³·Σ|x·y| (float32 rounding in
// any summation order), plus a floor for sums near zero.
func dotTol(n int, abs float64) float64 { return float64(n+1)*0x1p-23*abs + 1e-30 }

func TestDotAllImpls(t *testing.T) {
	eachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, n := range []int{0, 1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000, 4099} {
			x, okx := guarded(r, n)
			y, oky := guarded(r, n)
			got := Dot(x, y)
			want, abs := refDot(x, y)
			require.InDelta(t, want, float64(got), dotTol(n, abs), "n=%d", n)
			require.True(t, okx() && oky(), "guard cells touched, n=%d", n)
		}
	})
}

// refGemm is the float64 reference of Sgemm.
func refGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) ([]float64, []float64) {
	out := make([]float64, m*n)
	abs := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, sa float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				sa += math.Abs(float64(av) * float64(bv))
			}
			cv := float64(beta) * float64(c[i*ldc+j])
			if beta == 0 {
				cv = 0
			}
			out[i*n+j] = float64(alpha)*s + cv
			abs[i*n+j] = math.Abs(float64(alpha))*sa + math.Abs(cv)
		}
	}
	return out, abs
}

func TestSgemmAllImpls(t *testing.T) {
	eachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		shapes := [][3]int{{1, 1, 1}, {5, 7, 3}, {6, 16, 8}, {7, 17, 9}, {13, 33, 300}, {96, 48, 64}, {100, 40, 257}, {2, 2100, 5}}
		for _, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				for _, ab := range [][2]float32{{1, 0}, {0.5, 2}, {-1, 1}} {
					name := fmt.Sprintf("%dx%dx%d/tA=%v,tB=%v/α=%v,β=%v", m, n, k, tr[0], tr[1], ab[0], ab[1])
					lda, ldb := k+3, n+2 // padded strides
					if tr[0] {
						lda = m + 3
					}
					if tr[1] {
						ldb = k + 2
					}
					rowsA, rowsB := m, k
					if tr[0] {
						rowsA = k
					}
					if tr[1] {
						rowsB = n
					}
					a, _ := guarded(r, rowsA*lda)
					b, _ := guarded(r, rowsB*ldb)
					ldc := n + 1
					c, okc := guarded(r, m*ldc)
					// the padding column of each C row must survive too
					for i := 0; i < m; i++ {
						c[i*ldc+n] = 42
					}
					if ab[1] == 0 {
						for i := 0; i < m; i++ {
							c[i*ldc] = float32(math.NaN()) // beta 0 must not propagate NaN
						}
					}
					want, abs := refGemm(tr[0], tr[1], m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
					Sgemm(tr[0], tr[1], m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
					require.True(t, okc(), "guards %s", name)
					for i := 0; i < m; i++ {
						require.Equal(t, float32(42), c[i*ldc+n], "padding %s", name)
						for j := 0; j < n; j++ {
							require.InDelta(t, want[i*n+j], float64(c[i*ldc+j]), dotTol(k+2, abs[i*n+j]), "%s (%d,%d)", name, i, j)
						}
					}
				}
			}
		}
	})
	require.Panics(t, func() {
		Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
	})
}

// FuzzDot compares the active (assembly) dot with the generic one within
// the stated tolerance.
func FuzzDot(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, shift uint8) {
		n := len(data) / 2
		x := make([]float32, n)
		y := make([]float32, n)
		for i := 0; i < n; i++ {
			x[i] = float32(int8(data[2*i])) / float32(1+shift%16)
			y[i] = float32(int8(data[2*i+1])) * 0.25
		}
		want, abs := refDot(x, y)
		got := Dot(x, y)
		if math.Abs(float64(got)-want) > dotTol(n, abs) {
			t.Fatalf("%s dot = %v, float64 reference %v", Implementation(), got, want)
		}
		restore := ForceGeneric()
		g := Dot(x, y)
		restore()
		if math.Abs(float64(g)-want) > dotTol(n, abs) {
			t.Fatalf("generic dot = %v, reference %v", g, want)
		}
	})
}

func TestForceGeneric(t *testing.T) {
	name := Implementation()
	restore := ForceGeneric()
	require.Equal(t, "generic", Implementation())
	restore()
	require.Equal(t, name, Implementation())
	_, ok := use("no-such-cpu")
	require.False(t, ok)
}

func TestVectorKernels(t *testing.T) {
	y := []float32{1, 2, 3}
	Axpy(2, []float32{1, 1, 1}, y)
	require.Equal(t, []float32{3, 4, 5}, y)
	Scale(0.5, y)
	require.Equal(t, []float32{1.5, 2, 2.5}, y)
	d := make([]float32, 3)
	Mul(d, y, []float32{2, 2, 2})
	require.Equal(t, []float32{3, 4, 5}, d)
	g := []float32{0, 1, -1}
	GELU(g)
	require.Equal(t, float32(0), g[0])
	require.InDelta(t, 0.8413447, g[1], 1e-6)  // Φ(1)
	require.InDelta(t, -0.1586553, g[2], 1e-6) // −Φ(−1)
	out := make([]float32, 2)
	Gemv(out, []float32{1, 2, 3, 4}, []float32{1, 1}, []float32{0, 1}, 2, 2)
	require.Equal(t, []float32{3, 8}, out)
	require.Panics(t, func() { Axpy(1, y, d[:2]) })
}

// TestSgemmThreads checks that products shared among goroutines (by rows,
// and by column panels when the rows are few) equal the single-goroutine
// product exactly: each element is computed by the same kernel in the same
// order.
func TestSgemmThreads(t *testing.T) {
	eachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, s := range [][3]int{{300, 200, 100}, {20, 512, 128}, {7, 900, 300}, {1000, 19, 64}} {
			m, n, k := s[0], s[1], s[2]
			a, _ := guarded(r, m*k)
			b, _ := guarded(r, k*n)
			c1 := make([]float32, m*n)
			var w1 Workspace
			w1.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c1, n)
			pb := PackB(false, k, n, b, n)
			for _, threads := range []int{2, 3, 4} {
				var w Workspace
				w.SetThreads(threads)
				c := make([]float32, m*n)
				w.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
				require.Equal(t, c1, c, "%v threads %d", s, threads)
				clear(c)
				w.SgemmPacked(false, m, 1, a, k, pb, 0, c, n)
				require.Equal(t, c1, c, "packed %v threads %d", s, threads)
			}
		}
	})
}

// FuzzSgemm compares the active Sgemm with the generic one on fuzzed
// shapes, transposes and values, within the stated tolerance.
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(7), uint8(17), uint8(9), uint8(3), int64(1))
	f.Fuzz(func(t *testing.T, mm, nn, kk, flags uint8, seed int64) {
		m, n, k := int(mm%40)+1, int(nn%70)+1, int(kk%50)+1
		tA, tB := flags&1 != 0, flags&2 != 0
		r := rand.New(rand.NewPCG(uint64(seed), 1))
		a, b := randVecR(r, m*k), randVecR(r, k*n)
		lda, ldb := k, n
		if tA {
			lda = m
		}
		if tB {
			ldb = k
		}
		c1, c2 := make([]float32, m*n), make([]float32, m*n)
		Sgemm(tA, tB, m, n, k, 1.5, a, lda, b, ldb, 0, c1, n)
		restore := ForceGeneric()
		Sgemm(tA, tB, m, n, k, 1.5, a, lda, b, ldb, 0, c2, n)
		restore()
		want, abs := refGemm(tA, tB, m, n, k, 1.5, a, lda, b, ldb, 0, make([]float32, m*n), n)
		for i := range c1 {
			if math.Abs(float64(c1[i])-want[i]) > dotTol(k+1, abs[i]) || math.Abs(float64(c2[i])-want[i]) > dotTol(k+1, abs[i]) {
				t.Fatalf("%s: element %d: %v (generic %v), reference %v", Implementation(), i, c1[i], c2[i], want[i])
			}
		}
	})
}

func randVecR(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// use switches to the named implementation; it returns a restore function
// and whether the implementation exists on this CPU.
func use(name string) (func(), bool) {
	for i, n := range levels {
		if n == name {
			prev := level
			level = i
			return func() { level = prev }, true
		}
	}
	return func() {}, false
}
