package accel

import "math"

const badLength = "accel: slice lengths do not match"

// Dot returns the dot product of x and y:
//
//	for i := range x { s += x[i] * y[i] }
//
// summed in four float32 partial sums (lanes i mod 4), then
// ((s0+s1)+(s2+s3)) plus the tail in order.
func Dot(x, y []float32) float32 {
	if len(x) != len(y) {
		panic(badLength)
	}
	return dotFast(x, y)
}

func dot(x, y []float32) float32 {
	var s0, s1, s2, s3 float32
	n := len(x) &^ 3
	y = y[:len(x)]
	for i := 0; i < n; i += 4 {
		s0 += float32(x[i] * y[i])
		s1 += float32(x[i+1] * y[i+1])
		s2 += float32(x[i+2] * y[i+2])
		s3 += float32(x[i+3] * y[i+3])
	}
	s := (s0 + s1) + (s2 + s3)
	for i := n; i < len(x); i++ {
		s += float32(x[i] * y[i])
	}
	return s
}

// Linear computes dst = x·Wᵀ + b for n rows, the PyTorch nn.Linear layout:
// x is n×in, w is out×in, b has out entries (or is nil), dst is n×out.
//
//	for r := 0; r < n; r++ { for o := 0; o < out; o++ {
//	    dst[r*out+o] = Dot(x[r*in:(r+1)*in], w[o*in:(o+1)*in]) + b[o] } }
//
// Sixteen or more rows go through Sgemm; fewer use dot products.
func Linear(dst, x, w, b []float32, n, in, out int) { linear(nil, dst, x, w, b, n, in, out) }

func linear(ws *Workspace, dst, x, w, b []float32, n, in, out int) {
	if len(x) < n*in || len(w) != out*in || len(dst) < n*out || (b != nil && len(b) != out) {
		panic(badLength)
	}
	if n >= 16 {
		if ws != nil {
			ws.Sgemm(false, true, n, out, in, 1, x, in, w, in, 0, dst, out)
		} else {
			Sgemm(false, true, n, out, in, 1, x, in, w, in, 0, dst, out)
		}
		if b != nil {
			for r := 0; r < n; r++ {
				AddTo(dst[r*out:(r+1)*out], b)
			}
		}
		return
	}
	for r := 0; r < n; r++ {
		xr := x[r*in : (r+1)*in]
		dr := dst[r*out : (r+1)*out]
		for o := range dr {
			v := dotFast(xr, w[o*in:(o+1)*in])
			if b != nil {
				v += b[o]
			}
			dr[o] = v
		}
	}
}

// AddTo sets dst[i] += x[i].
func AddTo(dst, x []float32) {
	if len(dst) != len(x) {
		panic(badLength)
	}
	for i, v := range x {
		dst[i] += v
	}
}

// ReLU sets x[i] = max(x[i], 0) in place (NaN stays NaN).
func ReLU(x []float32) {
	tail := x[reluFast(x):]
	for i, v := range tail {
		tail[i] = max(v, 0)
	}
}

// SoftmaxInPlace replaces x by softmax(x): e^(x[i]−max)/Σ e^(x[j]−max),
// with the exponentials from Exp (relative error below 4·2⁻²³) and the sum
// in float64 (four partial sums, lanes i mod 4, added in order). Masked
// entries (−1e9) become 0.
func SoftmaxInPlace(x []float32) {
	if len(x) == 0 {
		return
	}
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	for i := range x {
		x[i] -= m
	}
	Exp(x, x)
	inv := float32(1 / sum64(x))
	for i, v := range x {
		x[i] = v * inv
	}
}

// sum64 returns Σ x[i] in float64, in four partial sums (lanes i mod 4)
// added as ((s0+s1)+(s2+s3)), then the tail in order.
func sum64(x []float32) float64 {
	var s0, s1, s2, s3 float64
	n := len(x) &^ 3
	for i := 0; i < n; i += 4 {
		v := x[i : i+4 : i+4]
		s0 += float64(v[0])
		s1 += float64(v[1])
		s2 += float64(v[2])
		s3 += float64(v[3])
	}
	s := (s0 + s1) + (s2 + s3)
	for _, v := range x[n:] {
		s += float64(v)
	}
	return s
}

