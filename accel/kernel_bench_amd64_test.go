//go:build amd64 && !noasm && gc

package accel

import "testing"

// BenchmarkMicroKernel runs the register tiles alone on warm packed panels
// (k = 256): the ceiling Sgemm's packing and edges are measured against.
func BenchmarkMicroKernel(b *testing.B) {
	const k = 256
	for _, tc := range []struct {
		name   string
		mr, nr int
		f      func(k int, a, b, c *float32, ldc int, alpha float32)
	}{{"avx2-6x16", 6, 16, gemm6x16AVX2}, {"avx512-12x32", 12, 32, gemm12x32AVX512}, {"avx512-6x64", 6, 64, gemm6x64AVX512}} {
		if tc.nr >= 32 && len(levels) < 3 || len(levels) < 2 {
			continue
		}
		a, bb, c := randVec(k*tc.mr), randVec(k*tc.nr), make([]float32, tc.mr*tc.nr)
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				tc.f(k, &a[0], &bb[0], &c[0], tc.nr, 1)
			}
			b.ReportMetric(2*float64(k*tc.mr*tc.nr)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkFMAPeak measures one core's FMA throughput on registers alone:
// the practical peak the kernels are compared with.
func BenchmarkFMAPeak(b *testing.B) {
	if len(levels) >= 2 {
		b.Run("avx2", func(b *testing.B) {
			fmaPeakAVX2(b.N)
			b.ReportMetric(24*16*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
	if len(levels) >= 3 {
		b.Run("avx512", func(b *testing.B) {
			fmaPeakAVX512(b.N)
			b.ReportMetric(24*32*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
