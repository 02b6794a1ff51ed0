package models

import (
	"fmt"

	"github.com/portolan-sdk/portolan/export"
)

// weights reads tensors from a bundle, checking shapes; the first error
// sticks, so a constructor reads everything and checks once.
type weights struct {
	b   *export.Bundle
	err error
}

// get returns the float32 elements of tensor name, which must have shape
// dims; f16 and int8 tensors are dequantised.
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

// linear reads the PyTorch nn.Linear prefix.weight ([out, in]) and, when
// bias, prefix.bias, and packs the weights.
func (w *weights) linear(prefix string, in, out int, bias bool) linear {
	wt := w.get(prefix+".weight", out, in)
	var b []float32
	if bias {
		b = w.get(prefix+".bias", out)
	}
	if w.err != nil {
		return linear{}
	}
	return newLinear(wt, b, in, out)
}

// layerNorm reads a PyTorch nn.LayerNorm of width d.
func (w *weights) layerNorm(prefix string, d int, eps float32) layerNorm {
	return layerNorm{w: w.get(prefix+".weight", d), b: w.get(prefix+".bias", d), eps: eps}
}

// rnnLayer is one layer of a PyTorch GRU or LSTM: input and hidden weights
// ([gates·H, in] and [gates·H, H]) and biases.
type rnnLayer struct {
	in                 int
	wih, whh, bih, bhh []float32
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
			wih: w.get(fmt.Sprintf("%s.weight_ih_l%d", prefix, l), gates*hidden, in),
			whh: w.get(fmt.Sprintf("%s.weight_hh_l%d", prefix, l), gates*hidden, hidden),
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
