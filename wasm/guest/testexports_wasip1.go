//go:build portolan_testexports && portolan_accel

package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/portolan-sdk/portolan/accel"
	"github.com/portolan-sdk/portolan/internal/kernelcheck"
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

// kernels compares the kernels the host linked with the generic Go code
// (internal/kernelcheck): the request is the seed (8 bytes, little
// endian); bit-exact unless the host's own native kernels are linked.
// The answer names the kernels and counts the comparisons.
//
//go:wasmexport test_kernels
func testKernels(p unsafe.Pointer, n uint32) int32 {
	return call(func(g *guest, req, dst []byte) ([]byte, error) {
		if len(req) != 8 {
			return nil, errors.New("test_kernels: the request is an 8-byte seed")
		}
		impl := accel.Implementation()
		cmp, err := kernelcheck.Check(binary.LittleEndian.Uint64(req), 2, impl != "host")
		if err != nil {
			return nil, err
		}
		return fmt.Appendf(dst, "%s %d", impl, cmp), nil
	}, p, n)
}

// testDot is the kernels' dot product, called directly.
//
//go:wasmimport portolan_accel dot
func testDot(x, y uint32, n int32) float32

// kernelOOB asks the kernels for a dot product past the end of memory:
// the host must fail the call (a trap), not read outside.
//
//go:wasmexport test_kernel_oob
func testKernelOOB() { testDot(0xfffffff0, 0, 1000) }
