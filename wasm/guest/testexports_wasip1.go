//go:build portolan_testexports

package main

import (
	"unsafe"
)

// Exports for the host's tests only (built with -tags portolan_testexports):
// a runaway loop, an unrecovered panic, memory exhaustion and answers the
// host must refuse.

var spins uint64

// spin loops until the host stops the instance.
//
//go:wasmexport test_spin
func testSpin() {
	for {
		spins++
	}
}

// crash panics without recovering: the instance traps.
//
//go:wasmexport test_crash
func testCrash() { panic("test_crash") }

var hoard [][]byte

// grow allocates mib MiB at a time until the memory limit stops it.
//
//go:wasmexport test_grow
func testGrow(mib uint32) {
	for {
		hoard = append(hoard, make([]byte, int(mib)<<20))
	}
}

// echo answers the request's bytes, so a test can send any answer.
//
//go:wasmexport test_echo
func testEcho(p unsafe.Pointer, n uint32) int32 {
	return call(func(g *guest, req, dst []byte) ([]byte, error) { return append(dst, req...), nil }, p, n)
}

// oob makes the answer point past the end of memory.
//
//go:wasmexport test_oob
func testOOB() int32 {
	base := new([64]byte)
	g.answer = unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(base), 0x7fff0000)), 64)
	return 0
}
