package models

import (
	"fmt"
	"math"

	"github.com/portolan-sdk/portolan/accel"
	"github.com/portolan-sdk/portolan/export"
)

// WAY is the WAY destination and ETA network (docs/MODELS.md).
type WAY struct {
	D, Blocks, Heads, DK, DFFN   int
	SubLen, NFeatures, GRULayers int
	NPorts, NShip, MaxLen        int
	ETAScale, LNEps              float32
	// Preprocessing is the bundle's: feature scaler, grid, vocabularies.
	Preprocessing export.Preprocessing

	wSpace             []float32
	divSpace, divTime  []float64
	ship, port         []float32
	gru                []rnnLayer
	blk                []wayBlock
	destW, destB       []float32
	etaW, etaB         []float32
	hdk, reduce, chans int
}

type wayBlock struct {
	win, w1, b1, w2, b2, wout []float32
	nChanW, nChanB            []float32
	q, k, v, o                []float32
	nAttnW, nAttnB            []float32
	f1w, f1b, f2w, f2b        []float32
	nFFNW, nFFNB              []float32
}

// NewWAY builds a WAY model from a bundle of kind "way", checking every
// tensor against the config.
func NewWAY(b *export.Bundle) (*WAY, error) {
	if b.Kind != "way" {
		return nil, fmt.Errorf("%w: bundle is %q, want \"way\"", ErrKind, b.Kind)
	}
	m := &WAY{Preprocessing: b.Preprocessing, chans: 4}
	err := configInts(b.Config, map[string]*int{
		"d_model": &m.D, "n_blocks": &m.Blocks, "n_heads": &m.Heads, "d_k": &m.DK, "d_ffn": &m.DFFN,
		"sub_len": &m.SubLen, "n_features": &m.NFeatures, "gru_layers": &m.GRULayers, "n_ports": &m.NPorts,
		"n_ship": &m.NShip, "max_len": &m.MaxLen,
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
	if m.D%4 != 0 {
		return nil, fmt.Errorf("%w: d_model %d is not a multiple of 4", ErrShape, m.D)
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
	w := &weights{b: b}
	m.wSpace = w.get("st.w_space", 1, 1, d)
	m.ship = w.get("ship.weight", m.NShip, d)
	m.port = w.get("port.weight", m.NPorts, d)
	m.gru = w.rnn("gru", 3, m.GRULayers, m.NFeatures, d)
	c, r := m.chans, m.reduce
	for i := 0; i < m.Blocks; i++ {
		p := fmt.Sprintf("blocks.%d.", i)
		m.blk = append(m.blk, wayBlock{
			win: w.get(p+"chan.w_in.weight", m.hdk, d), wout: w.get(p+"chan.w_out.weight", d, m.hdk),
			w1: w.get(p+"chan.w1", h, c, r), b1: w.get(p+"chan.b1", h, 1, r),
			w2: w.get(p+"chan.w2", h, r, c), b2: w.get(p+"chan.b2", h, 1, c),
			nChanW: w.get(p+"norm_chan.weight", d), nChanB: w.get(p+"norm_chan.bias", d),
			q: w.get(p+"attn.q.weight", m.hdk, d), k: w.get(p+"attn.k.weight", m.hdk, d),
			v: w.get(p+"attn.v.weight", m.hdk, d), o: w.get(p+"attn.o.weight", d, m.hdk),
			nAttnW: w.get(p+"norm_attn.weight", d), nAttnB: w.get(p+"norm_attn.bias", d),
			f1w: w.get(p+"ffn1.weight", m.DFFN, d), f1b: w.get(p+"ffn1.bias", m.DFFN),
			f2w: w.get(p+"ffn2.weight", d, m.DFFN), f2b: w.get(p+"ffn2.bias", d),
			nFFNW: w.get(p+"norm_ffn.weight", d), nFFNB: w.get(p+"norm_ffn.bias", d),
		})
	}
	m.destW, m.destB = w.get("dest.weight", m.NPorts, d), w.get("dest.bias", m.NPorts)
	m.etaW, m.etaB = w.get("eta.weight", 1, d), w.get("eta.bias", 1)
	if w.err != nil {
		return nil, w.err
	}
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

// Cell is one visited cell as the model takes it.
type Cell struct {
	Lon, Lat float32 // cell centre, degrees
	Hours    float32 // time since departure at the cell's last point
	// X holds N points × NFeatures scaled features (see Scale), 1 ≤ N ≤ SubLen.
	X []float32
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

// work holds the buffers of one evaluation of up to rows cells.
type work struct {
	rows           int
	x              []float32 // rows × 4 × d: the cells' channels
	h, h2          []float32 // rows × d
	u              []float32 // 4 × hdk
	pool           []float32 // hdk
	q, att         []float32 // rows × hdk
	scores         []float32 // cap cells
	f1             []float32 // 4·rows × dffn
	f2             []float32 // 4·rows × d
	gi, gh         []float32 // 3d
	gh1, gh2       []float32 // GRU hidden states, d
	seq            []float32 // 2 × subLen × d: GRU layer outputs, double-buffered
	tmp            []float32 // d
	one            []float32 // 1 (a heap cell: accel's arguments escape)
	ws             accel.Workspace
	k, v           [][]float32
	logits, etaOut []float32
}

func (m *WAY) newWork(rows, cache int) *work {
	d := m.D
	w := &work{
		rows: rows, x: make([]float32, rows*4*d), h: make([]float32, rows*d), h2: make([]float32, rows*d),
		u: make([]float32, 4*m.hdk), pool: make([]float32, m.hdk), q: make([]float32, rows*m.hdk),
		att: make([]float32, rows*m.hdk), scores: make([]float32, cache), f1: make([]float32, 4*rows*m.DFFN),
		f2: make([]float32, 4*rows*d), gi: make([]float32, 3*d), gh: make([]float32, 3*d),
		gh1: make([]float32, d), gh2: make([]float32, d), seq: make([]float32, 2*m.SubLen*d), tmp: make([]float32, d), one: make([]float32, 1),
		logits: make([]float32, rows*m.NPorts), etaOut: make([]float32, rows),
	}
	for range m.blk {
		w.k = append(w.k, make([]float32, cache*m.hdk))
		w.v = append(w.v, make([]float32, cache*m.hdk))
	}
	return w
}

// embed writes the four channels of cell c into x (4 × d).
func (m *WAY) embed(w *work, c *Cell, ship, dep int, x []float32) {
	d := m.D
	const k = 1.3104238950571274 // (ln π)²
	tkn, shp, dpt, ptn := x[:d], x[d:2*d], x[2*d:3*d], x[3*d:]
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
	copy(shp, m.ship[ship*d:(ship+1)*d])
	copy(dpt, m.port[dep*d:(dep+1)*d])
	m.gruCell(w, c.X, ptn)
	hours := float64(c.Hours)
	for i, f := range m.divTime {
		s, co := math.Sincos(hours * f)
		for ch := 0; ch < 4; ch++ {
			x[ch*d+2*i] += float32(s)
			x[ch*d+2*i+1] += float32(co)
		}
	}
}

// gruCell runs the GRU over a cell's points and writes the last layer's
// final hidden state to out.
func (m *WAY) gruCell(w *work, xs []float32, out []float32) {
	d := m.D
	n := len(xs) / m.NFeatures
	in := xs
	half := m.SubLen * d
	for l, g := range m.gru {
		h := w.gh1
		clear(h)
		outs := w.seq[(l%2)*half : (l%2+1)*half] // the buffer the previous layer did not write
		for p := 0; p < n; p++ {
			w.ws.Linear(w.gi, in[p*g.in:(p+1)*g.in], g.wih, g.bih, 1, g.in, 3*d)
			w.ws.Linear(w.gh, h, g.whh, g.bhh, 1, d, 3*d)
			accel.GRUGates(h, w.gi, w.gh)
			copy(outs[p*d:(p+1)*d], h)
		}
		in = outs
	}
	copy(out, w.gh1)
}

// channelAttention computes the channel-attention output (d) of one cell's
// channels x (4 × d) into dst.
func (m *WAY) channelAttention(w *work, b *wayBlock, x, dst []float32) {
	H, dk, C, R := m.Heads, m.DK, m.chans, m.reduce
	u := w.u
	w.ws.Linear(u, x, b.win, nil, C, m.D, m.hdk) // u[c][h·dk+j]
	var avg, mx, sa, sm [4]float32
	var t [4]float32
	for h := 0; h < H; h++ {
		for c := 0; c < C; c++ {
			row := u[c*m.hdk+h*dk : c*m.hdk+(h+1)*dk]
			var s float32
			m0 := row[0]
			for _, v := range row {
				s += v
				if v > m0 {
					m0 = v
				}
			}
			avg[c], mx[c] = s/float32(dk), m0
		}
		se := func(p []float32, out []float32) {
			for r := 0; r < R; r++ {
				acc := b.b1[h*R+r]
				for c := 0; c < C; c++ {
					acc += p[c] * b.w1[h*C*R+c*R+r]
				}
				t[r] = max(acc, 0)
			}
			for c := 0; c < C; c++ {
				acc := b.b2[h*C+c]
				for r := 0; r < R; r++ {
					acc += t[r] * b.w2[h*R*C+r*C+c]
				}
				out[c] = acc
			}
		}
		se(avg[:C], sa[:C])
		se(mx[:C], sm[:C])
		for c := 0; c < C; c++ {
			a := accel.Sigmoid(sa[c] + sm[c])
			row := u[c*m.hdk+h*dk : c*m.hdk+(h+1)*dk]
			for j := range row {
				row[j] *= a
			}
		}
	}
	for j := 0; j < m.hdk; j++ {
		v := u[j]
		for c := 1; c < C; c++ {
			v = max(v, u[c*m.hdk+j])
		}
		w.pool[j] = v
	}
	w.ws.Linear(dst, w.pool, b.wout, nil, 1, m.hdk, m.D)
}

// run takes rows new cells whose channels are in w.x through every block
// and the heads. The caches hold prev earlier cells; the new cells' keys
// and values are written at rows prev..prev+rows−1, and each new cell
// attends to the earlier cells and the new ones up to itself.
func (m *WAY) run(w *work, rows, prev int) {
	d, hdk, dk := m.D, m.hdk, m.DK
	scale := float32(1 / math.Sqrt(float64(dk)))
	for bi := range m.blk {
		b := &m.blk[bi]
		for r := 0; r < rows; r++ {
			x := w.x[r*4*d : (r+1)*4*d]
			m.channelAttention(w, b, x, w.tmp)
			accel.AddTo(w.tmp, x[:d])
			accel.LayerNorm(w.h[r*d:(r+1)*d], w.tmp, b.nChanW, b.nChanB, m.LNEps)
		}
		kc, vc := w.k[bi], w.v[bi]
		w.ws.Linear(w.q, w.h, b.q, nil, rows, d, hdk)
		w.ws.Linear(kc[prev*hdk:], w.h, b.k, nil, rows, d, hdk)
		w.ws.Linear(vc[prev*hdk:], w.h, b.v, nil, rows, d, hdk)
		for r := 0; r < rows; r++ {
			n := prev + r + 1 // keys visible to this query
			for hd := 0; hd < m.Heads; hd++ {
				q := w.q[r*hdk+hd*dk : r*hdk+(hd+1)*dk]
				s := w.scores[:n]
				for t := 0; t < n; t++ {
					kt := kc[t*hdk+hd*dk : t*hdk+(hd+1)*dk]
					var acc float32
					for j, qv := range q {
						acc += float32(qv*scale) * kt[j]
					}
					s[t] = acc
				}
				accel.SoftmaxInPlace(s)
				out := w.att[r*hdk+hd*dk : r*hdk+(hd+1)*dk]
				clear(out)
				for t, p := range s {
					vt := vc[t*hdk+hd*dk : t*hdk+(hd+1)*dk]
					for j := range out {
						out[j] += p * vt[j]
					}
				}
			}
		}
		w.ws.Linear(w.h2, w.att, b.o, nil, rows, hdk, d)
		for r := 0; r < rows; r++ {
			hr := w.h2[r*d : (r+1)*d]
			accel.AddTo(hr, w.h[r*d:(r+1)*d])
			// channel 0 of the FFN input is the attention output
			accel.LayerNorm(w.x[r*4*d:r*4*d+d], hr, b.nAttnW, b.nAttnB, m.LNEps)
		}
		w.ws.Linear(w.f1, w.x, b.f1w, b.f1b, 4*rows, d, m.DFFN)
		accel.ReLU(w.f1[:4*rows*m.DFFN])
		w.ws.Linear(w.f2, w.f1, b.f2w, b.f2b, 4*rows, m.DFFN, d)
		for i := 0; i < 4*rows; i++ {
			xr := w.x[i*d : (i+1)*d]
			fr := w.f2[i*d : (i+1)*d]
			accel.AddTo(fr, xr)
			accel.LayerNorm(xr, fr, b.nFFNW, b.nFFNB, m.LNEps)
		}
	}
	for r := 0; r < rows; r++ {
		h := w.x[r*4*d : r*4*d+d]
		w.ws.Linear(w.logits[r*m.NPorts:(r+1)*m.NPorts], h, m.destW, m.destB, 1, d, m.NPorts)
		w.ws.Linear(w.one, h, m.etaW, m.etaB, 1, d, 1)
		w.etaOut[r] = max(w.one[0], 0) * m.ETAScale
	}
}

// Output holds per-step results of a full forward pass.
type Output struct {
	Logits []float32 // steps × NPorts
	ETA    []float32 // steps, hours
}

// Forward runs the model over a whole voyage (at most MaxLen cells, oldest
// first) and returns the destination logits and ETA in hours at every step.
func (m *WAY) Forward(cells []Cell, ship, departure int) (*Output, error) {
	if err := m.checkIDs(ship, departure); err != nil {
		return nil, err
	}
	L := len(cells)
	if L == 0 || L > m.MaxLen {
		return nil, fmt.Errorf("%w: %d cells (want 1..%d)", ErrInput, L, m.MaxLen)
	}
	w := m.newWork(L, L)
	for i := range cells {
		if err := m.checkCell(&cells[i]); err != nil {
			return nil, fmt.Errorf("cell %d: %w", i, err)
		}
		m.embed(w, &cells[i], ship, departure, w.x[i*4*m.D:(i+1)*4*m.D])
	}
	m.run(w, L, 0)
	return &Output{Logits: w.logits, ETA: w.etaOut}, nil
}

func (m *WAY) checkIDs(ship, departure int) error {
	if ship < 0 || ship >= m.NShip || departure < 0 || departure >= m.NPorts {
		return fmt.Errorf("%w: ship type %d (of %d) or departure %d (of %d)", ErrInput, ship, m.NShip, departure, m.NPorts)
	}
	return nil
}

// Stream evaluates a voyage cell by cell, keeping each block's keys and
// values so an update computes only the newest cell. It is not safe for
// concurrent use; make one per vessel.
type Stream struct {
	m         *WAY
	w         *work
	ship, dep int
	n         int // committed cells
	have      bool
}

// NewStream starts a voyage of a ship type from a departure port id (0 for
// unknown). It allocates its caches (MaxLen cells) once.
func (m *WAY) NewStream(ship, departure int) (*Stream, error) {
	if err := m.checkIDs(ship, departure); err != nil {
		return nil, err
	}
	return &Stream{m: m, w: m.newWork(1, m.MaxLen), ship: ship, dep: departure}, nil
}

// Reset starts a new voyage, keeping the buffers.
func (s *Stream) Reset(ship, departure int) error {
	if err := s.m.checkIDs(ship, departure); err != nil {
		return err
	}
	s.ship, s.dep, s.n, s.have = ship, departure, 0, false
	return nil
}

// Len returns the number of committed cells.
func (s *Stream) Len() int { return s.n }

// Update evaluates c as the newest cell after the committed ones. With
// commit false the cell is still open (more points may arrive in it):
// the next Update replaces it. With commit true it becomes part of the
// history. The result is available from Logits and ETA until the next call.
func (s *Stream) Update(c *Cell, commit bool) error {
	m := s.m
	if err := m.checkCell(c); err != nil {
		return err
	}
	if s.n >= m.MaxLen {
		return fmt.Errorf("%w: stream holds %d cells, its maximum", ErrInput, s.n)
	}
	m.embed(s.w, c, s.ship, s.dep, s.w.x[:4*m.D])
	m.run(s.w, 1, s.n)
	s.have = true
	if commit {
		s.n++
	}
	return nil
}

// Logits returns the destination logits of the last Update (owned by the
// stream; copy to keep).
func (s *Stream) Logits() []float32 { return s.w.logits[:s.m.NPorts] }

// ETA returns the ETA in hours of the last Update.
func (s *Stream) ETA() float32 { return s.w.etaOut[0] }
