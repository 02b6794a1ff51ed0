package host

import "github.com/portolan-sdk/portolan/internal/wasmrun"

// Kernels chooses what a host supplies for the guest's portolan_accel
// imports, the numeric kernels its models spend their time in
// (docs/WASM.md §7): the host's own native kernels (the default), the
// WebAssembly SIMD128 kernel module run by wazero beside each instance,
// or none (the guest runs its generic Go code).
type Kernels struct{ k wasmrun.Kernels }

// NativeKernels runs the guest's kernels as this process's own accel
// code (AVX-512, AVX2 or NEON where the CPU has them) on the guest's
// memory. Every range a guest names is checked against its memory first:
// a range outside it, or misaligned, fails that call like a trap (the
// instance is replaced), never a read or write outside it. A kernel call
// cannot be interrupted, but each covers at most one tile or row of a
// product (microseconds). This is the default.
func NativeKernels() Kernels { return Kernels{wasmrun.Kernels{Kind: wasmrun.Native}} }

// NoKernels gives the guest stub kernels that report none: it runs its
// generic Go code, as under a host that knows nothing of kernels.
func NoKernels() Kernels { return Kernels{wasmrun.Kernels{Kind: wasmrun.None}} }

// WasmKernels runs the kernels as a WebAssembly module: the SIMD128
// module of wasm/kernels (kernels.Module, or the portolan_accel.wasm that
// `make wasm` writes), one instance beside each guest instance, on the
// guest's memory; wasm bounds checks keep it inside. New checks that it
// exports every kernel with its signature.
func WasmKernels(module []byte) Kernels {
	return Kernels{wasmrun.Kernels{Kind: wasmrun.Wasm, Module: module}}
}

// WithKernels sets the kernels the guest gets (default NativeKernels()).
func (c Config) WithKernels(k Kernels) Config { c.kernels = k; return c }

// String names the kernels: native, none or wasm.
func (k Kernels) String() string { return k.k.String() }
