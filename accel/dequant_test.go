package accel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// guardedF32 returns n zeros inside a buffer whose guard cells hold NaN,
// and a check that the guards are intact.
func guardedF32(n int) ([]float32, func() bool) {
	s, ok := guarded(rand.New(rand.NewPCG(1, 1)), n)
	clear(s)
	return s, ok
}

// randomHalves returns n binary16 values: random finite bit patterns
// (normals and subnormals of both signs) with ±0, the largest value and
// the smallest subnormal among them.
func randomHalves(r *rand.Rand, n int) []uint16 {
	h := make([]uint16, n)
	for i := range h {
		for {
			h[i] = uint16(r.Uint32())
			if h[i]&0x7c00 != 0x7c00 {
				break
			}
		}
	}
	copy(h, []uint16{0x0000, 0x8000, 0x7bff, 0xfbff, 0x0001, 0x8001, 0x3c00})
	return h
}

func TestDequantF16(t *testing.T) {
	eachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(41, 42))
		for _, n := range []int{0, 1, 7, 8, 9, 16, 31, 32, 33, 40, 255, 256, 257, 4096 + 5} {
			src := randomHalves(r, n)
			dst, ok := guardedF32(n)
			DequantF16(dst, src)
			require.True(t, ok(), "guards n=%d", n)
			for i, h := range src {
				require.Equal(t, math.Float32bits(F16ToF32(h)), math.Float32bits(dst[i]), "n=%d element %d (%#04x)", n, i, h)
			}
		}
	})
	require.Panics(t, func() { DequantF16(make([]float32, 3), make([]uint16, 4)) })
	// every binary16 value through the generic conversion, bit for bit
	for h := 0; h < 1<<16; h++ {
		require.Equal(t, math.Float32bits(F16ToF32(uint16(h))), math.Float32bits(f16ToF32(uint16(h))), "%#04x", h)
	}
	// every finite binary16 value, under every implementation
	var all []uint16
	for h := 0; h < 1<<16; h++ {
		if h&0x7c00 != 0x7c00 {
			all = append(all, uint16(h))
		}
	}
	eachImpl(t, func(t *testing.T) {
		dst := make([]float32, len(all))
		DequantF16(dst, all)
		for i, h := range all {
			require.Equal(t, math.Float32bits(F16ToF32(h)), math.Float32bits(dst[i]), "%#04x", h)
		}
	})
}

func TestDequantInt8(t *testing.T) {
	eachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(43, 44))
		for _, c := range [][2]int{{1, 1}, {3, 5}, {1, 8}, {7, 8}, {256, 16}, {256, 32}, {5, 24}, {2, 40}, {4, 3}} {
			rows, cols := c[0], c[1]
			src := make([]int8, rows*cols)
			for i := range src {
				src[i] = int8(r.IntN(255) - 127)
			}
			src[0] = -127
			scales := make([]float32, cols)
			for j := range scales {
				scales[j] = float32(r.ExpFloat64() * 0.01)
			}
			dst, ok := guardedF32(rows * cols)
			DequantInt8(dst, src, scales)
			require.True(t, ok(), "guards %v", c)
			for i, q := range src {
				want := scales[i%cols] * float32(q)
				require.Equal(t, want, dst[i], "%v element %d", c, i)
			}
		}
	})
	require.Panics(t, func() { DequantInt8(make([]float32, 6), make([]int8, 6), make([]float32, 4)) })
	require.Panics(t, func() { DequantInt8(make([]float32, 4), make([]int8, 4), nil) })
}

// FuzzDequant compares the active dequantisation kernels with the
// generic loops: both are exact (one rounding for int8), so they must
// agree bit for bit.
func FuzzDequant(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, uint8(8), float32(0.5))
	f.Fuzz(func(t *testing.T, data []byte, colsB uint8, scale float32) {
		if math.IsNaN(float64(scale)) || math.IsInf(float64(scale), 0) {
			scale = 1
		}
		halves := make([]uint16, len(data)/2)
		for i := range halves {
			halves[i] = uint16(data[2*i]) | uint16(data[2*i+1])<<8
			if halves[i]&0x7c00 == 0x7c00 { // bundles hold finite values only
				halves[i] &^= 0x4000
			}
		}
		fast := make([]float32, len(halves))
		DequantF16(fast, halves)
		restore := ForceGeneric()
		gen := make([]float32, len(halves))
		DequantF16(gen, halves)
		restore()
		for i := range fast {
			if math.Float32bits(fast[i]) != math.Float32bits(gen[i]) {
				t.Fatalf("f16 %#04x: %s %v, generic %v", halves[i], Implementation(), fast[i], gen[i])
			}
		}
		cols := int(colsB%40) + 1
		rows := len(data) / cols
		if rows == 0 {
			return
		}
		src := make([]int8, rows*cols)
		for i := range src {
			src[i] = int8(data[i])
		}
		scales := make([]float32, cols)
		for j := range scales {
			scales[j] = scale * float32(j+1)
		}
		fq, gq := make([]float32, len(src)), make([]float32, len(src))
		DequantInt8(fq, src, scales)
		restore = ForceGeneric()
		DequantInt8(gq, src, scales)
		restore()
		for i := range fq {
			if math.Float32bits(fq[i]) != math.Float32bits(gq[i]) && !(math.IsNaN(float64(fq[i])) && math.IsNaN(float64(gq[i]))) {
				t.Fatalf("int8 %d × %v: %s %v, generic %v", src[i], scales[i%cols], Implementation(), fq[i], gq[i])
			}
		}
	})
}

