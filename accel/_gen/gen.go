// Command gen writes accel's amd64 assembly with avo:
//
//	cd accel/_gen && go run . -out ../kernels_amd64.s -stubs ../kernels_amd64.go -pkg accel
//
// (run by `go generate ./accel`). It lives in its own module so avo never
// becomes a dependency of accel's users.
package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!noasm,gc")
	dot("dotAVX2", 8, func() VecVirtual { return YMM() })
	dot("dotAVX512", 16, func() VecVirtual { return ZMM() })
	// one kernel per row count, so a tile at the bottom edge of C (or a
	// product of fewer rows than the tile) computes only its rows
	for mr := 1; mr <= 6; mr++ {
		gemmKernel(fmt.Sprintf("gemm%dx16AVX2", mr), mr, 2, 8, func() VecVirtual { return YMM() })
	}
	for mr := 1; mr <= 12; mr++ {
		gemmKernel(fmt.Sprintf("gemm%dx32AVX512", mr), mr, 2, 16, func() VecVirtual { return ZMM() })
	}
	gemmKernel("gemm6x64AVX512", 6, 4, 16, func() VecVirtual { return ZMM() })
	// the same tiles reading A in place (row stride lda), without packing
	for mr := 1; mr <= 6; mr++ {
		gemmKernelA(fmt.Sprintf("gemm%dx16AVX2A", mr), mr, 2, 8, func() VecVirtual { return YMM() })
	}
	for mr := 1; mr <= 12; mr++ {
		gemmKernelA(fmt.Sprintf("gemm%dx32AVX512A", mr), mr, 2, 16, func() VecVirtual { return ZMM() })
	}
	expKernel()
	gateKernels()
	softmaxKernels()
	rowKernels()
	for _, accs := range []int{4, 8, 12, 24} {
		fmaPeak(fmt.Sprintf("fmaPeakAVX512x%d", accs), func() VecVirtual { return ZMM() }, 16, accs)
		fmaPeak(fmt.Sprintf("fmaPeakAVX2x%d", accs), func() VecVirtual { return YMM() }, 8, accs)
	}
	Generate()
}

