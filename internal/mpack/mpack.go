// Package mpack is the msgpack codec of the bundle format and the
// WebAssembly ABI: append-style encoding, and a decoder over a byte slice
// that checks every length against the bytes that remain before it
// allocates, so hostile input cannot make it allocate more than the input's
// size.
//
// It implements the subset of msgpack (github.com/msgpack/msgpack spec.md)
// that Portolan writes and reads: nil, booleans, integers, float32/float64,
// str, bin, arrays and maps. Extension types (including timestamps) are
// refused. It has no reflection, which keeps the WebAssembly guest small.
package mpack

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
)

var (
	// ErrMalformed is returned for input that is not the msgpack the
	// caller asked for: a wrong type, a truncated value, a length past the
	// end of the input, an unsupported code.
	ErrMalformed = errors.New("msgpack: malformed")
	// ErrTooDeep is returned when generic values nest deeper than the
	// depth the caller allows.
	ErrTooDeep = errors.New("msgpack: values nested too deep")
)

// Kind is the type of the next value.
type Kind uint8

// The kinds of msgpack values.
const (
	KindInvalid Kind = iota // 0xc1 and the end of input
	KindNil
	KindBool
	KindInt // any integer format, signed or not
	KindFloat
	KindStr
	KindBin
	KindArray
	KindMap
	KindExt
)

var kindNames = [...]string{"invalid", "nil", "bool", "int", "float", "str", "bin", "array", "map", "ext"}

func (k Kind) String() string { return kindNames[k] }

// KindOf returns the kind a value starting with code c has.
func KindOf(c byte) Kind {
	switch {
	case c <= 0x7f || c >= 0xe0:
		return KindInt
	case c <= 0x8f:
		return KindMap
	case c <= 0x9f:
		return KindArray
	case c <= 0xbf:
		return KindStr
	}
	switch c {
	case 0xc0:
		return KindNil
	case 0xc2, 0xc3:
		return KindBool
	case 0xc4, 0xc5, 0xc6:
		return KindBin
	case 0xca, 0xcb:
		return KindFloat
	case 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3:
		return KindInt
	case 0xd9, 0xda, 0xdb:
		return KindStr
	case 0xdc, 0xdd:
		return KindArray
	case 0xde, 0xdf:
		return KindMap
	case 0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return KindExt
	}
	return KindInvalid
}

// ---- encoding ----

// AppendNil appends nil.
func AppendNil(b []byte) []byte { return append(b, 0xc0) }

// AppendBool appends a boolean.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 0xc3)
	}
	return append(b, 0xc2)
}

// AppendInt appends v in the smallest integer format that holds it.
func AppendInt(b []byte, v int64) []byte {
	switch {
	case v >= 0:
		return AppendUint(b, uint64(v))
	case v >= -32:
		return append(b, byte(v))
	case v >= math.MinInt8:
		return append(b, 0xd0, byte(v))
	case v >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(v))
	case v >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(v))
	}
	return AppendInt64(b, v)
}

// AppendUint appends v in the smallest integer format that holds it.
func AppendUint(b []byte, v uint64) []byte {
	switch {
	case v <= math.MaxInt8:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, 0xcc, byte(v))
	case v <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(v))
	case v <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(v))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xcf), v)
}

// AppendInt64 appends v as int 64 (9 bytes), whatever its value.
func AppendInt64(b []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(v))
}

// AppendFloat32 appends v as float 32.
func AppendFloat32(b []byte, v float32) []byte {
	return binary.BigEndian.AppendUint32(append(b, 0xca), math.Float32bits(v))
}

// AppendFloat64 appends v as float 64.
func AppendFloat64(b []byte, v float64) []byte {
	return binary.BigEndian.AppendUint64(append(b, 0xcb), math.Float64bits(v))
}

// AppendString appends s as str.
func AppendString(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		b = append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
	}
	return append(b, s...)
}

