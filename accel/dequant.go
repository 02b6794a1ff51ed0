package accel

import "math"

// compactPanels holds the panels of a PackedB in f16 or int8, laid out as
// the f32 panels would be (packPanels): a product dequantises one kc×nr
// panel at a time into its workspace's panel buffer, so only that buffer
// (at most kc·maxNR floats, 32 KiB) is ever f32.
type compactPanels struct {
	f16    [][]uint16 // PackBF16: jc-block × pc-block panels
	i8     [][]int8   // PackBInt8: the same, with
	scales []float32  // the scale of each column of op(B), zero past n up to whole panels
}

func (c *compactPanels) bytes() int {
	n := 4 * len(c.scales)
	for _, b := range c.f16 {
		n += 2 * len(b)
	}
	for _, b := range c.i8 {
		n += len(b)
	}
	return n
}

// panel dequantises the first kcb rows of panel jp of block blk (columns
// jc+jp·nr.. of op(B); panels of depth bstride) into pd and returns it.
func (c *compactPanels) panel(pd []float32, blk, jc, jp, bstride, kcb, nr int) []float32 {
	off, n := jp*bstride*nr, kcb*nr
	dst := pd[:n]
	if c.f16 != nil {
		DequantF16(dst, c.f16[blk][off:off+n])
		return dst
	}
	col := jc + jp*nr
	DequantInt8(dst, c.i8[blk][off:off+n], c.scales[col:col+nr])
	return dst
}

// panelBuf returns the workspace's buffer for one dequantised panel when
// the product's B is compact (nil otherwise).
func (w *Workspace) panelBuf(g *gemm) []float32 {
	if g.q == nil {
		return nil
	}
	if cap(w.pd) < kc*maxNR {
		w.pd = make([]float32, kc*maxNR)
	}
	return w.pd[:kc*maxNR]
}

// DequantF16 converts IEEE 754 binary16 bits to float32, exactly:
//
//	for i := range dst { dst[i] = F16ToF32(src[i]) }
//
// (F16C on amd64, FCVTL on arm64; a dequantising product's panels.)
func DequantF16(dst []float32, src []uint16) {
	if len(dst) != len(src) {
		panic(badLength)
	}
	i := dequantF16Fast(dst, src)
	for ; i < len(src); i++ {
		dst[i] = f16ToF32(src[i])
	}
}

// f16ToF32 is F16ToF32 in a few integer operations (1.3–1.8× faster in
// the generic code, which WebAssembly and riscv64 run): a half's exponent and
// mantissa shifted into a float32's and its exponent rebiased by 112, or
// by 224 for infinities and NaNs (exponent 31 becomes 255); a subnormal
// half is its mantissa times 2⁻²⁴, exactly.
func f16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	if h&0x7c00 == 0 {
		return math.Float32frombits(math.Float32bits(float32(h&0x3ff)*0x1p-24) | sign)
	}
	e := uint32(h) & 0x7c00
	special := (e + 0x400) >> 15 // 1 for exponent 31
	return math.Float32frombits(sign | (uint32(h&0x7fff)<<13 + (112+112*special)<<23))
}

// DequantInt8 dequantises rows of len(scales) int8 values with one scale
// per column (an int8 panel of a product, whose columns are the weights'
// output channels):
//
//	for i := range dst { dst[i] = scales[i%len(scales)] * float32(src[i]) }
//
// len(dst) must be a multiple of len(scales). The product is rounded once,
// as export's dequantisation rounds it, so the values are identical.
func DequantInt8(dst []float32, src []int8, scales []float32) {
	cols := len(scales)
	if len(dst) != len(src) || cols == 0 || len(dst)%cols != 0 {
		panic(badLength)
	}
	if dequantInt8Fast(dst, src, scales) {
		return
	}
	dequantInt8(dst, src, scales)
}

func dequantInt8(dst []float32, src []int8, scales []float32) {
	cols := len(scales)
	for r := 0; r < len(dst); r += cols {
		d, s := dst[r:r+cols], src[r:r+cols]
		for j, sc := range scales {
			d[j] = sc * float32(s[j])
		}
	}
}
