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

// gemmFastTile runs the assembly kernel for a tile of rows × nr (A packed
// rows wide) when this CPU has one; a PackedB made under another level may
// ask for a panel width this level has no kernel for.
func gemmFastTile(rows, nr, k int, a, b, c *float32, ldc int, alpha float32) bool {
	switch {
	case level == 0:
		return false
	case nr == 32 && level == 2:
		gemm32AVX512(rows, k, a, b, c, ldc, alpha)
	case nr == 16:
		gemm16AVX2(rows, k, a, b, c, ldc, alpha)
	default:
		return false
	}
	return true
}

func gemm16AVX2(rows, k int, a, b, c *float32, ldc int, alpha float32) {
	switch rows {
	case 6:
		gemm6x16AVX2(k, a, b, c, ldc, alpha)
	case 5:
		gemm5x16AVX2(k, a, b, c, ldc, alpha)
	case 4:
		gemm4x16AVX2(k, a, b, c, ldc, alpha)
	case 3:
		gemm3x16AVX2(k, a, b, c, ldc, alpha)
	case 2:
		gemm2x16AVX2(k, a, b, c, ldc, alpha)
	case 1:
		gemm1x16AVX2(k, a, b, c, ldc, alpha)
	default:
		panic("accel: tile rows")
	}
}

func gemm32AVX512(rows, k int, a, b, c *float32, ldc int, alpha float32) {
	switch rows {
	case 12:
		gemm12x32AVX512(k, a, b, c, ldc, alpha)
	case 11:
		gemm11x32AVX512(k, a, b, c, ldc, alpha)
	case 10:
		gemm10x32AVX512(k, a, b, c, ldc, alpha)
	case 9:
		gemm9x32AVX512(k, a, b, c, ldc, alpha)
	case 8:
		gemm8x32AVX512(k, a, b, c, ldc, alpha)
	case 7:
		gemm7x32AVX512(k, a, b, c, ldc, alpha)
	case 6:
		gemm6x32AVX512(k, a, b, c, ldc, alpha)
	case 5:
		gemm5x32AVX512(k, a, b, c, ldc, alpha)
	case 4:
		gemm4x32AVX512(k, a, b, c, ldc, alpha)
	case 3:
		gemm3x32AVX512(k, a, b, c, ldc, alpha)
	case 2:
		gemm2x32AVX512(k, a, b, c, ldc, alpha)
	case 1:
		gemm1x32AVX512(k, a, b, c, ldc, alpha)
	default:
		panic("accel: tile rows")
	}
}

// expFast runs expAVX2 over the leading in-range blocks of 8.
func expFast(dst, x []float32) int {
	if level == 0 || len(x) < 8 {
		return 0
	}
	return expAVX2(&dst[0], &x[0], len(x))
}

// gruRowFast runs gruRowAVX2 over the leading multiple of 8 of one GRU
// row and returns how many elements it computed.
func gruRowFast(h, gi, gh []float32, hidden int) int {
	n := hidden &^ 7
	if level == 0 || n == 0 {
		return 0
	}
	_, _ = gi[3*hidden-1], gh[3*hidden-1]
	gruRowAVX2(&h[0], &gi[0], &gh[0], n, hidden)
	return n
}

// lstmRowFast runs lstmRowAVX2 over the leading multiple of 8 of one LSTM
// row and returns how many elements it computed.
func lstmRowFast(h, c, g []float32, hidden int) int {
	n := hidden &^ 7
	if level == 0 || n == 0 {
		return 0
	}
	_, _, _ = h[hidden-1], c[hidden-1], g[4*hidden-1]
	lstmRowAVX2(&h[0], &c[0], &g[0], n, hidden)
	return n
}
