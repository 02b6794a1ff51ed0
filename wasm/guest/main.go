// Command guest is the Portolan WebAssembly module: a WASI reactor
// (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared) whose exports load
// bundles, decode AIS, predict destinations (whole tracks or streams) and
// forecast with uncertainty, exchanging msgpack over linear memory. The ABI
// is specified in docs/WASM.md and implemented in wasm/abi; `make wasm`
// builds the module.
//
// The handlers are plain Go (guest.go) and are tested natively; the
// exports (exports_wasip1.go) only move bytes in and out of linear memory.
package main

func main() {}
