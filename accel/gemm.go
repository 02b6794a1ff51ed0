package accel

import (
	"sync"
)

// Blocking of Sgemm: B is packed in blocks of kc×nc and A in blocks of
// mc×kc; within a block each kc×nr panel of B is reused by every mr×kc
// panel of A (from L2) before the next panel is loaded. The register tile
// (mr×nr) depends on the kernel (tile()); mc is a multiple of every tile
// height. (kc 128, mc 192 or 384 measured no better on Zen 4.)
const (
	maxMR = 12
	maxNR = 32
	kc    = 256
	mc    = 96
	nc    = 2048
)

// parallelFlops is the size of product (2·m·n·k) from which a Workspace
// with several threads shares it among goroutines; below it a goroutine's
// start costs more than it saves.
const parallelFlops = 1 << 21

var packPool = sync.Pool{New: func() any { return new(Workspace) }}

// Workspace holds the buffers of products (packed blocks of A and B,
// attention scores) and the number of goroutines a product may use. The
// package-level Sgemm and Linear borrow one from a sync.Pool (which the
// garbage collector may empty); a caller that must not allocate in steady
// state keeps its own and calls the methods. The zero value is ready and
// single-threaded; a Workspace is not safe for concurrent use.
type Workspace struct {
	a, b    []float32
	s, sums []float32 // attention scores and their row sums
	// attention's keys and values, packed once per head
	kp, vp     PackedB
	kbuf, vbuf []float32
	pd         []float32 // one dequantised panel of a compact PackedB
	threads    int
	helpers    []*Workspace // one per extra goroutine
}

// SetThreads sets how many goroutines one product through this workspace
// may use (at least 1; the zero Workspace uses 1). Products of about 2
// MFLOP or more split their rows (or, for short products, their column
// panels) among them; every element is computed by the same kernel in the
// same order, so results are bit-identical for any thread count.
func (w *Workspace) SetThreads(n int) {
	w.threads = max(1, n)
	for len(w.helpers) < w.threads-1 {
		w.helpers = append(w.helpers, new(Workspace))
	}
}

// Threads returns the goroutines a product may use.
func (w *Workspace) Threads() int { return max(1, w.threads) }

// growA sizes the buffer for packed A blocks of depth kcb.
func (w *Workspace) growA(kcb int) []float32 {
	if n := mc * kcb; cap(w.a) < n {
		w.a = make([]float32, n)
	}
	return w.a[:cap(w.a)]
}

// growB sizes the buffer for a packed B block.
func (w *Workspace) growB(kcb, ncb int) []float32 {
	if n := kcb * (ncb + maxNR); cap(w.b) < n {
		w.b = make([]float32, n)
	}
	return w.b[:cap(w.b)]
}

// Sgemm is the package-level Sgemm using this workspace's buffers and threads.
func (w *Workspace) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	w.sgemm(w.Threads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (w *Workspace) sgemm(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 || ldc < max(1, n) || !fits(c, m, n, ldc) ||
		!fitsOp(a, transA, m, k, lda) || !fitsOp(b, transB, k, n, ldb) {
		panic(badLength)
	}
	if m == 0 || n == 0 {
		return
	}
	scaleC(c, m, n, ldc, beta)
	if alpha == 0 || k == 0 {
		return
	}
	mr, nr := tile()
	g := gemm{a: a, transA: transA, lda: lda, c: c, ldc: ldc, alpha: alpha, m: m, mr: mr, nr: nr}
	for jc := 0; jc < n; jc += nc {
		ncb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kcb := min(kc, k-pc)
			pb := w.growB(kcb, ncb)
			packB(pb, b, transB, ldb, pc, jc, kcb, ncb, nr)
			w.block(&g, threads, pb, jc, pc, kcb, kcb, ncb)
		}
	}
}