// LayerNorm sets dst = (x − mean)/sqrt(var + eps)·w + b over the whole
// slice, with the population variance; mean and variance are accumulated
// in float64 (four partial sums each, as sum64). dst may be x.
func LayerNorm(dst, x, w, b []float32, eps float32) {
	if len(dst) != len(x) || len(w) != len(x) || len(b) != len(x) {
		panic(badLength)
	}
	mean := sum64(x) / float64(len(x))
	var v0, v1, v2, v3 float64
	n := len(x) &^ 3
	for i := 0; i < n; i += 4 {
		v := x[i : i+4 : i+4]
		d0, d1, d2, d3 := float64(v[0])-mean, float64(v[1])-mean, float64(v[2])-mean, float64(v[3])-mean
		v0 += d0 * d0
		v1 += d1 * d1
		v2 += d2 * d2
		v3 += d3 * d3
	}
	vr := (v0 + v1) + (v2 + v3)
	for _, v := range x[n:] {
		d := float64(v) - mean
		vr += d * d
	}
	vr /= float64(len(x))
	inv := 1 / math.Sqrt(vr+float64(eps))
	for i, v := range x {
		dst[i] = float32((float64(v)-mean)*inv)*w[i] + b[i]
	}
}

// AddLayerNorm sets dst = LayerNorm(x + y)·w + b, the residual connection
// and its normalisation in one call; dst may be x or y. The generic code
// is LayerNorm's (float64 statistics); the SIMD kernels, for lengths that
// are multiples of 8, accumulate mean and variance in float32 lanes.
func AddLayerNorm(dst, x, y, w, b []float32, eps float32) {
	if len(x) != len(y) || len(dst) != len(x) || len(w) != len(x) || len(b) != len(x) {
		panic(badLength)
	}
	if addLayerNormFast(dst, x, y, w, b, eps) {
		return
	}
	for i, v := range y {
		dst[i] = x[i] + v
	}
	LayerNorm(dst, dst, w, b, eps)
}

// SegmentMeanMax writes the mean and the maximum of each of len(mean)
// consecutive segments of seg elements of x:
//
//	for s := range mean { mean[s] = Σ x[s·seg : (s+1)·seg] / seg; mx[s] = max of the same }
//
// (sums in four partial sums, lanes i mod 4, or eight SIMD lanes). x
// holds no NaN.
func SegmentMeanMax(mean, mx, x []float32, seg int) {
	if seg <= 0 || len(mx) != len(mean) || len(x) < len(mean)*seg {
		panic(badLength)
	}
	if segMeanMaxFast(mean, mx, x, seg) {
		return
	}
	for s := range mean {
		v := x[s*seg : (s+1)*seg]
		var s0, s1, s2, s3 float32
		m0, m1 := v[0], v[0]
		n := seg &^ 3
		for i := 0; i < n; i += 4 {
			q := v[i : i+4 : i+4]
			s0 += q[0]
			s1 += q[1]
			s2 += q[2]
			s3 += q[3]
			// comparisons, not the builtin max: a running maximum seldom
			// changes, so they predict well
			if q[0] > m0 {
				m0 = q[0]
			}
			if q[1] > m1 {
				m1 = q[1]
			}
			if q[2] > m0 {
				m0 = q[2]
			}
			if q[3] > m1 {
				m1 = q[3]
			}
		}
		sum := (s0 + s1) + (s2 + s3)
		for _, t := range v[n:] {
			sum += t
			if t > m0 {
				m0 = t
			}
		}
		if m1 > m0 {
			m0 = m1
		}
		mean[s], mx[s] = sum/float32(seg), m0
	}
}

// WeightedMax4 sets dst[j] to the largest of a[c]·u[c·stride+j] over four
// channels c (WAY's channel-attention pooling):
//
//	for j := range dst { dst[j] = max(a[0]·u[j], a[1]·u[stride+j], a[2]·u[2·stride+j], a[3]·u[3·stride+j]) }
func WeightedMax4(dst, u []float32, stride int, a *[4]float32) {
	n := len(dst)
	if stride < n || len(u) < 3*stride+n {
		panic(badLength)
	}
	i := weightedMax4Fast(dst, u, stride, a)
	u0, u1, u2, u3 := u[:n], u[stride:stride+n], u[2*stride:2*stride+n], u[3*stride:3*stride+n]
	for j := i; j < n; j++ {
		v := a[0] * u0[j]
		if w := a[1] * u1[j]; w > v {
			v = w
		}
		if w := a[2] * u2[j]; w > v {
			v = w
		}
		if w := a[3] * u3[j]; w > v {
			v = w
		}
		dst[j] = v
	}
}

