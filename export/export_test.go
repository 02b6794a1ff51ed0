package export

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// tinyBundle is a small bundle touching every part of the format.
func tinyBundle() *Bundle {
	w := make([]float32, 3*4)
	for i := range w {
		w[i] = float32(i-6) / 8 // exact in f32, f16 and int8 grids
	}
	return &Bundle{
		Kind: "mlp",
		Config: Config{
			"hidden":  int64(4),
			"dropout": 0.25,
			"act":     "relu",
			"flags":   []any{true, int64(-3), "x"},
			"nested":  map[string]any{"depth": int64(2)},
		},
		Preprocessing: Preprocessing{
			Features:  []string{"sog", "cog", "lat"},
			Mean:      []float32{10, 180, 0},
			Std:       []float32{5, 100, 45},
			Grid:      &Grid{System: "georef", ResolutionDeg: 1},
			ShipTypes: []string{"unknown", "cargo", "tanker"},
			Ports: []Port{
				{Locode: "NLRTM", Name: "Rotterdam", Lat: 51.95, Lon: 4.14},
				{Locode: "SGSIN", Name: "Singapore", Lat: 1.26, Lon: 103.84},
			},
		},
		Tensors: []Tensor{
			NewF32("fc.weight", []int{4, 3}, w),
			NewF32("fc.bias", []int{4}, []float32{0.5, -0.5, 1, 0}),
			NewF32("scalar", nil, []float32{3}),
		},
		Producer: Producer{
			Tool: "export_test", Version: "0", Framework: "go",
			Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			Metrics: map[string]float64{"loss": 0.125},
			Extra:   map[string]string{"seed": "1"},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, dt := range []DType{F32, F16, Int8} {
		t.Run(string(dt), func(t *testing.T) {
			b, err := tinyBundle().Convert(dt)
			require.NoError(t, err)
			data, err := Marshal(b)
			require.NoError(t, err)
			again, err := Marshal(b)
			require.NoError(t, err)
			require.Equal(t, data, again, "encoding must be deterministic")

			got, err := Unmarshal(data)
			require.NoError(t, err)
			require.Equal(t, CurrentVersion, got.Version)
			b.Version = CurrentVersion
			require.Equal(t, b, got)

			viaReader, err := Read(bytes.NewReader(data))
			require.NoError(t, err)
			require.Equal(t, got, viaReader)
		})
	}
}

func TestWriteReadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.portolan")
	require.NoError(t, WriteFile(path, tinyBundle()))
	got, err := ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "mlp", got.Kind)

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append(data, 0), 0o644))
	_, err = ReadFile(path)
	require.ErrorIs(t, err, ErrMalformed)
}

// TestGolden checks that every committed bundle of every format version
// still decodes to what its .want file says. Run with -update to rewrite
// the v1 file after a deliberate change.
func TestGolden(t *testing.T) {
	path := filepath.Join("testdata", "v1", "tiny.portolan")
	if *update {
		b, err := tinyBundle().Convert(F32)
		require.NoError(t, err)
		require.NoError(t, WriteFile(path, b))
	}
	b, err := ReadFile(path)
	require.NoError(t, err)
	want := tinyBundle()
	want.Version = Version{1, 0}
	require.Equal(t, want, b)
}

// areasBundle is tinyBundle with the fields format 1.1 added.
func areasBundle() *Bundle {
	b := tinyBundle()
	b.Preprocessing.PortAreas = []PortArea{
		{Locode: "NLRTM", Name: "Rotterdam", Lat: 51.95, Lon: 4.14, RadiusM: 10000},
		{Locode: "", Name: "Anchorage B", Lat: 51.99, Lon: 3.5, RadiusM: 3000},
	}
	b.Preprocessing.Visit = &VisitRules{MaxSpeedKnots: 1, MinDwellS: 1800}
	return b
}

