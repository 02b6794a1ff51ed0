package models

import (
	"encoding/binary"
	"fmt"

	"github.com/portolan-sdk/portolan/accel"
	"github.com/portolan-sdk/portolan/export"
)

// weights reads tensors from a bundle, checking shapes; the first error
// sticks, so a constructor reads everything and checks once.
type weights struct {
	b   *export.Bundle
	err error
}

// get returns the float32 elements of tensor name, which must have shape
// dims; f16 and int8 tensors are dequantised (vectors and small tensors:
// matrices go through matrix and stay compact).
func (w *weights) get(name string, dims ...int) []float32 {
	if w.err != nil {
		return nil
	}
	t, err := w.b.Tensor(name)
	if err != nil {
		w.err = err
		return nil
	}
	if len(t.Shape) != len(dims) {
		w.err = fmt.Errorf("%w: %s is %v, want %v", ErrShape, name, t.Shape, dims)
		return nil
	}
	for i, d := range dims {
		if t.Shape[i] != d {
			w.err = fmt.Errorf("%w: %s is %v, want %v", ErrShape, name, t.Shape, dims)
			return nil
		}
	}
	v, err := t.Float32s()
	if err != nil {
		w.err = err
		return nil
	}
	return v
}

// matrix is a weight matrix (out × in, row-major: PyTorch's Linear and
// embedding layout) as the bundle stores it: f32, f16 bits, or int8 with
// one scale per row. Compact matrices stay compact in the model.
type matrix struct {
	out, in int
	f32     []float32
	f16     []uint16
	i8      []int8
	scales  []float32
}

// matrix reads tensor name, which must have shape out × in, keeping f16
// and int8 data as stored.
func (w *weights) matrix(name string, out, in int) matrix {
	if w.err != nil {
		return matrix{}
	}
	t, err := w.b.Tensor(name)
	if err == nil {
		err = t.Validate()
	}
	if err != nil {
		w.err = err
		return matrix{}
	}
	if len(t.Shape) != 2 || t.Shape[0] != out || t.Shape[1] != in {
		w.err = fmt.Errorf("%w: %s is %v, want [%d %d]", ErrShape, name, t.Shape, out, in)
		return matrix{}
	}
	m := matrix{out: out, in: in}
	switch t.DType {
	case export.F16:
		m.f16 = make([]uint16, out*in)
		for i := range m.f16 {
			m.f16[i] = binary.LittleEndian.Uint16(t.Data[2*i:])
		}
	case export.Int8:
		m.i8 = make([]int8, out*in)
		for i, q := range t.Data {
			m.i8[i] = int8(q)
		}
		m.scales = append([]float32(nil), t.Scales...)
	default:
		m.f32 = w.get(name, out, in)
	}
	return m
}

// dtype names the matrix's storage.
func (m *matrix) dtype() export.DType {
	switch {
	case m.f16 != nil:
		return export.F16
	case m.i8 != nil:
		return export.Int8
	}
	return export.F32
}

// pack packs the matrix as a product's right-hand side (op(B) = Wᵀ),
// keeping compact matrices compact.
func (m *matrix) pack() *accel.PackedB {
	switch m.dtype() {
	case export.F16:
		return accel.PackBF16(m.in, m.out, m.f16)
	case export.Int8:
		return accel.PackBInt8(m.in, m.out, m.i8, m.scales)
	}
	return accel.PackB(true, m.in, m.out, m.f32, m.in)
}

// row writes row i of the matrix to dst (in values), dequantised exactly
// as export.Tensor.Float32s dequantises it.
func (m *matrix) row(dst []float32, i int) {
	lo, hi := i*m.in, (i+1)*m.in
	switch m.dtype() {
	case export.F16:
		accel.DequantF16(dst[:m.in], m.f16[lo:hi])
	case export.Int8:
		s := m.scales[i]
		for j, q := range m.i8[lo:hi] {
			dst[j] = float32(q) * s
		}
	default:
		copy(dst[:m.in], m.f32[lo:hi])
	}
}

// bytes returns the memory the matrix holds.
func (m *matrix) bytes() int {
	return 4*len(m.f32) + 2*len(m.f16) + len(m.i8) + 4*len(m.scales)
}

// stack concatenates matrices of the same storage and width row-wise (the
// outputs of layers that read the same input); ok is false when their
// storage differs.
func stack(ms []matrix) (matrix, bool) {
	out := matrix{in: ms[0].in}
	for i := range ms {
		if ms[i].dtype() != ms[0].dtype() || ms[i].in != out.in {
			return matrix{}, false
		}
		out.out += ms[i].out
		out.f32 = append(out.f32, ms[i].f32...)
		out.f16 = append(out.f16, ms[i].f16...)
		out.i8 = append(out.i8, ms[i].i8...)
		out.scales = append(out.scales, ms[i].scales...)
	}
	return out, true
}

// linear reads the PyTorch nn.Linear prefix.weight ([out, in]) and, when
// bias, prefix.bias, and packs the weights.
func (w *weights) linear(prefix string, in, out int, bias bool) linear {
	wt := w.matrix(prefix+".weight", out, in)
	var b []float32
	if bias {
		b = w.get(prefix+".bias", out)
	}
	if w.err != nil {
		return linear{}
	}
	return newLinear(wt, b)
}

// layerNorm reads a PyTorch nn.LayerNorm of width d.
func (w *weights) layerNorm(prefix string, d int, eps float32) layerNorm {
	return layerNorm{w: w.get(prefix+".weight", d), b: w.get(prefix+".bias", d), eps: eps}
}

// rnnLayer is one layer of a PyTorch GRU or LSTM: input and hidden weights
// ([gates·H, in] and [gates·H, H]) and biases.
type rnnLayer struct {
	in       int
	wih, whh matrix
	bih, bhh []float32
}

// rnn reads the layers of the PyTorch recurrent module named prefix ("gru",
// "lstm") with gates gate blocks per layer: layer 0 takes in features,
// the others the hidden size.
func (w *weights) rnn(prefix string, gates, layers, in, hidden int) []rnnLayer {
	out := make([]rnnLayer, layers)
	for l := range out {
		if l > 0 {
			in = hidden
		}
		out[l] = rnnLayer{in: in,
			wih: w.matrix(fmt.Sprintf("%s.weight_ih_l%d", prefix, l), gates*hidden, in),
			whh: w.matrix(fmt.Sprintf("%s.weight_hh_l%d", prefix, l), gates*hidden, hidden),
			bih: w.get(fmt.Sprintf("%s.bias_ih_l%d", prefix, l), gates*hidden),
			bhh: w.get(fmt.Sprintf("%s.bias_hh_l%d", prefix, l), gates*hidden)}
	}
	return out
}

// intParam is an integer config value with its documented range
// (docs/MODELS.md, "Limits").
type intParam struct {
	key      string
	dst      *int
	min, max int
}

// configInts reads integer config values, each required and within its
// range: every value that sizes a buffer is bounded, so a bundle cannot
// make inference allocate more than its limits allow.
func configInts(c export.Config, params []intParam) error {
	for _, p := range params {
		v, err := c.Int(p.key, -1)
		if err != nil {
			return err
		}
		if v < p.min || v > p.max {
			return fmt.Errorf("%w: config %q = %d, want %d..%d", ErrShape, p.key, v, p.min, p.max)
		}
		*p.dst = v
	}
	return nil
}
