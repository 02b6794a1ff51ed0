package models

import (
	"fmt"
	"math"

	"github.com/portolan-sdk/portolan/accel"
	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/internal/rng"
)

// Temporal dropout kinds (docs/MODELS.md).
const (
	DropoutMCTD     = "mc-td"
	DropoutConcrete = "concrete"
	DropoutNone     = "none"
)

// TD is the temporal-dropout regressor with an LSTM backbone.
type TD struct {
	T, D, Hidden, Dense, Layers int
	Kind                        string
	Alpha, Tau                  float32
	YMean, YStd                 float64
	Preprocessing               export.Preprocessing

	rate               []float32
	lstm               []rnnLayer
	fcW, fcB           []float32
	muW, muB, lvW, lvB []float32
}

// NewTD builds a temporal-dropout regressor from a bundle of kind "td".
// The LSTM backbone is supported; a Transformer-backbone bundle is refused
// with ErrKind.
func NewTD(b *export.Bundle) (*TD, error) {
	if b.Kind != "td" {
		return nil, fmt.Errorf("%w: bundle is %q, want \"td\"", ErrKind, b.Kind)
	}
	m := &TD{Preprocessing: b.Preprocessing}
	if err := configInts(b.Config, map[string]*int{"T": &m.T, "D": &m.D, "hidden": &m.Hidden, "dense": &m.Dense, "layers": &m.Layers}); err != nil {
		return nil, err
	}
	var err error
	if bb, err := b.Config.String("backbone", "lstm"); err != nil || bb != "lstm" {
		return nil, fmt.Errorf("%w: td backbone %q is not supported by this runtime (lstm is)", ErrKind, bb)
	}
	if m.Kind, err = b.Config.String("kind", DropoutMCTD); err != nil {
		return nil, err
	}
	alpha, err := b.Config.Float("alpha", 0)
	if err != nil {
		return nil, err
	}
	tau, err := b.Config.Float("tau", 0.1)
	if err != nil {
		return nil, err
	}
	if m.YMean, err = b.Config.Float("y_mean", 0); err != nil {
		return nil, err
	}
	if m.YStd, err = b.Config.Float("y_std", 1); err != nil {
		return nil, err
	}
	if folded, _ := b.Config.Bool("bn_folded", false); !folded {
		return nil, fmt.Errorf("%w: td bundle without BatchNorm folded into its heads", ErrShape)
	}
	m.Alpha, m.Tau = float32(alpha), float32(tau)
	if !(m.Alpha >= 0 && m.Alpha < 1) || !(m.YStd > 0) || !(m.Tau > 0) {
		return nil, fmt.Errorf("%w: alpha %v, tau %v, y_std %v", ErrShape, m.Alpha, m.Tau, m.YStd)
	}
	if n := len(m.Preprocessing.Mean); n != 0 && n != m.D {
		return nil, fmt.Errorf("%w: %d scaler entries for %d features", ErrShape, n, m.D)
	}
	H := m.Hidden
	w := &weights{b: b}
	switch m.Kind {
	case DropoutConcrete:
		m.rate = w.get("td.rate", m.T)
		for _, r := range m.rate {
			if !(r > 0 && r < 1) {
				return nil, fmt.Errorf("%w: learned drop rate %v outside (0, 1)", ErrShape, r)
			}
		}
	case DropoutMCTD, DropoutNone:
	default:
		return nil, fmt.Errorf("%w: temporal dropout kind %q", ErrKind, m.Kind)
	}
	m.lstm = w.rnn("lstm", 4, m.Layers, m.D, H)
	m.fcW, m.fcB = w.get("fc.weight", m.Dense, H), w.get("fc.bias", m.Dense)
	m.muW, m.muB = w.get("mu.weight", 1, m.Dense), w.get("mu.bias", 1)
	m.lvW, m.lvB = w.get("logvar.weight", 1, m.Dense), w.get("logvar.bias", 1)
	if w.err != nil {
		return nil, w.err
	}
	return m, nil
}

// TDWork holds reusable buffers for TD.Sample; make one per goroutine.
type TDWork struct {
	samples     int
	x           []float32 // samples × T × D
	seq, seq2   []float32 // samples × T × H
	h, c, g, gh []float32
	dense       []float32
	heads       []float32 // μ and log σ² of one sample
	ws          accel.Workspace
	Mu, Var     []float64 // per sample, target units
}

