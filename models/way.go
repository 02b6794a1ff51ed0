package models

import (
	"fmt"
	"math"

	"github.com/portolan-sdk/portolan/accel"
	"github.com/portolan-sdk/portolan/export"
)

// Limits of a WAY config (docs/MODELS.md, "Limits"): every value that
// sizes a buffer at inference is bounded, so a bundle cannot make a
// prediction allocate without limit.
const (
	wayMaxD        = 1024
	wayMaxHeads    = 64
	wayMaxDK       = 512
	wayMaxHDK      = 4096 // n_heads·d_k
	wayMaxDFFN     = 8192
	wayMaxBlocks   = 64
	wayMaxGRU      = 8
	wayMaxSubLen   = 64
	wayMaxFeatures = 64
	wayMaxLen      = 4096
	wayMaxPorts    = 1 << 17
	wayMaxShip     = 1024
)

// WAY is the WAY destination and ETA network (docs/MODELS.md). It is
// immutable after NewWAY; forwards keep their state in a WAYWork or a
// Stream.
type WAY struct {
	D, Blocks, Heads, DK, DFFN   int
	SubLen, NFeatures, GRULayers int
	NPorts, NShip, MaxLen        int
	ETAScale, LNEps              float32
	// Preprocessing is the bundle's: feature scaler, grid, vocabularies.
	Preprocessing export.Preprocessing

	wSpace             []float32
	divSpace, divTime  []float64
	ship, port         matrix // embeddings, kept as stored (row per id)
	gru                gru
	blk                []wayBlock
	head               linear // destination logits and the ETA pre-activation: NPorts+1 outputs
	hdk, reduce, chans int
	scale              float32 // 1/√d_k
}

// wayBlock is one CASP block: channel attention, causal self-attention and
// the shared FFN, each followed by a residual LayerNorm.
type wayBlock struct {
	chIn, chOut    linear    // d → heads·d_k, heads·d_k → d
	w1, b1, w2, b2 []float32 // squeeze-excite per head: (H,C,R), (H,1,R), (H,R,C), (H,1,C)
	normChan       layerNorm
	qkv, o         linear // d → 3·heads·d_k (q, k, v), heads·d_k → d
	normAttn       layerNorm
	ffn            ffn
	normFFN        layerNorm
}

