package mpack

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

// reference encodes v with the msgpack reference library, sorting map keys.
func reference(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	e.SetSortMapKeys(true)
	require.NoError(t, e.Encode(v))
	return buf.Bytes()
}

// TestAppendValueMatchesLibrary checks that AppendValue writes the same
// bytes as the reference encoder for every type it accepts, at every
// format boundary.
func TestAppendValueMatchesLibrary(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	cases := []any{
		nil, true, false,
		0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
		-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64,
		int8(-5), int16(300), int32(-70000), int64(7), int64(-1),
		uint(3), uint8(200), uint16(60000), uint32(1 << 31), uint64(1 << 63),
		float32(1.5), float64(-2.25), math.MaxFloat64,
		"", "a", long(31), long(32), long(255), long(256), long(65535), long(65536),
		[]byte{}, []byte{1, 2, 3}, bytes.Repeat([]byte{7}, 256), bytes.Repeat([]byte{7}, 65536), []byte(nil),
		[]string{"a", "b"}, []string(nil), []int{1, -1000}, []int64{5}, []float32{1, 2}, []float64{3},
		[]any{}, []any{int64(1), "x", nil, []any{true}}, make([]any, 15), make([]any, 16), make([]any, 65536),
		map[string]any{}, map[string]any{"z": 1, "a": map[string]any{"y": 2.5, "b": []any{}}},
		map[string]string{"k": "v", "a": "b"}, map[string]float64{"loss": 0.125},
	}
	big := map[string]any{}
	for i := 0; i < 20; i++ {
		big[long(i+1)] = i
	}
	cases = append(cases, big)
	for _, v := range cases {
		got, err := AppendValue(nil, v)
		require.NoError(t, err, "%T", v)
		require.Equal(t, reference(t, v), got, "%T %v", v, v)
	}
	_, err := AppendValue(nil, struct{}{})
	require.Error(t, err)
}

// TestDecodeMatchesLibrary decodes what the reference encoder writes.
func TestDecodeMatchesLibrary(t *testing.T) {
	v := map[string]any{
		"n": nil, "t": true, "i": int64(-70000), "u": int64(1 << 40), "big": uint64(math.MaxUint64),
		"f": 2.5, "f32": float32(0.25), "s": "hello", "b": []byte{0, 1},
		"a": []any{int64(1), "two", []any{}}, "m": map[string]any{"x": int64(1)},
	}
	d := NewDecoder(reference(t, v))
	got, err := d.Value(8)
	require.NoError(t, err)
	require.Zero(t, d.Len())
	v["f32"] = 0.25 // float 32 decodes as float64
	require.Equal(t, v, got)
}

func TestScalars(t *testing.T) {
	var b []byte
	b = AppendInt(b, -5)
	b = AppendUint(b, 300)
	b = AppendFloat32(b, 0.5)
	b = AppendInt(b, -200)
	b = AppendString(b, "é")
	b = AppendBytes(b, []byte{9})
	b = AppendBool(b, true)
	b = AppendNil(b)
	d := NewDecoder(b)
	i, err := d.Int()
	require.NoError(t, err)
	require.EqualValues(t, -5, i)
	u, err := d.Uint()
	require.NoError(t, err)
	require.EqualValues(t, 300, u)
	f, err := d.Float()
	require.NoError(t, err)
	require.Equal(t, 0.5, f)
	f, err = d.Float() // an integer read as a number
	require.NoError(t, err)
	require.Equal(t, -200.0, f)
	s, err := d.String()
	require.NoError(t, err)
	require.Equal(t, "é", s)
	bs, err := d.Bytes()
	require.NoError(t, err)
	require.Equal(t, []byte{9}, bs)
	ok, err := d.Bool()
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, d.Nil())
	require.Zero(t, d.Len())
	require.Equal(t, KindInvalid, d.Peek())
}

// TestHostile checks that claimed lengths are bounded by the input, and
// that wrong types, truncation and depth give errors.
func TestHostile(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		read func(d *Decoder) error
	}{
		{"array claims 2^32-1 elements", []byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0x01}, func(d *Decoder) error { _, err := d.ArrayLen(); return err }},
		{"map claims 3 entries in 5 bytes", []byte{0x83, 1, 2, 3, 4, 5}, func(d *Decoder) error { _, err := d.MapLen(); return err }},
		{"str past the end", []byte{0xdb, 0x7f, 0xff, 0xff, 0xff, 'a'}, func(d *Decoder) error { _, err := d.String(); return err }},
		{"bin past the end", []byte{0xc6, 0, 0, 1, 0}, func(d *Decoder) error { _, err := d.Bytes(); return err }},
		{"truncated float", []byte{0xcb, 0, 0}, func(d *Decoder) error { _, err := d.Float(); return err }},
		{"truncated int", []byte{0xd2, 0}, func(d *Decoder) error { _, err := d.Int(); return err }},
		{"empty input", nil, func(d *Decoder) error { _, err := d.Value(4); return err }},
		{"string where int", []byte{0xa1, 'x'}, func(d *Decoder) error { _, err := d.Int(); return err }},
		{"negative as uint", []byte{0xff}, func(d *Decoder) error { _, err := d.Uint(); return err }},
		{"uint64 as int", []byte{0xcf, 0xff, 0, 0, 0, 0, 0, 0, 0}, func(d *Decoder) error { _, err := d.Int(); return err }},
		{"ext", []byte{0xd4, 1, 2}, func(d *Decoder) error { _, err := d.Value(4); return err }},
		{"0xc1", []byte{0xc1}, func(d *Decoder) error { return d.Skip(4) }},
		{"map with int key", []byte{0x81, 1, 2}, func(d *Decoder) error { _, err := d.Value(4); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, tc.read(NewDecoder(tc.in)), ErrMalformed)
		})
	}
	deep := append(bytes.Repeat([]byte{0x91}, 40), 0xc0)
	_, err := NewDecoder(deep).Value(32)
	require.ErrorIs(t, err, ErrTooDeep)
	require.ErrorIs(t, NewDecoder(deep).Skip(32), ErrTooDeep)
	require.NoError(t, NewDecoder(deep).Skip(40))
}

func TestSkip(t *testing.T) {
	b := reference(t, map[string]any{"a": []any{int64(1), map[string]any{"b": []byte{1}}}, "c": "d"})
	b = AppendInt(b, 42)
	d := NewDecoder(b)
	require.NoError(t, d.Skip(8))
	n, err := d.Int()
	require.NoError(t, err)
	require.EqualValues(t, 42, n)
}

func FuzzDecode(f *testing.F) {
	f.Add(reference(f, map[string]any{"a": []any{int64(1), "x", 2.5, []byte{1}}}))
	f.Add([]byte{0xdd, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		d := NewDecoder(in)
		v, err := d.Value(32)
		if err != nil {
			return
		}
		// what decodes re-encodes and decodes to the same value
		out, err := AppendValue(nil, v)
		require.NoError(t, err)
		v2, err := NewDecoder(out).Value(32)
		require.NoError(t, err)
		out2, err := AppendValue(nil, v2)
		require.NoError(t, err)
		require.Equal(t, out, out2) // bytes, so that NaN compares equal
	})
}
