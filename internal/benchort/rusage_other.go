//go:build !unix

package main

import "time"

// cpuTime and peakRSSKB are not measured on this platform.
func cpuTime() time.Duration { return 0 }

func peakRSSKB() int64 { return 0 }
