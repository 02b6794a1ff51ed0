//go:build amd64 && !noasm && gc

package accel

import "golang.org/x/sys/cpu"

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		levels = append(levels, "avx2")
		if cpu.X86.HasAVX512F {
			levels = append(levels, "avx512")
		}
	}
	level = len(levels) - 1
}

func dotFast(x, y []float32) float32 {
	switch level {
	case 2:
		return dotAVX512(x, y)
	case 1:
		return dotAVX2(x, y)
	}
	return dot(x, y)
}

// tile is the micro-kernel's register tile: 12×32 with AVX-512 (24 ZMM
// accumulators), 6×16 with AVX2 (12 YMM) and the generic code.
func tile() (mr, nr int) {
	if level == 2 {
		return 12, 32
	}
	return 6, 16
}

// gemmFastTile runs an assembly kernel for an mr×nr tile when this CPU has
// one (a PackedB made under another level may ask for another tile).
func gemmFastTile(mr, nr, k int, a, b, c *float32, ldc int, alpha float32) bool {
	switch {
	case level == 0:
		return false
	case mr == 12 && nr == 32 && level == 2:
		gemm12x32AVX512(k, a, b, c, ldc, alpha)
	case mr == 6 && nr == 16:
		gemm6x16AVX2(k, a, b, c, ldc, alpha)
	default:
		return false
	}
	return true
}

// expFast runs expAVX2 over the leading in-range blocks of 8.
func expFast(dst, x []float32) int {
	if level == 0 || len(x) < 8 {
		return 0
	}
	return expAVX2(&dst[0], &x[0], len(x))
}
