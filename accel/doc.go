// Package accel holds the numeric kernels of the runtime: dot products,
// matrix products with PyTorch-layout weights, softmax, layer
// normalisation, activations and recurrent-cell gates, in float32.
//
// Every kernel's doc comment gives its reference loop. The pure-Go
// implementations here are always compiled and are the executable
// specification; SIMD implementations for amd64 and arm64 dispatch at
// init and are checked against them (the noasm build tag forces these).
// Callers pass plain slices with dst first; a length mismatch is a
// programming error and panics with an "accel:" message.
package accel
