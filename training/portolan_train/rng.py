"""The shared counter-based generator of docs/RNG.md (Go: internal/rng).

Every draw is a pure function of (seed, a, b, c). Vectorised with numpy
uint64 arithmetic, which wraps modulo 2**64 like the Go code.
"""

import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z):
    z = z ^ (z >> np.uint64(30))
    z = z * _M1
    z = z ^ (z >> np.uint64(27))
    z = z * _M2
    return z ^ (z >> np.uint64(31))


def _u(x):
    return np.asarray(x, dtype=np.uint64) if not isinstance(x, int) else np.uint64(x % (1 << 64))


def u64(seed, a, b, c):
    """u64 for scalar or broadcastable array counters (numpy uint64)."""
    with np.errstate(over="ignore"):
        one = np.uint64(1)
        x = _mix(_u(seed) + GOLDEN * (_u(a) + one))
        x = _mix(x + GOLDEN * (_u(b) + one))
        return _mix(x + GOLDEN * (_u(c) + one))


def f32(seed, a, b, c):
    """Uniform float32 in [0, 1): top 24 bits of u64 times 2**-24."""
    return ((u64(seed, a, b, c) >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / (1 << 24))).astype(np.float32)


def f64(seed, a, b, c):
    return (u64(seed, a, b, c) >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def intn(seed, a, b, c, n):
    v = u64(seed, a, b, c) >> np.uint64(32)
    return ((v * np.uint64(n)) >> np.uint64(32)).astype(np.int64)


def series_seed(seed, key):
    """The seed of one series' Monte Carlo draws: u64(seed, key, 0, 2) (docs/RNG.md)."""
    return u64(seed, key, 0, 2)


FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3


def fnv1a64(s):
    """FNV-1a 64-bit hash of a string's UTF-8 bytes: the default series key
    of a series identified by a string (docs/RNG.md)."""
    h = FNV_OFFSET
    for b in s.encode("utf-8"):
        h = ((h ^ b) * FNV_PRIME) % (1 << 64)
    return h


def uniform_grid(seed, samples, steps, c):
    """f32 draws for (sample, step) in a samples x steps grid, counter c."""
    a = np.arange(samples, dtype=np.uint64)[:, None]
    b = np.arange(steps, dtype=np.uint64)[None, :]
    return f32(seed, a, b, c)