// TestGoldenAreas reads a format 1.1 bundle with port areas and visit
// rules; the 1.0 golden above (written before these fields) still reads,
// with PortAreas empty and Visit nil.
func TestGoldenAreas(t *testing.T) {
	path := filepath.Join("testdata", "v1", "areas-1.1.portolan")
	if *update {
		require.NoError(t, WriteFile(path, areasBundle()))
	}
	b, err := ReadFile(path)
	require.NoError(t, err)
	want := areasBundle()
	want.Version = Version{1, 1}
	require.Equal(t, want, b)

	old, err := ReadFile(filepath.Join("testdata", "v1", "tiny.portolan"))
	require.NoError(t, err)
	require.Empty(t, old.Preprocessing.PortAreas)
	require.Nil(t, old.Preprocessing.Visit)
}

func TestValidateAreas(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(p *Preprocessing)
	}{
		{"radius zero", func(p *Preprocessing) { p.PortAreas[0].RadiusM = 0 }},
		{"radius over 100 km", func(p *Preprocessing) { p.PortAreas[0].RadiusM = 100000 }},
		{"area off the globe", func(p *Preprocessing) { p.PortAreas[1].Lat = 91 }},
		{"no speed", func(p *Preprocessing) { p.Visit.MaxSpeedKnots = 0 }},
		{"negative dwell", func(p *Preprocessing) { p.Visit.MinDwellS = -1 }},
		{"NaN dwell", func(p *Preprocessing) { p.Visit.MinDwellS = math.NaN() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := areasBundle()
			tc.edit(&b.Preprocessing)
			_, err := Marshal(b)
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
	data, err := Marshal(areasBundle())
	require.NoError(t, err)
	got, err := Unmarshal(data)
	require.NoError(t, err)
	require.Equal(t, areasBundle().Preprocessing, got.Preprocessing)
}

// frame wraps a raw body in a header with a correct checksum, so tests can
// reach the body parser with hostile content.
func frame(body []byte) []byte {
	h := Header{Version: CurrentVersion, BodySize: uint64(len(body)), CRC32C: Checksum(body)}
	return append(appendHeader(nil, h), body...)
}

func encodeMap(t *testing.T, m map[string]any) []byte {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.SetSortMapKeys(true)
	require.NoError(t, enc.Encode(m))
	return buf.Bytes()
}

func TestReadErrors(t *testing.T) {
	good, err := Marshal(tinyBundle())
	require.NoError(t, err)
	flipped := bytes.Clone(good)
	flipped[len(flipped)-3] ^= 0x10
	v2 := bytes.Clone(good)
	binary.LittleEndian.PutUint16(v2[8:], 2)
	binary.LittleEndian.PutUint16(v2[10:], 0)
	minor := bytes.Clone(good)
	binary.LittleEndian.PutUint16(minor[10:], 7) // a newer minor version still reads
	huge := bytes.Clone(good)
	binary.LittleEndian.PutUint64(huge[12:], 1<<40)

	tensor := func(name, dtype string, shape []any, data []byte) map[string]any {
		return map[string]any{"name": name, "dtype": dtype, "shape": shape, "data": data}
	}
	body := func(tensors ...any) []byte {
		return encodeMap(t, map[string]any{"kind": "x", "tensors": tensors})
	}
	f32 := func(v ...float32) []byte { return putFloat32s(v) }

	// A body whose array header claims 2^32-1 tensors in a few bytes.
	bigArray := append(encodeMap(t, map[string]any{"kind": "x"})[:0:0], 0x82)
	bigArray = append(bigArray, 0xa4, 'k', 'i', 'n', 'd', 0xa1, 'x', 0xa7)
	bigArray = append(bigArray, "tensors"...)
	bigArray = append(bigArray, 0xdd, 0xff, 0xff, 0xff, 0xff)
	// Bytes that claim 2^32-1 bytes of data.
	bigBin := append(body()[:0:0], 0x82, 0xa4, 'k', 'i', 'n', 'd', 0xc6, 0xff, 0xff, 0xff, 0xff)
	// Config nested past the depth limit.
	deep := []byte{0x82, 0xa4, 'k', 'i', 'n', 'd', 0xa1, 'x', 0xa6, 'c', 'o', 'n', 'f', 'i', 'g'}
	for range 40 {
		deep = append(deep, 0x91)
	}
	deep = append(deep, 0xc0)

	tests := []struct {
		name        string
		input       []byte
		expectedErr error
	}{
		{"empty", nil, ErrTruncated},
		{"not a bundle", []byte("PK\x03\x04 zip file here......"), ErrBadMagic},
		{"short magic", []byte("PORT"), ErrTruncated},
		{"header only", good[:HeaderSize], ErrTruncated},
		{"truncated body", good[:len(good)-1], ErrTruncated},
		{"bit flip", flipped, ErrChecksum},
		{"huge body size", huge, ErrTooLarge},
		{"trailing bytes", append(bytes.Clone(good), 1), ErrMalformed},
		{"body not a map", frame([]byte{0x93, 1, 2, 3}), ErrMalformed},
		{"no tensors key", frame(encodeMap(t, map[string]any{"kind": "x"})), ErrMalformed},
		{"no kind", frame(encodeMap(t, map[string]any{"tensors": []any{}})), ErrMalformed},
		{"empty kind", frame(encodeMap(t, map[string]any{"kind": "", "tensors": []any{}})), ErrInvalid},
		{"kind not a string", frame(encodeMap(t, map[string]any{"kind": 5, "tensors": []any{}})), ErrMalformed},
		{"array length past end", frame(bigArray), ErrMalformed},
		{"bin length past end", frame(bigBin), ErrMalformed},
		{"nested too deep", frame(deep), ErrTooLarge},
		{"unknown dtype", frame(body(tensor("w", "f64", []any{1}, make([]byte, 8)))), ErrInvalid},
		{"data short for shape", frame(body(tensor("w", "f32", []any{2, 3}, f32(1, 2, 3)))), ErrInvalid},
		{"zero dimension", frame(body(tensor("w", "f32", []any{0}, nil))), ErrInvalid},
		{"negative dimension", frame(body(tensor("w", "f32", []any{-1}, nil))), ErrInvalid},
		{"shape overflows", frame(body(tensor("w", "f32", []any{1 << 30, 1 << 30, 1 << 30}, nil))), ErrInvalid},
		{"rank over limit", frame(body(tensor("w", "f32", []any{1, 1, 1, 1, 1, 1, 1, 1, 1}, f32(1)))), ErrTooLarge},
		{"NaN weight", frame(body(tensor("w", "f32", []any{2}, f32(1, float32(math.NaN()))))), ErrInvalid},
		{"Inf weight", frame(body(tensor("w", "f32", []any{1}, f32(float32(math.Inf(-1)))))), ErrInvalid},
		{"f16 Inf", frame(body(tensor("w", "f16", []any{1}, []byte{0x00, 0x7c}))), ErrInvalid},
		{"duplicate name", frame(body(tensor("w", "f32", []any{1}, f32(1)), tensor("w", "f32", []any{1}, f32(1)))), ErrInvalid},
		{"empty name", frame(body(tensor("", "f32", []any{1}, f32(1)))), ErrInvalid},
		{"int8 without scales", frame(body(tensor("q", "int8", []any{2, 2}, []byte{1, 2, 3, 4}))), ErrInvalid},
		{"int8 -128", frame(body(map[string]any{"name": "q", "dtype": "int8", "shape": []any{1}, "data": []byte{0x80}, "scales": f32(1)})), ErrInvalid},
		{"int8 zero scale", frame(body(map[string]any{"name": "q", "dtype": "int8", "shape": []any{1}, "data": []byte{1}, "scales": f32(0)})), ErrInvalid},
		{"scales ragged", frame(body(map[string]any{"name": "q", "dtype": "int8", "shape": []any{1}, "data": []byte{1}, "scales": []byte{1, 2, 3}})), ErrMalformed},
		{"tensor entry not a map", frame(body("w")), ErrMalformed},
		{"std of zero", frame(encodeMap(t, map[string]any{"kind": "x", "tensors": []any{},
			"preprocessing": map[string]any{"features": []string{"a"}, "mean": []float64{0}, "std": []float64{0}}})), ErrInvalid},
		{"mean for wrong features", frame(encodeMap(t, map[string]any{"kind": "x", "tensors": []any{},
			"preprocessing": map[string]any{"features": []string{"a", "b"}, "mean": []float64{0}, "std": []float64{1}}})), ErrInvalid},
		{"port off the globe", frame(encodeMap(t, map[string]any{"kind": "x", "tensors": []any{},
			"preprocessing": map[string]any{"ports": []any{map[string]any{"lat": 91.0, "lon": 0.0}}}})), ErrInvalid},
		{"NaN in config", frame(encodeMap(t, map[string]any{"kind": "x", "tensors": []any{}, "config": map[string]any{"a": math.NaN()}})), ErrInvalid},
		{"bad created time", frame(encodeMap(t, map[string]any{"kind": "x", "tensors": []any{}, "producer": map[string]any{"created": "yesterday"}})), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Unmarshal(tc.input)
			require.ErrorIs(t, err, tc.expectedErr)
			if tc.name == "trailing bytes" {
				return // a stream may hold more after one bundle; ReadFile checks
			}
			_, err = Read(bytes.NewReader(tc.input))
			require.ErrorIs(t, err, tc.expectedErr)
		})
	}

	t.Run("unsupported major version", func(t *testing.T) {
		_, err := Unmarshal(v2)
		var ve *UnsupportedVersionError
		require.ErrorAs(t, err, &ve)
		require.Equal(t, Version{2, 0}, ve.Got)
		require.Equal(t, CurrentVersion, ve.Supported)
		require.Contains(t, err.Error(), "2.0")
		require.Contains(t, err.Error(), CurrentVersion.String())
	})
	t.Run("newer minor version and unknown fields", func(t *testing.T) {
		b, err := Unmarshal(minor)
		require.NoError(t, err)
		require.Equal(t, Version{1, 7}, b.Version)
		extra := encodeMap(t, map[string]any{"kind": "x", "tensors": []any{}, "future": map[string]any{"a": []any{1, "b"}}})
		b, err = Unmarshal(frame(extra))
		require.NoError(t, err)
		require.Equal(t, "x", b.Kind)
	})
	t.Run("every truncation is an error", func(t *testing.T) {
		for n := 0; n < len(good); n++ {
			_, err := Read(bytes.NewReader(good[:n]))
			require.Error(t, err, "length %d", n)
		}
	})
}

func TestValidateOnWrite(t *testing.T) {
	b := tinyBundle()
	b.Tensors[0].Shape = []int{5, 3}
	_, err := Marshal(b)
	require.ErrorIs(t, err, ErrInvalid)
}

func TestFloat16(t *testing.T) {
	tests := []struct {
		in   float32
		want uint16
	}{
		{0, 0x0000},
		{float32(math.Copysign(0, -1)), 0x8000},
		{1, 0x3c00},
		{-2, 0xc000},
		{65504, 0x7bff},                           // largest finite
		{65520, 0x7c00},                           // halfway to the next binade rounds to even = Inf
		{65519.996, 0x7bff},                       // just below halfway
		{float32(math.Ldexp(1, -14)), 0x0400},     // smallest normal
		{float32(math.Ldexp(1, -24)), 0x0001},     // smallest subnormal
		{float32(math.Ldexp(1, -25)), 0x0000},     // half of it: tie to even (0)
		{float32(math.Ldexp(3, -26)), 0x0001},     // 0.75 units rounds up
		{float32(math.Ldexp(3, -25)), 0x0002},     // 1.5 units: tie to even (2)
		{1 + float32(math.Ldexp(1, -11)), 0x3c00}, // tie between 1 and next: even
		{1 + float32(math.Ldexp(3, -11)), 0x3c02}, // tie between 0x3c01 and 0x3c02: even
		{float32(math.Inf(1)), 0x7c00},
		{float32(math.Inf(-1)), 0xfc00},
		{1e-10, 0},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, Float32ToFloat16(tc.in), "%v", tc.in)
	}
	require.True(t, math.IsNaN(float64(Float16ToFloat32(Float32ToFloat16(float32(math.NaN()))))))

	// Every finite half converts to float32 and back to itself.
	for h := 0; h < 1<<16; h++ {
		if uint16(h)&0x7c00 == 0x7c00 {
			continue
		}
		require.Equal(t, uint16(h), Float32ToFloat16(Float16ToFloat32(uint16(h))), "%04x", h)
	}
	// Documented error bound in the normal range.
	for _, x := range []float32{0.1, 1.0 / 3, 123.456, 6.1e-5, 60000} {
		y := Float16ToFloat32(Float32ToFloat16(x))
		require.LessOrEqual(t, math.Abs(float64(y-x))/math.Abs(float64(x)), math.Ldexp(1, -11))
	}
}

