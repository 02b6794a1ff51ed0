package accel

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func f32ToF16(f float32) uint16 {
	// round-to-nearest-even via float64 is exact enough for test inputs in the normal range
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	e := int(b>>23&0xff) - 127 + 15
	mant := b & 0x7fffff
	h := uint32(e)<<10 | mant>>13
	if rem := mant & 0x1fff; rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++
	}
	return sign | uint16(h)
}

func TestDequantisingGemv(t *testing.T) {
	eachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 9))
		rows, cols := 7, 300
		w := make([]float32, rows*cols)
		h := make([]uint16, rows*cols)
		q := make([]int8, rows*cols)
		scales := make([]float32, rows)
		for i := range w {
			h[i] = f32ToF16(float32(r.NormFloat64()))
			w[i] = F16ToF32(h[i])
			q[i] = int8(r.IntN(255) - 127)
		}
		for i := range scales {
			scales[i] = 0.01 * float32(i+1)
		}
		x := randVec(cols)
		b := randVec(rows)
		want := make([]float32, rows)
		Gemv(want, w, x, b, rows, cols)
		got := make([]float32, rows)
		GemvF16(got, h, x, b, rows, cols)
		for i := range want {
			require.InDelta(t, want[i], got[i], 1e-3)
		}
		GemvInt8(got, q, scales, x, nil, rows, cols)
		for rr := 0; rr < rows; rr++ {
			var s float64
			for c := 0; c < cols; c++ {
				s += float64(q[rr*cols+c]) * float64(scales[rr]) * float64(x[c])
			}
			require.InDelta(t, s, float64(got[rr]), 1e-3*math.Max(1, math.Abs(s)))
		}
	})
	require.Equal(t, float32(1), F16ToF32(0x3c00))
	require.Equal(t, float32(-2), F16ToF32(0xc000))
	require.Equal(t, float32(math.Ldexp(1, -24)), F16ToF32(0x0001))
}

// TestExpError measures Exp's maximum relative error on a dense grid, for
// every implementation.
func TestExpError(t *testing.T) { eachImpl(t, testExpError) }

func testExpError(t *testing.T) {
	var x []float32
	for v := -87.0; v <= 88; v += 0.001 {
		x = append(x, float32(v))
	}
	y := make([]float32, len(x))
	Exp(y, x)
	var worst float64
	for i, v := range x {
		want := math.Exp(float64(v))
		worst = math.Max(worst, math.Abs(float64(y[i])-want)/want)
	}
	t.Logf("max relative error %.3g (%.2f × 2⁻²³)", worst, worst/0x1p-23)
	require.Less(t, worst, 4*0x1p-23)

	special := []float32{float32(math.NaN()), 100, -200, 0}
	out := make([]float32, 4)
	Exp(out, special)
	require.True(t, math.IsNaN(float64(out[0])))
	require.True(t, math.IsInf(float64(out[1]), 1))
	require.Equal(t, float32(0), out[2])
	require.Equal(t, float32(1), out[3])
	// subnormal results keep their value
	Exp(out[:1], []float32{-100})
	require.InDelta(t, math.Exp(-100), float64(out[0]), 0x1p-149) // within one subnormal step

	// an out-of-range lane inside a block falls back to the generic code
	mixed := make([]float32, 20)
	for i := range mixed {
		mixed[i] = float32(i) - 10
	}
	mixed[11] = 100
	mixed[17] = float32(math.NaN())
	mo := make([]float32, 20)
	Exp(mo, mixed)
	for i, v := range mixed {
		switch i {
		case 11:
			require.True(t, math.IsInf(float64(mo[i]), 1))
		case 17:
			require.True(t, math.IsNaN(float64(mo[i])))
		default:
			require.InEpsilon(t, math.Exp(float64(v)), float64(mo[i]), 4*0x1p-23)
		}
	}

	s := make([]float32, 3)
	SigmoidVec(s, []float32{0, 10, -10})
	require.Equal(t, float32(0.5), s[0])
	require.InDelta(t, 1/(1+math.Exp(-10)), s[1], 1e-7)
	require.InDelta(t, 1/(1+math.Exp(10)), s[2], 1e-9)
}
