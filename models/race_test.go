//go:build race

package models

// raceEnabled: the race detector is on (sync.Pool then drops some of what
// it is given, so borrowing from a pool allocates now and then).
const raceEnabled = true
