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
//
// # Hot primitives
//
// Inference spends its time in a few primitives; everything else in the
// models is bookkeeping around them. They are the interface a faster
// implementation (host-provided or WebAssembly SIMD128 kernels behind a
// wasm import) replaces, with the Go code as the fallback:
//
//   - products with pre-packed weights: PackB and Workspace.SgemmPacked;
//     Workspace.Sgemm for two activations;
//   - dequantising products for weights kept compact: SgemmPacked with a
//     PackBF16 or PackBInt8 matrix, whose f16 or int8 panels stay compact
//     and are converted one kc×nr panel at a time by DequantF16 or
//     DequantInt8 into the workspace just before the micro-kernel;
//     GemvF16, GemvInt8;
//   - attention: Workspace.CausalAttention (scores, softmax and weighted
//     sum of one sequence, masked keys skipped) and Workspace.Attention
//     (every query sees every key: an encoder over a whole series);
//   - gate activations: GRUGates, LSTMGates;
//   - row kernels: AddLayerNorm, ReLU, Exp, SegmentMeanMax, WeightedMax4.
//
// A Workspace owns the buffers of these calls and their thread count;
// results do not depend on the thread count.
package accel
