//go:build wasm && !noasm && portolan_accel

package accel

import "unsafe"

// The portolan_accel imports (internal/kernelabi, docs/WASM.md §7):
// pointers are offsets into this module's memory, lengths count
// elements. Go's garbage collector does not move objects, so a pointer
// stays valid for the call.

//go:wasmimport portolan_accel abi_version
func kVersion() int32

//go:wasmimport portolan_accel implementation
func kImplementation() int32

//go:wasmimport portolan_accel gemm_panel
func kGemmPanel() int32

// kernelsProbe asks the host which kernels it supplies.
func kernelsProbe() (version, impl, panel int32) {
	if version = kVersion(); version != 1 {
		return version, 0, 0
	}
	return version, kImplementation(), kGemmPanel()
}

//go:wasmimport portolan_accel gemm
//go:noescape
func kGemm(rows, nr, k int32, a unsafe.Pointer, lda int32, b, c unsafe.Pointer, ldc int32, alpha float32)

//go:wasmimport portolan_accel dot
//go:noescape
func kDot(x, y unsafe.Pointer, n int32) float32

//go:wasmimport portolan_accel exp
//go:noescape
func kExp(dst, x unsafe.Pointer, n int32)

//go:wasmimport portolan_accel max
//go:noescape
func kMax(x unsafe.Pointer, n int32) float32

//go:wasmimport portolan_accel exp_shift_sum
//go:noescape
func kExpShiftSum(x unsafe.Pointer, n int32, shift float32) float32

//go:wasmimport portolan_accel add_layer_norm
//go:noescape
func kAddLayerNorm(dst, x, y, w, b unsafe.Pointer, n int32, eps float32)

//go:wasmimport portolan_accel relu
//go:noescape
func kReLU(x unsafe.Pointer, n int32)

//go:wasmimport portolan_accel seg_mean_max
//go:noescape
func kSegMeanMax(mean, mx, x unsafe.Pointer, seg, segments int32)

//go:wasmimport portolan_accel weighted_max4
//go:noescape
func kWeightedMax4(dst, u unsafe.Pointer, stride int32, a unsafe.Pointer, n int32)

//go:wasmimport portolan_accel gru_gates
//go:noescape
func kGRUGates(h, gi, gh unsafe.Pointer, hidden, rows int32)

//go:wasmimport portolan_accel lstm_gates
//go:noescape
func kLSTMGates(h, c, g unsafe.Pointer, hidden, rows int32)

//go:wasmimport portolan_accel dequant_f16
//go:noescape
func kDequantF16(dst, src unsafe.Pointer, n int32)

//go:wasmimport portolan_accel dequant_int8
//go:noescape
func kDequantInt8(dst, src, scales unsafe.Pointer, rows, cols int32)
