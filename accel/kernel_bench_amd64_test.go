//go:build amd64 && !noasm && gc

package accel

import (
	"fmt"
	"testing"
)

// BenchmarkMicroKernel runs the register tiles alone on warm packed panels
// (k = 256): the ceiling Sgemm's packing and edges are measured against.
func BenchmarkMicroKernel(b *testing.B) {
	const k = 256
	for _, tc := range []struct {
		name   string
		mr, nr int
		f      func(k int, a, b, c *float32, ldc int, alpha float32)
	}{{"avx2-6x16", 6, 16, gemm6x16AVX2}, {"avx512-12x32", 12, 32, gemm12x32AVX512}, {"avx512-8x32", 8, 32, gemm8x32AVX512},
		{"avx512-4x32", 4, 32, gemm4x32AVX512}, {"avx512-1x32", 1, 32, gemm1x32AVX512}, {"avx512-6x64", 6, 64, gemm6x64AVX512}} {
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

// BenchmarkFMAPeak measures one core's FMA throughput on registers alone,
// the peak the kernels are compared with, for 256-bit (avx2) and 512-bit
// (avx512) FMAs separately. Each iteration runs 2¹⁶ × 24 FMAs (so even
// -benchtime 1x times something), spread over 4 to 24 independent
// accumulators: with fewer accumulators than FMA latency × FMA ports the
// loop waits on its own results (latency-bound); the peak is where adding
// accumulators stops helping (on Zen 4 and Zen 5 from 8: latency 4 × 2
// ports).
func BenchmarkFMAPeak(b *testing.B) {
	const inner = 1 << 16
	probes := []struct {
		width, accs int
		f           func(n int)
	}{
		{256, 4, fmaPeakAVX2x4}, {256, 8, fmaPeakAVX2x8}, {256, 12, fmaPeakAVX2x12}, {256, 24, fmaPeakAVX2x24},
		{512, 4, fmaPeakAVX512x4}, {512, 8, fmaPeakAVX512x8}, {512, 12, fmaPeakAVX512x12}, {512, 24, fmaPeakAVX512x24},
	}
	for _, p := range probes {
		if p.width == 256 && len(levels) < 2 || p.width == 512 && len(levels) < 3 {
			continue
		}
		name := "avx2"
		if p.width == 512 {
			name = "avx512"
		}
		b.Run(fmt.Sprintf("%s/acc%d", name, p.accs), func(b *testing.B) {
			p.f(inner) // warm the vector units up (frequency, power gating)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p.f(inner)
			}
			flops := 24 * 2 * float64(p.width/32) * inner * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
