//go:build wasm && !noasm

package accel

import (
	"unsafe"

	"github.com/portolan-sdk/portolan/internal/kernelabi"
)

// WebAssembly runs the generic kernels, or, in a guest built with the
// portolan_accel tag whose host supplies them, the kernels of the
// portolan_accel import module (kernels_wasm.go; docs/WASM.md §7): a
// WebAssembly SIMD128 module or the host's native code. The imports are
// asked once, at init; ForceGeneric switches back to the Go code.

// panel is the kernels' gemm panel width (16 or 32), 0 without kernels.
var panel int

func init() {
	v, impl, p := kernelsProbe()
	if v != kernelabi.Version {
		return
	}
	levels = append(levels, kernelabi.ImplName(impl))
	level = len(levels) - 1
	if kernelabi.TileRows(p) > 0 {
		panel = int(p)
	}
}

// dotKernelMin is the shortest dot product worth a call to the kernels
// (shorter ones cost less than the call in Go).
const dotKernelMin = 64

func f32p(x []float32) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(x)) }

func dotFast(x, y []float32) float32 {
	if level == 0 || len(x) < dotKernelMin {
		return dot(x, y)
	}
	_ = y[len(x)-1]
	return kDot(f32p(x), f32p(y), int32(len(x)))
}

// tile is the kernels' tile when they multiply, else the generic 6×16.
func tile() (mr, nr int) {
	if level > 0 && panel > 0 {
		return kernelabi.TileRows(int32(panel)), panel
	}
	return 6, 16
}

func gemmFastTile(rows, nr, k int, a, b, c *float32, ldc int, alpha float32) bool { return false }

// inPlaceA: the kernels read A in place, and so does gemmTileA.
func inPlaceA(nr int) bool { return level == 0 || nr == panel }

func gemmFastTileA(rows, nr, k int, a *float32, lda int, b, c *float32, ldc int, alpha float32) {
	if level == 0 {
		gemmTileA(rows, nr, k, a, lda, b, c, ldc, alpha)
		return
	}
	kGemm(int32(rows), int32(nr), int32(k), unsafe.Pointer(a), int32(lda), unsafe.Pointer(b), unsafe.Pointer(c), int32(ldc), alpha)
}

// gemmTileA is gemmTile reading A in place (row stride lda), written for
// Go's WebAssembly code: there every loop iteration passes through the
// function's dispatch table and every slice index is checked, so the
// depth loop takes two steps per iteration and reads through pointers
// whose extent the caller has checked (tiles: rows×k of A, k×nr of B,
// rows×nr of C). It sums in gemmTile's order, so the results are
// identical; without packing A it is 1.5 to 3 times faster in V8 and
// wazero (docs/BENCHMARKS.md).
func gemmTileA(rows, nr, k int, a *float32, lda int, b, c *float32, ldc int, alpha float32) {
	const f = 4 // bytes per float32
	for j := 0; j < nr; j += 4 {
		for i := 0; i < rows; i += 2 {
			pa0 := unsafe.Add(unsafe.Pointer(a), i*lda*f)
			pa1 := pa0 // a single last row computes its sums twice
			if i+1 < rows {
				pa1 = unsafe.Add(pa0, lda*f)
			}
			pb := unsafe.Add(unsafe.Pointer(b), j*f)
			var c00, c01, c02, c03, c10, c11, c12, c13 float32
			p := 0
			for ; p+2 <= k; p += 2 {
				a0, a1 := *(*float32)(pa0), *(*float32)(pa1)
				bv := (*[4]float32)(pb)
				c00 += a0 * bv[0]
				c01 += a0 * bv[1]
				c02 += a0 * bv[2]
				c03 += a0 * bv[3]
				c10 += a1 * bv[0]
				c11 += a1 * bv[1]
				c12 += a1 * bv[2]
				c13 += a1 * bv[3]
				a0, a1 = *(*float32)(unsafe.Add(pa0, f)), *(*float32)(unsafe.Add(pa1, f))
				bv = (*[4]float32)(unsafe.Add(pb, nr*f))
				c00 += a0 * bv[0]
				c01 += a0 * bv[1]
				c02 += a0 * bv[2]
				c03 += a0 * bv[3]
				c10 += a1 * bv[0]
				c11 += a1 * bv[1]
				c12 += a1 * bv[2]
				c13 += a1 * bv[3]
				pa0, pa1, pb = unsafe.Add(pa0, 2*f), unsafe.Add(pa1, 2*f), unsafe.Add(pb, 2*nr*f)
			}
			if p < k {
				a0, a1 := *(*float32)(pa0), *(*float32)(pa1)
				bv := (*[4]float32)(pb)
				c00 += a0 * bv[0]
				c01 += a0 * bv[1]
				c02 += a0 * bv[2]
				c03 += a0 * bv[3]
				c10 += a1 * bv[0]
				c11 += a1 * bv[1]
				c12 += a1 * bv[2]
				c13 += a1 * bv[3]
			}
			c0 := unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(c), (i*ldc+j)*f)), 4)
			addRow4(c0, alpha, c00, c01, c02, c03)
			if i+1 < rows {
				addRow4(unsafe.Slice((*float32)(unsafe.Add(unsafe.Pointer(c), ((i+1)*ldc+j)*f)), 4), alpha, c10, c11, c12, c13)
			}
		}
	}
}

