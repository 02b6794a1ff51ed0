package uncertainty

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat/distuv"
)

func TestNormalMatchesGonum(t *testing.T) {
	for z := -8.0; z <= 8.0; z += 0.01 {
		require.InDelta(t, distuv.UnitNormal.CDF(z), normalCDF(z), 1e-15, "Φ(%g)", z)
		require.InDelta(t, distuv.UnitNormal.Prob(z), normalPDF(z), 1e-15, "φ(%g)", z)
	}
	for _, p := range []float64{1e-12, 1e-6, 0.001, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.999, 1 - 1e-9} {
		want := distuv.UnitNormal.Quantile(p)
		require.InDelta(t, want, normalQuantile(p), 1e-12*math.Max(1, math.Abs(want)), "Φ⁻¹(%g)", p)
		require.InDelta(t, p, normalCDF(normalQuantile(p)), 1e-14*math.Max(p, 1e-3), "Φ(Φ⁻¹(%g))", p)
	}
	require.InDelta(t, 1.959963984540054, normalQuantile(0.975), 1e-14)
	require.True(t, math.IsInf(normalQuantile(1), 1))
	require.True(t, math.IsInf(normalQuantile(0), -1))
	require.True(t, math.IsNaN(normalQuantile(1.5)))
	for _, p := range []float64{1e-310, 5e-324} {
		z := normalQuantile(p)
		require.False(t, math.IsNaN(z), "Φ⁻¹(%g)", p)
		require.Less(t, z, -37.0, "Φ⁻¹(%g)", p)
	}
}
