//go:build amd64 && !noasm && gc

package accel

import "golang.org/x/sys/cpu"

// hasF16C: every AVX2 CPU so far has F16C, but it is a separate flag.
var hasF16C = cpu.X86.HasF16C

// dequantF16Fast converts the leading multiple of 8 of src with F16C and
// returns how many it converted.
func dequantF16Fast(dst []float32, src []uint16) int {
	n := len(src) &^ 7
	if level == 0 || !hasF16C || n == 0 {
		return 0
	}
	_ = dst[n-1]
	dequantF16AVX2(&dst[0], &src[0], n)
	return n
}

// dequantInt8Fast runs dequantInt8AVX2 when the rows are a multiple of 8
// wide (a product's panels are 16 or 32).
func dequantInt8Fast(dst []float32, src []int8, scales []float32) bool {
	cols := len(scales)
	if level == 0 || cols&7 != 0 || len(dst) == 0 {
		return false
	}
	_ = src[len(dst)-1]
	dequantInt8AVX2(&dst[0], &src[0], &scales[0], len(dst)/cols, cols)
	return true
}
