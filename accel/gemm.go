package accel

import (
	"sync"
	"sync/atomic"
)

// maxThreads caps the goroutines one Sgemm uses; 1 (the default) keeps it
// on the calling goroutine, as edge devices want.
var maxThreads atomic.Int32

func init() { maxThreads.Store(1) }

// SetMaxThreads sets how many goroutines a large Sgemm may use (at least 1;
// the default is 1) and returns the previous value. Products under about
// 2 MFLOP always run on the calling goroutine.
func SetMaxThreads(n int) int {
	return int(maxThreads.Swap(int32(max(1, n))))
}

// Blocking of Sgemm: packed blocks of kc×nc (B) and mc×kc (A), sized so a
// block of A stays in L2 and a panel of B in L1; the register tile (mr×nr)
// depends on the kernel (tile()). mc and nc are multiples of every tile.
const (
	kc    = 256
	mc    = 96
	nc    = 2048
	maxMR = 12
	maxNR = 32
)

var packPool = sync.Pool{New: func() any { return new(Workspace) }}

// Workspace holds Sgemm's packing buffers. The package-level Sgemm and
// Linear borrow one from a sync.Pool (which the garbage collector may
// empty); a caller that must not allocate in steady state keeps its own
// and calls the methods. The zero value is ready; a Workspace is not safe
// for concurrent use.
type Workspace struct{ a, b []float32 }

// grow sizes the buffers for a product with inner size k and n columns.
func (w *Workspace) grow(k, n int) {
	na := mc * min(kc, k)
	nb := min(kc, k) * (min(nc, n) + maxNR)
	if cap(w.a) < na {
		w.a = make([]float32, na)
	}
	if cap(w.b) < nb {
		w.b = make([]float32, nb)
	}
	w.a, w.b = w.a[:cap(w.a)], w.b[:cap(w.b)]
}

// Sgemm is the package-level Sgemm using this workspace's buffers.
func (w *Workspace) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(w, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
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
// A and B are packed into 6-row and 16-column panels and multiplied by a
// 6×16 register-blocked micro-kernel (AVX2/FMA on amd64, Go elsewhere).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	w := packPool.Get().(*Workspace)
	sgemm(w, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	packPool.Put(w)
}

func sgemm(bufs *Workspace, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
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
	bufs.grow(k, n)
	mr, nr := tile()
	threads := int(maxThreads.Load())
	if 2*m*n*k < 1<<21 {
		threads = 1
	}
	for jc := 0; jc < n; jc += nc {
		ncb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kcb := min(kc, k-pc)
			packB(bufs.b, b, transB, ldb, pc, jc, kcb, ncb, nr)
			blocks := (m + mc - 1) / mc
			if threads == 1 || blocks == 1 {
				for ic := 0; ic < m; ic += mc {
					gemmBlock(bufs.a, bufs.b, a, transA, lda, c, ldc, alpha, ic, jc, pc, min(mc, m-ic), kcb, ncb, mr, nr)
				}
				continue
			}
			gemmParallel(min(threads, blocks), blocks, bufs.b, a, transA, lda, c, ldc, alpha, m, jc, pc, kcb, ncb, mr, nr)
		}
	}
}

// gemmParallel shares the row blocks of one packed B block out to
// goroutines, each packing its own A. (A separate function, so that the
// single-goroutine path captures nothing and allocates nothing.)
func gemmParallel(threads, blocks int, pb, a []float32, transA bool, lda int, c []float32, ldc int, alpha float32, m, jc, pc, kcb, ncb, mr, nr int) {
	var next atomic.Int32
	var wg sync.WaitGroup
	for g := 0; g < threads; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := packPool.Get().(*Workspace)
			defer packPool.Put(own)
			own.grow(kcb, ncb)
			for {
				bi := int(next.Add(1)) - 1
				if bi >= blocks {
					return
				}
				ic := bi * mc
				gemmBlock(own.a, pb, a, transA, lda, c, ldc, alpha, ic, jc, pc, min(mc, m-ic), kcb, ncb, mr, nr)
			}
		}()
	}
	wg.Wait()
}

// gemmBlock packs the block op(A)[ic:ic+mcb, pc:pc+kcb] into pa and
// multiplies it by the packed B block pb into C, tile by tile.
func gemmBlock(pa, pb, a []float32, transA bool, lda int, c []float32, ldc int, alpha float32, ic, jc, pc, mcb, kcb, ncb, mr, nr int) {
	packA(pa, a, transA, lda, ic, pc, mcb, kcb, mr)
	var tileBuf [maxMR * maxNR]float32
	for jp := 0; jp*nr < ncb; jp++ {
		bp := pb[jp*kcb*nr:]
		cols := min(nr, ncb-jp*nr)
		for ip := 0; ip*mr < mcb; ip++ {
			ap := pa[ip*kcb*mr:]
			rows := min(mr, mcb-ip*mr)
			c0 := (ic+ip*mr)*ldc + jc + jp*nr
			if rows == mr && cols == nr {
				if !gemmFastTile(mr, nr, kcb, &ap[0], &bp[0], &c[c0], ldc, alpha) {
					gemmTile(kcb, ap, bp, c[c0:], ldc, alpha, mr, nr)
				}
				continue
			}
			// an edge tile: compute into a full tile, add the valid part
			tb := tileBuf[:mr*nr]
			clear(tb)
			if !gemmFastTile(mr, nr, kcb, &ap[0], &bp[0], &tb[0], nr, alpha) {
				gemmTile(kcb, ap, bp, tb, nr, alpha, mr, nr)
			}
			for i := 0; i < rows; i++ {
				cr := c[c0+i*ldc : c0+i*ldc+cols]
				for j := range cr {
					cr[j] += tb[i*nr+j]
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

// packA packs op(A)[ic:ic+mcb, pc:pc+kcb] into panels of mr rows: panel r,
// depth p, row i at dst[(r*kcb+p)*mr+i], zero-padded past mcb.
func packA(dst, a []float32, trans bool, lda, ic, pc, mcb, kcb, mr int) {
	for r := 0; r*mr < mcb; r++ {
		rows := min(mr, mcb-r*mr)
		panel := dst[r*kcb*mr : (r+1)*kcb*mr]
		if rows < mr {
			clear(panel)
		}
		for i := 0; i < rows; i++ {
			row := ic + r*mr + i
			if trans { // column row of the stored k×m matrix
				for p := 0; p < kcb; p++ {
					panel[p*mr+i] = a[(pc+p)*lda+row]
				}
				continue
			}
			src := a[row*lda+pc : row*lda+pc+kcb]
			for p, v := range src {
				panel[p*mr+i] = v
			}
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

// gemmTile is the generic micro-kernel for an mr×nr tile:
//
//	for p < k, i < mr, j < nr: acc[i][j] += a[mr·p+i]·b[nr·p+j]
//	c[i*ldc+j] += alpha·acc[i][j]
func gemmTile(k int, a, b, c []float32, ldc int, alpha float32, mr, nr int) {
	var accBuf [maxMR * maxNR]float32
	acc := accBuf[:mr*nr]
	for p := 0; p < k; p++ {
		ap := a[p*mr : p*mr+mr]
		bp := b[p*nr : p*nr+nr]
		for i, av := range ap {
			row := acc[i*nr : (i+1)*nr]
			for j, bv := range bp {
				row[j] += float32(av * bv)
			}
		}
	}
	for i := 0; i < mr; i++ {
		cr := c[i*ldc : i*ldc+nr]
		for j := range cr {
			cr[j] += alpha * acc[i*nr+j]
		}
	}
}
