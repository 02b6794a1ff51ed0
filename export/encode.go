package export

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/portolan-sdk/portolan/internal/mpack"
)

// Marshal validates b and returns its encoding: header and body. The
// encoding is deterministic: the same bundle gives the same bytes.
func Marshal(b *Bundle) ([]byte, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	out := make([]byte, HeaderSize, HeaderSize+b.size())
	out, err := encodeBody(out, b)
	if err != nil {
		return nil, fmt.Errorf("export: encode body: %w", err)
	}
	body := out[HeaderSize:]
	if len(body) > MaxBodySize {
		return nil, fmt.Errorf("%w: body of %d bytes (limit %d)", ErrTooLarge, len(body), MaxBodySize)
	}
	h := Header{Version: CurrentVersion, BodySize: uint64(len(body)), CRC32C: Checksum(body)}
	appendHeader(out[:0], h)
	return out, nil
}

// Write validates b and writes its encoding to w.
func Write(w io.Writer, b *Bundle) error {
	data, err := Marshal(b)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// WriteFile writes b to path, replacing the file only once the whole
// bundle has been written.
func WriteFile(path string, b *Bundle) error {
	data, err := Marshal(b)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// encoder appends the body and keeps the first error, so a body is
// written as one straight sequence of calls and checked once at the end.
type encoder struct {
	b   []byte
	err error
}

func (e *encoder) key(k string) *encoder {
	e.b = mpack.AppendString(e.b, k)
	return e
}

func (e *encoder) val(v any) {
	if e.err == nil {
		e.b, e.err = mpack.AppendValue(e.b, v)
	}
}

func (e *encoder) mapLen(n int) { e.b = mpack.AppendMapHeader(e.b, n) }

func (e *encoder) arrayLen(n int) { e.b = mpack.AppendArrayHeader(e.b, n) }

func (e *encoder) float32s(v []float32) {
	e.arrayLen(len(v))
	for _, x := range v {
		e.b = mpack.AppendFloat32(e.b, x)
	}
}

// size returns about how many bytes the encoding takes: the tensors'
// bytes and a margin for the rest.
func (b *Bundle) size() int {
	n := HeaderSize + 4096
	for i := range b.Tensors {
		n += len(b.Tensors[i].Data) + 4*len(b.Tensors[i].Scales) + 64
	}
	return n
}

func encodeBody(dst []byte, b *Bundle) ([]byte, error) {
	e := &encoder{b: dst}
	e.mapLen(5)
	e.key("kind").val(b.Kind)
	e.key("config").val(nonNilMap(b.Config))

	p := &b.Preprocessing
	e.key("preprocessing").mapLen(8)
	e.key("features").val(nonNil(p.Features))
	e.key("mean").float32s(p.Mean)
	e.key("std").float32s(p.Std)
	e.key("grid")
	if p.Grid == nil {
		e.val(nil)
	} else {
		e.mapLen(2)
		e.key("system").val(p.Grid.System)
		e.key("resolution_deg").val(p.Grid.ResolutionDeg)
	}
	e.key("ship_types").val(nonNil(p.ShipTypes))
	e.key("ports").arrayLen(len(p.Ports))
	for _, port := range p.Ports {
		e.mapLen(4)
		e.key("locode").val(port.Locode)
		e.key("name").val(port.Name)
		e.key("lat").val(port.Lat)
		e.key("lon").val(port.Lon)
	}
	e.key("port_areas").arrayLen(len(p.PortAreas))
	for _, a := range p.PortAreas {
		e.mapLen(5)
		e.key("locode").val(a.Locode)
		e.key("name").val(a.Name)
		e.key("lat").val(a.Lat)
		e.key("lon").val(a.Lon)
		e.key("radius_m").val(a.RadiusM)
	}
	e.key("visit")
	if p.Visit == nil {
		e.val(nil)
	} else {
		e.mapLen(2)
		e.key("max_speed_knots").val(p.Visit.MaxSpeedKnots)
		e.key("min_dwell_s").val(p.Visit.MinDwellS)
	}

	e.key("tensors").arrayLen(len(b.Tensors))
	for i := range b.Tensors {
		t := &b.Tensors[i]
		e.mapLen(5)
		e.key("name").val(t.Name)
		e.key("dtype").val(string(t.DType))
		e.key("shape").arrayLen(len(t.Shape))
		for _, d := range t.Shape {
			e.val(int64(d))
		}
		e.key("data").val(nonNilBytes(t.Data))
		e.key("scales").val(nonNilBytes(putFloat32s(t.Scales)))
	}

	pr := &b.Producer
	e.key("producer").mapLen(6)
	e.key("tool").val(pr.Tool)
	e.key("version").val(pr.Version)
	e.key("framework").val(pr.Framework)
	created := ""
	if !pr.Created.IsZero() {
		created = pr.Created.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	e.key("created").val(created)
	e.key("metrics").val(nonNilMap(pr.Metrics))
	e.key("extra").val(nonNilMap(pr.Extra))
	return e.b, e.err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func nonNilMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}
