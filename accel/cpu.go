package accel

// level selects the kernels: 0 is the pure-Go generic code; the
// architecture files name theirs in levels (the last is the fastest this
// CPU supports) and dispatch on level with direct calls, so escape
// analysis still sees through them.
var (
	levels = []string{"generic"}
	level  = 0
)

// Implementation names the kernels in use: "generic", "avx2", "avx512" or
// "neon".
func Implementation() string { return levels[level] }

// ForceGeneric switches to the pure-Go kernels and returns a function that
// restores the previous choice (for tests and benchmarks):
//
//	defer accel.ForceGeneric()()
func ForceGeneric() func() {
	prev := level
	level = 0
	return func() { level = prev }
}
