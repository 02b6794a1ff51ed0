package models

import "github.com/portolan-sdk/portolan/accel"

// linear is y = x·Wᵀ + b (PyTorch nn.Linear) with W packed once, at load,
// for the product kernel.
type linear struct {
	in, out int
	w       *accel.PackedB
	b       []float32 // nil: no bias
}

// newLinear packs weights w (out × in) with bias b (out, or nil).
func newLinear(w, b []float32, in, out int) linear {
	return linear{in: in, out: out, w: accel.PackB(true, in, out, w, in), b: b}
}

// concatLinear stacks the outputs of several linear layers that read the
// same input (their weights one after the other), so one product computes
// them all; every layer has a bias or none has.
func concatLinear(in int, ws, bs [][]float32) linear {
	var w, b []float32
	for i := range ws {
		w = append(w, ws[i]...)
		if bs[i] != nil {
			b = append(b, bs[i]...)
		}
	}
	return newLinear(w, b, in, len(w)/in)
}

// forward sets dst = x·Wᵀ + b for rows rows: x is rows × in with row
// stride ldx, dst rows × out with row stride ldd.
func (l *linear) forward(ws *accel.Workspace, dst []float32, ldd int, x []float32, ldx, rows int) {
	if rows == 0 {
		return
	}
	beta := float32(0)
	if l.b != nil {
		for r := 0; r < rows; r++ {
			copy(dst[r*ldd:r*ldd+l.out], l.b)
		}
		beta = 1
	}
	ws.SgemmPacked(false, rows, 1, x, ldx, l.w, beta, dst, ldd)
}

// layerNorm is PyTorch nn.LayerNorm over the last dimension.
type layerNorm struct {
	w, b []float32
	eps  float32
}

// forward sets dst = LN(x) row by row (rows of width len(w), strides ldd
// and ldx; dst may be x).
func (n *layerNorm) forward(dst []float32, ldd int, x []float32, ldx, rows int) {
	d := len(n.w)
	for r := 0; r < rows; r++ {
		accel.LayerNorm(dst[r*ldd:r*ldd+d], x[r*ldx:r*ldx+d], n.w, n.b, n.eps)
	}
}

// addForward sets dst = LN(x + y) row by row (dst may be x or y).
func (n *layerNorm) addForward(dst []float32, ldd int, x []float32, ldx int, y []float32, ldy, rows int) {
	d := len(n.w)
	for r := 0; r < rows; r++ {
		accel.AddLayerNorm(dst[r*ldd:r*ldd+d], x[r*ldx:r*ldx+d], y[r*ldy:r*ldy+d], n.w, n.b, n.eps)
	}
}

// ffn is the position-wise feed-forward layer: fc2(relu(fc1(x))).
type ffn struct {
	fc1, fc2 linear
}

// forward sets dst (rows × out) = ffn(x); hidden is a rows × fc1.out buffer.
func (f *ffn) forward(ws *accel.Workspace, dst []float32, ldd int, x []float32, ldx, rows int, hidden []float32) {
	h := f.fc1.out
	f.fc1.forward(ws, hidden, h, x, ldx, rows)
	accel.ReLU(hidden[:rows*h])
	f.fc2.forward(ws, dst, ldd, hidden, h, rows)
}

// grow returns buf resized to n, reallocating (with a quarter to spare)
// only when its capacity is short, so steady-state calls reuse it.
func grow(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n, n+n/4)
	}
	*buf = (*buf)[:n]
	return *buf
}

// growInts is grow for int slices.
func growInts(buf *[]int, n int) []int {
	if cap(*buf) < n {
		*buf = make([]int, n, n+n/4)
	}
	*buf = (*buf)[:n]
	return *buf
}
