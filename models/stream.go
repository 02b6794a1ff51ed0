package models

import (
	"fmt"
	"sync"
	"unsafe"
)

// Stream evaluates a voyage cell by cell, keeping each block's keys and
// values so an update computes only the newest cell. Its caches grow with
// the cells committed (doubling, so growth is amortised), not with
// MaxLen: memory per stream follows the voyage. The buffers of an update
// are borrowed from a pool shared by all streams, so a stream holds only
// its caches and its last outputs. It is not safe for concurrent use; make
// one per vessel.
type Stream struct {
	m         *WAY
	ship, dep int
	n         int         // committed cells
	kv        [][]float32 // per block: cached rows of keys then values (2·heads·d_k each)
	cells     [1]*Cell
	logits    []float32 // of the last Update
	eta       float32
}

// streamWorks holds the buffers of stream updates (one cell each) between
// calls: a WAYWork keeps no state from one forward to the next.
var streamWorks sync.Pool

// NewStream starts a voyage of a ship type from a departure port id (0 for
// unknown).
func (m *WAY) NewStream(ship, departure int) (*Stream, error) {
	if err := m.checkIDs(ship, departure); err != nil {
		return nil, err
	}
	return &Stream{m: m, ship: ship, dep: departure, kv: make([][]float32, len(m.blk))}, nil
}

// Reset starts a new voyage, keeping the buffers.
func (s *Stream) Reset(ship, departure int) error {
	if err := s.m.checkIDs(ship, departure); err != nil {
		return err
	}
	s.ship, s.dep, s.n = ship, departure, 0
	return nil
}

// Len returns the number of committed cells.
func (s *Stream) Len() int { return s.n }

// CacheBytes returns the memory the stream's key and value caches hold.
func (s *Stream) CacheBytes() int {
	n := 0
	for _, c := range s.kv {
		n += 4 * cap(c)
	}
	return n
}

// Bytes returns the memory the stream holds: its caches, its last outputs
// and itself.
func (s *Stream) Bytes() int {
	return s.CacheBytes() + 4*cap(s.logits) + int(unsafe.Sizeof(*s)) + 24*cap(s.kv)
}

// cache returns block bi's cache with room for rows cells, growing it to
// twice its size (at most MaxLen cells) when it is short.
func (s *Stream) cache(bi, rows int) []float32 {
	row := 2 * s.m.hdk
	c := s.kv[bi]
	if cap(c) < rows*row {
		n := min(s.m.MaxLen, max(2, 2*cap(c)/row, rows))
		grown := make([]float32, n*row)
		copy(grown, c[:s.n*row])
		s.kv[bi] = grown
		c = grown
	}
	return c[:rows*row]
}

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
	w, _ := streamWorks.Get().(*WAYWork)
	if w == nil {
		w = new(WAYWork)
	}
	defer streamWorks.Put(w)
	w.nports, w.off = m.NPorts, append(w.off[:0], 0, 1)
	grow(&w.x, 4*m.D)
	s.cells[0] = c
	w.cells = s.cells[:]
	m.cellsGRU(w, 1)
	m.embed(c, s.ship, s.dep, w.x)
	s.cells[0], w.cells = nil, nil
	for bi := range m.blk {
		m.block(w, bi, 1, s)
	}
	m.heads(w, 1)
	s.logits, s.eta = append(s.logits[:0], w.logits[:m.NPorts]...), w.eta[0]
	if commit {
		s.n++
	}
	return nil
}

// Logits returns the destination logits of the last Update (owned by the
// stream; copy to keep).
func (s *Stream) Logits() []float32 { return s.logits }

// ETA returns the ETA in hours of the last Update.
func (s *Stream) ETA() float32 { return s.eta }
