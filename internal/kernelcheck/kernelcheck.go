// Package kernelcheck compares accel's kernels in use (accel.Implementation)
// with its generic Go code on random inputs, through accel's API: inside
// the WebAssembly guest (a test export) it checks the portolan_accel
// kernels a host linked, in the host's own engine, at the shapes the
// models call them with and at the edges of their blocks.
package kernelcheck

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/portolan-sdk/portolan/accel"
	"github.com/portolan-sdk/portolan/internal/half"
)

// Check runs rounds rounds of every kernel. With exact, the results must
// be bit-identical (equal as floats) to the generic code's, as the
// SIMD128 module's are; otherwise within float32 rounding of their
// magnitude (a host's AVX or NEON kernels sum in other orders). It
// returns how many comparisons it made.
func Check(seed uint64, rounds int, exact bool) (int, error) {
	c := &checker{r: rand.New(rand.NewPCG(seed, 0x6b65726e656c73)), exact: exact}
	for i := 0; i < rounds; i++ {
		for _, f := range []func() error{c.dot, c.exp, c.products, c.compact, c.attention, c.rows, c.gates} {
			if err := f(); err != nil {
				return c.n, fmt.Errorf("round %d, kernels %s: %w", i, accel.Implementation(), err)
			}
		}
	}
	return c.n, nil
}

type checker struct {
	r     *rand.Rand
	exact bool
	n     int
}

func (c *checker) vec(n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(c.r.NormFloat64() * scale)
	}
	return v
}

