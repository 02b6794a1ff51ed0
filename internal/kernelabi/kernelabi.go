// Package kernelabi is the contract between the WebAssembly guest's
// numeric kernels and whatever supplies faster ones: the functions of the
// portolan_accel import module (docs/WASM.md §7), their signatures, and
// the hooks accel fills for a native host (wasm/host) to run its own
// kernels on a guest's memory.
//
// A guest built with the portolan_accel tag imports these functions; at
// initialisation accel calls abi_version and, when it returns Version,
// sends its hot primitives to them. A host that has no kernels supplies
// the same names as stubs whose abi_version returns 0 (Stub). Pointers
// are byte offsets into the guest's memory and lengths count elements.
package kernelabi

// Module is the import module name of the kernels.
const Module = "portolan_accel"

// Version is the ABI version a guest asks for: abi_version must return it
// for the guest to use the kernels; any other value (0: a stub) leaves the
// guest on its generic Go code.
const Version = 1

// Implementation ids, what the implementation function returns; accel
// reports them by name (accel.Implementation()).
const (
	ImplSIMD128 = 1 // the WebAssembly SIMD128 module (wasm/kernels)
	ImplHost    = 2 // a host's native kernels (wasm/host)
)

// ImplName names an implementation id as accel.Implementation reports it.
func ImplName(id int32) string {
	switch id {
	case ImplSIMD128:
		return "simd128"
	case ImplHost:
		return "host"
	}
	return "kernels"
}

// ValueType is a WebAssembly value type of the ABI: i32 or f32.
type ValueType byte

const (
	I32 ValueType = 0x7f // the WebAssembly binary encodings
	F32 ValueType = 0x7d
)

func (v ValueType) String() string {
	if v == F32 {
		return "f32"
	}
	return "i32"
}

// Func is one function of the ABI.
type Func struct {
	Name    string
	Params  []ValueType
	Results []ValueType
}

// The function names.
const (
	FnVersion        = "abi_version"
	FnImplementation = "implementation"
	FnGemmPanel      = "gemm_panel"
	FnGemm           = "gemm"
	FnDot            = "dot"
	FnExp            = "exp"
	FnMax            = "max"
	FnExpShiftSum    = "exp_shift_sum"
	FnAddLayerNorm   = "add_layer_norm"
	FnReLU           = "relu"
	FnSegMeanMax     = "seg_mean_max"
	FnWeightedMax4   = "weighted_max4"
	FnGRUGates       = "gru_gates"
	FnLSTMGates      = "lstm_gates"
	FnDequantF16     = "dequant_f16"
	FnDequantInt8    = "dequant_int8"
)

func fn(name string, results []ValueType, params ...ValueType) Func {
	return Func{Name: name, Params: params, Results: results}
}

var (
	none []ValueType
	i32  = []ValueType{I32}
	f32  = []ValueType{F32}
)

// Funcs lists the ABI, version 1 (docs/WASM.md §7 states what each
// computes). Every function must be supplied, by stubs if need be.
var Funcs = []Func{
	fn(FnVersion, i32),
	fn(FnImplementation, i32),
	fn(FnGemmPanel, i32),
	// rows, nr, k, a, lda, b, c, ldc, alpha
	fn(FnGemm, none, I32, I32, I32, I32, I32, I32, I32, I32, F32),
	// x, y, n
	fn(FnDot, f32, I32, I32, I32),
	// dst, x, n
	fn(FnExp, none, I32, I32, I32),
	// x, n
	fn(FnMax, f32, I32, I32),
	// x, n, shift
	fn(FnExpShiftSum, f32, I32, I32, F32),
	// dst, x, y, w, b, n, eps
	fn(FnAddLayerNorm, none, I32, I32, I32, I32, I32, I32, F32),
	// x, n
	fn(FnReLU, none, I32, I32),
	// mean, mx, x, seg, segments
	fn(FnSegMeanMax, none, I32, I32, I32, I32, I32),
	// dst, u, stride, a, n
	fn(FnWeightedMax4, none, I32, I32, I32, I32, I32),
	// h, gi, gh, hidden, rows
	fn(FnGRUGates, none, I32, I32, I32, I32, I32),
	// h, c, g, hidden, rows
	fn(FnLSTMGates, none, I32, I32, I32, I32, I32),
	// dst, src, n
	fn(FnDequantF16, none, I32, I32, I32),
	// dst, src, scales, rows, cols
	fn(FnDequantInt8, none, I32, I32, I32, I32, I32),
}

// Lookup returns the function of that name.
func Lookup(name string) (Func, bool) {
	for _, f := range Funcs {
		if f.Name == name {
			return f, true
		}
	}
	return Func{}, false
}

// Panel widths a gemm_panel may return, with their row tiles: the guest
// packs weights in panels of that many columns and calls gemm on tiles of
// at most that many rows. 0: no gemm kernel.
func TileRows(panel int32) int {
	switch panel {
	case 16:
		return 6
	case 32:
		return 12
	}
	return 0
}

// Native holds the pieces of the host's own accel build that a native host
// runs on a guest's memory and that accel does not export; accel fills it
// at init in every build but WebAssembly (accel/kernelabi_native.go). The
// rest of the ABI maps to accel's exported functions.
var Native struct {
	// Panel is the panel width of accel's products on this CPU (16 or 32).
	Panel int
	// Gemm adds alpha·A·B to C for a tile: A rows×k read in place (row
	// stride lda), B k×nr (a packed panel, row stride nr), C rows×nr (row
	// stride ldc); nr must be Panel, any rows and k.
	Gemm func(rows, nr, k int, a []float32, lda int, b, c []float32, ldc int, alpha float32)
	// Max returns the largest element of x (not empty).
	Max func(x []float32) float32
	// ExpShiftSum sets x[i] = e^(x[i]−shift) and returns their sum.
	ExpShiftSum func(x []float32, shift float32) float32
}
