package accel

// PackedB is the right-hand matrix op(B) (k×n) of a product packed once for
// Sgemm's micro-kernel, for weights reused across calls. PackB keeps f32
// panels; PackBF16 and PackBInt8 keep their panels as f16 or int8 (half
// or a quarter of the memory), and a product dequantises each kc×nr panel
// into its workspace just before the micro-kernel runs over it
// (DequantF16, DequantInt8), so the weights stay compact in memory.
type PackedB struct {
	k, n   int
	nr, kc int         // panel width and depth of the tile it was packed for
	blocks [][]float32 // jc-block × pc-block panels, as packB lays them out (f32)
	q      *compactPanels
}

// K and N return the shape of op(B).
func (p *PackedB) K() int { return p.k }
func (p *PackedB) N() int { return p.n }

// Bytes returns the memory the packed panels take (with an int8 matrix's
// scales).
func (p *PackedB) Bytes() int {
	n := 0
	for _, b := range p.blocks {
		n += 4 * len(b)
	}
	if p.q != nil {
		n += p.q.bytes()
	}
	return n
}

// DType returns how the panels are stored: "f32", "f16" or "int8".
func (p *PackedB) DType() string {
	switch {
	case p.q == nil:
		return "f32"
	case p.q.f16 != nil:
		return "f16"
	}
	return "int8"
}

// packPanels lays op(B) (k×n, element (p, j) from get) out in the
// panels of every jc × pc block, as packB does: panel q of a block, depth
// p, column j at [(q*kcb+p)*nr+j], zero-padded past the block's columns.
func packPanels(k, n, nr int, get func(p, j int) float32) [][]float32 {
	var blocks [][]float32
	for jc := 0; jc < n; jc += nc {
		ncb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kcb := min(kc, k-pc)
			panels := (ncb + nr - 1) / nr
			buf := make([]float32, panels*kcb*nr)
			for q := 0; q < panels; q++ {
				for p := 0; p < kcb; p++ {
					d := buf[(q*kcb+p)*nr : (q*kcb+p+1)*nr]
					for j := range d {
						if col := q*nr + j; col < ncb {
							d[j] = get(pc+p, jc+col)
						}
					}
				}
			}
			blocks = append(blocks, buf)
		}
	}
	return blocks
}

// narrowPanels converts packed panels holding f16 bits or int8 values
// (exact in float32) to their compact type.
func narrowPanels[T uint16 | int8](blocks [][]float32) [][]T {
	out := make([][]T, len(blocks))
	for i, b := range blocks {
		out[i] = make([]T, len(b))
		for j, v := range b {
			out[i][j] = T(v)
		}
	}
	return out
}

func packFrom(k, n int, get func(p, j int) float32) *PackedB {
	_, nr := tile()
	return &PackedB{k: k, n: n, nr: nr, kc: kc, blocks: packPanels(k, n, nr, get)}
}

// packInto packs op(B) (k×n; B k×n with row stride ldb, or n×k when
// transB) into p, reusing p's buffers (*buf holds the panels): the
// workspace's repacking for attention, allocation-free once grown.
func packInto(p *PackedB, buf *[]float32, transB bool, k, n int, b []float32, ldb int) {
	_, nr := tile()
	p.k, p.n, p.nr, p.kc = k, n, nr, kc
	size := 0
	for jc := 0; jc < n; jc += nc {
		size += (min(nc, n-jc) + nr - 1) / nr * nr * k
	}
	if cap(*buf) < size {
		*buf = make([]float32, size+size/4)
	}
	all := (*buf)[:size]
	p.blocks = p.blocks[:0]
	for jc := 0; jc < n; jc += nc {
		ncb := min(nc, n-jc)
		panels := (ncb + nr - 1) / nr
		for pc := 0; pc < k; pc += kc {
			kcb := min(kc, k-pc)
			blk := all[:panels*kcb*nr]
			all = all[panels*kcb*nr:]
			packB(blk, b, transB, ldb, pc, jc, kcb, ncb, nr)
			p.blocks = append(p.blocks, blk)
		}
	}
}