// fmaPeak generates a loop of n iterations of 24 FMAs on registers only,
// spread over accs independent accumulators (each FMA adds x·y to one of
// them, x and y being two other registers): with accs at least the FMA
// latency times the FMA ports, the loop is throughput-bound and measures
// the core's FMA peak; fewer accumulators show the latency bound.
func fmaPeak(name string, vec func() VecVirtual, lanes, accs int) {
	TEXT(name, NOSPLIT, "func(n int)")
	Doc(fmt.Sprintf("%s runs n×24 %d-lane FMAs into %d independent accumulators on registers (a throughput probe).", name, lanes, accs))
	n := Load(Param("n"), GP64())
	acc := make([]VecVirtual, accs)
	x, y := vec(), vec()
	zero(x, lanes)
	zero(y, lanes)
	for i := range acc {
		acc[i] = vec()
		zero(acc[i], lanes)
	}
	Label(name + "_loop")
	CMPQ(n, Imm(0))
	JE(LabelRef(name + "_done"))
	for i := 0; i < 24; i++ {
		VFMADD231PS(x, y, acc[i%accs])
	}
	DECQ(n)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// zero clears a vector register (VPXORD for ZMM, which has no VXORPS form here).
func zero(v VecVirtual, lanes int) {
	if lanes == 16 {
		VPXORD(v, v, v)
	} else {
		VXORPS(v, v, v)
	}
}

// dot generates func(x, y []float32) float32 with 4 vector accumulators of
// `lanes` floats, a one-vector loop, and a scalar FMA tail.
func dot(name string, lanes int, vec func() VecVirtual) {
	TEXT(name, NOSPLIT, "func(x, y []float32) float32")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s returns Σ x[i]·y[i] with %d-lane FMA accumulators; len(y) >= len(x).", name, lanes))
	x := Mem{Base: Load(Param("x").Base(), GP64())}
	y := Mem{Base: Load(Param("y").Base(), GP64())}
	n := Load(Param("x").Len(), GP64())
	width := 4 * lanes // bytes per vector
	var acc [4]VecVirtual
	for i := range acc {
		acc[i] = vec()
		zero(acc[i], lanes)
	}
	Label(name + "_loop4")
	CMPQ(n, Imm(uint64(4*lanes)))
	JL(LabelRef(name + "_loop1"))
	for i := range acc {
		t := vec()
		VMOVUPS(x.Offset(i*width), t)
		VFMADD231PS(y.Offset(i*width), t, acc[i])
	}
	ADDQ(U32(4*width), x.Base)
	ADDQ(U32(4*width), y.Base)
	SUBQ(Imm(uint64(4*lanes)), n)
	JMP(LabelRef(name + "_loop4"))

	Label(name + "_loop1")
	CMPQ(n, Imm(uint64(lanes)))
	JL(LabelRef(name + "_reduce"))
	t := vec()
	VMOVUPS(x, t)
	VFMADD231PS(y, t, acc[0])
	ADDQ(U32(width), x.Base)
	ADDQ(U32(width), y.Base)
	SUBQ(Imm(uint64(lanes)), n)
	JMP(LabelRef(name + "_loop1"))

	Label(name + "_reduce")
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	y0 := acc[0].AsY()
	if lanes == 16 {
		hi := YMM()
		VEXTRACTF64X4(Imm(1), acc[0], hi)
		VADDPS(hi, y0, y0)
	}
	x0 := acc[0].AsX()
	hx := XMM()
	VEXTRACTF128(Imm(1), y0, hx)
	VADDPS(hx, x0, x0)
	VHADDPS(x0, x0, x0)
	VHADDPS(x0, x0, x0)

	Label(name + "_tail")
	CMPQ(n, Imm(0))
	JE(LabelRef(name + "_done"))
	s := XMM()
	VMOVSS(x, s)
	VFMADD231SS(y, s, x0)
	ADDQ(Imm(4), x.Base)
	ADDQ(Imm(4), y.Base)
	DECQ(n)
	JMP(LabelRef(name + "_tail"))

	Label(name + "_done")
	VZEROUPPER()
	Store(x0, ReturnIndex(0))
	RET()
}

// gemmKernel generates a register-blocked micro-kernel over packed
// panels: for p < k: acc[i][j] += a[mr·p+i]·b[nr·p+j]; then
// c[i·ldc+j] += alpha·acc[i][j], with nr = vecs·lanes.
func gemmKernel(name string, mr, vecs, lanes int, vec func() VecVirtual) {
	nr := vecs * lanes
	TEXT(name, NOSPLIT, "func(k int, a, b, c *float32, ldc int, alpha float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s adds alpha·A·B to the %d×%d tile at c (row stride ldc floats), A and B packed as %d- and %d-wide panels of depth k.", name, mr, nr, mr, nr))
	k := Load(Param("k"), GP64())
	a := Mem{Base: Load(Param("a"), GP64())}
	b := Mem{Base: Load(Param("b"), GP64())}
	acc := make([][]VecVirtual, mr)
	for i := range acc {
		acc[i] = make([]VecVirtual, vecs)
		for j := range acc[i] {
			acc[i][j] = vec()
			zero(acc[i][j], lanes)
		}
	}
	Label(name + "_loop")
	CMPQ(k, Imm(0))
	JE(LabelRef(name + "_store"))
	bv := make([]VecVirtual, vecs)
	for j := range bv {
		bv[j] = vec()
		VMOVUPS(b.Offset(4*lanes*j), bv[j])
	}
	for i := 0; i < mr; i++ {
		t := vec()
		VBROADCASTSS(a.Offset(4*i), t)
		for j := range bv {
			VFMADD231PS(bv[j], t, acc[i][j])
		}
	}
	ADDQ(U32(4*mr), a.Base)
	ADDQ(U32(4*nr), b.Base)
	DECQ(k)
	JMP(LabelRef(name + "_loop"))

	Label(name + "_store")
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(Imm(2), ldc)
	al := vec()
	alpha, err := Param("alpha").Resolve()
	if err != nil {
		panic(err)
	}
	VBROADCASTSS(alpha.Addr, al) // from memory: a register load could land in X16+, which SSE cannot address
	for i := 0; i < mr; i++ {
		for j := 0; j < vecs; j++ {
			t := vec()
			VMOVUPS(Mem{Base: c, Disp: 4 * lanes * j}, t)
			VFMADD231PS(acc[i][j], al, t)
			VMOVUPS(t, Mem{Base: c, Disp: 4 * lanes * j})
		}
		ADDQ(ldc, c)
	}
	VZEROUPPER()
	RET()
}

