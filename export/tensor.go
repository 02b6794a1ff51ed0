package export

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/portolan-sdk/portolan/internal/half"
)

// DType is a tensor element type as written in the file.
type DType string

const (
	// F32 is IEEE 754 binary32, 4 bytes an element.
	F32 DType = "f32"
	// F16 is IEEE 754 binary16, 2 bytes an element.
	F16 DType = "f16"
	// Int8 is a signed byte per element with one float32 scale per index of
	// the first dimension (the output channel): x = float32(q) * Scales[i].
	Int8 DType = "int8"
	// I32 is a little-endian two's-complement int32: ids, offsets and
	// labels (training shards, vocabularies), never weights.
	I32 DType = "i32"
)

// Size returns the bytes per element, or 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case F32:
		return 4
	case F16:
		return 2
	case Int8:
		return 1
	case I32:
		return 4
	}
	return 0
}

// Tensor is one named weight array. Data holds the elements in row-major
// (C) order, little-endian.
type Tensor struct {
	Name   string
	DType  DType
	Shape  []int
	Data   []byte
	Scales []float32 // Int8 only: one scale per index of Shape[0]
}

// NewF32 returns an f32 tensor holding a copy of v. It does not check that
// len(v) matches shape; Validate does.
func NewF32(name string, shape []int, v []float32) Tensor {
	return Tensor{Name: name, DType: F32, Shape: append([]int(nil), shape...), Data: putFloat32s(v)}
}

// NumElements returns the product of the shape (1 for a scalar), or -1 if
// a dimension is not positive or the product exceeds MaxTensorElements.
func (t *Tensor) NumElements() int {
	return numElements(t.Shape)
}

func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		if d <= 0 || d > MaxTensorElements || n > MaxTensorElements/d {
			return -1
		}
		n *= d
	}
	return n
}

// Validate checks the tensor on its own: a name, a known dtype, a rank of
// at most MaxRank with positive dimensions, data of exactly
// NumElements × dtype size bytes, for Int8 one finite positive scale per
// output channel, and for F32 and F16 finite values only.
func (t *Tensor) Validate() error {
	if t.Name == "" {
		return fmt.Errorf("%w: tensor with empty name", ErrInvalid)
	}
	size := t.DType.Size()
	if size == 0 {
		return fmt.Errorf("%w: tensor %q: unknown dtype %q", ErrInvalid, t.Name, t.DType)
	}
	if len(t.Shape) > MaxRank {
		return fmt.Errorf("%w: tensor %q: rank %d over %d", ErrInvalid, t.Name, len(t.Shape), MaxRank)
	}
	n := t.NumElements()
	if n < 0 {
		return fmt.Errorf("%w: tensor %q: bad shape %v", ErrInvalid, t.Name, t.Shape)
	}
	if len(t.Data) != n*size {
		return fmt.Errorf("%w: tensor %q: %d bytes of data for shape %v %s (want %d)", ErrInvalid, t.Name, len(t.Data), t.Shape, t.DType, n*size)
	}
	switch t.DType {
	case Int8:
		if len(t.Shape) == 0 {
			return fmt.Errorf("%w: tensor %q: int8 tensor must have rank >= 1", ErrInvalid, t.Name)
		}
		if len(t.Scales) != t.Shape[0] {
			return fmt.Errorf("%w: tensor %q: %d int8 scales for %d output channels", ErrInvalid, t.Name, len(t.Scales), t.Shape[0])
		}
		for i, s := range t.Scales {
			if !isFinite32(s) || s <= 0 {
				return fmt.Errorf("%w: tensor %q: int8 scale[%d] = %v", ErrInvalid, t.Name, i, s)
			}
		}
		if bytes.IndexByte(t.Data, 0x80) >= 0 {
			return fmt.Errorf("%w: tensor %q: int8 value -128 (range is -127..127)", ErrInvalid, t.Name)
		}
	case F32:
		if len(t.Scales) != 0 {
			return fmt.Errorf("%w: tensor %q: scales on a %s tensor", ErrInvalid, t.Name, t.DType)
		}
		for i := 0; i < len(t.Data); i += 4 {
			if binary.LittleEndian.Uint32(t.Data[i:])&0x7f800000 == 0x7f800000 {
				return fmt.Errorf("%w: tensor %q: element %d is not finite", ErrInvalid, t.Name, i/4)
			}
		}
	case I32:
		if len(t.Scales) != 0 {
			return fmt.Errorf("%w: tensor %q: scales on a %s tensor", ErrInvalid, t.Name, t.DType)
		}
	case F16:
		if len(t.Scales) != 0 {
			return fmt.Errorf("%w: tensor %q: scales on a %s tensor", ErrInvalid, t.Name, t.DType)
		}
		for i := 0; i < len(t.Data); i += 2 {
			if binary.LittleEndian.Uint16(t.Data[i:])&0x7c00 == 0x7c00 {
				return fmt.Errorf("%w: tensor %q: element %d is not finite", ErrInvalid, t.Name, i/2)
			}
		}
	}
	return nil
}