// NewWAY builds a WAY model from a bundle of kind "way", checking every
// config value against its limit and every tensor against the config, and
// packing the weights for the product kernels.
func NewWAY(b *export.Bundle) (*WAY, error) {
	if b.Kind != "way" {
		return nil, fmt.Errorf("%w: bundle is %q, want \"way\"", ErrKind, b.Kind)
	}
	m := &WAY{Preprocessing: b.Preprocessing, chans: 4}
	err := configInts(b.Config, []intParam{
		{"d_model", &m.D, 4, wayMaxD}, {"n_blocks", &m.Blocks, 1, wayMaxBlocks},
		{"n_heads", &m.Heads, 1, wayMaxHeads}, {"d_k", &m.DK, 1, wayMaxDK}, {"d_ffn", &m.DFFN, 1, wayMaxDFFN},
		{"sub_len", &m.SubLen, 1, wayMaxSubLen}, {"n_features", &m.NFeatures, 1, wayMaxFeatures},
		{"gru_layers", &m.GRULayers, 1, wayMaxGRU}, {"n_ports", &m.NPorts, 2, wayMaxPorts},
		{"n_ship", &m.NShip, 1, wayMaxShip}, {"max_len", &m.MaxLen, 1, wayMaxLen},
	})
	if err != nil {
		return nil, err
	}
	eta, err := b.Config.Float("eta_scale", 24)
	if err != nil {
		return nil, err
	}
	eps, err := b.Config.Float("ln_eps", 1e-6)
	if err != nil {
		return nil, err
	}
	m.ETAScale, m.LNEps = float32(eta), float32(eps)
	if !(m.ETAScale > 0 && m.ETAScale < 1e6) || !(m.LNEps > 0 && m.LNEps < 1) {
		return nil, fmt.Errorf("%w: eta_scale %v, ln_eps %v", ErrShape, eta, eps)
	}
	if m.D%4 != 0 {
		return nil, fmt.Errorf("%w: d_model %d is not a multiple of 4", ErrShape, m.D)
	}
	if m.Heads*m.DK > wayMaxHDK {
		return nil, fmt.Errorf("%w: n_heads·d_k = %d, want at most %d", ErrShape, m.Heads*m.DK, wayMaxHDK)
	}
	if n := len(m.Preprocessing.Mean); n != 0 && n != m.NFeatures {
		return nil, fmt.Errorf("%w: %d scaler entries for %d features", ErrShape, n, m.NFeatures)
	}
	if n := len(m.Preprocessing.Ports); n != 0 && n != m.NPorts {
		return nil, fmt.Errorf("%w: %d ports in the vocabulary, config says %d", ErrShape, n, m.NPorts)
	}
	d, h, dk := m.D, m.Heads, m.DK
	m.hdk = h * dk
	m.reduce = m.chans / 2 // the official reduction ratio 0.5
	m.scale = float32(1 / math.Sqrt(float64(dk)))
	w := &weights{b: b}
	m.wSpace = w.get("st.w_space", 1, 1, d)
	m.ship = w.matrix("ship.weight", m.NShip, d)
	m.port = w.matrix("port.weight", m.NPorts, d)
	grus := w.rnn("gru", 3, m.GRULayers, m.NFeatures, d)
	if w.err != nil {
		return nil, w.err
	}
	m.gru = newGRU(grus, d)
	c, r := m.chans, m.reduce
	for i := 0; i < m.Blocks; i++ {
		p := fmt.Sprintf("blocks.%d.", i)
		q, k, v := w.matrix(p+"attn.q.weight", m.hdk, d), w.matrix(p+"attn.k.weight", m.hdk, d), w.matrix(p+"attn.v.weight", m.hdk, d)
		blk := wayBlock{
			chIn: w.linear(p+"chan.w_in", d, m.hdk, false), chOut: w.linear(p+"chan.w_out", m.hdk, d, false),
			w1: w.get(p+"chan.w1", h, c, r), b1: w.get(p+"chan.b1", h, 1, r),
			w2: w.get(p+"chan.w2", h, r, c), b2: w.get(p+"chan.b2", h, 1, c),
			normChan: w.layerNorm(p+"norm_chan", d, m.LNEps),
			o:        w.linear(p+"attn.o", m.hdk, d, false),
			normAttn: w.layerNorm(p+"norm_attn", d, m.LNEps),
			ffn:      ffn{fc1: w.linear(p+"ffn1", d, m.DFFN, true), fc2: w.linear(p+"ffn2", m.DFFN, d, true)},
			normFFN:  w.layerNorm(p+"norm_ffn", d, m.LNEps),
		}
		if w.err != nil {
			return nil, w.err
		}
		blk.qkv = concatLinear([]matrix{q, k, v}, [][]float32{nil, nil, nil})
		m.blk = append(m.blk, blk)
	}
	destW, destB := w.matrix("dest.weight", m.NPorts, d), w.get("dest.bias", m.NPorts)
	etaW, etaB := w.matrix("eta.weight", 1, d), w.get("eta.bias", 1)
	if w.err != nil {
		return nil, w.err
	}
	m.head = concatLinear([]matrix{destW, etaW}, [][]float32{destB, etaB})
	// The encodings' frequencies, as the reference computes them in float32.
	for i := 0; i < d; i += 4 {
		f := float32(math.Exp(float64(float32(i) * float32(-(math.Log(2*math.Pi) / float64(d*d))))))
		m.divSpace = append(m.divSpace, float64(f*float32(math.Pi/180)))
	}
	for i := 0; i < d; i += 2 {
		m.divTime = append(m.divTime, float64(float32(math.Exp(float64(float32(i)*float32(-(math.Log(1000.0)/float64(d))))))))
	}
	return m, nil
}

// Bytes returns the memory the model's weights hold: packed products
// (compact for f16 and int8 bundles), embeddings (kept as stored),
// biases, norms and encodings.
func (m *WAY) Bytes() int {
	n := m.gru.bytes() + m.head.bytes() + m.ship.bytes() + m.port.bytes() + 4*len(m.wSpace) + 8*(len(m.divSpace)+len(m.divTime))
	for i := range m.blk {
		b := &m.blk[i]
		n += b.chIn.bytes() + b.chOut.bytes() + 4*(len(b.w1)+len(b.b1)+len(b.w2)+len(b.b2)) + b.normChan.bytes() +
			b.qkv.bytes() + b.o.bytes() + b.normAttn.bytes() + b.ffn.fc1.bytes() + b.ffn.fc2.bytes() + b.normFFN.bytes()
	}
	return n
}

// Cell is one visited cell as the model takes it.
type Cell struct {
	Lon, Lat float32 // cell centre, degrees
	Hours    float32 // time since departure at the cell's last point
	// X holds N points × NFeatures scaled features (see Scale), 1 ≤ N ≤ SubLen.
	X []float32
}

// Voyage is one voyage in progress as the model takes it.
type Voyage struct {
	Cells     []Cell // oldest first, 1..MaxLen of them
	Ship      int    // ship-type id, 0..NShip−1
	Departure int    // departure port id, 0 (unknown)..NPorts−1
}

