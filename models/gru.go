package models

import "github.com/portolan-sdk/portolan/accel"

// gru is a PyTorch multi-layer GRU (gates r, z, n) run over many short
// sequences at once: each layer projects the inputs of every step of every
// sequence in one product, then runs its recurrent steps as one product
// over all the sequences still running.
type gru struct {
	hidden int
	layers []gruLayer
}

type gruLayer struct {
	ih linear // W_ih x + b_ih
	hh linear // W_hh h + b_hh (kept apart: r multiplies W_hn h + b_hn)
}

func newGRU(ls []rnnLayer, hidden int) gru {
	g := gru{hidden: hidden}
	for _, l := range ls {
		g.layers = append(g.layers, gruLayer{
			ih: newLinear(l.wih, l.bih),
			hh: newLinear(l.whh, l.bhh)})
	}
	return g
}

// bytes returns the memory the GRU's weights hold.
func (g *gru) bytes() int {
	n := 0
	for i := range g.layers {
		n += g.layers[i].ih.bytes() + g.layers[i].hh.bytes()
	}
	return n
}

// gruWork holds a GRU's buffers: input projections, recurrent products,
// a layer's outputs (the next layer's inputs) and the hidden states.
type gruWork struct {
	gi, gh, seq, h []float32
}

// forward runs the GRU over cnt[0] sequences of 1 to len(cnt) steps whose
// inputs x are stored step-major: for each step p, the inputs of the cnt[p]
// sequences that have a step p (sequences sorted longest first, so those
// are the first cnt[p]), layers[0].ih.in features each. It returns the
// last layer's final hidden state of every sequence (cnt[0] × hidden, in
// the sorted order), valid until the next call.
func (g *gru) forward(ws *accel.Workspace, w *gruWork, x []float32, cnt []int) []float32 {
	H := g.hidden
	rows, total := cnt[0], 0
	for _, c := range cnt {
		total += c
	}
	gi := grow(&w.gi, total*3*H)
	gh := grow(&w.gh, rows*3*H)
	h := grow(&w.h, rows*H)
	seq := grow(&w.seq, total*H)
	in := x
	for li := range g.layers {
		l := &g.layers[li]
		last := li == len(g.layers)-1
		l.ih.forward(ws, gi, 3*H, in, l.ih.in, total)
		clear(h)
		off := 0
		for _, n := range cnt {
			if off == 0 { // h = 0: W_hh h + b_hh is the bias
				for r := 0; r < n; r++ {
					copy(gh[r*3*H:(r+1)*3*H], l.hh.b)
				}
			} else {
				l.hh.forward(ws, gh, 3*H, h, H, n)
			}
			accel.GRUGates(h[:n*H], gi[off*3*H:(off+n)*3*H], gh[:n*3*H], H)
			if !last {
				copy(seq[off*H:(off+n)*H], h[:n*H])
			}
			off += n
		}
		in = seq
	}
	return h
}
