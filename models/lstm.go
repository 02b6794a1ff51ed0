package models

import "github.com/portolan-sdk/portolan/accel"

// lstm is a PyTorch multi-layer LSTM (gates i, f, g, o) run over a batch
// of sequences of equal length: each layer projects the inputs of every
// step of every sequence in one product (both biases folded into it), then
// runs its recurrent steps as one product over all the sequences.
type lstm struct {
	hidden int
	layers []lstmLayer
}

type lstmLayer struct {
	ih linear // W_ih x + b_ih + b_hh
	hh linear // W_hh h, no bias
}

func newLSTM(ls []rnnLayer, hidden int) lstm {
	m := lstm{hidden: hidden}
	for _, l := range ls {
		b := make([]float32, len(l.bih))
		for i := range b {
			b[i] = l.bih[i] + l.bhh[i]
		}
		m.layers = append(m.layers, lstmLayer{
			ih: newLinear(l.wih, b),
			hh: newLinear(l.whh, nil)})
	}
	return m
}

// bytes returns the memory the LSTM's weights hold.
func (m *lstm) bytes() int {
	n := 0
	for i := range m.layers {
		n += m.layers[i].ih.bytes() + m.layers[i].hh.bytes()
	}
	return n
}

// lstmWork holds an LSTM's buffers: the gate pre-activations of every
// step, a layer's outputs and the cell state.
type lstmWork struct {
	g, seq, c []float32
}

// forward runs the LSTM over rows sequences of steps steps, inputs x
// stored step-major (step t of sequence r at row t·rows + r,
// layers[0].ih.in features), and returns the last layer's hidden state at
// the last step (rows × hidden), valid until the next call.
func (m *lstm) forward(ws *accel.Workspace, w *lstmWork, x []float32, rows, steps int) []float32 {
	H := m.hidden
	g := grow(&w.g, steps*rows*4*H)
	seq := grow(&w.seq, steps*rows*H)
	c := grow(&w.c, rows*H)
	in := x
	for li := range m.layers {
		l := &m.layers[li]
		l.ih.forward(ws, g, 4*H, in, l.ih.in, steps*rows)
		clear(c)
		for t := 0; t < steps; t++ {
			gt := g[t*rows*4*H : (t+1)*rows*4*H]
			if t > 0 { // gt += h_{t−1}·W_hhᵀ
				ws.SgemmPacked(false, rows, 1, seq[(t-1)*rows*H:], H, l.hh.w, 1, gt, 4*H)
			}
			accel.LSTMGates(seq[t*rows*H:(t+1)*rows*H], c, gt, H)
		}
		in = seq
	}
	return seq[(steps-1)*rows*H : steps*rows*H]
}
