package accel

import "github.com/portolan-sdk/portolan/internal/half"

// F16ToF32 converts IEEE 754 binary16 bits to float32 exactly.
func F16ToF32(h uint16) float32 { return half.ToFloat32(h) }

// GemvF16 computes dst = W·x (+ b) for f16 weights W (rows×cols, binary16
// bits), dequantising on the fly so the matrix stays half size in memory:
//
//	dst[r] = Σ_c F16ToF32(w[r*cols+c])·x[c] + b[r]
func GemvF16(dst []float32, w []uint16, x, b []float32, rows, cols int) {
	gemvDequant(dst, w, F16ToF32, nil, x, b, rows, cols)
}

// GemvInt8 computes dst = W·x (+ b) for int8 weights with one scale per
// output row (the bundle's per-output-channel quantisation):
//
//	dst[r] = scales[r]·Σ_c q[r*cols+c]·x[c] + b[r]
func GemvInt8(dst []float32, q []int8, scales, x, b []float32, rows, cols int) {
	if len(scales) != rows {
		panic(badLength)
	}
	gemvDequant(dst, q, func(v int8) float32 { return float32(v) }, scales, x, b, rows, cols)
}

// gemvDequant converts each row of W in chunks of 256 on the stack and
// multiplies them with the dispatched dot product; scales, when not nil,
// multiplies each row's sum.
func gemvDequant[T uint16 | int8](dst []float32, w []T, conv func(T) float32, scales, x, b []float32, rows, cols int) {
	if len(w) != rows*cols || len(x) != cols || len(dst) < rows || (b != nil && len(b) != rows) {
		panic(badLength)
	}
	var row [256]float32
	for r := 0; r < rows; r++ {
		var s float32
		wr := w[r*cols : (r+1)*cols]
		for c0 := 0; c0 < cols; c0 += len(row) {
			n := min(len(row), cols-c0)
			for i, v := range wr[c0 : c0+n] {
				row[i] = conv(v)
			}
			s += dotFast(row[:n], x[c0:c0+n])
		}
		if scales != nil {
			s *= scales[r]
		}
		if b != nil {
			s += b[r]
		}
		dst[r] = s
	}
}
