package accel

import "sync"

// attnBlock is how many query rows CausalAttention scores at once: their
// scores against every visible key (attnBlock × keys floats) are one
// product with the keys, then one with the values.
const attnBlock = 64

// attnDirect is the query count below which CausalAttention scores each
// query with dot products rather than through Sgemm (whose packing of the
// keys would cost as much as the scores themselves).
const attnDirect = 4

// CausalAttention computes multi-head causal scaled dot-product attention
// for one sequence. Keys and values have prev+rows rows, queries rows rows;
// query i is the sequence's position prev+i and sees keys 0..prev+i. Head h
// uses columns h·dk..(h+1)·dk of q, k, v and dst (row strides ldq, ldk,
// ldv, ldd):
//
//	for i < rows, h < heads:
//	    s_t = scale · Σ_j q[i][h·dk+j]·k[t][h·dk+j]   for t ≤ prev+i
//	    p = softmax(s)
//	    dst[i][h·dk+j] = Σ_t p_t·v[t][h·dk+j]
//
// The masked keys (t > prev+i) are never scored: blocks of 64 queries are
// scored against the keys the last of them sees, through the Sgemm
// micro-kernel, and the few masked scores of the diagonal block are set to
// zero after the softmax. The softmax is SoftmaxInPlace's. Heads are
// shared among the workspace's threads.
func (w *Workspace) CausalAttention(dst []float32, ldd int, q []float32, ldq int, k []float32, ldk int, v []float32, ldv int, rows, prev, heads, dk int, scale float32) {
	hd := heads * dk
	n := prev + rows
	if rows < 0 || prev < 0 || heads <= 0 || dk <= 0 || ldd < hd || ldq < hd || ldk < hd || ldv < hd ||
		!fits(dst, rows, hd, ldd) || !fits(q, rows, hd, ldq) || !fits(k, n, hd, ldk) || !fits(v, n, hd, ldv) {
		panic(badLength)
	}
	if rows == 0 {
		return
	}
	a := attention{dst: dst, ldd: ldd, q: q, ldq: ldq, k: k, ldk: ldk, v: v, ldv: ldv, rows: rows, prev: prev, dk: dk, scale: scale}
	threads := min(w.Threads(), heads)
	if threads == 1 || 4*rows*n*dk < parallelFlops { // ≈ the flops of one head
		for h := 0; h < heads; h++ {
			a.head(w, h)
		}
		return
	}
	w.attentionParallel(a, threads, heads)
}

// attentionParallel shares the heads among the helpers and the calling
// goroutine (a is a copy, as in blockParallel).
func (w *Workspace) attentionParallel(a attention, threads, heads int) {
	var wg sync.WaitGroup
	for p := 0; p < threads-1; p++ {
		hw := w.helpers[p]
		h0, h1 := p*heads/threads, (p+1)*heads/threads
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h := h0; h < h1; h++ {
				a.head(hw, h)
			}
		}()
	}
	for h := (threads - 1) * heads / threads; h < heads; h++ {
		a.head(w, h)
	}
	wg.Wait()
}

type attention struct {
	dst, q, k, v       []float32
	ldd, ldq, ldk, ldv int
	rows, prev, dk     int
	scale              float32
	keys               int // Attention: every query sees all keys keys; 0 for causal
}

// seen returns how many keys query i sees (a prefix of the keys).
func (a *attention) seen(i int) int {
	if a.keys > 0 {
		return a.keys
	}
	return a.prev + i + 1
}

// head computes one head with the workspace's buffers, on one goroutine.
func (a *attention) head(w *Workspace, h int) {
	off, dk := h*a.dk, a.dk
	if a.rows < attnDirect {
		for i := 0; i < a.rows; i++ {
			n := a.seen(i)
			s := w.scores(n)
			qi := a.q[i*a.ldq+off : i*a.ldq+off+dk]
			for t := range s {
				s[t] = a.scale * dotFast(qi, a.k[t*a.ldk+off:t*a.ldk+off+dk])
			}
			inv := 1 / expShift(s)
			out := a.dst[i*a.ldd+off : i*a.ldd+off+dk]
			clear(out)
			for t, p := range s {
				vt := a.v[t*a.ldv+off : t*a.ldv+off+dk]
				for j, x := range vt {
					out[j] += float32(p * x)
				}
			}
			for j := range out {
				out[j] *= inv
			}
		}
		return
	}
	// the head's keys and values, packed once for every query block
	n := a.seen(a.rows - 1)
	packInto(&w.kp, &w.kbuf, true, dk, n, a.k[off:], a.ldk)
	packInto(&w.vp, &w.vbuf, false, n, dk, a.v[off:], a.ldv)
	for i0 := 0; i0 < a.rows; i0 += attnBlock {
		mb := min(attnBlock, a.rows-i0)
		nk := a.seen(i0 + mb - 1) // keys the block's last query sees
		s := w.scores(mb * nk)
		clear(s)
		w.mulPrefix(1, false, mb, a.scale, a.q[i0*a.ldq+off:], a.ldq, &w.kp, dk, nk, s, nk)
		sums := w.rowSums(mb)
		for r := 0; r < mb; r++ {
			seen := a.seen(i0 + r)
			sums[r] = expShift(s[r*nk : r*nk+seen])
			clear(s[r*nk+seen : (r+1)*nk])
		}
		dst := a.dst[i0*a.ldd+off:]
		scaleC(dst, mb, dk, a.ldd, 0)
		w.mulPrefix(1, false, mb, 1, s, nk, &w.vp, nk, dk, dst, a.ldd)
		for r := 0; r < mb; r++ {
			Scale(1/sums[r], dst[r*a.ldd:r*a.ldd+dk])
		}
	}
}

// scores returns the workspace's score buffer sized n.
func (w *Workspace) scores(n int) []float32 {
	if cap(w.s) < n {
		w.s = make([]float32, n+n/4)
	}
	return w.s[:n]
}

// rowSums returns the workspace's buffer of n softmax sums.
func (w *Workspace) rowSums(n int) []float32 {
	if cap(w.sums) < n {
		w.sums = make([]float32, n)
	}
	return w.sums[:n]
}

// expShift sets x[i] = e^(x[i] − max x), the softmax numerators, with
// Exp's exponential, and returns their sum (in float32: four partial sums,
// or eight SIMD lanes, then the tail in order). x holds no NaN.
func expShift(x []float32) float32 {
	m, i := maxFast(x)
	if i == 0 {
		m = x[0]
	}
	for _, v := range x[i:] {
		if v > m {
			m = v
		}
	}
	sum, i := expShiftSumFast(x, m)
	tail := x[i:]
	for j := range tail {
		tail[j] -= m
	}
	Exp(tail, tail)
	var s0, s1, s2, s3 float32
	n := len(tail) &^ 3
	for j := 0; j < n; j += 4 {
		t := tail[j : j+4 : j+4]
		s0 += t[0]
		s1 += t[1]
		s2 += t[2]
		s3 += t[3]
	}
	sum += (s0 + s1) + (s2 + s3)
	for _, v := range tail[n:] {
		sum += v
	}
	return sum
}
