package abi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/portolan-sdk/portolan/internal/mpack"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// ErrMalformed is returned for a request or answer that is not the msgpack
// this ABI specifies.
var ErrMalformed = errors.New("abi: malformed message")

// mapEnc writes a map whose entry count is known only at the end. Every
// map of this ABI has fewer than 16 entries, so its header is the one
// byte of a fixmap, patched by done.
type mapEnc struct {
	b     []byte
	at, n int
}

func beginMap(b []byte) mapEnc { return mapEnc{b: append(b, 0x80), at: len(b)} }

func (m *mapEnc) key(k string) *mapEnc {
	m.n++
	m.b = mpack.AppendString(m.b, k)
	return m
}

func (m *mapEnc) str(k, v string)         { m.key(k).b = mpack.AppendString(m.b, v) }
func (m *mapEnc) uint(k string, v uint64) { m.key(k).b = mpack.AppendUint(m.b, v) }
func (m *mapEnc) int(k string, v int64)   { m.key(k).b = mpack.AppendInt(m.b, v) }
func (m *mapEnc) float(k string, v float64) {
	m.key(k).b = mpack.AppendFloat64(m.b, v)
}
func (m *mapEnc) bool(k string, v bool) { m.key(k).b = mpack.AppendBool(m.b, v) }
func (m *mapEnc) bin(k string, v []byte) {
	m.key(k).b = mpack.AppendBytes(m.b, v)
}
func (m *mapEnc) time(k string, t time.Time) { m.str(k, FormatTime(t)) }
func (m *mapEnc) floats(k string, v []float64) {
	m.key(k).b = mpack.AppendArrayHeader(m.b, len(v))
	for _, x := range v {
		m.b = mpack.AppendFloat64(m.b, x)
	}
}

func (m *mapEnc) done() []byte {
	if m.n > 15 {
		panic("abi: map of more than 15 entries") // a bug in this package, not input
	}
	m.b[m.at] = 0x80 | byte(m.n)
	return m.b
}

// FormatTime formats a time as the ABI writes it: RFC 3339 in UTC with
// as many fractional digits as needed (Go's time.RFC3339Nano), the form
// encoding/json gives a UTC time.Time.
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// dec wraps a decoder with the ABI's field readers. Errors wrap
// ErrMalformed and name the field.
type dec struct {
	d *mpack.Decoder
}

func newDec(b []byte) *dec { return &dec{d: mpack.NewDecoder(b)} }

func (d *dec) fail(what string, err error) error {
	if errors.Is(err, ErrMalformed) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%w: %s: %v", ErrMalformed, what, err)
}

// fields calls fn for each key of a map; fn returns false for keys it does
// not know, which are skipped. A nil map has no keys.
func (d *dec) fields(fn func(key string) (bool, error)) error {
	if d.d.IsNil() {
		return d.d.Nil()
	}
	n, err := d.d.MapLen()
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		k, err := d.d.String()
		if err != nil {
			return err
		}
		known, err := fn(k)
		if err != nil {
			return d.fail(k, err)
		}
		if !known {
			if err := d.d.Skip(MaxDepth); err != nil {
				return d.fail(k, err)
			}
		}
	}
	return nil
}

// end checks that a top-level message has been read whole.
func (d *dec) end(what string, err error) error {
	if err != nil {
		return d.fail(what, err)
	}
	if d.d.Len() != 0 {
		return fmt.Errorf("%w: %s: %d bytes after the message", ErrMalformed, what, d.d.Len())
	}
	return nil
}

func (d *dec) u32() (uint32, error) {
	v, err := d.d.Uint()
	if err == nil && v > math.MaxUint32 {
		return 0, fmt.Errorf("%d does not fit 32 bits", v)
	}
	return uint32(v), err
}

// count reads a non-negative integer no larger than max.
func (d *dec) count(max int) (int, error) {
	v, err := d.d.Uint()
	if err == nil && v > uint64(max) {
		return 0, fmt.Errorf("%d is over the limit of %d", v, max)
	}
	return int(v), err
}