func TestQuantizeInt8(t *testing.T) {
	v := []float32{
		-1, 0.5, 0.25, 1, // row 0: scale 1/127
		0, 0, 0, 0, // row 1: all zero, scale 1
		254, -127, 1, 0.5, // row 2: scale 2; 0.5/2 = 0.25 rounds to 0; 1/2 = 0.5 ties to 0
	}
	q, s := QuantizeInt8(v, 3)
	require.Equal(t, []float32{float32(1) / 127, 1, 2}, s)
	require.Equal(t, []int8{-127, 64, 32, 127, 0, 0, 0, 0, 127, -64, 0, 0}, toInt8(q))
	tn := Tensor{Name: "q", DType: Int8, Shape: []int{3, 4}, Data: q, Scales: s}
	back, err := tn.Float32s()
	require.NoError(t, err)
	for i := range v {
		require.LessOrEqual(t, math.Abs(float64(back[i]-v[i])), float64(s[i/4])/2, "element %d", i)
	}
	require.Panics(t, func() { QuantizeInt8(v, 5) })
}

func toInt8(b []byte) []int8 {
	out := make([]int8, len(b))
	for i, x := range b {
		out[i] = int8(x)
	}
	return out
}

func TestConvertBundle(t *testing.T) {
	b := tinyBundle()
	mat := make([]float32, 16*4*4)
	for i := range mat {
		mat[i] = float32(i%23-11) / 4
	}
	b.Tensors = append(b.Tensors, NewF32("big", []int{16, 4, 4}, mat), NewF32("wide", []int{15, 64}, make([]float32, 15*64)))
	q, err := b.Convert(Int8)
	require.NoError(t, err)
	require.Equal(t, F16, q.Tensors[0].DType, "a 4×3 matrix stays f16")
	require.Equal(t, Int8, q.Tensors[3].DType, "a 16×16 matrix is quantised")
	require.Equal(t, F16, q.Tensors[4].DType, "15 output channels stay f16")
	require.Len(t, q.Tensors[3].Scales, 16, "one scale per output channel")
	require.Equal(t, F32, q.Tensors[1].DType, "vectors stay f32")
	require.Equal(t, F32, q.Tensors[2].DType, "scalars stay f32")
	require.Equal(t, F32, b.Tensors[0].DType, "the source is not modified")

	h, err := b.Convert(F16)
	require.NoError(t, err)
	for i := range b.Tensors {
		want, _ := b.Tensors[i].Float32s()
		got, err := h.Tensors[i].Float32s()
		require.NoError(t, err)
		require.Equal(t, want, got, "tiny values are exact in f16")
	}

	big := NewF32("big", []int{1}, []float32{70000})
	_, err = big.Convert(F16)
	require.ErrorIs(t, err, ErrInvalid)
	_, err = b.Convert("f64")
	require.ErrorIs(t, err, ErrInvalid)
}

