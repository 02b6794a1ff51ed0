package models

import (
	"fmt"
	"math"
	"sync"

	"github.com/portolan-sdk/portolan/accel"
	"github.com/portolan-sdk/portolan/internal/rng"
)

// The Monte Carlo engine of the TD regressor: L samples of each series as
// one batch (series × samples rows, in chunks), each sample's dropout
// masks drawn from the shared generator under the series' key
// (docs/RNG.md). It lives beside the network because the masks act inside
// it (MC-Dropout drops the backbone's and the dense layer's units);
// uncertainty.Summarize turns the samples into statistics (RATIONALE.md).

// Stream counters c of the generator's draws u = f32(sk, sample, index, c)
// per kind (docs/RNG.md).
const (
	streamMCTD       = 0 // MC-TD: index = time step
	streamConcrete   = 1 // MC-ConcTD: index = time step
	streamDropHidden = 3 // MC-Dropout, the backbone's output: index = unit
	streamDropDense  = 4 // MC-Dropout, the dense layer's output: index = unit
)

// tdChunkRows is about how many sequences (series × samples) one pass
// through the backbone takes (at least one series): few enough that the
// gate pre-activations of every step (T × rows × 4·hidden floats) stay in
// L2. On the demo model (20 samples) one series per pass used 8% less CPU
// than six, and ten more still than twelve, for 64 series.
const tdChunkRows = 32

// TDWork holds the reusable buffers of TD forwards and the results of the
// last one; make one per goroutine. Buffers grow to the largest batch seen
// and are reused, so repeated forwards allocate nothing (with one thread).
type TDWork struct {
	samples int
	ws      accel.Workspace
	lw      lstmWork
	ew      encWork
	x       []float32 // rows × T × D inputs, in the backbone's layout
	dense   []float32 // rows × Dense
	out     []float32 // rows × 2
	helpers []*TDWork // one single-threaded TDWork per thread, for batches of several chunks
	key     [1]uint64 // Sample's key (a field, so it does not escape per call)
	// Mu and Var hold, for series i and sample s at [i·samples+s], the
	// predictive mean and variance in target units of the last forward.
	Mu, Var []float64
}

// NewWork returns buffers for forwards of the given number of Monte Carlo
// samples (1..MaxSamples; it panics outside), using one thread.
func (m *TD) NewWork(samples int) *TDWork {
	if samples < 1 || samples > MaxSamples {
		panic(fmt.Sprintf("models: %d Monte Carlo samples (want 1..%d)", samples, MaxSamples))
	}
	return &TDWork{samples: samples}
}

// Samples returns the Monte Carlo samples per series.
func (w *TDWork) Samples() int { return w.samples }

// SetThreads sets how many goroutines a forward may use (default 1): a
// batch of several chunks of series shares them out, a smaller one shares
// its products. Results are bit-identical for any count.
func (w *TDWork) SetThreads(n int) {
	n = max(1, n)
	w.ws.SetThreads(n)
	for n > 1 && len(w.helpers) < n {
		w.helpers = append(w.helpers, &TDWork{samples: w.samples})
	}
}

// Sample runs the model on one raw series (T × D, unscaled) under
// w.Samples() Monte Carlo samples drawn from the shared generator for the
// series key (docs/RNG.md), as one batch. The predictive mean and
// variance of each sample, in target units, are left in w.Mu and w.Var.
func (m *TD) Sample(w *TDWork, x []float32, key, seed uint64) error {
	w.key[0] = key
	return m.SampleBatch(w, x, w.key[:], seed)
}

// SampleBatch runs the model on len(keys) raw series (x holds them one
// after the other, T × D each) with w.Samples() Monte Carlo samples each,
// all as one batch: the masks of series i come from keys[i] (docs/RNG.md),
// so a series gives the same samples alone, in any batch, at any position.
// Sample s of series i is left in w.Mu[i·samples+s] and w.Var[i·samples+s].
func (m *TD) SampleBatch(w *TDWork, x []float32, keys []uint64, seed uint64) error {
	n, TD := len(keys), m.T*m.D
	if n == 0 || len(x) != n*TD {
		return fmt.Errorf("%w: %d values for %d series of %d×%d", ErrInput, len(x), n, m.T, m.D)
	}
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%w: series %d: non-finite value at step %d feature %d", ErrInput, i/TD, i%TD/m.D, i%m.D)
		}
	}
	L := w.samples
	w.Mu, w.Var = growFloats(&w.Mu, n*L), growFloats(&w.Var, n*L)
	per := max(1, tdChunkRows/L) // series per chunk
	chunks := (n + per - 1) / per
	threads := min(w.ws.Threads(), chunks)
	if threads <= 1 {
		for c0 := 0; c0 < n; c0 += per {
			m.chunk(w, w, x, keys, seed, c0, min(n, c0+per))
		}
		return nil
	}
	m.sampleParallel(w, x, keys, seed, per, chunks, threads)
	return nil
}