func expFast(dst, x []float32) int {
	if level == 0 || len(x) == 0 {
		return 0
	}
	_ = dst[len(x)-1]
	kExp(f32p(dst), f32p(x), int32(len(x)))
	return len(x)
}

func gruRowFast(h, gi, gh []float32, hidden int) int {
	if level == 0 {
		return 0
	}
	_, _, _ = h[hidden-1], gi[3*hidden-1], gh[3*hidden-1]
	kGRUGates(f32p(h), f32p(gi), f32p(gh), int32(hidden), 1)
	return hidden
}

func lstmRowFast(h, c, g []float32, hidden int) int {
	if level == 0 {
		return 0
	}
	_, _, _ = h[hidden-1], c[hidden-1], g[4*hidden-1]
	kLSTMGates(f32p(h), f32p(c), f32p(g), int32(hidden), 1)
	return hidden
}

func maxFast(x []float32) (float32, int) {
	if level == 0 || len(x) == 0 {
		return 0, 0
	}
	return kMax(f32p(x), int32(len(x))), len(x)
}

func expShiftSumFast(x []float32, shift float32) (float32, int) {
	if level == 0 || len(x) == 0 {
		return 0, 0
	}
	return kExpShiftSum(f32p(x), int32(len(x)), shift), len(x)
}

func addLayerNormFast(dst, x, y, w, b []float32, eps float32) bool {
	n := len(dst)
	if level == 0 || n == 0 {
		return false
	}
	_, _, _, _ = x[n-1], y[n-1], w[n-1], b[n-1]
	kAddLayerNorm(f32p(dst), f32p(x), f32p(y), f32p(w), f32p(b), int32(n), eps)
	return true
}

// reluFast: the kernels, or Go with a comparison (the max builtin is a
// call to the runtime in Go's WebAssembly code).
func reluFast(x []float32) int {
	if level == 0 || len(x) == 0 {
		for i, v := range x {
			if v < 0 {
				x[i] = 0
			}
		}
		return len(x)
	}
	kReLU(f32p(x), int32(len(x)))
	return len(x)
}

func segMeanMaxFast(mean, mx, x []float32, seg int) bool {
	if level == 0 || len(mean) == 0 {
		return false
	}
	_, _ = x[len(mean)*seg-1], mx[len(mean)-1]
	kSegMeanMax(f32p(mean), f32p(mx), f32p(x), int32(seg), int32(len(mean)))
	return true
}

func weightedMax4Fast(dst, u []float32, stride int, a *[4]float32) int {
	n := len(dst)
	if level == 0 || n == 0 {
		return 0
	}
	_ = u[3*stride+n-1]
	kWeightedMax4(f32p(dst), f32p(u), int32(stride), unsafe.Pointer(a), int32(n))
	return n
}

// dequantKernelMin is the shortest conversion worth a call to the kernels.
const dequantKernelMin = 16

func dequantF16Fast(dst []float32, src []uint16) int {
	n := len(src)
	if level == 0 || n < dequantKernelMin {
		return 0
	}
	_ = dst[n-1]
	kDequantF16(f32p(dst), unsafe.Pointer(unsafe.SliceData(src)), int32(n))
	return n
}

func dequantInt8Fast(dst []float32, src []int8, scales []float32) bool {
	n, cols := len(src), len(scales)
	if level == 0 || n < dequantKernelMin {
		return false
	}
	_ = dst[n-1] // DequantInt8 checked that cols divides n
	kDequantInt8(f32p(dst), unsafe.Pointer(unsafe.SliceData(src)), f32p(scales), int32(n/cols), int32(cols))
	return true
}
