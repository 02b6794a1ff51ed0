//go:build amd64 && !noasm && gc

package accel

import (
	"fmt"
	"sort"
	"testing"
	"time"
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

// peakShapes are the products WAY and TD run (m × n × k, B pre-packed,
// A in place), and the square ones Sgemm is usually judged by. The WAY
// shapes are for one voyage of 128 (small) or 512 (default) cells with
// 3 points per cell on average; TD's for 20 samples of one series.
var peakShapes = []struct {
	name    string
	m, n, k int
}{
	{"square-256", 256, 256, 256}, {"square-512", 512, 512, 512},
	{"way-small/gru-in0", 384, 192, 9}, {"way-small/gru-rec", 128, 192, 64}, {"way-small/gru-in1", 384, 192, 64},
	{"way-small/chan-in", 512, 64, 64}, {"way-small/qkv", 128, 192, 64}, {"way-small/out", 128, 64, 64},
	{"way-small/ffn1", 512, 128, 64}, {"way-small/ffn2", 512, 64, 128}, {"way-small/head", 128, 20, 64},
	{"way-default/gru-rec", 512, 384, 128}, {"way-default/gru-in1", 1536, 384, 128}, {"way-default/chan-in", 2048, 256, 128},
	{"way-default/qkv", 512, 768, 128}, {"way-default/out", 512, 128, 256}, {"way-default/ffn1", 2048, 256, 128},
	{"way-default/ffn2", 2048, 128, 256}, {"way-default/scores", 64, 512, 64}, {"way-default/weighted-sum", 64, 64, 512},
	{"td/lstm-in0", 240, 512, 5}, {"td/lstm-rec", 20, 512, 128}, {"td/lstm-in1", 240, 512, 128}, {"td/fc", 20, 128, 128},
}

// BenchmarkSgemmPeak reports each product's GFLOP/s and its share of the
// FMA peak of the implementation's vector width (%peak), measured in the
// same benchmark: every iteration times the product and then the FMA probe
// for about as long, and %peak is the median of their ratios, so load
// from other work on the machine affects both alike.
func BenchmarkSgemmPeak(b *testing.B) {
	for _, name := range levels[1:] {
		probe, lanes := fmaPeakAVX2x12, 8
		if name == "avx512" {
			probe, lanes = fmaPeakAVX512x12, 16
		}
		for _, s := range peakShapes {
			b.Run(name+"/"+s.name, func(b *testing.B) {
				restore, _ := use(name)
				defer restore()
				a, c := randVec(s.m*s.k), make([]float32, s.m*s.n)
				pb := PackB(true, s.k, s.n, randVec(s.n*s.k), s.k)
				var w Workspace
				flops := 2 * float64(s.m*s.n*s.k)
				// probe iterations of about one product's duration at peak
				inner := max(1, int(flops/float64(24*2*lanes)))
				w.SgemmPacked(false, s.m, 1, a, s.k, pb, 0, c, s.n)
				probe(inner)
				var ratios []float64
				var total time.Duration
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t0 := time.Now()
					w.SgemmPacked(false, s.m, 1, a, s.k, pb, 0, c, s.n)
					t1 := time.Now()
					probe(inner)
					t2 := time.Now()
					total += t1.Sub(t0)
					// product time over the probe's time for the same flops
					ratios = append(ratios, float64(t2.Sub(t1))/float64(t1.Sub(t0))*flops/float64(inner*24*2*lanes))
				}
				b.StopTimer()
				sort.Float64s(ratios)
				b.ReportMetric(flops*float64(b.N)/total.Seconds()/1e9, "GFLOP/s")
				b.ReportMetric(100*ratios[len(ratios)/2], "%peak")
			})
		}
	}
}