// sampleParallel shares the chunks out in contiguous ranges, one range per
// goroutine, each with its own single-threaded buffers (the helpers); the
// calling goroutine takes the last range. Results land in w.Mu and w.Var.
func (m *TD) sampleParallel(w *TDWork, x []float32, keys []uint64, seed uint64, per, chunks, threads int) {
	n := len(keys)
	var wg sync.WaitGroup
	for p := 0; p < threads; p++ {
		cw := w.helpers[p]
		s0, s1 := p*chunks/threads*per, min(n, (p+1)*chunks/threads*per)
		if p == threads-1 {
			for c0 := s0; c0 < s1; c0 += per {
				m.chunk(w, cw, x, keys, seed, c0, min(s1, c0+per))
			}
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c0 := s0; c0 < s1; c0 += per {
				m.chunk(w, cw, x, keys, seed, c0, min(s1, c0+per))
			}
		}()
	}
	wg.Wait()
}

// chunk runs series s0..s1 with the buffers of cw, writing the results
// to w.
func (m *TD) chunk(w, cw *TDWork, x []float32, keys []uint64, seed uint64, s0, s1 int) {
	L := w.samples
	rows := (s1 - s0) * L
	xs := grow(&cw.x, m.T*rows*m.D)
	m.maskedInputs(xs, x, keys, seed, s0, s1, L)
	ws := &cw.ws
	h := m.backbone(ws, cw, xs, rows)
	dense := grow(&cw.dense, rows*m.Dense)
	if m.Kind == DropoutMC {
		m.dropUnits(h, m.Hidden, keys[s0:s1], seed, L, streamDropHidden)
	}
	m.fc.forward(ws, dense, m.Dense, h, m.Hidden, rows)
	accel.ReLU(dense)
	if m.Kind == DropoutMC {
		m.dropUnits(dense, m.Dense, keys[s0:s1], seed, L, streamDropDense)
	}
	out := grow(&cw.out, rows*2)
	m.heads.forward(ws, out, 2, dense, m.Dense, rows)
	for r := 0; r < rows; r++ {
		i := s0*L + r
		w.Mu[i] = float64(out[2*r])*m.YStd + m.YMean
		w.Var[i] = math.Exp(float64(out[2*r+1])) * m.YStd * m.YStd
	}
}

// maskedInputs writes the scaled, temporally dropped-out inputs of series
// s0..s1 under L samples in the backbone's layout: sequence r =
// (i−s0)·L + s (sample s of series i), step t at row t·rows + r
// (step-major) or r·T + t.
func (m *TD) maskedInputs(xs, x []float32, keys []uint64, seed uint64, s0, s1, L int) {
	T, D := m.T, m.D
	rows := (s1 - s0) * L
	stepMajor := m.stepMajor()
	p := &m.Preprocessing
	for i := s0; i < s1; i++ {
		sk := rng.SeriesSeed(seed, keys[i])
		xi := x[i*T*D : (i+1)*T*D]
		for s := 0; s < L; s++ {
			r := (i-s0)*L + s
			for t := 0; t < T; t++ {
				f := m.keep(sk, s, t)
				row := r*T + t
				if stepMajor {
					row = t*rows + r
				}
				dst := xs[row*D : (row+1)*D]
				for k, v := range xi[t*D : (t+1)*D] {
					if len(p.Mean) != 0 {
						v = (v - p.Mean[k]) / p.Std[k]
					}
					dst[k] = v * f
				}
			}
		}
	}
}

// keep is the temporal-dropout multiplier of step t in sample s of the
// series whose seed is sk (docs/MODELS.md, docs/RNG.md); 1 for the kinds
// that leave the inputs alone.
func (m *TD) keep(sk uint64, s, t int) float32 {
	switch m.Kind {
	case DropoutMCTD:
		if rng.Float32(sk, uint64(s), uint64(t), streamMCTD) < m.Alpha {
			return 0
		}
	case DropoutConcrete:
		return concreteKeep(m.rate[t], rng.Float32(sk, uint64(s), uint64(t), streamConcrete), m.Tau)
	}
	return 1
}

// dropUnits applies MC-Dropout to h (one row of units values per
// sequence, L samples of each series in keys): unit j of sample s is
// zeroed when f32(sk, s, j, stream) < alpha and scaled by 1/(1 − alpha)
// otherwise (docs/MODELS.md).
func (m *TD) dropUnits(h []float32, units int, keys []uint64, seed uint64, L int, stream uint64) {
	scale := float32(1 / (1 - float64(m.Alpha)))
	for i, key := range keys {
		sk := rng.SeriesSeed(seed, key)
		for s := 0; s < L; s++ {
			row := h[(i*L+s)*units : (i*L+s+1)*units]
			for j := range row {
				if rng.Float32(sk, uint64(s), uint64(j), stream) < m.Alpha {
					row[j] = 0
				} else {
					row[j] *= scale
				}
			}
		}
	}
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

// growFloats is grow for float64 slices.
func growFloats(buf *[]float64, n int) []float64 {
	if cap(*buf) < n {
		*buf = make([]float64, n, n+n/4)
	}
	*buf = (*buf)[:n]
	return *buf
}
