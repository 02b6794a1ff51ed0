// Package abi is the binary interface between the Portolan WebAssembly
// guest (wasm/guest) and its hosts (wasm/host, and the JavaScript module):
// export names, status codes, and the msgpack encoding of every request
// and answer. docs/WASM.md specifies it; this package is its Go
// implementation, used by both sides, so they cannot drift apart.
//
// Decoding is bounded: every length is checked against the bytes present
// before anything is allocated (internal/mpack), so a hostile request (in
// the guest) or a hostile answer (in the host) gives an error, never a
// panic or an allocation larger than its input.
package abi

import (
	"errors"
	"fmt"

	"github.com/portolan-sdk/portolan/sdk"
)

// Version is the ABI version, returned by the guest's "abi_version"
// export. Hosts refuse a guest of another version.
const Version = 1

// Export names. Every call export takes (ptr, len uint32) of a msgpack
// request written into guest memory (allocated with Alloc) and returns an
// int32 Status; the answer is then at AnswerPtr/AnswerLen, or the error
// message at ErrorPtr/ErrorLen.
const (
	ExportInitialize = "_initialize" // the reactor's start: call once, first
	ExportVersion    = "abi_version" // () → i32 Version
	ExportAlloc      = "alloc"       // (size i32) → ptr i32; 0 when size is 0 or over MaxRequest
	ExportFree       = "free"        // (ptr i32)
	ExportAnswerPtr  = "answer_ptr"  // () → ptr i32 of the last call's answer
	ExportAnswerLen  = "answer_len"  // () → len i32 of the last call's answer
	ExportErrorPtr   = "last_error_ptr"
	ExportErrorLen   = "last_error_len"

	ExportLoad        = "load"
	ExportRelease     = "release"
	ExportDecodeAIS   = "decode_ais"
	ExportPredict     = "predict"
	ExportStreamOpen  = "stream_open"
	ExportStreamPush  = "stream_push"
	ExportStreamClose = "stream_close"
	ExportForecast    = "forecast"
	ExportConformance = "conformance"
)

// Limits of one guest instance.
const (
	MaxRequest = 1 << 30 // bytes of one request
	MaxModels  = 16      // models loaded at once
	MaxStreams = 4096    // streams open at once
	MaxDepth   = 32      // nesting of values in a request
	// MaxTopK and MaxSamples are sdk.Config's bounds.
	MaxTopK    = 1000
	MaxSamples = 10000
)

// Status is the result of a call export.
type Status int32

// The statuses. Their numbers are part of the ABI.
const (
	OK          Status = 0
	BadRequest  Status = 1 // the request is not valid msgpack or misses or mistypes a field
	BadBundle   Status = 2 // load refused the bundle (docs/FORMAT.md)
	NotFound    Status = 3 // no model or stream has the handle
	WrongKind   Status = 4 // the model does not do this (a td model asked for destinations)
	BadInput    Status = 5 // the data in the request is refused (series shape, non-finite values, MMSI)
	NoVoyage    Status = 6 // no voyage in progress (only as a vessel's or stream's status, never a call's)
	Limit       Status = 7 // MaxModels or MaxStreams reached
	Unsupported Status = 8 // a valid request this guest cannot serve
	Internal    Status = 9 // a bug: a panic recovered inside the guest
)

var statusNames = [...]string{"ok", "bad_request", "bad_bundle", "not_found", "wrong_kind", "bad_input",
	"no_voyage", "limit", "unsupported", "internal"}

func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", int32(s))
}

// Error is a failed call: its status and the guest's message.
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("portolan guest: %s: %s", e.Status, e.Message) }

// Is makes errors.Is(err, sdk.ErrKind) and errors.Is(err, sdk.ErrNoVoyage)
// hold for the matching statuses, as they do for the native sdk, and
// errors.Is(err, &Error{Status: s}) for any status s.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case *Error:
		return t.Status == e.Status
	}
	return (target == sdk.ErrKind && e.Status == WrongKind) || (target == sdk.ErrNoVoyage && e.Status == NoVoyage)
}

// StatusOf returns the status of a guest error, Internal for any other
// non-nil error, and OK for nil.
func StatusOf(err error) Status {
	var e *Error
	switch {
	case err == nil:
		return OK
	case errors.As(err, &e):
		return e.Status
	}
	return Internal
}

// Errorf returns an *Error.
func Errorf(s Status, format string, args ...any) *Error {
	return &Error{Status: s, Message: fmt.Sprintf(format, args...)}
}
