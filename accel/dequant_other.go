//go:build !((amd64 || arm64) && !noasm && gc)

package accel

// Other targets (wasm, 386, riscv64, …) and the noasm tag dequantise with
// the generic code.

func dequantF16Fast(dst []float32, src []uint16) int { return 0 }

func dequantInt8Fast(dst []float32, src []int8, scales []float32) bool { return false }
