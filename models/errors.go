package models

import (
	"errors"
	"fmt"

	"github.com/portolan-sdk/portolan/export"
)

var (
	// ErrKind is returned when a bundle holds another kind of model.
	ErrKind = errors.New("models: wrong model kind")
	// ErrShape is returned when a tensor's shape does not match the config.
	ErrShape = errors.New("models: tensor shape does not match the config")
	// ErrInput is returned for inputs the model cannot take: wrong sizes,
	// ids outside the vocabularies, non-finite values.
	ErrInput = errors.New("models: invalid input")
)

// weights reads tensors from a bundle, checking shapes.
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

// configInts reads positive integer config values.
func configInts(c export.Config, dst map[string]*int) error {
	for k, p := range dst {
		v, err := c.Int(k, -1)
		if err != nil {
			return err
		}
		if v <= 0 || v > 1<<20 {
			return fmt.Errorf("%w: config %q = %d", ErrShape, k, v)
		}
		*p = v
	}
	return nil
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
