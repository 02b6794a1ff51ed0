package accel

import "math"

// Axpy sets y[i] += alpha·x[i].
func Axpy(alpha float32, x, y []float32) {
	if len(x) != len(y) {
		panic(badLength)
	}
	for i, v := range x {
		y[i] += alpha * v
	}
}

// Scale sets x[i] *= alpha.
func Scale(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

// Mul sets dst[i] = x[i]·y[i].
func Mul(dst, x, y []float32) {
	if len(dst) != len(x) || len(x) != len(y) {
		panic(badLength)
	}
	for i, v := range x {
		dst[i] = v * y[i]
	}
}

// GELU sets x[i] = x[i]·Φ(x[i]) (the exact form, with erf, as PyTorch's
// default), through float64.
func GELU(x []float32) {
	for i, v := range x {
		f := float64(v)
		x[i] = float32(0.5 * f * (1 + math.Erf(f/math.Sqrt2)))
	}
}

// Gemv computes dst = W·x (+ b): W is rows×cols row-major, the single-row
// case of Linear:
//
//	for r < rows: dst[r] = Dot(w[r*cols:(r+1)*cols], x) + b[r]
func Gemv(dst, w, x, b []float32, rows, cols int) {
	Linear(dst, x, w, b, 1, cols, rows)
}
