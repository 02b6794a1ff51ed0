package mpack

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Decoder reads msgpack values from a byte slice. Every length the input
// claims is checked against the bytes that remain before anything is
// allocated: an array element takes at least one byte and a map entry two,
// so a container can never claim more elements than the input could hold.
// On error the decoder's position is unspecified.
type Decoder struct {
	b   []byte
	off int
}

// NewDecoder returns a decoder reading b. It does not copy b; Bytes
// returns slices of it.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

// Len returns the number of bytes not yet read.
func (d *Decoder) Len() int { return len(d.b) - d.off }

func (d *Decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format+" at byte %d", append([]any{ErrMalformed}, append(args, d.off)...)...)
}

// Peek returns the kind of the next value without reading it.
func (d *Decoder) Peek() Kind {
	if d.off >= len(d.b) {
		return KindInvalid
	}
	return KindOf(d.b[d.off])
}

// IsNil reports whether the next value is nil.
func (d *Decoder) IsNil() bool { return d.Peek() == KindNil }

func (d *Decoder) code() (byte, error) {
	if d.off >= len(d.b) {
		return 0, d.errorf("unexpected end of input")
	}
	c := d.b[d.off]
	d.off++
	return c, nil
}

// take returns the next n bytes, which must be present.
func (d *Decoder) take(n int) ([]byte, error) {
	if n < 0 || n > len(d.b)-d.off {
		return nil, d.errorf("%d bytes wanted, %d left", n, len(d.b)-d.off)
	}
	s := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return s, nil
}

