//go:build !((amd64 || arm64 || wasm) && !noasm && gc)

package accel

// Other targets (386, riscv64, …) and the noasm tag dequantise with the
// generic code (WebAssembly: dispatch_wasm.go).

func dequantF16Fast(dst []float32, src []uint16) int { return 0 }

func dequantInt8Fast(dst []float32, src []int8, scales []float32) bool { return false }
