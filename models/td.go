package models

import (
	"fmt"
	"math"

	"github.com/portolan-sdk/portolan/accel"
	"github.com/portolan-sdk/portolan/export"
)

// Temporal dropout kinds (docs/MODELS.md).
const (
	DropoutMCTD     = "mc-td"      // Bernoulli(alpha) per time step, no rescale
	DropoutConcrete = "concrete"   // learned rate per step (Concrete relaxation)
	DropoutMC       = "mc-dropout" // standard dropout on h and the dense layer, kept on
	DropoutNone     = "none"       // deterministic
)

// TD backbones (docs/MODELS.md).
const (
	BackboneLSTM        = "lstm"
	BackboneTransformer = "transformer"
)

// Limits of a TD config (docs/MODELS.md, "Limits").
const (
	tdMaxT      = 4096
	tdMaxD      = 1024
	tdMaxHidden = 2048
	tdMaxDense  = 4096
	tdMaxLayers = 8
	tdMaxHeads  = 64
	tdMaxFFN    = 8192
	// MaxSamples is the most Monte Carlo samples one series may take.
	MaxSamples = 10000
)

// TD is the temporal-dropout regressor: an LSTM or Transformer-encoder
// backbone, a dense layer and the μ and log σ² heads, under one of the
// dropout kinds. It is immutable after NewTD; forwards keep their state in
// a TDWork (montecarlo.go runs the Monte Carlo samples).
type TD struct {
	T, D, Hidden, Dense, Layers int
	Heads                       int    // attention heads (transformer)
	Backbone                    string // BackboneLSTM or BackboneTransformer
	Kind                        string // one of the Dropout kinds
	Alpha, Tau                  float32
	YMean, YStd                 float64
	Preprocessing               export.Preprocessing

	rate  []float32 // concrete: the learned drop rate of each step
	lstm  *lstm
	enc   *encoder
	fc    linear
	heads linear // μ and log σ² (2 outputs)
}

// NewTD builds a temporal-dropout regressor from a bundle of kind "td",
// with either backbone and any dropout kind, checking every config value
// against its limit and every tensor against the config.
func NewTD(b *export.Bundle) (*TD, error) {
	if b.Kind != "td" {
		return nil, fmt.Errorf("%w: bundle is %q, want \"td\"", ErrKind, b.Kind)
	}
	m := &TD{Preprocessing: b.Preprocessing}
	if err := configInts(b.Config, []intParam{
		{"T", &m.T, 1, tdMaxT}, {"D", &m.D, 1, tdMaxD}, {"hidden", &m.Hidden, 1, tdMaxHidden},
		{"dense", &m.Dense, 1, tdMaxDense}, {"layers", &m.Layers, 1, tdMaxLayers},
	}); err != nil {
		return nil, err
	}
	var err error
	if m.Backbone, err = b.Config.String("backbone", BackboneLSTM); err != nil {
		return nil, err
	}
	if m.Kind, err = b.Config.String("kind", DropoutMCTD); err != nil {
		return nil, err
	}
	if err := m.readScalars(b.Config); err != nil {
		return nil, err
	}
	if n := len(m.Preprocessing.Mean); n != 0 && n != m.D {
		return nil, fmt.Errorf("%w: %d scaler entries for %d features", ErrShape, n, m.D)
	}
	w := &weights{b: b}
	switch m.Kind {
	case DropoutConcrete:
		m.rate = w.get("td.rate", m.T)
		for _, r := range m.rate {
			if !(r > 0 && r < 1) {
				return nil, fmt.Errorf("%w: learned drop rate %v outside (0, 1)", ErrShape, r)
			}
		}
	case DropoutMCTD, DropoutMC, DropoutNone:
	default:
		return nil, fmt.Errorf("%w: temporal dropout kind %q", ErrKind, m.Kind)
	}
	switch m.Backbone {
	case BackboneLSTM:
		layers := w.rnn("lstm", 4, m.Layers, m.D, m.Hidden)
		if w.err != nil {
			return nil, w.err
		}
		l := newLSTM(layers, m.Hidden)
		m.lstm = &l
	case BackboneTransformer:
		if m.enc, err = newEncoder(w, b.Config, m.T, m.D, m.Hidden, m.Layers); err != nil {
			return nil, err
		}
		m.Heads = m.enc.heads
	default:
		return nil, fmt.Errorf("%w: td backbone %q (want lstm or transformer)", ErrKind, m.Backbone)
	}
	m.fc = w.linear("fc", m.Hidden, m.Dense, true)
	muW, muB := w.matrix("mu.weight", 1, m.Dense), w.get("mu.bias", 1)
	lvW, lvB := w.matrix("logvar.weight", 1, m.Dense), w.get("logvar.bias", 1)
	if w.err != nil {
		return nil, w.err
	}
	m.heads = concatLinear([]matrix{muW, lvW}, [][]float32{muB, lvB})
	return m, nil
}

// readScalars reads and checks alpha, tau, the target scaler and the
// folded BatchNorm flag.
func (m *TD) readScalars(c export.Config) error {
	alpha, err := c.Float("alpha", 0)
	if err != nil {
		return err
	}
	tau, err := c.Float("tau", 0.1)
	if err != nil {
		return err
	}
	if m.YMean, err = c.Float("y_mean", 0); err != nil {
		return err
	}
	if m.YStd, err = c.Float("y_std", 1); err != nil {
		return err
	}
	if folded, _ := c.Bool("bn_folded", false); !folded {
		return fmt.Errorf("%w: td bundle without BatchNorm folded into its heads", ErrShape)
	}
	m.Alpha, m.Tau = float32(alpha), float32(tau)
	if !(m.Alpha >= 0 && m.Alpha < 1) || !(m.YStd > 0) || !(m.Tau > 0) || math.IsInf(m.YMean, 0) || math.IsNaN(m.YMean) || math.IsInf(m.YStd, 0) {
		return fmt.Errorf("%w: alpha %v, tau %v, y_mean %v, y_std %v", ErrShape, m.Alpha, m.Tau, m.YMean, m.YStd)
	}
	return nil
}

// Bytes returns the memory the model's weights hold: packed products
// (compact for f16 and int8 bundles), biases, norms, positions and rates.
func (m *TD) Bytes() int {
	n := m.fc.bytes() + m.heads.bytes() + 4*len(m.rate)
	if m.lstm != nil {
		n += m.lstm.bytes()
	}
	if m.enc != nil {
		n += m.enc.bytes()
	}
	return n
}

// backbone runs the backbone over rows sequences of T steps in xs (laid
// out as stepMajor says) and returns each sequence's vector (rows ×
// Hidden), valid until the next call with cw.
func (m *TD) backbone(ws *accel.Workspace, cw *TDWork, xs []float32, rows int) []float32 {
	if m.lstm != nil {
		return m.lstm.forward(ws, &cw.lw, xs, rows, m.T)
	}
	return m.enc.forward(ws, &cw.ew, xs, rows, m.T)
}

// stepMajor reports whether the backbone takes its inputs step-major (step
// t of sequence r at row t·rows + r: the LSTM) or sequence-major (r·T + t:
// the encoder, whose attention reads a sequence's steps together).
func (m *TD) stepMajor() bool { return m.lstm != nil }
