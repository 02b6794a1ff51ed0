package accel

import "math"

// Exp sets dst[i] = e^x[i] in float32 without calling math.Exp: with
// x = k·ln2 + r, |r| ≤ ln2/2, e^r is a degree-6 polynomial (Taylor, Horner,
// in float32) and 2^k is put in the exponent bits. The maximum relative
// error against the correctly rounded value is below 4·2⁻²³ (≈ 4.8e-7) on
// [−87, 88] (TestExpError measures it); x above 88.72 gives +Inf, below
// −103.97 gives 0, NaN stays NaN.
func Exp(dst, x []float32) {
	if len(dst) != len(x) {
		panic(badLength)
	}
	for i := 0; i < len(x); {
		i += expFast(dst[i:], x[i:]) // SIMD blocks while their lanes are in range
		if i < len(x) {
			j := min(len(x), i+8)
			expGeneric(dst[i:j], x[i:j])
			i = j
		}
	}
}

// expGeneric is Exp's reference code, one element at a time.
func expGeneric(dst, x []float32) {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375    // ln2 split so k·ln2hi is exact in float32
		ln2lo = -2.12194440e-4 // ln2 − ln2hi
	)
	for i, v := range x {
		switch {
		case v != v:
			dst[i] = v
			continue
		case v > 88.72283:
			dst[i] = float32(math.Inf(1))
			continue
		case v < -103.97:
			dst[i] = 0
			continue
		}
		// k = round(v·log2e) (half away from zero; any integer within ½
		// of v·log2e keeps |r| ≤ ln2/2 + ulp), without math.Floor's call
		t := v * log2e
		if t < 0 {
			t -= 0.5
		} else {
			t += 0.5
		}
		k := float32(int32(t))
		r := v - k*ln2hi - k*ln2lo
		p := float32(1.0 / 720)
		p = p*r + 1.0/120
		p = p*r + 1.0/24
		p = p*r + 1.0/6
		p = p*r + 0.5
		p = p*r + 1
		p = p*r + 1
		ki := int32(k)
		if ki < -126 { // subnormal results: scale in two steps
			dst[i] = p * math.Float32frombits(uint32(ki+127+64)<<23) * 0x1p-64
			continue
		}
		dst[i] = p * math.Float32frombits(uint32(ki+127)<<23)
	}
}

// SigmoidVec sets dst[i] = 1/(1+e^-x[i]) through Exp (relative error below
// 1e-6 where the result is above 1e-30).
func SigmoidVec(dst, x []float32) {
	if len(dst) != len(x) {
		panic(badLength)
	}
	for i, v := range x {
		dst[i] = -v
	}
	Exp(dst, dst)
	for i, e := range dst {
		dst[i] = 1 / (1 + e)
	}
}