// NewI32 returns an i32 tensor holding a copy of v.
func NewI32(name string, shape []int, v []int32) Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return Tensor{Name: name, DType: I32, Shape: append([]int(nil), shape...), Data: b}
}

// Int32s returns the elements of an I32 tensor.
func (t *Tensor) Int32s() ([]int32, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if t.DType != I32 {
		return nil, fmt.Errorf("%w: tensor %q is %s, not i32", ErrInvalid, t.Name, t.DType)
	}
	v := make([]int32, len(t.Data)/4)
	for i := range v {
		v[i] = int32(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return v, nil
}

// Float32s returns the elements as float32, dequantising F16 and Int8.
// The tensor must be a valid float tensor.
func (t *Tensor) Float32s() ([]float32, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	switch t.DType {
	case I32:
		return nil, fmt.Errorf("%w: tensor %q is i32, not a float tensor", ErrInvalid, t.Name)
	case F32:
		return getFloat32s(t.Data), nil
	case F16:
		v := make([]float32, len(t.Data)/2)
		for i := range v {
			v[i] = Float16ToFloat32(binary.LittleEndian.Uint16(t.Data[2*i:]))
		}
		return v, nil
	default: // Int8, by Validate
		v := make([]float32, len(t.Data))
		cols := len(v) / t.Shape[0]
		for i, q := range t.Data {
			v[i] = float32(int8(q)) * t.Scales[i/cols]
		}
		return v, nil
	}
}

// Convert returns a copy of the tensor stored as dt.
//
// To F16 it rounds each value to nearest, ties to even; the relative error
// is at most 2^-11 for magnitudes in [2^-14, 65504], the absolute error at
// most 2^-25 below that, and a value above 65504 in magnitude is an error.
// To Int8 it quantises symmetrically per output channel (index of the
// first dimension): scale = max|x| / 127 (1 for an all-zero channel),
// q = roundToEven(x / scale) clamped to [-127, 127]; the absolute error of
// each element is at most scale / 2.
func (t *Tensor) Convert(dt DType) (Tensor, error) {
	v, err := t.Float32s()
	if err != nil {
		return Tensor{}, err
	}
	out := Tensor{Name: t.Name, DType: dt, Shape: append([]int(nil), t.Shape...)}
	switch dt {
	case F32:
		out.Data = putFloat32s(v)
	case F16:
		out.Data = make([]byte, 2*len(v))
		for i, x := range v {
			h := Float32ToFloat16(x)
			if h&0x7c00 == 0x7c00 {
				return Tensor{}, fmt.Errorf("%w: tensor %q: element %d = %v overflows f16", ErrInvalid, t.Name, i, x)
			}
			binary.LittleEndian.PutUint16(out.Data[2*i:], h)
		}
	case Int8:
		if len(t.Shape) == 0 {
			return Tensor{}, fmt.Errorf("%w: tensor %q: cannot quantise a scalar to int8", ErrInvalid, t.Name)
		}
		out.Data, out.Scales = QuantizeInt8(v, t.Shape[0])
	default:
		return Tensor{}, fmt.Errorf("%w: unknown dtype %q", ErrInvalid, dt)
	}
	return out, nil
}

// QuantizeInt8 quantises v, viewed as rows × (len(v)/rows) in row-major
// order, symmetrically per row: scale[r] = max|v[r,:]| / 127 (1 when the
// row is all zero) and q = roundToEven(v / scale[r]) clamped to
// [-127, 127]. Each dequantised element float32(q)*scale[r] is within
// scale[r]/2 of the input. len(v) must be a multiple of rows.
func QuantizeInt8(v []float32, rows int) (q []byte, scales []float32) {
	if rows <= 0 || len(v)%rows != 0 {
		panic("export: QuantizeInt8: len(v) is not a multiple of rows")
	}
	cols := len(v) / rows
	q = make([]byte, len(v))
	scales = make([]float32, rows)
	for r := 0; r < rows; r++ {
		row := v[r*cols : (r+1)*cols]
		var m float32
		for _, x := range row {
			m = max(m, float32(math.Abs(float64(x))))
		}
		s := m / 127
		if s == 0 {
			s = 1
		}
		scales[r] = s
		for i, x := range row {
			y := math.RoundToEven(float64(x / s))
			q[r*cols+i] = byte(int8(max(-127, min(127, y))))
		}
	}
	return q, scales
}

// Float32ToFloat16 converts f to IEEE 754 binary16 bits, rounding to
// nearest with ties to even. Values too large become ±Inf, NaN stays NaN.
func Float32ToFloat16(f float32) uint16 { return half.FromFloat32(f) }

// Float16ToFloat32 converts IEEE 754 binary16 bits to float32 exactly.
func Float16ToFloat32(h uint16) float32 { return half.ToFloat32(h) }

// Smallest matrix an int8 conversion quantises (Int8Target).
const (
	Int8MinRows = 16
	Int8MinCols = 16
)

// Int8Target returns the dtype Bundle.Convert(Int8) stores a float tensor
// of this shape as: Int8 for matrices of at least Int8MinRows output
// channels (shape[0]) and Int8MinCols inputs per channel (the product of
// the other dimensions); F16 for smaller matrices (a one-row head, an
// input projection of a few features, a small embedding), where one scale
// for few values costs the most accuracy and saves the least; F32 for
// vectors and scalars (biases, norm parameters). The trainer's
// bundle.int8_target is the same rule.
func Int8Target(shape []int) DType {
	if len(shape) < 2 {
		return F32
	}
	cols := 1
	for _, d := range shape[1:] {
		cols *= d
	}
	if shape[0] >= Int8MinRows && cols >= Int8MinCols {
		return Int8
	}
	return F16
}

// Convert returns a copy of the bundle with its weights stored as dt. F32
// and F16 apply to every tensor. Int8 stores each tensor as Int8Target
// says: per-channel int8 for large matrices, f16 for small ones, f32 for
// vectors.
func (b *Bundle) Convert(dt DType) (*Bundle, error) {
	if dt.Size() == 0 || dt == I32 {
		return nil, fmt.Errorf("%w: cannot convert weights to %q", ErrInvalid, dt)
	}
	out := *b
	out.Tensors = make([]Tensor, len(b.Tensors))
	for i := range b.Tensors {
		if b.Tensors[i].DType == I32 { // ids and offsets are not weights
			out.Tensors[i] = b.Tensors[i]
			continue
		}
		target := dt
		if dt == Int8 {
			target = Int8Target(b.Tensors[i].Shape)
		}
		t, err := b.Tensors[i].Convert(target)
		if err != nil {
			return nil, err
		}
		out.Tensors[i] = t
	}
	return &out, nil
}
