//go:build !((amd64 || arm64) && !noasm && gc) && !(wasm && !noasm)

package accel

// Other targets (386, riscv64, …) and the noasm tag run the generic
// kernels; wasm has dispatch_wasm.go.

func dotFast(x, y []float32) float32 { return dot(x, y) }

func gemmFastTile(rows, nr, k int, a, b, c *float32, ldc int, alpha float32) bool { return false }

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
