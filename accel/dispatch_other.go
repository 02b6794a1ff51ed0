//go:build !((amd64 || arm64) && !noasm && gc)

package accel

// Other targets (wasm, 386, …) and the noasm tag run the generic kernels.

func dotFast(x, y []float32) float32 { return dot(x, y) }

func gemmFastTile(rows, nr, k int, a, b, c *float32, ldc int, alpha float32) bool { return false }

func tile() (mr, nr int) { return 6, 16 }

func expFast(dst, x []float32) int { return 0 }

func gruRowFast(h, gi, gh []float32, hidden int) int { return 0 }

func lstmRowFast(h, c, g []float32, hidden int) int { return 0 }