// TestSgemmPackedCompact: products with compact (f16, int8) panels equal,
// bit for bit, the products with f32 panels of the same (dequantised)
// weights, under every implementation, on one thread or several; the
// compact panels take half and about a quarter of the memory.
func TestSgemmPackedCompact(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	for _, s := range [][3]int{{37, 300, 70}, {5, 17, 3}, {200, 64, 2100}, {1, 260, 33}} {
		m, in, out := s[0], s[1], s[2]
		x := randVecR(r, m*in)
		h := randomHalves(r, in*out)
		for i := range h {
			h[i] &^= 0x4000 // keep magnitudes below 2
		}
		wh := make([]float32, len(h))
		DequantF16(wh, h)
		q := make([]int8, in*out)
		scales := make([]float32, out)
		wq := make([]float32, len(q))
		for j := range scales {
			scales[j] = 0.01 * float32(j%7+1)
			for p := 0; p < in; p++ {
				q[j*in+p] = int8(r.IntN(255) - 127)
				wq[j*in+p] = scales[j] * float32(q[j*in+p])
			}
		}
		eachImpl(t, func(t *testing.T) {
			for _, tc := range []struct {
				name          string
				compact, full *PackedB
			}{
				{"f16", PackBF16(in, out, h), PackB(true, in, out, wh, in)},
				{"int8", PackBInt8(in, out, q, scales), PackB(true, in, out, wq, in)},
			} {
				name := fmt.Sprintf("%s %v", tc.name, s)
				want := make([]float32, m*out)
				SgemmPacked(false, m, 1, x, in, tc.full, 0, want, out)
				for _, threads := range []int{1, 3} {
					var w Workspace
					w.SetThreads(threads)
					got, ok := guardedF32(m * out)
					w.SgemmPacked(false, m, 1, x, in, tc.compact, 0, got, out)
					require.True(t, ok(), "guards %s", name)
					require.Equal(t, want, got, "%s threads %d", name, threads)
				}
				require.Equal(t, tc.name, tc.compact.DType())
				if tc.name == "f16" {
					require.Equal(t, tc.full.Bytes()/2, tc.compact.Bytes(), name)
				} else { // a quarter, plus one scale per column of whole panels
					nr := tc.compact.nr
					require.Equal(t, tc.full.Bytes()/4+4*((out+nr-1)/nr*nr), tc.compact.Bytes(), name)
				}
			}
		})
	}
}

// BenchmarkDequant converts one product panel (kc × nr values, f16 or
// int8) with the generic code and with this CPU's kernels; SetBytes is the
// float32 bytes written.
//
//	go test -run '^$' -bench BenchmarkDequant ./accel
func BenchmarkDequant(b *testing.B) {
	r := rand.New(rand.NewPCG(47, 48))
	for _, nr := range []int{16, 32} {
		n := kc * nr
		h := randomHalves(r, n)
		q := make([]int8, n)
		for i := range q {
			q[i] = int8(r.IntN(255) - 127)
		}
		scales := make([]float32, nr)
		for j := range scales {
			scales[j] = 0.01
		}
		dst := make([]float32, n)
		b.Run(fmt.Sprintf("f16/%dx%d/F16ToF32", kc, nr), func(b *testing.B) { // the naive loop
			b.SetBytes(int64(4 * n))
			for i := 0; i < b.N; i++ {
				for j, v := range h {
					dst[j] = F16ToF32(v)
				}
			}
		})
		for _, impl := range []string{"generic", Implementation()} {
			restore, _ := use(impl)
			b.Run(fmt.Sprintf("f16/%dx%d/%s", kc, nr, impl), func(b *testing.B) {
				b.SetBytes(int64(4 * n))
				for i := 0; i < b.N; i++ {
					DequantF16(dst, h)
				}
			})
			b.Run(fmt.Sprintf("int8/%dx%d/%s", kc, nr, impl), func(b *testing.B) {
				b.SetBytes(int64(4 * n))
				for i := 0; i < b.N; i++ {
					DequantInt8(dst, q, scales)
				}
			})
			restore()
		}
	}
}

// BenchmarkSgemmPackedDType is the kernel-level cost of compact weights:
// the same product (m rows × 256 × 256, Linear-shaped) with f32, f16 and
// int8 panels.
//
//	go test -run '^$' -bench BenchmarkSgemmPackedDType ./accel
func BenchmarkSgemmPackedDType(b *testing.B) {
	r := rand.New(rand.NewPCG(49, 50))
	in, out := 256, 256
	w := randVecR(r, in*out)
	h := make([]uint16, len(w))
	for i, v := range w {
		h[i] = f32ToF16(v)
	}
	q := make([]int8, len(w))
	for i := range q {
		q[i] = int8(r.IntN(255) - 127)
	}
	scales := make([]float32, out)
	for j := range scales {
		scales[j] = 0.01
	}
	packed := map[string]*PackedB{"f32": PackB(true, in, out, w, in), "f16": PackBF16(in, out, h), "int8": PackBInt8(in, out, q, scales)}
	for _, m := range []int{1, 32, 512} {
		x := randVecR(r, m*in)
		c := make([]float32, m*out)
		for _, dt := range []string{"f32", "f16", "int8"} {
			b.Run(fmt.Sprintf("m%d/%s", m, dt), func(b *testing.B) {
				var ws Workspace
				for i := 0; i < b.N; i++ {
					ws.SgemmPacked(false, m, 1, x, in, packed[dt], 0, c, out)
				}
				b.ReportMetric(2*float64(m*in*out)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
