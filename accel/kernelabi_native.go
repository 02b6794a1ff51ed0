//go:build !wasm

package accel

import "github.com/portolan-sdk/portolan/internal/kernelabi"

// A native host (wasm/host) runs these on a guest's memory in place of
// the guest's own kernels (internal/kernelabi).
func init() {
	_, nr := tile()
	kernelabi.Native.Panel = nr
	kernelabi.Native.Gemm = hostGemm
	kernelabi.Native.Max = rowMax
	kernelabi.Native.ExpShiftSum = expShiftSum
}

// hostGemm adds alpha·A·B to C for rows×nr (A read in place), in tiles of
// the micro-kernel's height and blocks of depth kc, as tiles does.
func hostGemm(rows, nr, k int, a []float32, lda int, b, c []float32, ldc int, alpha float32) {
	mr, _ := tile()
	if rows <= 0 || k <= 0 {
		return
	}
	if _, tnr := tile(); nr != tnr || lda < k || ldc < nr || !fits(a, rows, k, lda) || len(b) < k*nr || !fits(c, rows, nr, ldc) {
		panic(badLength)
	}
	var pa *[maxMR * kc]float32 // A packed, when the CPU has no kernel that reads it in place
	if !inPlaceA(nr) {
		pa = new([maxMR * kc]float32)
	}
	for i := 0; i < rows; i += mr {
		r := min(mr, rows-i)
		ai, ci := a[i*lda:], c[i*ldc:]
		if inPlaceA(nr) {
			gemmFastTileA(r, nr, k, &ai[0], lda, &b[0], &ci[0], ldc, alpha)
			continue
		}
		for pc := 0; pc < k; pc += kc {
			kcb := min(kc, k-pc)
			packA(pa[:], ai, false, lda, 0, pc, r, kcb, r)
			if !gemmFastTile(r, nr, kcb, &pa[0], &b[pc*nr], &ci[0], ldc, alpha) {
				gemmTile(kcb, pa[:], b[pc*nr:], ci, ldc, alpha, r, nr)
			}
		}
	}
}
