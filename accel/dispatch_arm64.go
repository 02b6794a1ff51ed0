//go:build arm64 && !noasm && gc

package accel

// dotNEONBlocks accumulates x[i]·y[i] for i < n (a multiple of 16) into
// four 4-lane accumulators written to acc: acc[4j+l] = Σ over i ≡ 4j+l
// (mod 16).
//
//go:noescape
func dotNEONBlocks(x, y *float32, n int, acc *[16]float32)

func dotNEON(x, y []float32) float32 {
	n := len(x) &^ 15
	var acc [16]float32
	if n > 0 {
		dotNEONBlocks(&x[0], &y[0], n, &acc)
	}
	var s float32
	for _, v := range acc {
		s += v
	}
	for i := n; i < len(x); i++ {
		s += float32(x[i] * y[i])
	}
	return s
}

func init() {
	levels = append(levels, "neon")
	level = len(levels) - 1
}

func dotFast(x, y []float32) float32 {
	if level == 1 {
		return dotNEON(x, y)
	}
	return dot(x, y)
}

// gemm6x16NEON adds alpha·A·B to a 6×16 tile from packed panels
// (gemm_arm64.s).
//
//go:noescape
func gemm6x16NEON(k int, a, b, c *float32, ldc int, alpha float32)

func gemmFastTile(rows, nr, k int, a, b, c *float32, ldc int, alpha float32) bool {
	if level == 0 || rows != 6 || nr != 16 {
		return false
	}
	gemm6x16NEON(k, a, b, c, ldc, alpha)
	return true
}

func tile() (mr, nr int) { return 6, 16 }

func expFast(dst, x []float32) int { return 0 }

func gruRowFast(h, gi, gh []float32, hidden int) int { return 0 }

func lstmRowFast(h, c, g []float32, hidden int) int { return 0 }

func inPlaceA(nr int) bool { return false }

func gemmFastTileA(rows, nr, k int, a *float32, lda int, b, c *float32, ldc int, alpha float32) {
	panic("accel: no in-place kernels")
}

func maxFast(x []float32) (float32, int) { return 0, 0 }

func expShiftSumFast(x []float32, shift float32) (float32, int) { return 0, 0 }

func addLayerNormFast(dst, x, y, w, b []float32, eps float32) bool { return false }

func reluFast(x []float32) int { return 0 }

func segMeanMaxFast(mean, mx, x []float32, seg int) bool { return false }

func weightedMax4Fast(dst, u []float32, stride int, a *[4]float32) int { return 0 }