func TestConfig(t *testing.T) {
	c := Config{"i": int64(3), "f": 2.5, "fi": 4.0, "s": "x", "b": true}
	i, err := c.Int("i", 0)
	require.NoError(t, err)
	require.Equal(t, 3, i)
	i, err = c.Int("fi", 0)
	require.NoError(t, err)
	require.Equal(t, 4, i)
	_, err = c.Int("f", 0)
	require.ErrorIs(t, err, ErrInvalid)
	i, err = c.Int("missing", 7)
	require.NoError(t, err)
	require.Equal(t, 7, i)
	f, err := c.Float("i", 0)
	require.NoError(t, err)
	require.Equal(t, 3.0, f)
	s, err := c.String("s", "")
	require.NoError(t, err)
	require.Equal(t, "x", s)
	_, err = c.String("i", "")
	require.ErrorIs(t, err, ErrInvalid)
	bv, err := c.Bool("b", false)
	require.NoError(t, err)
	require.True(t, bv)
	require.Equal(t, []string{"b", "f", "fi", "i", "s"}, c.Keys())
}

func TestTensorLookup(t *testing.T) {
	b := tinyBundle()
	tn, err := b.Tensor("fc.bias")
	require.NoError(t, err)
	require.Equal(t, []int{4}, tn.Shape)
	_, err = b.Tensor("nope")
	require.True(t, errors.Is(err, ErrNoTensor))
	require.Equal(t, int64(12+4+1), b.NumParams())
}