// Linear is the package-level Linear using this workspace for products of
// sixteen or more rows.
func (w *Workspace) Linear(dst, x, wt, b []float32, n, in, out int) {
	linear(w, dst, x, wt, b, n, in, out)
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices:
// op(A) is m×k (A is m×k with row stride lda, or k×m when transA), op(B)
// is k×n (B is k×n with row stride ldb, or n×k when transB), C is m×n with
// row stride ldc. The reference loop:
//
//	for i < m, j < n: c[i*ldc+j] = beta*c[i*ldc+j] + alpha*Σ_p opA(i,p)*opB(p,j)
//
// With beta 0, C is overwritten (NaNs in it do not propagate). Blocks of
// A and B are packed into panels of mr rows and nr columns and multiplied
// by a register-blocked micro-kernel (12×32 with AVX-512, 6×16 with AVX2,
// NEON and Go), one kernel per row count so edge tiles compute only their
// rows. It runs on the calling goroutine.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	w := packPool.Get().(*Workspace)
	w.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	packPool.Put(w)
}

// gemm holds the arguments of one product that every block shares.
type gemm struct {
	a      []float32
	transA bool
	lda    int
	c      []float32
	ldc    int
	alpha  float32
	m      int
	mr, nr int
	// compact (f16 or int8) panels of B, dequantised panel by panel before
	// the micro-kernel (nil: B's block is f32), and the block being multiplied
	q      *compactPanels
	qblock int
}

// block multiplies op(A) (all m rows, depth pc..pc+kcb) by the packed B
// block pb (columns jc..jc+ncb) into C, on up to threads goroutines.
func (w *Workspace) block(g *gemm, threads int, pb []float32, jc, pc, kcb, bstride, ncb int) {
	if threads <= 1 || 2*g.m*ncb*kcb < parallelFlops {
		g.part(w.growA(kcb), w.panelBuf(g), pb, 0, g.m, jc, pc, kcb, bstride, ncb, 0, ncb)
		return
	}
	w.blockParallel(*g, threads, pb, jc, pc, kcb, bstride, ncb)
}

// blockParallel splits a block in tile-aligned row ranges, or in ranges of
// column panels when there are too few row tiles to go round; the helpers
// take all parts but the last, which the calling goroutine computes. (g is
// a copy, so that the single-goroutine path captures nothing and
// allocates nothing.)
func (w *Workspace) blockParallel(g gemm, threads int, pb []float32, jc, pc, kcb, bstride, ncb int) {
	rowTiles := (g.m + g.mr - 1) / g.mr
	colPanels := (ncb + g.nr - 1) / g.nr
	byRows := rowTiles >= 2*threads || rowTiles >= colPanels
	parts := min(threads, rowTiles)
	if !byRows {
		parts = min(threads, colPanels)
	}
	bounds := func(p int) (i0, i1, j0, j1 int) {
		if byRows {
			return p * rowTiles / parts * g.mr, min(g.m, (p+1)*rowTiles/parts*g.mr), 0, ncb
		}
		return 0, g.m, p * colPanels / parts * g.nr, min(ncb, (p+1)*colPanels/parts*g.nr)
	}
	var wg sync.WaitGroup
	for p := 0; p < parts-1; p++ {
		hw := w.helpers[p]
		i0, i1, j0, j1 := bounds(p)
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.part(hw.growA(kcb), hw.panelBuf(&g), pb, i0, i1, jc, pc, kcb, bstride, ncb, j0, j1)
		}()
	}
	i0, i1, j0, j1 := bounds(parts - 1)
	g.part(w.growA(kcb), w.panelBuf(&g), pb, i0, i1, jc, pc, kcb, bstride, ncb, j0, j1)
	wg.Wait()
}

// part computes rows i0..i1 (i0 a multiple of mr) and block columns
// j0..j1 (multiples of nr, or ncb) of one block, packing A into pa unless
// the CPU's kernels read it in place.
//
// The packed block's panels have depth bstride ≥ kcb: a product may use
// the first kcb rows of a deeper block (a prefix of B's depth). Compact
// panels are dequantised into pd, one at a time.
func (g *gemm) part(pa, pd, pb []float32, i0, i1, jc, pc, kcb, bstride, ncb, j0, j1 int) {
	inPlace := !g.transA && inPlaceA(g.nr)
	for ic := i0; ic < i1; ic += mc {
		mcb := min(mc, i1-ic)
		if !inPlace {
			packA(pa, g.a, g.transA, g.lda, ic, pc, mcb, kcb, g.mr)
		}
		g.tiles(pa, pd, pb, ic, jc, pc, mcb, kcb, bstride, ncb, j0, j1, inPlace)
	}
}

