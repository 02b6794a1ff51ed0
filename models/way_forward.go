package models

import (
	"fmt"

	"github.com/portolan-sdk/portolan/accel"
)

// rowChunk is how many cells the row-local stages (GRU, channel
// attention, FFN) take at a time, which bounds their buffers whatever the
// batch: 256 cells of the default config need about 2 MiB (128–512
// measured alike on the shared machine).
const rowChunk = 256

// WAYWork holds the reusable buffers of WAY forwards and the results of
// the last one. Buffers grow to the largest batch seen and are reused, so
// repeated forwards of similar batches allocate nothing. Make one per
// goroutine; it is not safe for concurrent use.
type WAYWork struct {
	ws    accel.Workspace
	g     gruWork
	off   []int   // voyage i holds rows off[i]..off[i+1]−1
	cells []*Cell // the cell of each row (cleared after a forward)
	perm  []int   // GRU: chunk rows sorted by point count, longest first
	cnt   []int   // GRU: sequences still running at each step
	gx    []float32
	x     []float32 // rows × 4 × d: the cells' channels
	h, o  []float32 // rows × d
	u     []float32 // chunk × 4 × heads·d_k
	pool  []float32 // chunk × heads·d_k
	qkv   []float32 // rows × 3·heads·d_k
	att   []float32 // rows × heads·d_k
	f1    []float32 // 4·chunk × d_ffn
	f2    []float32 // 4·chunk × d
	out   []float32 // rows × (ports + 1)
	// Results of the last forward.
	logits []float32 // rows × ports
	eta    []float32 // rows, hours
	nports int
}

// NewWork returns empty buffers for WAY forwards, using one thread.
func (m *WAY) NewWork() *WAYWork { return &WAYWork{nports: m.NPorts} }

// SetThreads sets how many goroutines the products and attention heads of
// a forward may use (default 1). Results are bit-identical for any count.
func (w *WAYWork) SetThreads(n int) { w.ws.SetThreads(n) }

// Logits returns the destination logits of voyage i of the last
// ForwardBatch (cells × NPorts, row j after cell j), owned by w until the
// next forward.
func (w *WAYWork) Logits(i int) []float32 {
	return w.logits[w.off[i]*w.nports : w.off[i+1]*w.nports]
}

// ETA returns the ETA in hours after every cell of voyage i of the last
// ForwardBatch, owned by w until the next forward.
func (w *WAYWork) ETA(i int) []float32 { return w.eta[w.off[i]:w.off[i+1]] }

// Output holds per-step results of a full forward pass.
type Output struct {
	Logits []float32 // steps × NPorts
	ETA    []float32 // steps, hours
}

// Forward runs the model over one whole voyage (at most MaxLen cells,
// oldest first) and returns the destination logits and ETA in hours at
// every step. It allocates its buffers; ForwardBatch with a kept WAYWork
// does not.
func (m *WAY) Forward(cells []Cell, ship, departure int) (*Output, error) {
	w := m.NewWork()
	if err := m.ForwardBatch(w, []Voyage{{Cells: cells, Ship: ship, Departure: departure}}); err != nil {
		return nil, err
	}
	return &Output{Logits: w.logits, ETA: w.eta}, nil
}

// ForwardBatch runs the model over a batch of voyages of any lengths in
// one pass: the rows of all voyages are stacked for every linear layer,
// the GRU runs over all their cells at once and attention runs per voyage.
// Voyage i's results are then w.Logits(i) and w.ETA(i); each equals what
// the voyage gives alone.
func (m *WAY) ForwardBatch(w *WAYWork, batch []Voyage) error {
	if len(batch) == 0 {
		return fmt.Errorf("%w: empty batch", ErrInput)
	}
	off := growInts(&w.off, len(batch)+1)
	off[0] = 0
	for i := range batch {
		v := &batch[i]
		if err := m.checkIDs(v.Ship, v.Departure); err != nil {
			return fmt.Errorf("voyage %d: %w", i, err)
		}
		if L := len(v.Cells); L == 0 || L > m.MaxLen {
			return fmt.Errorf("%w: voyage %d has %d cells (want 1..%d)", ErrInput, i, L, m.MaxLen)
		}
		for j := range v.Cells {
			if err := m.checkCell(&v.Cells[j]); err != nil {
				return fmt.Errorf("voyage %d cell %d: %w", i, j, err)
			}
		}
		off[i+1] = off[i] + len(v.Cells)
	}
	rows := off[len(batch)]
	if cap(w.cells) < rows {
		w.cells = make([]*Cell, rows, rows+rows/4)
	}
	w.cells = w.cells[:rows]
	for i := range batch {
		for j := range batch[i].Cells {
			w.cells[off[i]+j] = &batch[i].Cells[j]
		}
	}
	d := m.D
	x := grow(&w.x, rows*4*d)
	m.cellsGRU(w, rows)
	for i := range batch {
		for r := off[i]; r < off[i+1]; r++ {
			m.embed(w.cells[r], batch[i].Ship, batch[i].Departure, x[r*4*d:(r+1)*4*d])
		}
	}
	clear(w.cells) // do not keep the caller's cells alive
	for bi := range m.blk {
		m.block(w, bi, rows, nil)
	}
	m.heads(w, rows)
	return nil
}