func (d *dec) optInt() (ais.Opt[int], error) {
	if d.d.IsNil() {
		return ais.Opt[int]{}, d.d.Nil()
	}
	v, err := d.d.Int()
	if err == nil && (v < math.MinInt32 || v > math.MaxInt32) {
		return ais.Opt[int]{}, fmt.Errorf("%d does not fit 32 bits", v)
	}
	return ais.Opt[int]{V: int(v), Valid: true}, err
}

func (d *dec) optFloat() (ais.Opt[float64], error) {
	if d.d.IsNil() {
		return ais.Opt[float64]{}, d.d.Nil()
	}
	v, err := d.d.Float()
	return ais.Opt[float64]{V: v, Valid: true}, err
}

// str reads a str; nil reads as "".
func (d *dec) str() (string, error) {
	if d.d.IsNil() {
		return "", d.d.Nil()
	}
	return d.d.String()
}

// text reads a str or bin (a slice of the message, not a copy).
func (d *dec) text() ([]byte, error) {
	if d.d.IsNil() {
		return nil, d.d.Nil()
	}
	return d.d.Bytes()
}

// time reads an RFC 3339 string or a number of seconds since the Unix
// epoch; nil reads as the zero time.
func (d *dec) time() (time.Time, error) {
	switch d.d.Peek() {
	case mpack.KindNil:
		return time.Time{}, d.d.Nil()
	case mpack.KindInt, mpack.KindFloat:
		s, err := d.d.Float()
		if err != nil {
			return time.Time{}, err
		}
		if math.IsNaN(s) || math.Abs(s) > 1e11 { // beyond year 5000
			return time.Time{}, fmt.Errorf("time %v s out of range", s)
		}
		sec := math.Floor(s)
		return time.Unix(int64(sec), int64(math.Round((s-sec)*1e9))).UTC(), nil
	}
	s, err := d.d.String()
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not RFC 3339", s)
	}
	return t.UTC(), nil
}

// float32s reads an array of numbers (nil elements read as NaN, a gap) or
// a bin of little-endian float32 values.
func (d *dec) float32s() ([]float32, error) {
	if d.d.Peek() == mpack.KindBin {
		b, err := d.d.Bytes()
		if err != nil {
			return nil, err
		}
		if len(b)%4 != 0 {
			return nil, fmt.Errorf("bin of %d bytes is not float32 values", len(b))
		}
		out := make([]float32, len(b)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return out, nil
	}
	n, err := d.d.ArrayLen()
	if err != nil {
		return nil, err
	}
	out := make([]float32, n)
	for i := range out {
		if d.d.IsNil() {
			out[i] = float32(math.NaN())
			if err := d.d.Nil(); err != nil {
				return nil, err
			}
			continue
		}
		v, err := d.d.Float()
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		out[i] = float32(v)
	}
	return out, nil
}

func (d *dec) float64s() ([]float64, error) {
	n, err := d.d.ArrayLen()
	if err != nil {
		return nil, err
	}
	out := make([]float64, n)
	for i := range out {
		if out[i], err = d.d.Float(); err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
	}
	return out, nil
}

// arrayLen reads an array header; nil is an empty array.
func (d *dec) arrayLen() (int, error) {
	if d.d.IsNil() {
		return 0, d.d.Nil()
	}
	return d.d.ArrayLen()
}

// arrayOf reads the header of an array of maps each at least minBytes
// long when valid, refusing a count the remaining bytes cannot hold: the
// caller may then allocate the elements without letting a claimed length
// multiply the input's size by more than a constant.
func (d *dec) arrayOf(minBytes int) (int, error) {
	n, err := d.arrayLen()
	if err == nil && n > d.d.Len()/minBytes {
		return 0, fmt.Errorf("%w: %d elements cannot fit in %d bytes", ErrMalformed, n, d.d.Len())
	}
	return n, err
}