// gateChunk is how many elements the gate kernels process per step on
// the stack.
const gateChunk = 64

// TanhVec sets dst[i] = tanh(x[i]) = 1 − 2/(e^(2x)+1) through Exp (absolute
// error below 1e-6).
func TanhVec(dst, x []float32) {
	if len(dst) != len(x) {
		panic(badLength)
	}
	for i, v := range x {
		dst[i] = 2 * v
	}
	Exp(dst, dst)
	for i, e := range dst {
		dst[i] = 1 - 2/(e+1)
	}
}

// GRUGates combines PyTorch GRU pre-activations into new hidden states,
// in place in h, for len(h)/hidden rows: per row, gi = W_ih x + b_ih and
// gh = W_hh h + b_hh, each 3·hidden long in gate order r, z, n:
//
//	r = σ(gi_r + gh_r); z = σ(gi_z + gh_z); n = tanh(gi_n + r·gh_n)
//	h = (1 − z)·n + z·h
//
// σ and tanh come from SigmoidVec and TanhVec.
func GRUGates(h, gi, gh []float32, hidden int) {
	if hidden <= 0 || len(h)%hidden != 0 || len(gi) != 3*len(h) || len(gh) != 3*len(h) {
		panic(badLength)
	}
	H := hidden
	var r, z, n [gateChunk]float32
	for row := 0; row < len(h)/H; row++ {
		h, gi, gh := h[row*H:(row+1)*H], gi[row*3*H:(row+1)*3*H], gh[row*3*H:(row+1)*3*H]
		for j0 := gruRowFast(h, gi, gh, H); j0 < H; j0 += gateChunk {
			c := min(gateChunk, H-j0)
			for j := 0; j < c; j++ {
				r[j] = gi[j0+j] + gh[j0+j]
				z[j] = gi[H+j0+j] + gh[H+j0+j]
			}
			SigmoidVec(r[:c], r[:c])
			SigmoidVec(z[:c], z[:c])
			for j := 0; j < c; j++ {
				n[j] = gi[2*H+j0+j] + float32(r[j]*gh[2*H+j0+j])
			}
			TanhVec(n[:c], n[:c])
			for j := 0; j < c; j++ {
				h[j0+j] = float32((1-z[j])*n[j]) + float32(z[j]*h[j0+j])
			}
		}
	}
}

// LSTMGates combines PyTorch LSTM pre-activations g = W_ih x + b_ih +
// W_hh h + b_hh (4·hidden per row, gate order i, f, g, o) into new h and
// c, for len(h)/hidden rows (h is written, c updated in place):
//
//	i = σ(g_i); f = σ(g_f); g̃ = tanh(g_g); o = σ(g_o)
//	c = f·c + i·g̃; h = o·tanh(c)
func LSTMGates(h, c, g []float32, hidden int) {
	if hidden <= 0 || len(h)%hidden != 0 || len(c) != len(h) || len(g) != 4*len(h) {
		panic(badLength)
	}
	H := hidden
	var i, f, gg, o [gateChunk]float32
	for row := 0; row < len(h)/H; row++ {
		h, c, g := h[row*H:(row+1)*H], c[row*H:(row+1)*H], g[row*4*H:(row+1)*4*H]
		for j0 := lstmRowFast(h, c, g, H); j0 < H; j0 += gateChunk {
			n := min(gateChunk, H-j0)
			SigmoidVec(i[:n], g[j0:j0+n])
			SigmoidVec(f[:n], g[H+j0:H+j0+n])
			TanhVec(gg[:n], g[2*H+j0:2*H+j0+n])
			SigmoidVec(o[:n], g[3*H+j0:3*H+j0+n])
			for j := 0; j < n; j++ {
				c[j0+j] = float32(f[j]*c[j0+j]) + float32(i[j]*gg[j])
			}
			TanhVec(gg[:n], c[j0:j0+n])
			for j := 0; j < n; j++ {
				h[j0+j] = o[j] * gg[j]
			}
		}
	}
}

// SoftmaxMaskedInPlace replaces x by softmax(x + mask), mask being additive
// (0 to keep, a large negative value such as −1e9 to drop an entry).
func SoftmaxMaskedInPlace(x, mask []float32) {
	AddTo(x, mask)
	SoftmaxInPlace(x)
}