// gemmKernelA generates gemmKernel's tile with A read in place: row i of
// the tile at a + i·lda floats, depth p at +p, for A stored row-major (so
// a product needs no packing of A).
func gemmKernelA(name string, mr, vecs, lanes int, vec func() VecVirtual) {
	nr := vecs * lanes
	TEXT(name, NOSPLIT, "func(k int, a *float32, lda int, b, c *float32, ldc int, alpha float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s adds alpha·A·B to the %d×%d tile at c (row stride ldc floats), A in place (row stride lda floats) and B packed as %d-wide panels of depth k.", name, mr, nr, mr, nr, nr))
	k := Load(Param("k"), GP64())
	lda := Load(Param("lda"), GP64())
	SHLQ(Imm(2), lda) // bytes
	idx := []Register{nil, lda}
	if mr > 2 {
		l2 := GP64()
		LEAQ(Mem{Base: lda, Index: lda, Scale: 1}, l2)
		idx = append(idx, l2)
	}
	if mr > 3 {
		l3 := GP64()
		LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, l3)
		idx = append(idx, l3)
	}
	var bases []Register
	for r := 0; r*4 < mr; r++ {
		base := GP64()
		if r == 0 {
			Load(Param("a"), base)
		} else {
			LEAQ(Mem{Base: bases[r-1], Index: lda, Scale: 4}, base)
		}
		bases = append(bases, base)
	}
	row := func(i int) Mem {
		m := Mem{Base: bases[i/4]}
		if i%4 > 0 {
			m.Index, m.Scale = idx[i%4], 1
		}
		return m
	}
	b := Mem{Base: Load(Param("b"), GP64())}
	acc := make([][]VecVirtual, mr)
	for i := range acc {
		acc[i] = make([]VecVirtual, vecs)
		for j := range acc[i] {
			acc[i][j] = vec()
			zero(acc[i][j], lanes)
		}
	}
	Label(name + "_loop")
	CMPQ(k, Imm(0))
	JE(LabelRef(name + "_store"))
	bv := make([]VecVirtual, vecs)
	for j := range bv {
		bv[j] = vec()
		VMOVUPS(b.Offset(4*lanes*j), bv[j])
	}
	for i := 0; i < mr; i++ {
		t := vec()
		VBROADCASTSS(row(i), t)
		for j := range bv {
			VFMADD231PS(bv[j], t, acc[i][j])
		}
	}
	for _, base := range bases {
		ADDQ(Imm(4), base)
	}
	ADDQ(U32(4*nr), b.Base)
	DECQ(k)
	JMP(LabelRef(name + "_loop"))

	Label(name + "_store")
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(Imm(2), ldc)
	al := vec()
	alpha, err := Param("alpha").Resolve()
	if err != nil {
		panic(err)
	}
	VBROADCASTSS(alpha.Addr, al)
	for i := 0; i < mr; i++ {
		for j := 0; j < vecs; j++ {
			t := vec()
			VMOVUPS(Mem{Base: c, Disp: 4 * lanes * j}, t)
			VFMADD231PS(acc[i][j], al, t)
			VMOVUPS(t, Mem{Base: c, Disp: 4 * lanes * j})
		}
		ADDQ(ldc, c)
	}
	VZEROUPPER()
	RET()
}

