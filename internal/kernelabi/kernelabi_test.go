package kernelabi

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFuncs(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Funcs {
		require.False(t, seen[f.Name], "%s listed twice", f.Name)
		seen[f.Name] = true
		g, ok := Lookup(f.Name)
		require.True(t, ok)
		require.Equal(t, f, g)
		for _, v := range append(append([]ValueType{}, f.Params...), f.Results...) {
			require.Contains(t, []ValueType{I32, F32}, v, f.Name)
		}
	}
	_, ok := Lookup("nope")
	require.False(t, ok)
	g, _ := Lookup(FnGemm)
	require.Equal(t, "[i32 i32 i32 i32 i32 i32 i32 i32 f32]", fmtTypes(g.Params))
	require.Equal(t, 6, TileRows(16))
	require.Equal(t, 12, TileRows(32))
	require.Equal(t, 0, TileRows(8))
	require.Equal(t, "simd128", ImplName(ImplSIMD128))
	require.Equal(t, "host", ImplName(ImplHost))
}

func fmtTypes(ts []ValueType) string {
	s := "["
	for i, v := range ts {
		if i > 0 {
			s += " "
		}
		s += v.String()
	}
	return s + "]"
}
