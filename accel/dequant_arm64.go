//go:build arm64 && !noasm && gc

package accel

// dequantF16NEON converts n (a positive multiple of 8) binary16 values
// with FCVTL and FCVTL2 (dequant_arm64.s).
//
//go:noescape
func dequantF16NEON(dst *float32, src *uint16, n int)

// dequantInt8NEON sets dst[r·cols+j] = scales[j]·float32(src[r·cols+j])
// for r < rows, j < cols (a positive multiple of 8): SXTL twice, SCVTF,
// FMUL (dequant_arm64.s).
//
//go:noescape
func dequantInt8NEON(dst *float32, src *int8, scales *float32, rows, cols int)

func dequantF16Fast(dst []float32, src []uint16) int {
	n := len(src) &^ 7
	if level == 0 || n == 0 {
		return 0
	}
	_ = dst[n-1]
	dequantF16NEON(&dst[0], &src[0], n)
	return n
}

func dequantInt8Fast(dst []float32, src []int8, scales []float32) bool {
	cols := len(scales)
	if level == 0 || cols&7 != 0 || len(dst) == 0 {
		return false
	}
	_ = src[len(dst)-1]
	dequantInt8NEON(&dst[0], &src[0], &scales[0], len(dst)/cols, cols)
	return true
}