// both runs f with the kernels in use and with the generic code, each on
// its own copy of the inputs f makes from clone, and compares what it
// returns.
func (c *checker) both(what string, f func(generic bool) []float32) error {
	got := f(false)
	restore := accel.ForceGeneric()
	want := f(true)
	restore()
	c.n++
	if len(got) != len(want) {
		return fmt.Errorf("%s: %d values, generic %d", what, len(got), len(want))
	}
	scale := 0.0
	for _, v := range want {
		if !math.IsInf(float64(v), 0) && !math.IsNaN(float64(v)) {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
	}
	for i := range want {
		w, g := want[i], got[i]
		if w == g || (w != w && g != g) {
			continue
		}
		if !c.exact && math.Abs(float64(w-g)) <= 2e-5*math.Max(1, scale) {
			continue
		}
		return fmt.Errorf("%s[%d]: %v (%08x), generic %v (%08x)", what, i, g, math.Float32bits(g), w, math.Float32bits(w))
	}
	return nil
}

func clone(x []float32) []float32 { return append([]float32(nil), x...) }

func (c *checker) dot() error {
	for _, n := range []int{63, 64, 65, 128, 257, 1000} {
		x, y := c.vec(n, 1), c.vec(n, 1)
		if err := c.both(fmt.Sprintf("Dot n=%d", n), func(bool) []float32 { return []float32{accel.Dot(x, y)} }); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) exp() error {
	for _, n := range []int{1, 3, 4, 7, 64, 301} {
		x := c.vec(n, 40)
		if n > 3 {
			x[0], x[1], x[2] = float32(math.NaN()), 200, -200
		}
		if err := c.both(fmt.Sprintf("Exp n=%d", n), func(bool) []float32 {
			d := make([]float32, n)
			accel.Exp(d, x)
			return d
		}); err != nil {
			return err
		}
	}
	return nil
}

// products: Sgemm and SgemmPacked at model shapes and edges (rows not a
// multiple of the tile, columns not a multiple of the panel, depth over
// one block, A transposed).
func (c *checker) products() error {
	for _, s := range []struct {
		m, n, k int
		transA  bool
	}{{1, 1, 1, false}, {13, 33, 7, false}, {128, 192, 64, false}, {25, 20, 64, false}, {7, 70, 300, false}, {30, 40, 17, true}} {
		a, b := c.vec(s.m*s.k, 1), c.vec(s.k*s.n, 1)
		c0 := c.vec(s.m*s.n, 1)
		lda := s.k
		if s.transA {
			lda = s.m
		}
		what := fmt.Sprintf("Sgemm %dx%dx%d transA=%v", s.m, s.n, s.k, s.transA)
		if err := c.both(what, func(bool) []float32 {
			out := clone(c0)
			accel.Sgemm(s.transA, false, s.m, s.n, s.k, 0.5, a, lda, b, s.n, 1, out, s.n)
			return out
		}); err != nil {
			return err
		}
		// packed once (with the kernels' panel width), used by both
		p := accel.PackB(true, s.k, s.n, b, s.k)
		if err := c.both("Packed "+what, func(bool) []float32 {
			out := clone(c0)
			accel.SgemmPacked(s.transA, s.m, 1, a, lda, p, 0, out, s.n)
			return out
		}); err != nil {
			return err
		}
	}
	return nil
}

// compact: the dequantisation kernels alone and inside products of
// compact (f16, int8) packed weights, at shapes with partial panels.
func (c *checker) compact() error {
	for _, s := range []struct{ m, n, k int }{{1, 20, 64}, {13, 33, 7}, {25, 70, 300}} {
		a, c0 := c.vec(s.m*s.k, 1), c.vec(s.m*s.n, 1)
		h := make([]uint16, s.n*s.k)
		q := make([]int8, s.n*s.k)
		for i := range h {
			h[i] = half.FromFloat32(float32(c.r.NormFloat64()))
			q[i] = int8(c.r.IntN(256) - 128)
		}
		scales := c.vec(s.n, 0.01)
		if err := c.both(fmt.Sprintf("DequantF16 n=%d", len(h)), func(bool) []float32 {
			d := make([]float32, len(h))
			accel.DequantF16(d, h)
			return d
		}); err != nil {
			return err
		}
		if err := c.both(fmt.Sprintf("DequantInt8 %dx%d", s.k, s.n), func(bool) []float32 {
			d := make([]float32, len(q))
			accel.DequantInt8(d, q, scales)
			return d
		}); err != nil {
			return err
		}
		for _, p := range []*accel.PackedB{accel.PackBF16(s.k, s.n, h), accel.PackBInt8(s.k, s.n, q, scales)} {
			if err := c.both(fmt.Sprintf("Packed %s %dx%dx%d", p.DType(), s.m, s.n, s.k), func(bool) []float32 {
				out := clone(c0)
				accel.SgemmPacked(false, s.m, 1, a, s.k, p, 0, out, s.n)
				return out
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// attention: causal attention of whole sequences (scored through the
// products, softmax rows through max and exp_shift_sum) and of streaming
// steps (dot products).
func (c *checker) attention() error {
	for _, s := range []struct{ rows, prev, heads, dk int }{{70, 0, 4, 16}, {5, 0, 2, 64}, {1, 40, 4, 64}, {3, 130, 2, 16}} {
		hd, n := s.heads*s.dk, s.prev+s.rows
		q, k, v := c.vec(s.rows*hd, 1), c.vec(n*hd, 1), c.vec(n*hd, 1)
		if err := c.both(fmt.Sprintf("CausalAttention %+v", s), func(bool) []float32 {
			var w accel.Workspace
			dst := make([]float32, s.rows*hd)
			w.CausalAttention(dst, hd, q, hd, k, hd, v, hd, s.rows, s.prev, s.heads, s.dk, 0.125)
			return dst
		}); err != nil {
			return err
		}
		if err := c.both(fmt.Sprintf("Attention %+v", s), func(bool) []float32 { // no mask: every query sees all n keys
			var w accel.Workspace
			dst := make([]float32, s.rows*hd)
			w.Attention(dst, hd, q, hd, k, hd, v, hd, s.rows, n, s.heads, s.dk, 0.125)
			return dst
		}); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) rows() error {
	for _, n := range []int{5, 16, 64, 130} {
		x, y, w, b := c.vec(n, 2), c.vec(n, 1), c.vec(n, 1), c.vec(n, 1)
		for i := range x {
			x[i] += 3
		}
		if err := c.both(fmt.Sprintf("AddLayerNorm n=%d", n), func(bool) []float32 {
			d := make([]float32, n)
			accel.AddLayerNorm(d, x, y, w, b, 1e-6)
			return d
		}); err != nil {
			return err
		}
		if err := c.both(fmt.Sprintf("ReLU n=%d", n), func(bool) []float32 {
			d := clone(y)
			accel.ReLU(d)
			return d
		}); err != nil {
			return err
		}
		u := c.vec(4*n+3, 2)
		if err := c.both(fmt.Sprintf("SegmentMeanMax seg=%d", n), func(bool) []float32 {
			mean, mx := make([]float32, 4), make([]float32, 4)
			accel.SegmentMeanMax(mean, mx, u, n)
			return append(mean, mx...)
		}); err != nil {
			return err
		}
		a := [4]float32{0.3, -1, 2, 0.5}
		if err := c.both(fmt.Sprintf("WeightedMax4 n=%d", n-1), func(bool) []float32 {
			d := make([]float32, n-1)
			accel.WeightedMax4(d, u, n, &a)
			return d
		}); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) gates() error {
	for _, s := range []struct{ hidden, rows int }{{64, 3}, {7, 2}, {128, 20}} {
		h, gi, gh := c.vec(s.rows*s.hidden, 1), c.vec(3*s.rows*s.hidden, 3), c.vec(3*s.rows*s.hidden, 3)
		if err := c.both(fmt.Sprintf("GRUGates %+v", s), func(bool) []float32 {
			d := clone(h)
			accel.GRUGates(d, gi, gh, s.hidden)
			return d
		}); err != nil {
			return err
		}
		cs, g := c.vec(s.rows*s.hidden, 1), c.vec(4*s.rows*s.hidden, 3)
		if err := c.both(fmt.Sprintf("LSTMGates %+v", s), func(bool) []float32 {
			d, cc := make([]float32, s.rows*s.hidden), clone(cs)
			accel.LSTMGates(d, cc, g, s.hidden)
			return append(d, cc...)
		}); err != nil {
			return err
		}
	}
	return nil
}
