// Command dequant writes accel's amd64 dequantisation kernels with avo:
//
//	cd accel/_gen && go run ./dequant -out ../dequant_kernels_amd64.s -stubs ../dequant_kernels_amd64.go -pkg accel
//
// (run by `go generate ./accel`). They are kept apart from gen.go's
// kernels so that each set regenerates on its own.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!noasm,gc")
	dequantF16()
	dequantInt8()
	Generate()
}

// dequantF16 converts n (a positive multiple of 8) binary16 values with
// F16C, 32 a step while they last, then 8.
func dequantF16() {
	TEXT("dequantF16AVX2", NOSPLIT, "func(dst *float32, src *uint16, n int)")
	Pragma("noescape")
	Doc("dequantF16AVX2 sets dst[i] = float32(src[i]) for binary16 src and i < n, a positive multiple of 8 (F16C VCVTPH2PS, exact).")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("n"), GP64())
	i := GP64()
	XORQ(i, i)
	n32 := GP64()
	MOVQ(n, n32)
	ANDQ(I32(-32), n32)
	v := []VecVirtual{YMM(), YMM(), YMM(), YMM()}
	Label("f16_x32")
	CMPQ(i, n32)
	JGE(LabelRef("f16_x8"))
	for u := 0; u < 4; u++ {
		VCVTPH2PS(Mem{Base: src, Index: i, Scale: 2, Disp: 16 * u}, v[u])
	}
	for u := 0; u < 4; u++ {
		VMOVUPS(v[u], Mem{Base: dst, Index: i, Scale: 4, Disp: 32 * u})
	}
	ADDQ(Imm(32), i)
	JMP(LabelRef("f16_x32"))
	Label("f16_x8")
	CMPQ(i, n)
	JGE(LabelRef("f16_done"))
	VCVTPH2PS(Mem{Base: src, Index: i, Scale: 2}, v[0])
	VMOVUPS(v[0], Mem{Base: dst, Index: i, Scale: 4})
	ADDQ(Imm(8), i)
	JMP(LabelRef("f16_x8"))
	Label("f16_done")
	VZEROUPPER()
	RET()
}

// dequantInt8 converts rows × cols int8 values (cols a positive multiple
// of 8), multiplying column j by scales[j]: sign-extend 8 bytes to 8
// int32, convert exactly to float32, multiply (rounded once, as the
// generic code rounds scales[j]·float32(q)).
func dequantInt8() {
	TEXT("dequantInt8AVX2", NOSPLIT, "func(dst *float32, src *int8, scales *float32, rows, cols int)")
	Pragma("noescape")
	Doc("dequantInt8AVX2 sets dst[r·cols+j] = scales[j]·float32(src[r·cols+j]) for r < rows, j < cols (a positive multiple of 8).")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	scales := Load(Param("scales"), GP64())
	rows := Load(Param("rows"), GP64())
	cols := Load(Param("cols"), GP64())
	j := GP64()
	v := YMM()
	Label("i8_row")
	TESTQ(rows, rows)
	JE(LabelRef("i8_done"))
	XORQ(j, j)
	Label("i8_col")
	VPMOVSXBD(Mem{Base: src, Index: j, Scale: 1}, v)
	VCVTDQ2PS(v, v)
	VMULPS(Mem{Base: scales, Index: j, Scale: 4}, v, v)
	VMOVUPS(v, Mem{Base: dst, Index: j, Scale: 4})
	ADDQ(Imm(8), j)
	CMPQ(j, cols)
	JL(LabelRef("i8_col"))
	ADDQ(cols, src)
	LEAQ(Mem{Base: dst, Index: cols, Scale: 4}, dst)
	DECQ(rows)
	JMP(LabelRef("i8_row"))
	Label("i8_done")
	VZEROUPPER()
	RET()
}