// cellsGRU runs the GRU over the points of every cell in w.cells, in
// chunks of rowChunk cells, and writes each cell's final hidden state to
// its channel 3 in w.x.
func (m *WAY) cellsGRU(w *WAYWork, rows int) {
	d, F, S := m.D, m.NFeatures, m.SubLen
	for c0 := 0; c0 < rows; c0 += rowChunk {
		n := min(rowChunk, rows-c0)
		cells := w.cells[c0 : c0+n]
		// sort the chunk's cells by point count, longest first (stable)
		cnt := growInts(&w.cnt, S+1)
		clear(cnt)
		for _, c := range cells {
			cnt[len(c.X)/F]++
		}
		perm := growInts(&w.perm, n)
		pos := 0
		for k := S; k >= 1; k-- {
			pos, cnt[k] = pos+cnt[k], pos
		}
		for i, c := range cells {
			k := len(c.X) / F
			perm[cnt[k]] = i
			cnt[k]++
		}
		// step-major inputs: step p holds the cells with more than p points
		total := 0
		for _, c := range cells {
			total += len(c.X) / F
		}
		gx := grow(&w.gx, total*F)
		steps := cnt[:0] // reuse: cnt[p] = cells with more than p points
		o := 0
		for p := 0; p < S; p++ {
			k := 0
			for k < n && len(cells[perm[k]].X) > p*F {
				copy(gx[(o+k)*F:(o+k+1)*F], cells[perm[k]].X[p*F:(p+1)*F])
				k++
			}
			if k == 0 {
				break
			}
			steps = append(steps, k)
			o += k
		}
		h := m.gru.forward(&w.ws, &w.g, gx, steps)
		for k, i := range perm {
			copy(w.x[((c0+i)*4+3)*d:((c0+i)*4+4)*d], h[k*d:(k+1)*d])
		}
	}
}

// block runs CASP block bi over rows cells whose channels are in w.x.
// Without a stream, w.off delimits the voyages and each attends to its own
// earlier cells; with one, the single row is the stream's newest cell and
// attends to the cached keys and values of its committed cells.
func (m *WAY) block(w *WAYWork, bi, rows int, s *Stream) {
	b := &m.blk[bi]
	d, hdk := m.D, m.hdk
	ws := &w.ws
	x := w.x[:rows*4*d]
	h := grow(&w.h, rows*d)
	// channel attention, chunk by chunk: h = LN(x₀ + chan(x))
	for r0 := 0; r0 < rows; r0 += rowChunk {
		n := min(rowChunk, rows-r0)
		u := grow(&w.u, 4*n*hdk)
		b.chIn.forward(ws, u, hdk, x[r0*4*d:], d, 4*n)
		pool := grow(&w.pool, n*hdk)
		for r := 0; r < n; r++ {
			m.channelPool(b, u[r*4*hdk:(r+1)*4*hdk], pool[r*hdk:(r+1)*hdk])
		}
		b.chOut.forward(ws, h[r0*d:], d, pool, hdk, n)
	}
	b.normChan.addForward(h, d, h, d, x, 4*d, rows)
	// causal self-attention: x₀ = LN(h + o(attention(qkv(h))))
	qkv := grow(&w.qkv, rows*3*hdk)
	b.qkv.forward(ws, qkv, 3*hdk, h, d, rows)
	att := grow(&w.att, rows*hdk)
	if s == nil {
		for i := 0; i+1 < len(w.off); i++ {
			o, L := w.off[i], w.off[i+1]-w.off[i]
			q := qkv[o*3*hdk:]
			ws.CausalAttention(att[o*hdk:], hdk, q, 3*hdk, q[hdk:], 3*hdk, q[2*hdk:], 3*hdk, L, 0, m.Heads, m.DK, m.scale)
		}
	} else {
		kv := s.cache(bi, s.n+1)
		copy(kv[s.n*2*hdk:(s.n+1)*2*hdk], qkv[hdk:3*hdk])
		ws.CausalAttention(att, hdk, qkv, 3*hdk, kv, 2*hdk, kv[hdk:], 2*hdk, 1, s.n, m.Heads, m.DK, m.scale)
	}
	o := grow(&w.o, rows*d)
	b.o.forward(ws, o, d, att, hdk, rows)
	b.normAttn.addForward(x, 4*d, o, d, h, d, rows) // channel 0 of the FFN input
	// the FFN shared by the four channels: x = LN(x + ffn(x))
	for r0 := 0; r0 < 4*rows; r0 += 4 * rowChunk {
		n := min(4*rowChunk, 4*rows-r0)
		xc := x[r0*d : (r0+n)*d]
		f2 := grow(&w.f2, n*d)
		b.ffn.forward(ws, f2, d, xc, d, n, grow(&w.f1, n*m.DFFN))
		b.normFFN.addForward(xc, d, f2, d, xc, d, n)
	}
}

// heads computes the destination logits and ETA (hours) of every row from
// its channel 0.
func (m *WAY) heads(w *WAYWork, rows int) {
	P := m.NPorts
	out := grow(&w.out, rows*(P+1))
	m.head.forward(&w.ws, out, P+1, w.x, 4*m.D, rows)
	logits, eta := grow(&w.logits, rows*P), grow(&w.eta, rows)
	for r := 0; r < rows; r++ {
		copy(logits[r*P:(r+1)*P], out[r*(P+1):r*(P+1)+P])
		eta[r] = max(out[r*(P+1)+P], 0) * m.ETAScale
	}
}
