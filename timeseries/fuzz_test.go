package timeseries

import (
	"bytes"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkSet asserts what every accepted set must hold: sizes that add up,
// ids and steps in order, no infinite value, names for every feature.
func checkSet(t *testing.T, s *Set) {
	t.Helper()
	n := len(s.IDs)
	if n == 0 || s.T < 1 || s.D < 1 || len(s.X) != n*s.T*s.D || len(s.Target) != n || len(s.Steps) != s.T {
		t.Fatalf("sizes do not add up: %d ids, T %d, D %d, %d values, %d targets, %d steps", n, s.T, s.D, len(s.X), len(s.Target), len(s.Steps))
	}
	if s.Features != nil && len(s.Features) != s.D {
		t.Fatalf("%d names for %d features", len(s.Features), s.D)
	}
	if s.Groups != nil && len(s.Groups) != n {
		t.Fatalf("%d groups for %d series", len(s.Groups), n)
	}
	for i := 1; i < n; i++ {
		if !s.Indexed && s.IDs[i-1] >= s.IDs[i] {
			t.Fatalf("ids out of order: %q, %q", s.IDs[i-1], s.IDs[i])
		}
	}
	for i := 1; i < s.T; i++ {
		if s.Steps[i-1] >= s.Steps[i] {
			t.Fatalf("steps out of order: %v", s.Steps)
		}
	}
	for _, v := range s.X {
		if math.IsInf(float64(v), 0) {
			t.Fatal("an infinite value was accepted")
		}
	}
	_ = s.Check() // the policy never panics, whatever it says
	if s.Features != nil {
		names := slices.Clone(s.Features)
		slices.Reverse(names)
		if err := s.Match(names); err != nil {
			t.Fatalf("its own columns reversed do not match: %v", err)
		}
	}
}

// FuzzReadCSV throws arbitrary text at the series CSV reader, with and
// without a group column and a step bound: no panic, and an accepted set
// holds what the rules say (checkSet).
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"id,step,a,b,target\nx,0,1,2,3\nx,1,NA,,3\ny,0,4,5,\n",
		"\ufeff id , step ,g,v\n\"a,b\",2,r1,1e3\n\"a,b\",-1,r1,.5\n",
		"step,id,v\n1,a,nan\n",
		"id,step,v\n",
		"id,step,v,v\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, o := range []CSVOptions{{}, {Group: "g"}, {MaxSteps: 2}} {
			s, err := ReadCSVWith(bytes.NewReader(data), o)
			if err != nil {
				continue
			}
			checkSet(t, s)
			if o.MaxSteps > 0 && s.T > o.MaxSteps {
				t.Fatalf("%d steps over the bound of %d", s.T, o.MaxSteps)
			}
		}
	})
}

// FuzzReadNPY throws arbitrary bytes at the .npy reader: no panic, and an
// accepted array's values came from bytes present (at least 4 per value),
// whatever its header claims.
func FuzzReadNPY(f *testing.F) {
	f.Add(npy("(2, 2, 1)", []float32{1, 2, 3, 4}))
	f.Add(npy64("(1, 1, 3)", []float64{0.1, math.NaN(), -2}))
	f.Add(npy("(268435456, 268435456, 256)", nil))
	f.Add(npyHeader("<f4", "(3,)"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := ReadNPY(bytes.NewReader(data)); err == nil {
			checkSet(t, s)
			if 4*len(s.X) > len(data) {
				t.Fatalf("%d values from %d bytes", len(s.X), len(data))
			}
		}
		if y, err := ReadTargetsNPY(bytes.NewReader(data)); err == nil && 4*len(y) > len(data) {
			t.Fatalf("%d targets from %d bytes", len(y), len(data))
		}
	})
}

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestClaimsAreNotAllocated: a 129-byte .npy whose header claims 2^28
// values, and one claiming 2^28 × 2^28 × 256, allocate almost nothing
// before they are refused; a CSV line past MaxLineBytes is refused
// without holding it, and MaxSteps bounds a sparse set.
func TestClaimsAreNotAllocated(t *testing.T) {
	for _, shape := range []string{"(16384, 4096, 4)", "(268435456, 268435456, 256)"} {
		data := npy(shape, []float32{1})
		var err error
		n := allocated(func() { _, err = ReadNPY(bytes.NewReader(data)) })
		require.ErrorIs(t, err, ErrFormat, shape)
		require.Less(t, n, uint64(1<<20), "%s: %d bytes allocated", shape, n)
	}
	long := "id,step,v\na,0," + strings.Repeat("1", 16*MaxLineBytes) + "\n" // 16 MiB in one line
	var err error
	n := allocated(func() { _, err = ReadCSV(strings.NewReader(long)) })
	require.ErrorIs(t, err, ErrFormat)
	require.ErrorContains(t, err, "longer than")
	require.Less(t, n, uint64(12*MaxLineBytes), "%d bytes allocated: bounded by the line limit, not the line", n)
	// 2000 rows, each a series with its own step: 2000 × 2000 cells without a bound
	var b strings.Builder
	b.WriteString("id,step,v\n")
	for i := 0; i < 2000; i++ {
		b.WriteString("s" + strconv.Itoa(i) + "," + strconv.Itoa(i) + ",1\n")
	}
	_, err = ReadCSVWith(strings.NewReader(b.String()), CSVOptions{MaxSteps: 12})
	require.ErrorContains(t, err, "more than 12 distinct steps")
	_, err = ReadCSV(strings.NewReader("id,step," + strings.Repeat("f,", MaxColumns) + "g\n"))
	require.ErrorContains(t, err, "columns")
}
