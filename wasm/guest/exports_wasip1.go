package main

import (
	"unsafe"

	"github.com/portolan-sdk/portolan/wasm/abi"
)

// The exports (docs/WASM.md). Pointers cross the boundary as uint32
// offsets into linear memory; the file name's _wasip1 suffix restricts it
// to the wasm build.

var (
	g = newGuest()
	// pinned keeps the buffers handed out by alloc alive until free
	// (Go's collector does not move objects, so their offsets hold).
	pinned = map[uintptr][]byte{}
)

func offset(b []byte) uint32 { return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) }

//go:wasmexport abi_version
func abiVersion() int32 { return abi.Version }

//go:wasmexport alloc
func alloc(size uint32) uint32 {
	if size == 0 || size > abi.MaxRequest {
		return 0
	}
	b := make([]byte, size)
	pinned[uintptr(unsafe.Pointer(unsafe.SliceData(b)))] = b
	return offset(b)
}

//go:wasmexport free
func free(p unsafe.Pointer) { delete(pinned, uintptr(p)) }

//go:wasmexport answer_ptr
func answerPtr() uint32 { return offset(g.answer) }

//go:wasmexport answer_len
func answerLen() uint32 { return uint32(len(g.answer)) }

//go:wasmexport last_error_ptr
func lastErrorPtr() uint32 { return offset(g.lastErr) }

//go:wasmexport last_error_len
func lastErrorLen() uint32 { return uint32(len(g.lastErr)) }

// call runs a handler on a request, which must lie inside a buffer from
// alloc.
func call(h handler, p unsafe.Pointer, n uint32) int32 {
	buf, ok := pinned[uintptr(p)]
	if !ok || int(n) > len(buf) {
		g.answer = g.answer[:0]
		g.lastErr = append(g.lastErr[:0], "the request is not inside a buffer from alloc"...)
		return int32(abi.BadRequest)
	}
	return int32(g.run(h, buf[:n]))
}

//go:wasmexport load
func exportLoad(p unsafe.Pointer, n uint32) int32 { return call(load, p, n) }

//go:wasmexport release
func exportRelease(p unsafe.Pointer, n uint32) int32 { return call(release, p, n) }

//go:wasmexport decode_ais
func exportDecodeAIS(p unsafe.Pointer, n uint32) int32 { return call(decodeAIS, p, n) }

//go:wasmexport predict
func exportPredict(p unsafe.Pointer, n uint32) int32 { return call(predict, p, n) }

//go:wasmexport stream_open
func exportStreamOpen(p unsafe.Pointer, n uint32) int32 { return call(streamOpen, p, n) }

//go:wasmexport stream_push
func exportStreamPush(p unsafe.Pointer, n uint32) int32 { return call(streamPush, p, n) }

//go:wasmexport stream_close
func exportStreamClose(p unsafe.Pointer, n uint32) int32 { return call(streamClose, p, n) }

//go:wasmexport forecast
func exportForecast(p unsafe.Pointer, n uint32) int32 { return call(forecast, p, n) }

//go:wasmexport conformance
func exportConformance(p unsafe.Pointer, n uint32) int32 { return call(conformanceRun, p, n) }
