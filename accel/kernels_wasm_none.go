//go:build wasm && !noasm && !portolan_accel

package accel

import "unsafe"

// Without the portolan_accel tag the module imports no kernels: the probe
// reports none, so the functions below are never called.

func kernelsProbe() (version, impl, panel int32) { return 0, 0, 0 }

const noKernels = "accel: no portolan_accel kernels in this build"

func kGemm(rows, nr, k int32, a unsafe.Pointer, lda int32, b, c unsafe.Pointer, ldc int32, alpha float32) {
	panic(noKernels)
}
func kDot(x, y unsafe.Pointer, n int32) float32                                    { panic(noKernels) }
func kExp(dst, x unsafe.Pointer, n int32)                                          { panic(noKernels) }
func kMax(x unsafe.Pointer, n int32) float32                                       { panic(noKernels) }
func kExpShiftSum(x unsafe.Pointer, n int32, shift float32) float32                { panic(noKernels) }
func kAddLayerNorm(dst, x, y, w, b unsafe.Pointer, n int32, eps float32)           { panic(noKernels) }
func kReLU(x unsafe.Pointer, n int32)                                              { panic(noKernels) }
func kSegMeanMax(mean, mx, x unsafe.Pointer, seg, segments int32)                  { panic(noKernels) }
func kWeightedMax4(dst, u unsafe.Pointer, stride int32, a unsafe.Pointer, n int32) { panic(noKernels) }
func kGRUGates(h, gi, gh unsafe.Pointer, hidden, rows int32)                       { panic(noKernels) }
func kLSTMGates(h, c, g unsafe.Pointer, hidden, rows int32)                        { panic(noKernels) }
func kDequantF16(dst, src unsafe.Pointer, n int32)                                 { panic(noKernels) }
func kDequantInt8(dst, src, scales unsafe.Pointer, rows, cols int32)               { panic(noKernels) }
