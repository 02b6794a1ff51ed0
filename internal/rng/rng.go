// Package rng is the counter-based random generator shared by the Go
// runtime and the PyTorch reference (docs/RNG.md). Every random choice at
// inference (Monte Carlo dropout masks, point sampling) is a pure function
// of (seed, a, b, c), so results do not depend on call order, goroutines
// or the target, and the Python implementation reproduces them bit for bit.
package rng

// golden is 2^64 / φ, the SplitMix64 increment.
const golden = 0x9E3779B97F4A7C15

// mix is the SplitMix64 output function (Stafford's Mix13 variant).
func mix(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xBF58476D1CE4E5B9
	z ^= z >> 27
	z *= 0x94D049BB133111EB
	z ^= z >> 31
	return z
}

// Uint64 returns the 64-bit value for counter (a, b, c) under seed:
//
//	x = mix(seed + golden·(a+1))
//	x = mix(x + golden·(b+1))
//	x = mix(x + golden·(c+1))
//
// with all arithmetic modulo 2^64. Typical counters are (sample, step,
// feature) for dropout masks and (voyage, cell, draw) for point sampling.
func Uint64(seed, a, b, c uint64) uint64 {
	x := mix(seed + golden*(a+1))
	x = mix(x + golden*(b+1))
	return mix(x + golden*(c+1))
}

// Float32 returns a uniform float32 in [0, 1): the top 24 bits of
// Uint64 times 2^-24, exact in float32.
func Float32(seed, a, b, c uint64) float32 {
	return float32(Uint64(seed, a, b, c)>>40) * (1.0 / (1 << 24))
}

// Float64 returns a uniform float64 in [0, 1): the top 53 bits times 2^-53.
func Float64(seed, a, b, c uint64) float64 {
	return float64(Uint64(seed, a, b, c)>>11) * (1.0 / (1 << 53))
}

// Intn returns a value in [0, n) for n > 0, by Lemire's multiply-shift on
// the top 32 bits (bias below 2^-32·n, negligible for the n used here).
func Intn(seed, a, b, c uint64, n int) int {
	return int((Uint64(seed, a, b, c) >> 32) * uint64(n) >> 32)
}

// SeriesSeed returns the seed of one series' Monte Carlo draws,
// u64(seed, key, 0, 2): a series' masks are f32(SeriesSeed(seed, key),
// sample, step, c), so they depend on the series' own key, never on its
// position in a batch (docs/RNG.md).
func SeriesSeed(seed, key uint64) uint64 { return Uint64(seed, key, 0, 2) }

// KeyOf returns the default series key of a series named by a string: the
// FNV-1a 64-bit hash of its UTF-8 bytes.
func KeyOf(id string) uint64 {
	h := uint64(0xCBF29CE484222325)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 0x100000001B3
	}
	return h
}