// TestFormatExample checks the worked example in docs/FORMAT.md §5.
func TestFormatExample(t *testing.T) {
	file := []byte{
		0x50, 0x4f, 0x52, 0x54, 0x4f, 0x4c, 0x41, 0x4e,
		0x01, 0x00, 0x00, 0x00,
		0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xa7, 0x9e, 0x91, 0x47,
		0x82, 0xa4, 0x6b, 0x69, 0x6e, 0x64, 0xa1, 0x78, 0xa7, 0x74, 0x65, 0x6e, 0x73, 0x6f, 0x72, 0x73, 0x90,
	}
	require.Len(t, file, 41)
	require.Equal(t, uint32(0xE3069283), Checksum([]byte("123456789")))
	b, err := Unmarshal(file)
	require.NoError(t, err)
	require.Equal(t, "x", b.Kind)
	require.Empty(t, b.Tensors)
}

func TestI32(t *testing.T) {
	b := tinyBundle()
	b.Tensors = append(b.Tensors, NewI32("ids", []int{2, 2}, []int32{-1, 0, 1 << 30, 7}))
	data, err := Marshal(b)
	require.NoError(t, err)
	got, err := Unmarshal(data)
	require.NoError(t, err)
	ids, err := got.Tensor("ids")
	require.NoError(t, err)
	v, err := ids.Int32s()
	require.NoError(t, err)
	require.Equal(t, []int32{-1, 0, 1 << 30, 7}, v)
	_, err = ids.Float32s()
	require.ErrorIs(t, err, ErrInvalid)
	q, err := got.Convert(F16)
	require.NoError(t, err)
	require.Equal(t, I32, q.Tensors[len(q.Tensors)-1].DType, "ids are not weights")
	_, err = got.Convert(I32)
	require.ErrorIs(t, err, ErrInvalid)
	w, _ := got.Tensor("fc.weight")
	_, err = w.Int32s()
	require.ErrorIs(t, err, ErrInvalid)
}