// tiles multiplies a block of A (rows ic..ic+mcb, depth pc..pc+kcb;
// packed in pa, or read in place) by the panels of a packed B block
// covering block columns j0..j1, tile by tile: each B panel stays in L1
// while the A panels pass it.
func (g *gemm) tiles(pa, pd, pb []float32, ic, jc, pc, mcb, kcb, bstride, ncb, j0, j1 int, inPlace bool) {
	mr, nr, c, ldc, alpha := g.mr, g.nr, g.c, g.ldc, g.alpha
	var tileBuf [maxMR * maxNR]float32
	for jp := j0 / nr; jp*nr < j1; jp++ {
		var bp []float32
		if g.q == nil {
			bp = pb[jp*bstride*nr:]
		} else {
			bp = g.q.panel(pd, g.qblock, jc, jp, bstride, kcb, nr)
		}
		cols := min(nr, ncb-jp*nr)
		for ip := 0; ip*mr < mcb; ip++ {
			rows := min(mr, mcb-ip*mr)
			c0 := (ic+ip*mr)*ldc + jc + jp*nr
			dst, ldd := c[c0:], ldc
			if cols < nr { // a tile at the right edge: compute into a full-width tile
				dst, ldd = tileBuf[:rows*nr], nr
				clear(dst)
			}
			switch {
			case inPlace:
				gemmFastTileA(rows, nr, kcb, &g.a[(ic+ip*mr)*g.lda+pc], g.lda, &bp[0], &dst[0], ldd, alpha)
			case !gemmFastTile(rows, nr, kcb, &pa[ip*kcb*mr], &bp[0], &dst[0], ldd, alpha):
				gemmTile(kcb, pa[ip*kcb*mr:], bp, dst, ldd, alpha, rows, nr)
			}
			if cols < nr { // add its valid columns
				for i := 0; i < rows; i++ {
					cr := c[c0+i*ldc : c0+i*ldc+cols]
					for j := range cr {
						cr[j] += tileBuf[i*nr+j]
					}
				}
			}
		}
	}
}

// scaleC sets the m×n matrix C to beta·C, and to 0 when beta is 0 (so NaNs
// in C do not propagate).
func scaleC(c []float32, m, n, ldc int, beta float32) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			Scale(beta, row)
		}
	}
}

func fits(x []float32, rows, cols, ld int) bool {
	return rows == 0 || cols == 0 || (ld >= cols && len(x) >= (rows-1)*ld+cols)
}

// fitsOp checks a matrix whose op is rows×cols.
func fitsOp(x []float32, trans bool, rows, cols, ld int) bool {
	if trans {
		return fits(x, cols, rows, ld)
	}
	return fits(x, rows, cols, ld)
}

// packA packs op(A)[ic:ic+mcb, pc:pc+kcb] into panels of mr rows: panel r
// starts at dst[r*kcb*mr] and holds rows = min(mr, mcb−r·mr) rows, depth
// p, row i at [p*rows+i] (the last panel is packed only as high as it is,
// for the kernel of its row count).
func packA(dst, a []float32, trans bool, lda, ic, pc, mcb, kcb, mr int) {
	for r := 0; r*mr < mcb; r++ {
		rows := min(mr, mcb-r*mr)
		panel := dst[r*kcb*mr : r*kcb*mr+kcb*rows]
		row0 := ic + r*mr
		if trans { // row p of the stored k×m matrix holds depth p of every row
			for p := 0; p < kcb; p++ {
				copy(panel[p*rows:(p+1)*rows], a[(pc+p)*lda+row0:(pc+p)*lda+row0+rows])
			}
			continue
		}
		if rows == 4 || rows == 12 && kcb >= 4 {
			packA4(panel, a, lda, row0, pc, kcb, rows)
			continue
		}
		for i := 0; i < rows; i++ {
			src := a[(row0+i)*lda+pc : (row0+i)*lda+pc+kcb]
			for p, v := range src {
				panel[p*rows+i] = v
			}
		}
	}
}