func (d *Decoder) uintN(n int) (uint64, error) {
	s, err := d.take(n)
	if err != nil {
		return 0, err
	}
	switch n {
	case 1:
		return uint64(s[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(s)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(s)), nil
	}
	return binary.BigEndian.Uint64(s), nil
}

func (d *Decoder) wrongKind(want string) error {
	k := d.Peek()
	d.off++ // report the position of the offending code
	return d.errorf("want %s, found %s", want, k)
}

// Nil reads nil.
func (d *Decoder) Nil() error {
	if !d.IsNil() {
		return d.wrongKind("nil")
	}
	d.off++
	return nil
}

// Bool reads a boolean.
func (d *Decoder) Bool() (bool, error) {
	if d.Peek() != KindBool {
		return false, d.wrongKind("bool")
	}
	c, _ := d.code()
	return c == 0xc3, nil
}

// integer reads any integer format as a sign and a magnitude.
func (d *Decoder) integer() (neg bool, u uint64, err error) {
	if d.Peek() != KindInt {
		return false, 0, d.wrongKind("an integer")
	}
	c, _ := d.code()
	switch {
	case c <= 0x7f:
		return false, uint64(c), nil
	case c >= 0xe0:
		return true, uint64(-int64(int8(c))), nil
	case c >= 0xcc && c <= 0xcf:
		u, err = d.uintN(1 << (c - 0xcc))
		return false, u, err
	}
	u, err = d.uintN(1 << (c - 0xd0))
	if err != nil {
		return false, 0, err
	}
	var v int64
	switch c {
	case 0xd0:
		v = int64(int8(u))
	case 0xd1:
		v = int64(int16(u))
	case 0xd2:
		v = int64(int32(u))
	default:
		v = int64(u)
	}
	if v < 0 {
		return true, uint64(-(v + 1)) + 1, nil
	}
	return false, uint64(v), nil
}

// Int reads an integer that fits an int64.
func (d *Decoder) Int() (int64, error) {
	neg, u, err := d.integer()
	switch {
	case err != nil:
		return 0, err
	case neg:
		if u > 1<<63 {
			return 0, d.errorf("integer -%d out of range", u)
		}
		return int64(-u), nil
	case u > math.MaxInt64:
		return 0, d.errorf("integer %d out of range", u)
	}
	return int64(u), nil
}

// Uint reads a non-negative integer.
func (d *Decoder) Uint() (uint64, error) {
	neg, u, err := d.integer()
	if err == nil && neg {
		return 0, d.errorf("want a non-negative integer, found -%d", u)
	}
	return u, err
}

// Float reads a number: float 32, float 64 or any integer.
func (d *Decoder) Float() (float64, error) {
	switch d.Peek() {
	case KindInt:
		neg, u, err := d.integer()
		if neg {
			return -float64(u), err
		}
		return float64(u), err
	case KindFloat:
		c, _ := d.code()
		if c == 0xca {
			u, err := d.uintN(4)
			return float64(math.Float32frombits(uint32(u))), err
		}
		u, err := d.uintN(8)
		return math.Float64frombits(u), err
	}
	return 0, d.wrongKind("a number")
}

// length reads the length that follows a str, bin, array or map code of
// the given kind.
func (d *Decoder) length(k Kind) (int, error) {
	if got := d.Peek(); got != k {
		return 0, d.wrongKind(k.String())
	}
	c, _ := d.code()
	var n uint64
	var err error
	switch {
	case k == KindStr && c >= 0xa0 && c <= 0xbf:
		n = uint64(c & 0x1f)
	case (k == KindArray || k == KindMap) && c <= 0x9f:
		n = uint64(c & 0x0f)
	case c == 0xc4 || c == 0xd9:
		n, err = d.uintN(1)
	case c == 0xc5 || c == 0xda || c == 0xdc || c == 0xde:
		n, err = d.uintN(2)
	default: // 0xc6, 0xdb, 0xdd, 0xdf
		n, err = d.uintN(4)
	}
	if err != nil {
		return 0, err
	}
	unit := uint64(1)
	if k == KindMap {
		unit = 2
	}
	if n > uint64(d.Len())/unit {
		return 0, d.errorf("%s of %d past the end of the input (%d bytes left)", k, n, d.Len())
	}
	return int(n), nil
}

// ArrayLen reads an array header.
func (d *Decoder) ArrayLen() (int, error) { return d.length(KindArray) }

// MapLen reads a map header.
func (d *Decoder) MapLen() (int, error) { return d.length(KindMap) }

// String reads a str (copied).
func (d *Decoder) String() (string, error) {
	n, err := d.length(KindStr)
	if err != nil {
		return "", err
	}
	s, err := d.take(n)
	return string(s), err
}

// Bytes reads a bin or a str. The result is a slice of the decoder's
// input, not a copy.
func (d *Decoder) Bytes() ([]byte, error) {
	k := d.Peek()
	if k != KindStr {
		k = KindBin
	}
	n, err := d.length(k)
	if err != nil {
		return nil, err
	}
	return d.take(n)
}

// Skip skips one value, nested at most maxDepth deep.
func (d *Decoder) Skip(maxDepth int) error {
	_, err := d.value(0, maxDepth, true)
	return err
}

// Value reads one generic value into nil, bool, int64, uint64 (only
// above MaxInt64), float64, string, []byte (copied), []any or
// map[string]any (keys must be str), nested at most maxDepth deep.
func (d *Decoder) Value(maxDepth int) (any, error) {
	return d.value(0, maxDepth, false)
}

func (d *Decoder) value(depth, maxDepth int, skip bool) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: deeper than %d", ErrTooDeep, maxDepth)
	}
	switch d.Peek() {
	case KindNil:
		return nil, d.Nil()
	case KindBool:
		return d.Bool()
	case KindFloat:
		return d.Float()
	case KindInt:
		neg, u, err := d.integer()
		switch {
		case err != nil:
			return nil, err
		case !neg && u > math.MaxInt64:
			return u, nil
		case neg && u > 1<<63:
			return nil, d.errorf("integer -%d out of range", u)
		case neg:
			return int64(-u), nil
		}
		return int64(u), nil
	case KindStr:
		if skip {
			_, err := d.Bytes()
			return nil, err
		}
		return d.String()
	case KindBin:
		b, err := d.Bytes()
		if err != nil || skip {
			return nil, err
		}
		return append([]byte{}, b...), nil
	case KindArray:
		n, err := d.ArrayLen()
		if err != nil {
			return nil, err
		}
		var out []any
		if !skip {
			out = make([]any, n)
		}
		for i := 0; i < n; i++ {
			v, err := d.value(depth+1, maxDepth, skip)
			if err != nil {
				return nil, err
			}
			if !skip {
				out[i] = v
			}
		}
		return out, nil
	case KindMap:
		n, err := d.MapLen()
		if err != nil {
			return nil, err
		}
		var out map[string]any
		if !skip {
			out = make(map[string]any, n)
		}
		for i := 0; i < n; i++ {
			if skip {
				if _, err := d.value(depth+1, maxDepth, true); err != nil { // the key
					return nil, err
				}
				if _, err := d.value(depth+1, maxDepth, true); err != nil {
					return nil, err
				}
				continue
			}
			k, err := d.String()
			if err != nil {
				return nil, err
			}
			if out[k], err = d.value(depth+1, maxDepth, false); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, d.wrongKind("a value")
}
