package timeseries

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// The number rules are the trainer's regular expressions
// (training/portolan_train/data.py); the matchers must accept exactly
// what they accept.
var (
	decimalRE = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
	integerRE = regexp.MustCompile(`^[+-]?[0-9]+$`)
)

func TestNumberMatchersEqualRegexps(t *testing.T) {
	cases := []string{"", "+", "-", ".", "1", "-1", "+12", "1.", ".5", "-.5", "1.5", "1e5", "1E-5", "1.e+3",
		".e1", "e1", "1e", "1e+", "0x10", "1_000", "inf", "NaN", " 1", "1 ", "1.2.3", "--1", "1e5.0", "٣", "1.5e3x"}
	for _, c := range cases {
		require.Equal(t, decimalRE.MatchString(c), isDecimal(c), "decimal %q", c)
		require.Equal(t, integerRE.MatchString(c), isInteger(c), "integer %q", c)
	}
}

func FuzzNumberMatchers(f *testing.F) {
	for _, c := range []string{"1", "-1.5e3", ".5", "1.", "x"} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if decimalRE.MatchString(s) != isDecimal(s) || integerRE.MatchString(s) != isInteger(s) {
			t.Fatalf("matchers disagree with the regular expressions on %q", s)
		}
	})
}

func TestNPYDescr(t *testing.T) {
	require.Equal(t, "<f4", npyDescr("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"))
	require.Equal(t, "<f8", npyDescr("{'descr':'<f8'}"))
	require.Equal(t, "", npyDescr("{'shape': (2,)}"))
	require.Equal(t, "", npyDescr("{'descr': <f4}"))
}
