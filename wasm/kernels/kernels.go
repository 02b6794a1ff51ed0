// Package kernels holds Portolan's numeric kernels as a WebAssembly
// SIMD128 module: the portolan_accel module a host links to the guest
// (docs/WASM.md §7). kernels.wat is the source; portolan_accel.wasm is
// what wabt's wat2wasm assembles from it and binaryen's wasm-opt
// optimises (internal/wasmbuild.AssembleKernels), committed so that Go
// hosts need no tools, and checked by `make wasm` (which builds it again
// into build/wasm/portolan_accel.wasm and fails when the two differ).
//
// The module imports the guest's memory ("guest" "memory") and nothing
// else; wasm/host runs it in wazero (host.WasmKernels(kernels.Module)),
// wasm/js links it in Node and browsers.
package kernels

import _ "embed"

// Module is the assembled kernel module.
//
//go:embed portolan_accel.wasm
var Module []byte

// Source is its WebAssembly text.
//
//go:embed kernels.wat
var Source []byte

// MaxSize is the largest the module may grow (bytes).
const MaxSize = 100 << 10

// FileName is the module's file name where `make wasm` puts it, beside
// portolan.wasm, and where the JavaScript module looks for it.
const FileName = "portolan_accel.wasm"
