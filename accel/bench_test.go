package accel

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

func randVec(n int) []float32 {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// BenchmarkDot sweeps sizes for every implementation; SetBytes counts both
// inputs.
func BenchmarkDot(b *testing.B) {
	for _, name := range levels {
		for _, n := range []int{16, 256, 4096, 65536} {
			x, y := randVec(n), randVec(n)
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				restore, _ := use(name)
				defer restore()
				b.SetBytes(int64(8 * n))
				var s float32
				for i := 0; i < b.N; i++ {
					s += Dot(x, y)
				}
				b.ReportMetric(2*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				_ = s
			})
		}
	}
}

// BenchmarkSgemm sweeps square sizes for every implementation, with
// gonum's pure-Go Sgemm (one goroutine per block) as the baseline.
func BenchmarkSgemm(b *testing.B) {
	for _, n := range []int{64, 256, 512} {
		a, bb, c := randVec(n*n), randVec(n*n), make([]float32, n*n)
		flops := 2 * float64(n) * float64(n) * float64(n)
		for _, name := range levels {
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				restore, _ := use(name)
				defer restore()
				for i := 0; i < b.N; i++ {
					Sgemm(false, false, n, n, n, 1, a, n, bb, n, 0, c, n)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
		b.Run(fmt.Sprintf("gonum/%d", n), func(b *testing.B) {
			var impl gonum.Implementation
			for i := 0; i < b.N; i++ {
				impl.Sgemm(blas.NoTrans, blas.NoTrans, n, n, n, 1, a, n, bb, n, 0, c, n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkGemvBandwidth reads a matrix four times the size of L2 per
// call: GB/s of matrix streamed, beside a plain copy of the same bytes
// (the memory bandwidth one core reaches).
func BenchmarkGemvBandwidth(b *testing.B) {
	const rows, cols = 2048, 2048 // 16 MiB of weights
	w, x, dst := randVec(rows*cols), randVec(cols), make([]float32, rows)
	for _, name := range levels {
		b.Run("gemv/"+name, func(b *testing.B) {
			restore, _ := use(name)
			defer restore()
			b.SetBytes(int64(4 * rows * cols))
			for i := 0; i < b.N; i++ {
				Gemv(dst, w, x, nil, rows, cols)
			}
		})
	}
	b.Run("copy", func(b *testing.B) {
		c := make([]float32, rows*cols)
		b.SetBytes(int64(4 * rows * cols))
		for i := 0; i < b.N; i++ {
			copy(c, w)
		}
	})
}