// AppendBytes appends v as bin (an empty bin when v is nil).
func AppendBytes(b []byte, v []byte) []byte {
	n := len(v)
	switch {
	case n <= math.MaxUint8:
		b = append(b, 0xc4, byte(n))
	case n <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, 0xc5), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xc6), uint32(n))
	}
	return append(b, v...)
}

// AppendArrayHeader appends the header of an array of n elements.
func AppendArrayHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x90|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, 0xdc), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdd), uint32(n))
}

// AppendMapHeader appends the header of a map of n entries.
func AppendMapHeader(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x80|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, 0xde), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, 0xdf), uint32(n))
}

// AppendValue appends a generic value: nil, bool, string, []byte, the Go
// integer and float types, []string, []int, []int64, []float32,
// []float64, []any, map[string]any, map[string]string and
// map[string]float64, nested. Map keys are written in sorted order, so
// the output is deterministic. Integers keep their Go width as in the
// msgpack reference encoder: int and uint take the smallest format, the
// sized types their own (int64 is always 9 bytes); nil slices and maps are
// written as nil.
func AppendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return AppendNil(b), nil
	case bool:
		return AppendBool(b, x), nil
	case string:
		return AppendString(b, x), nil
	case []byte:
		if x == nil {
			return AppendNil(b), nil
		}
		return AppendBytes(b, x), nil
	case int:
		return AppendInt(b, int64(x)), nil
	case int8:
		return append(b, 0xd0, byte(x)), nil
	case int16:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(x)), nil
	case int32:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(x)), nil
	case int64:
		return AppendInt64(b, x), nil
	case uint:
		return AppendUint(b, uint64(x)), nil
	case uint8:
		return append(b, 0xcc, x), nil
	case uint16:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), x), nil
	case uint32:
		return binary.BigEndian.AppendUint32(append(b, 0xce), x), nil
	case uint64:
		return binary.BigEndian.AppendUint64(append(b, 0xcf), x), nil
	case float32:
		return AppendFloat32(b, x), nil
	case float64:
		return AppendFloat64(b, x), nil
	case []string:
		return appendSlice(b, x, x == nil, func(b []byte, s string) ([]byte, error) { return AppendString(b, s), nil })
	case []int:
		return appendSlice(b, x, x == nil, func(b []byte, v int) ([]byte, error) { return AppendInt(b, int64(v)), nil })
	case []int64:
		return appendSlice(b, x, x == nil, func(b []byte, v int64) ([]byte, error) { return AppendInt64(b, v), nil })
	case []float32:
		return appendSlice(b, x, x == nil, func(b []byte, v float32) ([]byte, error) { return AppendFloat32(b, v), nil })
	case []float64:
		return appendSlice(b, x, x == nil, func(b []byte, v float64) ([]byte, error) { return AppendFloat64(b, v), nil })
	case []any:
		return appendSlice(b, x, x == nil, AppendValue)
	case map[string]any:
		return appendMap(b, x, AppendValue)
	case map[string]string:
		return appendMap(b, x, func(b []byte, s string) ([]byte, error) { return AppendString(b, s), nil })
	case map[string]float64:
		return appendMap(b, x, func(b []byte, v float64) ([]byte, error) { return AppendFloat64(b, v), nil })
	}
	return b, fmt.Errorf("msgpack: cannot encode %T", v)
}

func appendSlice[T any](b []byte, s []T, isNil bool, elem func([]byte, T) ([]byte, error)) ([]byte, error) {
	if isNil {
		return AppendNil(b), nil
	}
	b = AppendArrayHeader(b, len(s))
	var err error
	for _, v := range s {
		if b, err = elem(b, v); err != nil {
			return b, err
		}
	}
	return b, nil
}

func appendMap[V any](b []byte, m map[string]V, elem func([]byte, V) ([]byte, error)) ([]byte, error) {
	if m == nil {
		return AppendNil(b), nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = AppendMapHeader(b, len(m))
	var err error
	for _, k := range keys {
		b = AppendString(b, k)
		if b, err = elem(b, m[k]); err != nil {
			return b, err
		}
	}
	return b, nil
}
