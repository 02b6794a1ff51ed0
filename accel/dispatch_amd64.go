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

// inPlaceA reports whether this CPU has kernels of panel width nr that
// read A in place (gemmFastTileA), so A need not be packed.
func inPlaceA(nr int) bool { return level == 2 && nr == 32 || level >= 1 && nr == 16 }

// gemmFastTileA runs the kernel for a tile of rows × nr reading A in
// place (row stride lda); inPlaceA(nr) must hold.
func gemmFastTileA(rows, nr, k int, a *float32, lda int, b, c *float32, ldc int, alpha float32) {
	if nr == 32 {
		gemm32AVX512A(rows, k, a, lda, b, c, ldc, alpha)
		return
	}
	gemm16AVX2A(rows, k, a, lda, b, c, ldc, alpha)
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

func gemm16AVX2A(rows, k int, a *float32, lda int, b, c *float32, ldc int, alpha float32) {
	switch rows {
	case 6:
		gemm6x16AVX2A(k, a, lda, b, c, ldc, alpha)
	case 5:
		gemm5x16AVX2A(k, a, lda, b, c, ldc, alpha)
	case 4:
		gemm4x16AVX2A(k, a, lda, b, c, ldc, alpha)
	case 3:
		gemm3x16AVX2A(k, a, lda, b, c, ldc, alpha)
	case 2:
		gemm2x16AVX2A(k, a, lda, b, c, ldc, alpha)
	case 1:
		gemm1x16AVX2A(k, a, lda, b, c, ldc, alpha)
	default:
		panic("accel: tile rows")
	}
}

func gemm32AVX512A(rows, k int, a *float32, lda int, b, c *float32, ldc int, alpha float32) {
	switch rows {
	case 12:
		gemm12x32AVX512A(k, a, lda, b, c, ldc, alpha)
	case 11:
		gemm11x32AVX512A(k, a, lda, b, c, ldc, alpha)
	case 10:
		gemm10x32AVX512A(k, a, lda, b, c, ldc, alpha)
	case 9:
		gemm9x32AVX512A(k, a, lda, b, c, ldc, alpha)
	case 8:
		gemm8x32AVX512A(k, a, lda, b, c, ldc, alpha)
	case 7:
		gemm7x32AVX512A(k, a, lda, b, c, ldc, alpha)
	case 6:
		gemm6x32AVX512A(k, a, lda, b, c, ldc, alpha)
	case 5:
		gemm5x32AVX512A(k, a, lda, b, c, ldc, alpha)
	case 4:
		gemm4x32AVX512A(k, a, lda, b, c, ldc, alpha)
	case 3:
		gemm3x32AVX512A(k, a, lda, b, c, ldc, alpha)
	case 2:
		gemm2x32AVX512A(k, a, lda, b, c, ldc, alpha)
	case 1:
		gemm1x32AVX512A(k, a, lda, b, c, ldc, alpha)
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

// gruRowFast runs the gate kernels over the leading multiple of 8 of one
// GRU row (16 lanes at a time with AVX-512, then 8) and returns how many
// elements they computed.
func gruRowFast(h, gi, gh []float32, hidden int) int {
	if level == 0 || hidden < 8 {
		return 0
	}
	_, _, _ = h[hidden-1], gi[3*hidden-1], gh[3*hidden-1]
	done := 0
	if n := hidden &^ 15; level == 2 && n > 0 {
		gruRowAVX512(&h[0], &gi[0], &gh[0], n, hidden)
		done = n
	}
	if n := (hidden - done) &^ 7; n > 0 {
		gruRowAVX2(&h[done], &gi[done], &gh[done], n, hidden)
		done += n
	}
	return done
}

// lstmRowFast is gruRowFast for one LSTM row.
func lstmRowFast(h, c, g []float32, hidden int) int {
	if level == 0 || hidden < 8 {
		return 0
	}
	_, _, _ = h[hidden-1], c[hidden-1], g[4*hidden-1]
	done := 0
	if n := hidden &^ 15; level == 2 && n > 0 {
		lstmRowAVX512(&h[0], &c[0], &g[0], n, hidden)
		done = n
	}
	if n := (hidden - done) &^ 7; n > 0 {
		lstmRowAVX2(&h[done], &c[done], &g[done], n, hidden)
		done += n
	}
	return done
}

// maxFast returns the maximum of the leading multiple of 8 of x and how
// many elements it read (0: none).
func maxFast(x []float32) (float32, int) {
	n := len(x) &^ 7
	if level == 0 || n == 0 {
		return 0, 0
	}
	return maxAVX2(&x[0], n), n
}

// expShiftSumFast sets x[i] = e^(x[i]−shift) over the leading multiple of
// 8 of x and returns their sum and how many it computed.
func expShiftSumFast(x []float32, shift float32) (float32, int) {
	n := len(x) &^ 7
	if level == 0 || n == 0 {
		return 0, 0
	}
	return expShiftSumAVX2(&x[0], n, shift), n
}

// addLayerNormFast runs addLayerNormAVX2 when n is a multiple of 8.
func addLayerNormFast(dst, x, y, w, b []float32, eps float32) bool {
	n := len(dst)
	if level == 0 || n == 0 || n&7 != 0 {
		return false
	}
	_, _, _, _ = x[n-1], y[n-1], w[n-1], b[n-1]
	addLayerNormAVX2(&dst[0], &x[0], &y[0], &w[0], &b[0], n, eps)
	return true
}

// reluFast runs reluAVX2 over the leading multiple of 8 of x.
func reluFast(x []float32) int {
	n := len(x) &^ 7
	if level == 0 || n == 0 {
		return 0
	}
	reluAVX2(&x[0], n)
	return n
}

// segMeanMaxFast runs segMeanMaxAVX2 when seg is a multiple of 8.
func segMeanMaxFast(mean, mx, x []float32, seg int) bool {
	if level == 0 || seg&7 != 0 || len(mean) == 0 {
		return false
	}
	_, _ = x[len(mean)*seg-1], mx[len(mean)-1]
	segMeanMaxAVX2(&x[0], seg, len(mean), &mean[0], &mx[0])
	return true
}

// weightedMax4Fast runs chanMax4AVX2 over the leading multiple of 8 of dst.
func weightedMax4Fast(dst, u []float32, stride int, a *[4]float32) int {
	n := len(dst) &^ 7
	if level == 0 || n == 0 {
		return 0
	}
	_ = u[3*stride+n-1]
	chanMax4AVX2(&dst[0], &u[0], stride, a, n)
	return n
}
