// Command dequant writes accel's amd64 dequantisation kernels with avo:
//
//	cd accel/_gen && go run ./dequant -out ../dequant_kernels_amd64.s -stubs ../dequant_kernels_amd64.go -pkg accel
//
// (run by `go generate ./accel`). They are kept apart from gen.go's
// kernels so that each set regenerates on its own.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!noasm,gc")
	dequantF16("dequantF16AVX2", 8, "F16C VCVTPH2PS", func() VecVirtual { return YMM() })
	dequantF16("dequantF16AVX512", 16, "AVX-512 VCVTPH2PS", func() VecVirtual { return ZMM() })
	dequantInt8("dequantInt8AVX2", 8, func() VecVirtual { return YMM() })
	dequantInt8("dequantInt8AVX512", 16, func() VecVirtual { return ZMM() })
	Generate()
}

// dequantF16 converts n (a positive multiple of lanes) binary16 values,
// four vectors a step while they last, then one.
func dequantF16(name string, lanes int, how string, vec func() VecVirtual) {
	TEXT(name, NOSPLIT, "func(dst *float32, src *uint16, n int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets dst[i] = float32(src[i]) for binary16 src and i < n, a positive multiple of %d (%s, exact).", name, lanes, how))
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("n"), GP64())
	i := GP64()
	XORQ(i, i)
	n4 := GP64()
	MOVQ(n, n4)
	ANDQ(I32(-4*lanes), n4)
	v := []VecVirtual{vec(), vec(), vec(), vec()}
	l4, l1, done := name+"_x4", name+"_x1", name+"_done"
	Label(l4)
	CMPQ(i, n4)
	JGE(LabelRef(l1))
	for u := 0; u < 4; u++ {
		VCVTPH2PS(Mem{Base: src, Index: i, Scale: 2, Disp: 2 * lanes * u}, v[u])
	}
	for u := 0; u < 4; u++ {
		VMOVUPS(v[u], Mem{Base: dst, Index: i, Scale: 4, Disp: 4 * lanes * u})
	}
	ADDQ(Imm(uint64(4*lanes)), i)
	JMP(LabelRef(l4))
	Label(l1)
	CMPQ(i, n)
	JGE(LabelRef(done))
	VCVTPH2PS(Mem{Base: src, Index: i, Scale: 2}, v[0])
	VMOVUPS(v[0], Mem{Base: dst, Index: i, Scale: 4})
	ADDQ(Imm(uint64(lanes)), i)
	JMP(LabelRef(l1))
	Label(done)
	VZEROUPPER()
	RET()
}

// dequantInt8 converts rows × cols int8 values (cols a positive multiple
// of lanes), multiplying column j by scales[j]: sign-extend lanes bytes to
// int32, convert exactly to float32, multiply (rounded once, as the
// generic code rounds scales[j]·float32(q)).
func dequantInt8(name string, lanes int, vec func() VecVirtual) {
	TEXT(name, NOSPLIT, "func(dst *float32, src *int8, scales *float32, rows, cols int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets dst[r·cols+j] = scales[j]·float32(src[r·cols+j]) for r < rows, j < cols (a positive multiple of %d).", name, lanes))
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	scales := Load(Param("scales"), GP64())
	rows := Load(Param("rows"), GP64())
	cols := Load(Param("cols"), GP64())
	j := GP64()
	v := vec()
	row, col, done := name+"_row", name+"_col", name+"_done"
	Label(row)
	TESTQ(rows, rows)
	JE(LabelRef(done))
	XORQ(j, j)
	Label(col)
	VPMOVSXBD(Mem{Base: src, Index: j, Scale: 1}, v)
	VCVTDQ2PS(v, v)
	VMULPS(Mem{Base: scales, Index: j, Scale: 4}, v, v)
	VMOVUPS(v, Mem{Base: dst, Index: j, Scale: 4})
	ADDQ(Imm(uint64(lanes)), j)
	CMPQ(j, cols)
	JL(LabelRef(col))
	ADDQ(cols, src)
	LEAQ(Mem{Base: dst, Index: cols, Scale: 4}, dst)
	DECQ(rows)
	JMP(LabelRef(row))
	Label(done)
	VZEROUPPER()
	RET()
}