// expKernel generates expAVX2(dst, x *float32, n int) int: e^x for blocks of
// 8 whose lanes all lie in [−87, 88] (normal results, no overflow), with the
// same range reduction and degree-6 polynomial as the generic Exp. It stops
// at the first block with a lane outside the range (or NaN) and returns how
// many elements it wrote, leaving the rest to the generic code.
func expKernel() {
	TEXT("expAVX2", NOSPLIT, "func(dst, x *float32, n int) int")
	Pragma("noescape")
	Doc("expAVX2 writes e^x[i] for whole blocks of 8 in range; it returns the count written (see Exp).")
	dst := Mem{Base: Load(Param("dst"), GP64())}
	x := Mem{Base: Load(Param("x"), GP64())}
	n := Load(Param("n"), GP64())
	done := GP64()
	XORQ(done, done)
	cst := func(v float32) VecVirtual {
		r := YMM()
		g := GP32()
		MOVL(U32(math.Float32bits(v)), g)
		t := XMM()
		MOVD(g, t)
		VBROADCASTSS(t, r)
		return r
	}
	lo, hi := cst(-87), cst(88)
	log2e, ln2hi, ln2lo := cst(1.44269504088896341), cst(0.693359375), cst(-2.12194440e-4)
	coef := []VecVirtual{cst(1.0 / 720), cst(1.0 / 120), cst(1.0 / 24), cst(1.0 / 6), cst(0.5), cst(1), cst(1)}
	bias := YMM()
	g := GP32()
	MOVL(U32(127), g)
	bt := XMM()
	MOVD(g, bt)
	VPBROADCASTD(bt, bias)

	Label("exp_loop")
	CMPQ(n, Imm(8))
	JL(LabelRef("exp_done"))
	v := YMM()
	VMOVUPS(x, v)
	// all lanes in [lo, hi]? (NaN compares false)
	m1, m2 := YMM(), YMM()
	VCMPPS(Imm(0x1d), lo, v, m1) // v >= lo (GE_OQ)
	VCMPPS(Imm(0x12), hi, v, m2) // v <= hi (LE_OQ)
	VANDPS(m2, m1, m1)
	mask := GP32()
	VMOVMSKPS(m1, mask)
	CMPL(mask, U32(0xff))
	JNE(LabelRef("exp_done"))
	k := YMM()
	VMULPS(log2e, v, k)
	VROUNDPS(Imm(0), k, k) // to nearest
	r := YMM()
	VMOVAPS(v, r)
	VFNMADD231PS(ln2hi, k, r) // r -= k·ln2hi
	VFNMADD231PS(ln2lo, k, r) // r -= k·ln2lo
	p := YMM()
	VMOVAPS(coef[0], p)
	for _, c := range coef[1:] {
		VFMADD213PS(c, r, p) // p = p·r + c
	}
	ki := YMM()
	VCVTPS2DQ(k, ki)
	VPADDD(bias, ki, ki)
	VPSLLD(Imm(23), ki, ki)
	VMULPS(ki, p, p)
	VMOVUPS(p, dst)
	ADDQ(U32(32), x.Base)
	ADDQ(U32(32), dst.Base)
	SUBQ(Imm(8), n)
	ADDQ(Imm(8), done)
	JMP(LabelRef("exp_loop"))

	Label("exp_done")
	VZEROUPPER()
	Store(done, ReturnIndex(0))
	RET()
}

// gateTable is the constant table of the gate and softmax kernels.
var gateTable Mem

// gate generates vector code with the gate kernels' constant table
// (sixteen copies of each value in rows of 64 bytes, so every constant is
// a YMM or ZMM memory operand) for one register width.
type gate struct {
	tbl   Mem
	vec   func() VecVirtual
	lanes int
}

// gate constant rows, in table order
const (
	gLo = iota
	gHi
	gLog2e
	gLn2hi
	gLn2lo
	gC0   // the polynomial, highest degree first (7 rows)
	gOne  = gC0 + 7
	gTwo  = gOne + 1
	gBias = gTwo + 1 // int32 127, the exponent bias
	gRow  = 64       // bytes per row
)

func (g gate) c(row int) Mem { return g.tbl.Offset(gRow * row) }

// gateKernels generates the fused GRU and LSTM gate kernels over one row
// of 8-lane (AVX2) or 16-lane (AVX-512) blocks: gruRow* and lstmRow*
// compute what GRUGates and LSTMGates compute per element, with σ and
// tanh from the exponential below.
func gateKernels() {
	tbl := GLOBL("gateconsts", RODATA|NOPTR)
	vals := []float32{-87, 88, 1.44269504088896341, 0.693359375, -2.12194440e-4,
		1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1, 1, 2}
	for i, v := range vals {
		for l := 0; l < 16; l++ {
			DATA(gRow*i+4*l, U32(math.Float32bits(v))) // F32 prints integral values as integers
		}
	}
	for l := 0; l < 16; l++ {
		DATA(gRow*gBias+4*l, U32(127))
	}
	gateTable = tbl
	for _, g := range []gate{{tbl, func() VecVirtual { return YMM() }, 8}, {tbl, func() VecVirtual { return ZMM() }, 16}} {
		g.gruRow()
		g.lstmRow()
	}
}

func (g gate) suffix() string {
	if g.lanes == 16 {
		return "AVX512"
	}
	return "AVX2"
}

func (g gate) gruRow() {
	name := "gruRow" + g.suffix()
	TEXT(name, NOSPLIT, "func(h, gi, gh *float32, n, hidden int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s updates h[j] for j < n (a multiple of %d) from one row's GRU pre-activations gi and gh (3·hidden each, gates r, z, n), as GRUGates.", name, g.lanes))
	h := Mem{Base: Load(Param("h"), GP64())}
	gi := Mem{Base: Load(Param("gi"), GP64())}
	gh := Mem{Base: Load(Param("gh"), GP64())}
	n := Load(Param("n"), GP64())
	H := Load(Param("hidden"), GP64())
	SHLQ(Imm(2), H) // bytes
	H2 := GP64()
	MOVQ(H, H2)
	SHLQ(Imm(1), H2)
	Label(name + "_loop")
	CMPQ(n, Imm(uint64(g.lanes)))
	JL(LabelRef(name + "_done"))
	a := g.vec()
	VMOVUPS(gi, a)
	VADDPS(gh, a, a)
	r := g.sigmoid(a)
	VMOVUPS(gi.Idx(H, 1), a)
	VADDPS(gh.Idx(H, 1), a, a)
	z := g.sigmoid(a)
	VMOVUPS(gh.Idx(H2, 1), a)
	VMULPS(r, a, a)
	VADDPS(gi.Idx(H2, 1), a, a)
	nn := g.tanh(a)
	one := g.vec()
	VMOVUPS(g.c(gOne), one)
	VSUBPS(z, one, one) // 1 − z
	VMULPS(nn, one, one)
	hv := g.vec()
	VMULPS(h, z, hv) // z·h
	VADDPS(hv, one, one)
	VMOVUPS(one, h)
	for _, m := range []Mem{h, gi, gh} {
		ADDQ(Imm(uint64(4*g.lanes)), m.Base)
	}
	SUBQ(Imm(uint64(g.lanes)), n)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

func (g gate) lstmRow() {
	name := "lstmRow" + g.suffix()
	TEXT(name, NOSPLIT, "func(h, c, pre *float32, n, hidden int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets h[j] and c[j] for j < n (a multiple of %d) from one row's LSTM pre-activations pre (4·hidden, gates i, f, g, o), as LSTMGates.", name, g.lanes))
	h := Mem{Base: Load(Param("h"), GP64())}
	c := Mem{Base: Load(Param("c"), GP64())}
	gp := Mem{Base: Load(Param("pre"), GP64())}
	n := Load(Param("n"), GP64())
	H := Load(Param("hidden"), GP64())
	SHLQ(Imm(2), H)
	H2, H3 := GP64(), GP64()
	MOVQ(H, H2)
	SHLQ(Imm(1), H2)
	MOVQ(H2, H3)
	ADDQ(H, H3)
	Label(name + "_loop")
	CMPQ(n, Imm(uint64(g.lanes)))
	JL(LabelRef(name + "_done"))
	a := g.vec()
	VMOVUPS(gp, a)
	i := g.sigmoid(a)
	VMOVUPS(gp.Idx(H, 1), a)
	f := g.sigmoid(a)
	VMOVUPS(gp.Idx(H2, 1), a)
	gg := g.tanh(a)
	VMOVUPS(gp.Idx(H3, 1), a)
	o := g.sigmoid(a)
	cv := g.vec()
	VMULPS(c, f, cv) // f·c
	VMULPS(gg, i, i) // i·g̃
	VADDPS(i, cv, cv)
	VMOVUPS(cv, c)
	tc := g.tanh(cv)
	VMULPS(tc, o, o)
	VMOVUPS(o, h)
	for _, m := range []Mem{h, c, gp} {
		ADDQ(Imm(uint64(4*g.lanes)), m.Base)
	}
	SUBQ(Imm(uint64(g.lanes)), n)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// exp returns e^x for the lanes of x clamped to [−87, 88] (x itself is
// not changed), with Exp's range reduction and polynomial; a NaN lane
// stays NaN.
func (g gate) exp(x VecVirtual) VecVirtual {
	t, v := g.vec(), g.vec()
	VMOVUPS(g.c(gLo), t)
	VMAXPS(x, t, v) // max(lo, x): the second source (x) when either is NaN
	VMOVUPS(g.c(gHi), t)
	VMINPS(v, t, v)
	k := g.vec()
	VMULPS(g.c(gLog2e), v, k)
	if g.lanes == 16 {
		VRNDSCALEPS(Imm(0), k, k) // to nearest
	} else {
		VROUNDPS(Imm(0), k, k)
	}
	VFNMADD231PS(g.c(gLn2hi), k, v) // v −= k·ln2hi
	VFNMADD231PS(g.c(gLn2lo), k, v)
	p := g.vec()
	VMOVUPS(g.c(gC0), p)
	for i := 1; i < 7; i++ {
		VFMADD213PS(g.c(gC0+i), v, p) // p = p·v + c
	}
	VCVTPS2DQ(k, k)
	VPADDD(g.c(gBias), k, k)
	VPSLLD(Imm(23), k, k)
	VMULPS(k, p, p)
	return p
}