// PackB packs op(B) (k×n; B is k×n with row stride ldb, or n×k when
// transB). PackB(true, in, out, w, in) packs PyTorch-layout Linear weights.
func PackB(transB bool, k, n int, b []float32, ldb int) *PackedB {
	if k <= 0 || n <= 0 || !fitsOp(b, transB, k, n, ldb) {
		panic(badLength)
	}
	if transB {
		return packFrom(k, n, func(p, j int) float32 { return b[j*ldb+p] })
	}
	return packFrom(k, n, func(p, j int) float32 { return b[p*ldb+j] })
}

// PackBF16 packs Linear weights stored as f16 bits, w being n×k (out×in),
// keeping the panels in f16: op(B)[p][j] = F16ToF32(w[j*k+p]).
func PackBF16(k, n int, w []uint16) *PackedB {
	if k <= 0 || n <= 0 || len(w) != k*n {
		panic(badLength)
	}
	p := packFrom(k, n, func(p, j int) float32 { return float32(w[j*k+p]) }) // the bits, exactly
	p.q, p.blocks = &compactPanels{f16: narrowPanels[uint16](p.blocks)}, nil
	return p
}

// PackBInt8 packs Linear weights stored as int8 with one scale per output
// row, w being n×k (out×in), keeping the panels in int8:
// op(B)[p][j] = scales[j]·float32(w[j*k+p]).
func PackBInt8(k, n int, w []int8, scales []float32) *PackedB {
	if k <= 0 || n <= 0 || len(w) != k*n || len(scales) != n {
		panic(badLength)
	}
	p := packFrom(k, n, func(p, j int) float32 { return float32(w[j*k+p]) })
	padded := make([]float32, (n+p.nr-1)/p.nr*p.nr) // one per column, whole panels
	copy(padded, scales)
	p.q, p.blocks = &compactPanels{i8: narrowPanels[int8](p.blocks), scales: padded}, nil
	return p
}

// SgemmPacked computes C = alpha·op(A)·B + beta·C with B packed by PackB,
// op(A) m×k (row stride lda, or k×m when transA), C m×n (row stride ldc):
// the same result as Sgemm without repacking B on every call. It borrows
// a pooled single-threaded Workspace; (*Workspace).SgemmPacked does not.
func SgemmPacked(transA bool, m int, alpha float32, a []float32, lda int, b *PackedB, beta float32, c []float32, ldc int) {
	w := packPool.Get().(*Workspace)
	w.SgemmPacked(transA, m, alpha, a, lda, b, beta, c, ldc)
	packPool.Put(w)
}

// SgemmPacked is the package-level SgemmPacked using this workspace's
// buffers and threads.
func (w *Workspace) SgemmPacked(transA bool, m int, alpha float32, a []float32, lda int, b *PackedB, beta float32, c []float32, ldc int) {
	k, n := b.k, b.n
	if m < 0 || ldc < n || !fits(c, m, n, ldc) || !fitsOp(a, transA, m, k, lda) {
		panic(badLength)
	}
	scaleC(c, m, n, ldc, beta)
	if m == 0 || alpha == 0 {
		return
	}
	w.mulPrefix(w.Threads(), transA, m, alpha, a, lda, b, k, n, c, ldc)
}

// mulPrefix adds alpha·op(A)·B[:kk, :nn] to C (m×nn), for a prefix of the
// packed B's depth (kk ≤ k) and columns (nn ≤ n).
func (w *Workspace) mulPrefix(threads int, transA bool, m int, alpha float32, a []float32, lda int, b *PackedB, kk, nn int, c []float32, ldc int) {
	mr := maxMR // the row tile that goes with the panel width
	if b.nr == 16 {
		mr = 6
	}
	g := gemm{a: a, transA: transA, lda: lda, c: c, ldc: ldc, alpha: alpha, m: m, mr: mr, nr: b.nr, q: b.q}
	kBlocks := (b.k + b.kc - 1) / b.kc
	for jb, jc := 0, 0; jc < nn; jb, jc = jb+1, jc+nc {
		for pb, pc := 0, 0; pc < kk; pb, pc = pb+1, pc+b.kc {
			var blk []float32
			if g.q == nil {
				blk = b.blocks[jb*kBlocks+pb]
			} else {
				g.qblock = jb*kBlocks + pb
			}
			w.block(&g, threads, blk, jc, pc, min(b.kc, kk-pc), min(b.kc, b.k-pc), min(nc, nn-jc))
		}
	}
}
