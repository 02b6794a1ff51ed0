package models

import "github.com/portolan-sdk/portolan/accel"

// linear is y = x·Wᵀ + b (PyTorch nn.Linear) with W packed once, at load,
// for the product kernel; f16 and int8 weights stay compact (their panels
// are dequantised one at a time inside the product).
type linear struct {
	in, out int
	w       *accel.PackedB
	b       []float32 // nil: no bias
	// next computes the outputs after w's of a concatenation whose parts
	// are stored differently (concatLinear), from the same input
	next *linear
}

// newLinear packs weights w (out × in) with bias b (out, or nil).
func newLinear(w matrix, b []float32) linear {
	return linear{in: w.in, out: w.out, w: w.pack(), b: b}
}

// concatLinear stacks the outputs of several linear layers that read the
// same input (their weights one after the other), so one product computes
// them all when they are stored alike (else one product per run of alike
// parts); every layer has a bias or none has.
func concatLinear(ws []matrix, bs [][]float32) linear {
	var b []float32
	for i := range ws {
		b = append(b, bs[i]...)
	}
	if w, ok := stack(ws); ok {
		return newLinear(w, b)
	}
	first := 1
	for first < len(ws) && ws[first].dtype() == ws[0].dtype() {
		first++
	}
	head, _ := stack(ws[:first])
	l := newLinear(head, nil)
	rest := concatLinear(ws[first:], bs[first:])
	l.next = &rest
	if b != nil {
		l.b = b[:head.out]
	}
	l.out += rest.out
	return l
}

// forward sets dst = x·Wᵀ + b for rows rows: x is rows × in with row
// stride ldx, dst rows × out with row stride ldd.
func (l *linear) forward(ws *accel.Workspace, dst []float32, ldd int, x []float32, ldx, rows int) {
	if rows == 0 {
		return
	}
	n := l.w.N()
	beta := float32(0)
	if l.b != nil {
		for r := 0; r < rows; r++ {
			copy(dst[r*ldd:r*ldd+n], l.b)
		}
		beta = 1
	}
	ws.SgemmPacked(false, rows, 1, x, ldx, l.w, beta, dst, ldd)
	if l.next != nil {
		l.next.forward(ws, dst[n:], ldd, x, ldx, rows)
	}
}

// bytes returns the memory the layer's weights and bias hold.
func (l *linear) bytes() int {
	n := l.w.Bytes() + 4*len(l.b)
	if l.next != nil {
		n += l.next.bytes()
	}
	return n
}

// layerNorm is PyTorch nn.LayerNorm over the last dimension.
type layerNorm struct {
	w, b []float32
	eps  float32
}

func (n *layerNorm) bytes() int { return 4 * (len(n.w) + len(n.b)) }

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
// only when its capacity is short, so steady-state calls reuse it. (Not
// inlined: it runs once per buffer and forward, and its inlined copies
// cost the WebAssembly module 11 KB of code.)
//
//go:noinline
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
