//go:build !race

package shareddata

// Race is true when the race detector is on: tests over the large data
// sets then read a prefix, to stay within make test's time.
const Race = false