// Scale standard-scales raw features in place with the bundle's statistics.
func (m *WAY) Scale(f []float32) {
	p := &m.Preprocessing
	if len(p.Mean) == 0 {
		return
	}
	for i := range f {
		k := i % m.NFeatures
		f[i] = (f[i] - p.Mean[k]) / p.Std[k]
	}
}

func (m *WAY) checkCell(c *Cell) error {
	n := len(c.X) / m.NFeatures
	if n < 1 || n > m.SubLen || len(c.X) != n*m.NFeatures {
		return fmt.Errorf("%w: cell with %d features (want 1..%d points of %d)", ErrInput, len(c.X), m.SubLen, m.NFeatures)
	}
	for _, v := range [3]float32{c.Lon, c.Lat, c.Hours} {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%w: non-finite cell position or time", ErrInput)
		}
	}
	for _, v := range c.X {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%w: non-finite feature", ErrInput)
		}
	}
	return nil
}

func (m *WAY) checkIDs(ship, departure int) error {
	if ship < 0 || ship >= m.NShip || departure < 0 || departure >= m.NPorts {
		return fmt.Errorf("%w: ship type %d (of %d) or departure %d (of %d)", ErrInput, ship, m.NShip, departure, m.NPorts)
	}
	return nil
}

// embed writes channels 0–2 of cell c (x, 4 × d) and adds the time
// encoding to all four; channel 3 (the GRU output) must be in place.
func (m *WAY) embed(c *Cell, ship, dep int, x []float32) {
	d := m.D
	const k = 1.3104238950571274 // (ln π)²
	tkn, shp, dpt := x[:d], x[d:2*d], x[2*d:3*d]
	lon, lat := float64(c.Lon), float64(c.Lat)
	for i, f := range m.divSpace {
		a, b := lon*f, lat*f
		sa, ca := math.Sincos(a)
		sb, cb := math.Sincos(b)
		tkn[4*i] = float32(cb*sa) * m.wSpace[4*i]
		tkn[4*i+1] = float32(sb/k) * m.wSpace[4*i+1]
		tkn[4*i+2] = float32(cb*ca) * m.wSpace[4*i+2]
		tkn[4*i+3] = float32(-sb/k) * m.wSpace[4*i+3]
	}
	m.ship.row(shp, ship)
	m.port.row(dpt, dep)
	hours := float64(c.Hours)
	for i, f := range m.divTime {
		s, co := math.Sincos(hours * f)
		for ch := 0; ch < 4; ch++ {
			x[ch*d+2*i] += float32(s)
			x[ch*d+2*i+1] += float32(co)
		}
	}
}

// channelPool computes the channel-attention pooling of one cell: u holds
// its 4 channels projected (4 × heads·d_k); per head, the mean and max of
// each channel go through the squeeze-excite MLP, sigmoid weights scale
// the channels, and the maximum over channels is written to pool (heads·d_k).
func (m *WAY) channelPool(b *wayBlock, u, pool []float32) {
	H, dk, C, hdk := m.Heads, m.DK, m.chans, m.hdk // C is 4 (NewWAY)
	var avg, mx [4 * wayMaxHeads]float32           // channel c, head h at [c·H+h]
	accel.SegmentMeanMax(avg[:C*H], mx[:C*H], u, dk)
	var p, sa, sm, a [4]float32
	for h := 0; h < H; h++ {
		for c := 0; c < C; c++ {
			p[c] = avg[c*H+h]
		}
		m.squeezeExcite(b, h, p[:C], sa[:C])
		for c := 0; c < C; c++ {
			p[c] = mx[c*H+h]
		}
		m.squeezeExcite(b, h, p[:C], sm[:C])
		for c := 0; c < C; c++ {
			a[c] = sigmoid32(sa[c] + sm[c])
		}
		accel.WeightedMax4(pool[h*dk:(h+1)*dk], u[h*dk:], hdk, &a)
	}
}

// squeezeExcite computes head h's relu(p·w1 + b1)·w2 + b2 for the channel
// statistics p (C) into out (C).
func (m *WAY) squeezeExcite(b *wayBlock, h int, p, out []float32) {
	C, R := m.chans, m.reduce
	var t [4]float32
	w1, b1 := b.w1[h*C*R:(h+1)*C*R], b.b1[h*R:(h+1)*R]
	w2, b2 := b.w2[h*R*C:(h+1)*R*C], b.b2[h*C:(h+1)*C]
	for r := 0; r < R; r++ {
		acc := b1[r]
		for c := 0; c < C; c++ {
			acc += float32(p[c] * w1[c*R+r])
		}
		t[r] = max(acc, 0)
	}
	for c := 0; c < C; c++ {
		acc := b2[c]
		for r := 0; r < R; r++ {
			acc += float32(t[r] * w2[r*C+c])
		}
		out[c] = acc
	}
}

// sigmoid32 is 1/(1+e^−x) in float32, through float64.
func sigmoid32(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }
