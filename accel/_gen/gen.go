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
	expKernel()
	gateKernels()
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

// gate is the state of the gate kernels' generator: the constant table
// (eight copies of each value, so every constant is a YMM memory operand).
type gate struct{ tbl Mem }

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
)

// gateKernels generates the fused GRU and LSTM gate kernels over one row
// of 8-lane blocks: gruRowAVX2 and lstmRowAVX2 compute what GRUGates and
// LSTMGates compute per element, with σ and tanh from the exponential
// below.
func gateKernels() {
	tbl := GLOBL("gateconsts", RODATA|NOPTR)
	vals := []float32{-87, 88, 1.44269504088896341, 0.693359375, -2.12194440e-4,
		1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1, 1, 2}
	for i, v := range vals {
		for l := 0; l < 8; l++ {
			DATA(32*i+4*l, U32(math.Float32bits(v))) // F32 prints integral values as integers
		}
	}
	for l := 0; l < 8; l++ {
		DATA(32*gBias+4*l, U32(127))
	}
	g := gate{tbl: tbl}

	TEXT("gruRowAVX2", NOSPLIT, "func(h, gi, gh *float32, n, hidden int)")
	Pragma("noescape")
	Doc("gruRowAVX2 updates h[j] for j < n (a multiple of 8) from one row's GRU pre-activations gi and gh (3·hidden each, gates r, z, n), as GRUGates.")
	{
		h := Mem{Base: Load(Param("h"), GP64())}
		gi := Mem{Base: Load(Param("gi"), GP64())}
		gh := Mem{Base: Load(Param("gh"), GP64())}
		n := Load(Param("n"), GP64())
		H := Load(Param("hidden"), GP64())
		SHLQ(Imm(2), H) // bytes
		H2 := GP64()
		MOVQ(H, H2)
		SHLQ(Imm(1), H2)
		Label("gru_loop")
		CMPQ(n, Imm(8))
		JL(LabelRef("gru_done"))
		a := YMM()
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
		one := YMM()
		VMOVUPS(g.tbl.Offset(32*gOne), one)
		VSUBPS(z, one, one) // 1 − z
		VMULPS(nn, one, one)
		hv := YMM()
		VMULPS(h, z, hv) // z·h
		VADDPS(hv, one, one)
		VMOVUPS(one, h)
		for _, m := range []Mem{h, gi, gh} {
			ADDQ(Imm(32), m.Base)
		}
		SUBQ(Imm(8), n)
		JMP(LabelRef("gru_loop"))
		Label("gru_done")
		VZEROUPPER()
		RET()
	}

	TEXT("lstmRowAVX2", NOSPLIT, "func(h, c, pre *float32, n, hidden int)")
	Pragma("noescape")
	Doc("lstmRowAVX2 sets h[j] and c[j] for j < n (a multiple of 8) from one row's LSTM pre-activations pre (4·hidden, gates i, f, g, o), as LSTMGates.")
	{
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
		Label("lstm_loop")
		CMPQ(n, Imm(8))
		JL(LabelRef("lstm_done"))
		a := YMM()
		VMOVUPS(gp, a)
		i := g.sigmoid(a)
		VMOVUPS(gp.Idx(H, 1), a)
		f := g.sigmoid(a)
		VMOVUPS(gp.Idx(H2, 1), a)
		gg := g.tanh(a)
		VMOVUPS(gp.Idx(H3, 1), a)
		o := g.sigmoid(a)
		cv := YMM()
		VMULPS(c, f, cv) // f·c
		VMULPS(gg, i, i) // i·g̃
		VADDPS(i, cv, cv)
		VMOVUPS(cv, c)
		tc := g.tanh(cv)
		VMULPS(tc, o, o)
		VMOVUPS(o, h)
		for _, m := range []Mem{h, c} {
			ADDQ(Imm(32), m.Base)
		}
		ADDQ(Imm(32), gp.Base)
		SUBQ(Imm(8), n)
		JMP(LabelRef("lstm_loop"))
		Label("lstm_done")
		VZEROUPPER()
		RET()
	}
}

// exp returns e^x for the lanes of x clamped to [−87, 88] (x itself is
// not changed), with Exp's range reduction and polynomial; a NaN lane
// stays NaN.
func (g gate) exp(x VecVirtual) VecVirtual {
	t, v := YMM(), YMM()
	VMOVUPS(g.tbl.Offset(32*gLo), t)
	VMAXPS(x, t, v) // max(lo, x): the second source (x) when either is NaN
	VMOVUPS(g.tbl.Offset(32*gHi), t)
	VMINPS(v, t, v)
	k := YMM()
	VMULPS(g.tbl.Offset(32*gLog2e), v, k)
	VROUNDPS(Imm(0), k, k)
	VFNMADD231PS(g.tbl.Offset(32*gLn2hi), k, v) // v −= k·ln2hi
	VFNMADD231PS(g.tbl.Offset(32*gLn2lo), k, v)
	p := YMM()
	VMOVUPS(g.tbl.Offset(32*gC0), p)
	for i := 1; i < 7; i++ {
		VFMADD213PS(g.tbl.Offset(32*(gC0+i)), v, p) // p = p·v + c
	}
	VCVTPS2DQ(k, k)
	VPADDD(g.tbl.Offset(32*gBias), k, k)
	VPSLLD(Imm(23), k, k)
	VMULPS(k, p, p)
	return p
}

// sigmoid returns 1/(1 + e^−x) (x is clobbered).
func (g gate) sigmoid(x VecVirtual) VecVirtual {
	z := YMM()
	VXORPS(z, z, z)
	VSUBPS(x, z, x) // −x
	e := g.exp(x)
	one := YMM()
	VMOVUPS(g.tbl.Offset(32*gOne), one)
	VADDPS(one, e, e)
	VDIVPS(e, one, one) // 1/(1+e)
	return one
}

// tanh returns 1 − 2/(e^(2x) + 1) (x is not changed).
func (g gate) tanh(x VecVirtual) VecVirtual {
	t := YMM()
	VADDPS(x, x, t)
	e := g.exp(t)
	VADDPS(g.tbl.Offset(32*gOne), e, e)
	q := YMM()
	VMOVUPS(g.tbl.Offset(32*gTwo), q)
	VDIVPS(e, q, q) // 2/(e+1)
	one := YMM()
	VMOVUPS(g.tbl.Offset(32*gOne), one)
	VSUBPS(q, one, one)
	return one
}
