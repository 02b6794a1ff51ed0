package main

import (
	"math"
	"os"
	"testing"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/timeseries"
)

// FuzzTDShard throws arbitrary bodies (framed, so they pass the checksum)
// at the td shard reader that forecast, evaluate and prepare share: no
// panic, and an accepted set's sizes add up.
func FuzzTDShard(f *testing.F) {
	file, err := os.Open(sampleCSV)
	if err != nil {
		f.Fatal(err)
	}
	set, err := timeseries.ReadCSV(file)
	file.Close()
	if err != nil {
		f.Fatal(err)
	}
	set.X[3] = float32(math.NaN()) // a gap, so the shard has a gaps tensor
	b, err := tdShard(set, "sample.csv", "")
	if err != nil {
		f.Fatal(err)
	}
	data, err := export.Marshal(b)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data[export.HeaderSize:])
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := export.Unmarshal(export.Frame(body))
		if err != nil {
			return
		}
		s, err := tdShardSet(b, "fuzz")
		if err != nil {
			return
		}
		n := len(s.IDs)
		if len(s.X) != n*s.T*s.D || len(s.Target) != n || len(s.Steps) != s.T || (s.Groups != nil && len(s.Groups) != n) {
			t.Fatalf("sizes do not add up: %d ids, T %d, D %d, %d values", n, s.T, s.D, len(s.X))
		}
		if s.T > 0 && s.D > 0 {
			_ = s.Check()
		}
	})
}