// NewWork returns buffers for batches of the given number of samples.
func (m *TD) NewWork(samples int) *TDWork {
	H := m.Hidden
	return &TDWork{samples: samples, x: make([]float32, samples*m.T*m.D),
		seq: make([]float32, samples*m.T*H), seq2: make([]float32, samples*m.T*H),
		h: make([]float32, samples*H), c: make([]float32, samples*H), g: make([]float32, samples*4*H),
		gh: make([]float32, samples*4*H), dense: make([]float32, samples*m.Dense), heads: make([]float32, 2),
		Mu: make([]float64, samples), Var: make([]float64, samples)}
}

// Sample runs the model on one raw input (T × D, unscaled) under
// `samples` temporal-dropout masks drawn from the shared generator with
// sample counters row·samples + s (docs/RNG.md), as one batch. The
// predictive mean and variance of each sample, in target units, are left
// in w.Mu and w.Var.
func (m *TD) Sample(w *TDWork, x []float32, row int, seed uint64) error {
	T, D, H, L := m.T, m.D, m.Hidden, w.samples
	if len(x) != T*D {
		return fmt.Errorf("%w: input of %d values, want %d×%d", ErrInput, len(x), T, D)
	}
	p := &m.Preprocessing
	for s := 0; s < L; s++ {
		a := uint64(row)*uint64(L) + uint64(s)
		xs := w.x[s*T*D : (s+1)*T*D]
		for t := 0; t < T; t++ {
			f := float32(1)
			switch m.Kind {
			case DropoutMCTD:
				if rng.Float32(seed, a, uint64(t), 0) < m.Alpha {
					f = 0
				}
			case DropoutConcrete:
				f = concreteKeep(m.rate[t], rng.Float32(seed, a, uint64(t), 1), m.Tau)
			}
			for k := 0; k < D; k++ {
				v := x[t*D+k]
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return fmt.Errorf("%w: non-finite value at step %d feature %d", ErrInput, t, k)
				}
				if len(p.Mean) != 0 {
					v = (v - p.Mean[k]) / p.Std[k]
				}
				xs[t*D+k] = v * f
			}
		}
	}
	// LSTM, all samples as one batch, layer by layer
	in, inDim := w.x, D
	for li, l := range m.lstm {
		out := w.seq
		if li%2 == 1 {
			out = w.seq2
		}
		clear(w.h)
		clear(w.c)
		for t := 0; t < T; t++ {
			for s := 0; s < L; s++ {
				w.ws.Linear(w.g[s*4*H:(s+1)*4*H], in[(s*T+t)*inDim:(s*T+t+1)*inDim], l.wih, l.bih, 1, inDim, 4*H)
			}
			w.ws.Linear(w.gh, w.h, l.whh, l.bhh, L, H, 4*H)
			accel.AddTo(w.g, w.gh)
			for s := 0; s < L; s++ {
				accel.LSTMGates(w.h[s*H:(s+1)*H], w.c[s*H:(s+1)*H], w.g[s*4*H:(s+1)*4*H])
				copy(out[(s*T+t)*H:(s*T+t+1)*H], w.h[s*H:(s+1)*H])
			}
		}
		in, inDim = out, H
	}
	w.ws.Linear(w.dense, w.h, m.fcW, m.fcB, L, H, m.Dense)
	accel.ReLU(w.dense)
	for s := 0; s < L; s++ {
		mu, lv := w.heads[0:1], w.heads[1:2]
		w.ws.Linear(mu, w.dense[s*m.Dense:(s+1)*m.Dense], m.muW, m.muB, 1, m.Dense, 1)
		w.ws.Linear(lv, w.dense[s*m.Dense:(s+1)*m.Dense], m.lvW, m.lvB, 1, m.Dense, 1)
		w.Mu[s] = float64(mu[0])*m.YStd + m.YMean
		w.Var[s] = math.Exp(float64(lv[0])) * m.YStd * m.YStd
	}
	return nil
}

// concreteKeep is the Concrete relaxation's multiplier (1 − z)/(1 − p) for
// drop rate p, noise u and temperature tau.
func concreteKeep(p, u, tau float32) float32 {
	const eps = 1e-7
	uu := float64(min(max(u, eps), 1-eps))
	pp := float64(p)
	// the reference adds eps inside the logs in float32
	lp := math.Log(float64(float32(pp) + eps))
	l1p := math.Log(float64(float32(1-pp) + eps))
	z := 1 / (1 + math.Exp(-(lp-l1p+math.Log(uu)-math.Log(1-uu))/float64(tau)))
	return float32((1 - z) / (1 - pp))
}