// packA4 packs a panel of rows (a multiple of 4) four rows at a time, so
// each store of four neighbours reads four streams.
func packA4(panel, a []float32, lda, row0, pc, kcb, rows int) {
	for i := 0; i < rows; i += 4 {
		r0 := a[(row0+i)*lda+pc : (row0+i)*lda+pc+kcb]
		r1 := a[(row0+i+1)*lda+pc : (row0+i+1)*lda+pc+kcb]
		r2 := a[(row0+i+2)*lda+pc : (row0+i+2)*lda+pc+kcb]
		r3 := a[(row0+i+3)*lda+pc : (row0+i+3)*lda+pc+kcb]
		for p := range r0 {
			d := panel[p*rows+i : p*rows+i+4 : p*rows+i+4]
			d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
		}
	}
}

// packB packs op(B)[pc:pc+kcb, jc:jc+ncb] into panels of nr columns:
// panel q, depth p, column j at dst[(q*kcb+p)*nr+j], zero-padded past ncb.
func packB(dst, b []float32, trans bool, ldb, pc, jc, kcb, ncb, nr int) {
	for q := 0; q*nr < ncb; q++ {
		cols := min(nr, ncb-q*nr)
		panel := dst[q*kcb*nr : (q+1)*kcb*nr]
		if cols < nr {
			clear(panel)
		}
		c0 := jc + q*nr
		if trans { // each column is a contiguous row of the stored n×k matrix
			for j := 0; j < cols; j++ {
				src := b[(c0+j)*ldb+pc : (c0+j)*ldb+pc+kcb]
				for p, v := range src {
					panel[p*nr+j] = v
				}
			}
			continue
		}
		for p := 0; p < kcb; p++ {
			copy(panel[p*nr:p*nr+cols], b[(pc+p)*ldb+c0:(pc+p)*ldb+c0+cols])
		}
	}
}

// gemmTile is the generic micro-kernel for a tile of rows × nr (nr a
// multiple of 4), A packed rows wide:
//
//	for p < k, i < rows, j < nr: acc[i][j] += a[rows·p+i]·b[nr·p+j]
//	c[i*ldc+j] += alpha·acc[i][j]
//
// It walks the tile in 2×4 blocks whose eight sums stay in registers
// (more spill on amd64 with Go's register allocation: 4×4 measured 30%
// slower), reading two values of A and four of B per eight products. The
// products are not rounded apart from the sums, so arm64 may fuse them.
func gemmTile(k int, a, b, c []float32, ldc int, alpha float32, rows, nr int) {
	for j := 0; j < nr; j += 4 {
		i := 0
		for ; i+2 <= rows; i += 2 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float32
			ai, bj := i, j
			for p := 0; p < k; p++ {
				ap := a[ai : ai+2 : ai+2]
				bp := b[bj : bj+4 : bj+4]
				a0, a1 := ap[0], ap[1]
				b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
				c00 += a0 * b0
				c01 += a0 * b1
				c02 += a0 * b2
				c03 += a0 * b3
				c10 += a1 * b0
				c11 += a1 * b1
				c12 += a1 * b2
				c13 += a1 * b3
				ai += rows
				bj += nr
			}
			addRow4(c[i*ldc+j:], alpha, c00, c01, c02, c03)
			addRow4(c[(i+1)*ldc+j:], alpha, c10, c11, c12, c13)
		}
		if i < rows {
			var c0, c1, c2, c3 float32
			ai, bj := i, j
			for p := 0; p < k; p++ {
				av := a[ai]
				bp := b[bj : bj+4 : bj+4]
				c0 += av * bp[0]
				c1 += av * bp[1]
				c2 += av * bp[2]
				c3 += av * bp[3]
				ai += rows
				bj += nr
			}
			addRow4(c[i*ldc+j:], alpha, c0, c1, c2, c3)
		}
	}
}

// addRow4 adds alpha·(v0, v1, v2, v3) to c[0:4].
func addRow4(c []float32, alpha, v0, v1, v2, v3 float32) {
	c = c[:4:4]
	c[0] += float32(alpha * v0)
	c[1] += float32(alpha * v1)
	c[2] += float32(alpha * v2)
	c[3] += float32(alpha * v3)
}
