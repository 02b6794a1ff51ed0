package accel

// Attention computes multi-head scaled dot-product attention without a
// mask (an encoder's self-attention over a whole sequence): rows queries,
// each seeing all keys keys and values. Head h uses columns
// h·dk..(h+1)·dk of q, k, v and dst (row strides ldq, ldk, ldv, ldd):
//
//	for i < rows, h < heads:
//	    s_t = scale · Σ_j q[i][h·dk+j]·k[t][h·dk+j]   for t < keys
//	    p = softmax(s)
//	    dst[i][h·dk+j] = Σ_t p_t·v[t][h·dk+j]
//
// It runs as CausalAttention does (blocks of 64 queries through the
// product kernel, the head's keys and values packed once, the softmax
// left unnormalised until after the weighted sum), with every query
// seeing every key. Heads are shared among the workspace's threads.
func (w *Workspace) Attention(dst []float32, ldd int, q []float32, ldq int, k []float32, ldk int, v []float32, ldv int, rows, keys, heads, dk int, scale float32) {
	hd := heads * dk
	if rows < 0 || keys <= 0 || heads <= 0 || dk <= 0 || ldd < hd || ldq < hd || ldk < hd || ldv < hd ||
		!fits(dst, rows, hd, ldd) || !fits(q, rows, hd, ldq) || !fits(k, keys, hd, ldk) || !fits(v, keys, hd, ldv) {
		panic(badLength)
	}
	if rows == 0 {
		return
	}
	a := attention{dst: dst, ldd: ldd, q: q, ldq: ldq, k: k, ldk: ldk, v: v, ldv: ldv, rows: rows, dk: dk, scale: scale, keys: keys}
	threads := min(w.Threads(), heads)
	if threads == 1 || 4*rows*keys*dk < parallelFlops { // ≈ the flops of one head
		for h := 0; h < heads; h++ {
			a.head(w, h)
		}
		return
	}
	w.attentionParallel(a, threads, heads)
}
