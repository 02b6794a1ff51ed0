package models

import (
	"fmt"
	"math"

	"github.com/portolan-sdk/portolan/accel"
	"github.com/portolan-sdk/portolan/export"
)

// encoder is the temporal-dropout Transformer backbone, as the trainer
// builds it (docs/MODELS.md): e = inp(x) + pos, then layers of PyTorch's
// nn.TransformerEncoderLayer in its defaults (post-norm, ReLU):
//
//	e = LN₁(e + out_proj(attention(in_proj(e))))   every step sees every step
//	e = LN₂(e + linear2(relu(linear1(e))))
//
// and the mean over the steps.
type encoder struct {
	hidden, heads, dk, ffn int
	scale                  float32 // 1/√dk
	inp                    linear
	pos                    []float32 // T × hidden, learned
	layers                 []encLayer
}

type encLayer struct {
	qkv, o       linear // in_proj (q, k, v: 3·hidden outputs), out_proj
	norm1, norm2 layerNorm
	ffn          ffn
}

// newEncoder reads the encoder's weights (inp, pos, enc.layers.*) and its
// config: heads (dividing hidden), ffn (default 2·hidden), ln_eps
// (default 1e-5); a norm_first (pre-norm) encoder is refused.
func newEncoder(w *weights, c export.Config, T, D, H, layers int) (*encoder, error) {
	e := &encoder{hidden: H}
	eps := 1e-5
	err := configInts(c, []intParam{{"heads", &e.heads, 1, tdMaxHeads}})
	if err == nil {
		e.ffn, err = c.Int("ffn", 2*H)
	}
	if err == nil {
		eps, err = c.Float("ln_eps", eps)
	}
	if err != nil {
		return nil, err
	}
	if pre, _ := c.Bool("norm_first", false); pre {
		return nil, fmt.Errorf("%w: a pre-norm (norm_first) transformer", ErrKind)
	}
	if H%e.heads != 0 || e.ffn < 1 || e.ffn > tdMaxFFN || !(eps > 0 && eps < 1) {
		return nil, fmt.Errorf("%w: transformer hidden %d, heads %d, ffn %d (1..%d), ln_eps %v", ErrShape, H, e.heads, e.ffn, tdMaxFFN, eps)
	}
	e.dk = H / e.heads
	e.scale = float32(1 / math.Sqrt(float64(e.dk)))
	e.inp = w.linear("inp", D, H, true)
	e.pos = w.get("pos", 1, T, H)
	for l := 0; l < layers; l++ {
		p := fmt.Sprintf("enc.layers.%d.", l)
		inW, inB := w.matrix(p+"self_attn.in_proj_weight", 3*H, H), w.get(p+"self_attn.in_proj_bias", 3*H)
		el := encLayer{
			o:     w.linear(p+"self_attn.out_proj", H, H, true),
			norm1: w.layerNorm(p+"norm1", H, float32(eps)),
			norm2: w.layerNorm(p+"norm2", H, float32(eps)),
			ffn:   ffn{fc1: w.linear(p+"linear1", H, e.ffn, true), fc2: w.linear(p+"linear2", e.ffn, H, true)},
		}
		if w.err != nil {
			return nil, w.err
		}
		el.qkv = newLinear(inW, inB)
		e.layers = append(e.layers, el)
	}
	return e, w.err
}

// encWork holds an encoder's buffers.
type encWork struct {
	e, qkv, att, o, f1, f2, pool []float32
}

// forward runs the encoder over rows sequences of T steps whose inputs x
// are stored sequence-major (step t of sequence r at row r·T + t,
// inp.in features) and returns each sequence's mean over its steps (rows
// × hidden), valid until the next call.
func (e *encoder) forward(ws *accel.Workspace, w *encWork, x []float32, rows, T int) []float32 {
	H, n := e.hidden, rows*T
	E := grow(&w.e, n*H)
	e.inp.forward(ws, E, H, x, e.inp.in, n)
	for r := 0; r < rows; r++ {
		accel.AddTo(E[r*T*H:(r+1)*T*H], e.pos)
	}
	qkv := grow(&w.qkv, n*3*H)
	att := grow(&w.att, n*H)
	o := grow(&w.o, n*H)
	f2 := grow(&w.f2, n*H)
	f1 := grow(&w.f1, n*e.ffn)
	for li := range e.layers {
		l := &e.layers[li]
		l.qkv.forward(ws, qkv, 3*H, E, H, n)
		for r := 0; r < rows; r++ {
			q := qkv[r*T*3*H:]
			ws.Attention(att[r*T*H:], H, q, 3*H, q[H:], 3*H, q[2*H:], 3*H, T, T, e.heads, e.dk, e.scale)
		}
		l.o.forward(ws, o, H, att, H, n)
		l.norm1.addForward(E, H, E, H, o, H, n)
		l.ffn.forward(ws, f2, H, E, H, n, f1)
		l.norm2.addForward(E, H, E, H, f2, H, n)
	}
	pool := grow(&w.pool, rows*H)
	for r := 0; r < rows; r++ {
		dst := pool[r*H : (r+1)*H]
		copy(dst, E[r*T*H:(r*T+1)*H])
		for t := 1; t < T; t++ {
			accel.AddTo(dst, E[(r*T+t)*H:(r*T+t+1)*H])
		}
		for j := range dst {
			dst[j] /= float32(T)
		}
	}
	return pool
}

// bytes returns the memory the encoder's weights hold.
func (e *encoder) bytes() int {
	n := e.inp.bytes() + 4*len(e.pos)
	for i := range e.layers {
		l := &e.layers[i]
		n += l.qkv.bytes() + l.o.bytes() + l.norm1.bytes() + l.norm2.bytes() + l.ffn.fc1.bytes() + l.ffn.fc2.bytes()
	}
	return n
}