// sigmoid returns 1/(1 + e^−x) (x is clobbered).
func (g gate) sigmoid(x VecVirtual) VecVirtual {
	z := g.vec()
	zero(z, g.lanes)
	VSUBPS(x, z, x) // −x
	e := g.exp(x)
	one := g.vec()
	VMOVUPS(g.c(gOne), one)
	VADDPS(one, e, e)
	VDIVPS(e, one, one) // 1/(1+e)
	return one
}

// tanh returns 1 − 2/(e^(2x) + 1) (x is not changed).
func (g gate) tanh(x VecVirtual) VecVirtual {
	t := g.vec()
	VADDPS(x, x, t)
	e := g.exp(t)
	VADDPS(g.c(gOne), e, e)
	q := g.vec()
	VMOVUPS(g.c(gTwo), q)
	VDIVPS(e, q, q) // 2/(e+1)
	one := g.vec()
	VMOVUPS(g.c(gOne), one)
	VSUBPS(q, one, one)
	return one
}

// softmaxKernels generates the two passes of an attention row's softmax
// over 8-lane blocks: maxAVX2 (the maximum) and expShiftSumAVX2 (x[i] =
// e^(x[i]−shift) with the gate kernels' exponential, and the sum).
func softmaxKernels() {
	g := gate{tbl: gateTable, vec: func() VecVirtual { return YMM() }, lanes: 8} // gateKernels runs first and declares the table

	TEXT("maxAVX2", NOSPLIT, "func(x *float32, n int) float32")
	Pragma("noescape")
	Doc("maxAVX2 returns the maximum of x[:n], n a positive multiple of 8 (x holds no NaN).")
	{
		x := Mem{Base: Load(Param("x"), GP64())}
		n := Load(Param("n"), GP64())
		m := YMM()
		VMOVUPS(x, m)
		ADDQ(Imm(32), x.Base)
		SUBQ(Imm(8), n)
		Label("max_loop")
		CMPQ(n, Imm(0))
		JE(LabelRef("max_reduce"))
		t := YMM()
		VMOVUPS(x, t)
		VMAXPS(t, m, m) // max(m, t): t when either is NaN
		ADDQ(Imm(32), x.Base)
		SUBQ(Imm(8), n)
		JMP(LabelRef("max_loop"))
		Label("max_reduce")
		hi := XMM()
		VEXTRACTF128(Imm(1), m, hi)
		lo := m.AsX()
		VMAXPS(hi, lo, lo)
		t2 := XMM()
		VPERMILPS(Imm(0x4e), lo, t2)
		VMAXPS(t2, lo, lo)
		VPERMILPS(Imm(0xb1), lo, t2)
		VMAXPS(t2, lo, lo)
		VZEROUPPER()
		Store(lo, ReturnIndex(0))
		RET()
	}

	TEXT("expShiftSumAVX2", NOSPLIT, "func(x *float32, n int, shift float32) float32")
	Pragma("noescape")
	Doc("expShiftSumAVX2 sets x[i] = e^(x[i]−shift) for i < n (a multiple of 8) and returns their sum (eight lanes, then pairwise).")
	{
		x := Mem{Base: Load(Param("x"), GP64())}
		n := Load(Param("n"), GP64())
		sh := YMM()
		shift, err := Param("shift").Resolve()
		if err != nil {
			panic(err)
		}
		VBROADCASTSS(shift.Addr, sh)
		sum := YMM()
		VXORPS(sum, sum, sum)
		Label("es_loop")
		CMPQ(n, Imm(0))
		JE(LabelRef("es_reduce"))
		v := YMM()
		VMOVUPS(x, v)
		VSUBPS(sh, v, v)
		e := g.exp(v)
		VMOVUPS(e, x)
		VADDPS(e, sum, sum)
		ADDQ(Imm(32), x.Base)
		SUBQ(Imm(8), n)
		JMP(LabelRef("es_loop"))
		Label("es_reduce")
		hi := XMM()
		VEXTRACTF128(Imm(1), sum, hi)
		lo := sum.AsX()
		VADDPS(hi, lo, lo)
		VHADDPS(lo, lo, lo)
		VHADDPS(lo, lo, lo)
		VZEROUPPER()
		Store(lo, ReturnIndex(0))
		RET()
	}
}

