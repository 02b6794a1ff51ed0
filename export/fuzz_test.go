package export

import (
	"bytes"
	"testing"
)

// FuzzRead feeds arbitrary bytes to the reader. It must never panic, and
// whatever it accepts must survive a write/read round trip unchanged.
// Seeds: testdata/fuzz/FuzzRead plus the golden bundles and their
// framed bodies (so the fuzzer gets past the checksum).
func FuzzRead(f *testing.F) {
	for _, dt := range []DType{F32, F16, Int8} {
		b, err := tinyBundle().Convert(dt)
		if err != nil {
			f.Fatal(err)
		}
		data, err := Marshal(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[HeaderSize:]) // body only: the fuzz body is framed below
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, frame(data)} {
			b, err := Unmarshal(in)
			b2, err2 := Read(bytes.NewReader(in))
			if (err == nil) != (err2 == nil) {
				t.Fatalf("Unmarshal err %v, Read err %v", err, err2)
			}
			if err != nil {
				continue
			}
			again, err := Marshal(b)
			if err != nil {
				t.Fatalf("accepted bundle does not re-encode: %v", err)
			}
			b3, err := Unmarshal(again)
			if err != nil {
				t.Fatalf("re-encoded bundle does not decode: %v", err)
			}
			if b3.Kind != b.Kind || len(b3.Tensors) != len(b.Tensors) || b2.Kind != b.Kind {
				t.Fatalf("round trip changed the bundle")
			}
		}
	})
}
