//go:build amd64 && !noasm && gc

package accel

import "golang.org/x/sys/cpu"

// hasF16C: every AVX2 CPU so far has F16C, but it is a separate flag.
var hasF16C = cpu.X86.HasF16C

// dequantF16Fast converts the leading multiple of 16 (AVX-512) or 8 (F16C)
// of src and returns how many it converted.
func dequantF16Fast(dst []float32, src []uint16) int {
	if level == 2 {
		if n := len(src) &^ 15; n > 0 {
			_ = dst[n-1]
			dequantF16AVX512(&dst[0], &src[0], n)
			return n
		}
	}
	n := len(src) &^ 7
	if level == 0 || !hasF16C || n == 0 {
		return 0
	}
	_ = dst[n-1]
	dequantF16AVX2(&dst[0], &src[0], n)
	return n
}

// dequantInt8Fast runs the AVX-512 kernel when the rows are a multiple of
// 16 wide, the AVX2 one when they are a multiple of 8 (a product's panels
// are 16 or 32).
func dequantInt8Fast(dst []float32, src []int8, scales []float32) bool {
	cols := len(scales)
	if level == 0 || cols&7 != 0 || len(dst) == 0 {
		return false
	}
	_ = src[len(dst)-1]
	if level == 2 && cols&15 == 0 {
		dequantInt8AVX512(&dst[0], &src[0], &scales[0], len(dst)/cols, cols)
		return true
	}
	dequantInt8AVX2(&dst[0], &src[0], &scales[0], len(dst)/cols, cols)
	return true
}