// rowKernels generates the row-wise kernels of the transformer blocks
// over 8-lane blocks: the residual LayerNorm, ReLU, and the two steps of
// WAY's channel-attention pooling (per-segment mean and maximum, then the
// weighted maximum over four channels).
func rowKernels() {
	TEXT("addLayerNormAVX2", NOSPLIT, "func(dst, x, y, w, b *float32, n int, eps float32)")
	Pragma("noescape")
	Doc("addLayerNormAVX2 sets dst = LN(x + y)·w + b over n elements (a positive multiple of 8), mean and variance in float32 (8 lanes, then pairwise); dst may be x or y.")
	{
		dst := Load(Param("dst"), GP64())
		x := Load(Param("x"), GP64())
		y := Load(Param("y"), GP64())
		w := Load(Param("w"), GP64())
		b := Load(Param("b"), GP64())
		n := Load(Param("n"), GP64())
		i := GP64()
		sum := YMM()
		VXORPS(sum, sum, sum)
		XORQ(i, i)
		Label("ln_sum")
		t := YMM()
		VMOVUPS(Mem{Base: x, Index: i, Scale: 4}, t)
		VADDPS(Mem{Base: y, Index: i, Scale: 4}, t, t)
		VMOVUPS(t, Mem{Base: dst, Index: i, Scale: 4})
		VADDPS(t, sum, sum)
		ADDQ(Imm(8), i)
		CMPQ(i, n)
		JL(LabelRef("ln_sum"))
		mean := hsum(sum)
		nf := XMM()
		VXORPS(nf, nf, nf)
		VCVTSI2SSQ(n, nf, nf)
		VDIVSS(nf, mean, mean)
		mv := YMM()
		VBROADCASTSS(mean, mv)
		vs := YMM()
		VXORPS(vs, vs, vs)
		XORQ(i, i)
		Label("ln_var")
		d := YMM()
		VMOVUPS(Mem{Base: dst, Index: i, Scale: 4}, d)
		VSUBPS(mv, d, d)
		VFMADD231PS(d, d, vs)
		ADDQ(Imm(8), i)
		CMPQ(i, n)
		JL(LabelRef("ln_var"))
		vr := hsum(vs)
		VDIVSS(nf, vr, vr)
		eps, err := Param("eps").Resolve()
		if err != nil {
			panic(err)
		}
		VADDSS(eps.Addr, vr, vr)
		VSQRTSS(vr, vr, vr)
		one := XMM()
		g := GP32()
		MOVL(U32(math.Float32bits(1)), g)
		VMOVD(g, one)
		VDIVSS(vr, one, one) // 1/√(var+eps)
		inv := YMM()
		VBROADCASTSS(one, inv)
		XORQ(i, i)
		Label("ln_out")
		o := YMM()
		VMOVUPS(Mem{Base: dst, Index: i, Scale: 4}, o)
		VSUBPS(mv, o, o)
		VMULPS(inv, o, o)
		VMULPS(Mem{Base: w, Index: i, Scale: 4}, o, o)
		VADDPS(Mem{Base: b, Index: i, Scale: 4}, o, o)
		VMOVUPS(o, Mem{Base: dst, Index: i, Scale: 4})
		ADDQ(Imm(8), i)
		CMPQ(i, n)
		JL(LabelRef("ln_out"))
		VZEROUPPER()
		RET()
	}

	TEXT("reluAVX2", NOSPLIT, "func(x *float32, n int)")
	Pragma("noescape")
	Doc("reluAVX2 sets x[i] = max(x[i], 0) for i < n (a multiple of 8); NaN stays NaN.")
	{
		x := Mem{Base: Load(Param("x"), GP64())}
		n := Load(Param("n"), GP64())
		z := YMM()
		VXORPS(z, z, z)
		Label("relu_loop")
		CMPQ(n, Imm(0))
		JE(LabelRef("relu_done"))
		v := YMM()
		VMOVUPS(x, v)
		VMAXPS(v, z, v) // max(0, v): v when NaN
		VMOVUPS(v, x)
		ADDQ(Imm(32), x.Base)
		SUBQ(Imm(8), n)
		JMP(LabelRef("relu_loop"))
		Label("relu_done")
		VZEROUPPER()
		RET()
	}

	TEXT("segMeanMaxAVX2", NOSPLIT, "func(x *float32, seg, nseg int, mean, mx *float32)")
	Pragma("noescape")
	Doc("segMeanMaxAVX2 writes the mean and the maximum of each of nseg consecutive segments of x of seg elements (a positive multiple of 8) to mean[s] and mx[s].")
	{
		x := Mem{Base: Load(Param("x"), GP64())}
		seg := Load(Param("seg"), GP64())
		nseg := Load(Param("nseg"), GP64())
		mean := Mem{Base: Load(Param("mean"), GP64())}
		mx := Mem{Base: Load(Param("mx"), GP64())}
		nf := XMM()
		VXORPS(nf, nf, nf)
		VCVTSI2SSQ(seg, nf, nf)
		Label("seg_next")
		CMPQ(nseg, Imm(0))
		JE(LabelRef("seg_done"))
		s, m := YMM(), YMM()
		VMOVUPS(x, s)
		VMOVUPS(x, m)
		ADDQ(Imm(32), x.Base)
		j := GP64()
		MOVQ(seg, j)
		SUBQ(Imm(8), j)
		Label("seg_loop")
		CMPQ(j, Imm(0))
		JE(LabelRef("seg_reduce"))
		t := YMM()
		VMOVUPS(x, t)
		VADDPS(t, s, s)
		VMAXPS(t, m, m)
		ADDQ(Imm(32), x.Base)
		SUBQ(Imm(8), j)
		JMP(LabelRef("seg_loop"))
		Label("seg_reduce")
		sv := hsum(s)
		VDIVSS(nf, sv, sv)
		VMOVSS(sv, mean)
		hi := XMM()
		VEXTRACTF128(Imm(1), m, hi)
		lo := m.AsX()
		VMAXPS(hi, lo, lo)
		t2 := XMM()
		VPERMILPS(Imm(0x4e), lo, t2)
		VMAXPS(t2, lo, lo)
		VPERMILPS(Imm(0xb1), lo, t2)
		VMAXPS(t2, lo, lo)
		VMOVSS(lo, mx)
		ADDQ(Imm(4), mean.Base)
		ADDQ(Imm(4), mx.Base)
		DECQ(nseg)
		JMP(LabelRef("seg_next"))
		Label("seg_done")
		VZEROUPPER()
		RET()
	}

	TEXT("chanMax4AVX2", NOSPLIT, "func(dst, u *float32, stride int, a *[4]float32, n int)")
	Pragma("noescape")
	Doc("chanMax4AVX2 sets dst[j] = max_c a[c]·u[c·stride+j] over four channels for j < n (a multiple of 8).")
	{
		dst := Mem{Base: Load(Param("dst"), GP64())}
		u := Load(Param("u"), GP64())
		stride := Load(Param("stride"), GP64())
		SHLQ(Imm(2), stride)
		s2, s3 := GP64(), GP64()
		LEAQ(Mem{Base: stride, Index: stride, Scale: 1}, s2)
		LEAQ(Mem{Base: stride, Index: stride, Scale: 2}, s3)
		a := Load(Param("a"), GP64())
		n := Load(Param("n"), GP64())
		var av [4]VecVirtual
		for c := range av {
			av[c] = YMM()
			VBROADCASTSS(Mem{Base: a, Disp: 4 * c}, av[c])
		}
		Label("cm_loop")
		CMPQ(n, Imm(0))
		JE(LabelRef("cm_done"))
		v := YMM()
		VMULPS(Mem{Base: u}, av[0], v)
		for c, idx := range []Register{stride, s2, s3} {
			t := YMM()
			VMULPS(Mem{Base: u, Index: idx, Scale: 1}, av[c+1], t)
			VMAXPS(t, v, v)
		}
		VMOVUPS(v, dst)
		ADDQ(Imm(32), u)
		ADDQ(Imm(32), dst.Base)
		SUBQ(Imm(8), n)
		JMP(LabelRef("cm_loop"))
		Label("cm_done")
		VZEROUPPER()
		RET()
	}
}

// hsum returns the sum of a YMM's eight lanes in the low lane of an XMM:
// (l0+l4, l1+l5, l2+l6, l3+l7) then pairwise.
func hsum(v VecVirtual) VecVirtual {
	hi := XMM()
	VEXTRACTF128(Imm(1), v, hi)
	lo := XMM()
	VADDPS(hi, v.AsX(), lo)
	VHADDPS(lo, lo, lo)
	VHADDPS(lo, lo, lo)
	return lo
}
