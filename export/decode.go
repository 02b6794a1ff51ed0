package export

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/portolan-sdk/portolan/internal/mpack"
)

// Read reads one bundle from r: the header, then exactly the body length
// it announces. It verifies the checksum before parsing and validates the
// result. Memory grows with the bytes actually read, never with a size the
// input claims.
func Read(r io.Reader) (*Bundle, error) {
	h, err := ReadHeader(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(r, int64(h.BodySize)))
	if err != nil {
		return nil, fmt.Errorf("export: read body: %w", err)
	}
	if uint64(len(body)) != h.BodySize {
		return nil, fmt.Errorf("%w: body is %d of %d bytes", ErrTruncated, len(body), h.BodySize)
	}
	return decodeChecked(h, body)
}

// Unmarshal decodes a bundle from data, which must hold exactly one bundle.
func Unmarshal(data []byte) (*Bundle, error) {
	if len(data) < HeaderSize {
		if !bytes.HasPrefix([]byte(Magic), data[:min(len(data), len(Magic))]) {
			return nil, ErrBadMagic
		}
		return nil, fmt.Errorf("%w: header is %d of %d bytes", ErrTruncated, len(data), HeaderSize)
	}
	h, err := parseHeader(data)
	if err != nil {
		return nil, err
	}
	body := data[HeaderSize:]
	switch {
	case uint64(len(body)) < h.BodySize:
		return nil, fmt.Errorf("%w: body is %d of %d bytes", ErrTruncated, len(body), h.BodySize)
	case uint64(len(body)) > h.BodySize:
		return nil, fmt.Errorf("%w: %d bytes after the body", ErrMalformed, uint64(len(body))-h.BodySize)
	}
	return decodeChecked(h, body)
}

// ReadFile reads the bundle at path.
func ReadFile(path string) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// One bundle per file: anything after the body is corruption.
	var one [1]byte
	if n, _ := f.Read(one[:]); n > 0 {
		return nil, fmt.Errorf("%s: %w: bytes after the body", path, ErrMalformed)
	}
	return b, nil
}

func decodeChecked(h Header, body []byte) (*Bundle, error) {
	if got := Checksum(body); got != h.CRC32C {
		return nil, fmt.Errorf("%w: body CRC-32C is %08x, header says %08x", ErrChecksum, got, h.CRC32C)
	}
	b, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	b.Version = h.Version
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return b, nil
}

// reader decodes msgpack from an in-memory body; internal/mpack checks
// every length against the bytes that remain before it allocates.
type reader struct {
	d *mpack.Decoder
}

func malformed(what string, err error) error {
	if errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrInvalid) {
		return fmt.Errorf("%s: %w", what, err)
	}
	if errors.Is(err, mpack.ErrTooDeep) {
		return fmt.Errorf("%w: %s: %v", ErrTooLarge, what, err)
	}
	return fmt.Errorf("%w: %s: %v", ErrMalformed, what, err)
}

func (r *reader) mapLen() (int, error) {
	if r.isNil() {
		return 0, r.d.Nil()
	}
	return r.d.MapLen()
}

func (r *reader) arrayLen() (int, error) {
	if r.isNil() {
		return 0, r.d.Nil()
	}
	return r.d.ArrayLen()
}

func (r *reader) isNil() bool { return r.d.IsNil() }

func (r *reader) str() (string, error) {
	if r.isNil() {
		return "", r.d.Nil()
	}
	return r.d.String()
}

func (r *reader) bin() ([]byte, error) {
	if r.isNil() {
		return nil, r.d.Nil()
	}
	b, err := r.d.Bytes()
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}

func (r *reader) number() (float64, error) { return r.d.Float() }

func (r *reader) integer() (int64, error) { return r.d.Int() }

func (r *reader) strings() ([]string, error) {
	n, err := r.arrayLen()
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range out {
		if out[i], err = r.str(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *reader) float32s() ([]float32, error) {
	n, err := r.arrayLen()
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]float32, n)
	for i := range out {
		x, err := r.number()
		if err != nil {
			return nil, err
		}
		out[i] = float32(x)
	}
	return out, nil
}

// fields calls fn for each key of a string-keyed map; fn must consume the
// value. Keys fn does not know are skipped by returning false.
func (r *reader) fields(fn func(key string) (bool, error)) error {
	n, err := r.mapLen()
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		k, err := r.str()
		if err != nil {
			return err
		}
		known, err := fn(k)
		if err != nil {
			return malformed(k, err)
		}
		if !known {
			if err := r.d.Skip(maxDepth); err != nil {
				return malformed(k, err)
			}
		}
	}
	return nil
}

// value decodes one generic value into nil, bool, int64, uint64 (only
// above MaxInt64), float64, string, []byte, []any or map[string]any,
// nested at most maxDepth deep.
func (r *reader) value() (any, error) { return r.d.Value(maxDepth) }

func decodeBody(body []byte) (*Bundle, error) {
	r := &reader{d: mpack.NewDecoder(body)}
	b := &Bundle{}
	seen := map[string]bool{}
	err := r.fields(func(k string) (bool, error) {
		if seen[k] {
			return false, fmt.Errorf("%w: duplicate key", ErrMalformed)
		}
		seen[k] = true
		var err error
		switch k {
		case "kind":
			b.Kind, err = r.str()
		case "config":
			var v any
			if v, err = r.value(); err == nil {
				m, ok := v.(map[string]any)
				if !ok && v != nil {
					return true, fmt.Errorf("%w: want a map, found %T", ErrMalformed, v)
				}
				b.Config = m
			}
		case "preprocessing":
			err = r.preprocessing(&b.Preprocessing)
		case "tensors":
			b.Tensors, err = r.tensors()
		case "producer":
			err = r.producer(&b.Producer)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, malformed("body", err)
	}
	if r.d.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the body map", ErrMalformed, r.d.Len())
	}
	for _, k := range []string{"kind", "tensors"} {
		if !seen[k] {
			return nil, fmt.Errorf("%w: body has no %q", ErrMalformed, k)
		}
	}
	return b, nil
}

func (r *reader) preprocessing(p *Preprocessing) error {
	return r.fields(func(k string) (bool, error) {
		var err error
		switch k {
		case "features":
			p.Features, err = r.strings()
		case "mean":
			p.Mean, err = r.float32s()
		case "std":
			p.Std, err = r.float32s()
		case "ship_types":
			p.ShipTypes, err = r.strings()
		case "grid":
			if r.isNil() {
				return true, r.d.Nil()
			}
			g := &Grid{}
			p.Grid = g
			err = r.fields(func(k string) (bool, error) {
				var err error
				switch k {
				case "system":
					g.System, err = r.str()
				case "resolution_deg":
					g.ResolutionDeg, err = r.number()
				default:
					return false, nil
				}
				return true, err
			})
		case "ports":
			var n int
			if n, err = r.arrayLen(); err != nil {
				return true, err
			}
			p.Ports = make([]Port, n)
			for i := range p.Ports {
				port := &p.Ports[i]
				var a PortArea
				if err = r.portFields(&a); err != nil {
					return true, fmt.Errorf("port %d: %w", i, err)
				}
				*port = Port{Locode: a.Locode, Name: a.Name, Lat: a.Lat, Lon: a.Lon}
			}
		case "port_areas":
			var n int
			if n, err = r.arrayLen(); err != nil || n == 0 {
				return true, err
			}
			p.PortAreas = make([]PortArea, n)
			for i := range p.PortAreas {
				if err = r.portFields(&p.PortAreas[i]); err != nil {
					return true, fmt.Errorf("port area %d: %w", i, err)
				}
			}
		case "visit":
			if r.isNil() {
				return true, r.d.Nil()
			}
			v := &VisitRules{}
			p.Visit = v
			err = r.fields(func(k string) (bool, error) {
				var err error
				switch k {
				case "max_speed_knots":
					v.MaxSpeedKnots, err = r.number()
				case "min_dwell_s":
					v.MinDwellS, err = r.number()
				default:
					return false, nil
				}
				return true, err
			})
		default:
			return false, nil
		}
		return true, err
	})
}

// portFields reads one port map (a vocabulary entry or a port area; a
// vocabulary entry has no radius_m).
func (r *reader) portFields(a *PortArea) error {
	return r.fields(func(k string) (bool, error) {
		var err error
		switch k {
		case "locode":
			a.Locode, err = r.str()
		case "name":
			a.Name, err = r.str()
		case "lat":
			a.Lat, err = r.number()
		case "lon":
			a.Lon, err = r.number()
		case "radius_m":
			a.RadiusM, err = r.number()
		default:
			return false, nil
		}
		return true, err
	})
}

func (r *reader) tensors() ([]Tensor, error) {
	n, err := r.arrayLen()
	if err != nil {
		return nil, err
	}
	ts := make([]Tensor, n)
	for i := range ts {
		t := &ts[i]
		err := r.fields(func(k string) (bool, error) {
			var err error
			switch k {
			case "name":
				t.Name, err = r.str()
			case "dtype":
				var s string
				s, err = r.str()
				t.DType = DType(s)
			case "shape":
				var n int
				if n, err = r.arrayLen(); err != nil {
					return true, err
				}
				if n > MaxRank {
					return true, fmt.Errorf("%w: rank %d over %d", ErrTooLarge, n, MaxRank)
				}
				t.Shape = nil // a scalar has no dimensions
				if n > 0 {
					t.Shape = make([]int, n)
				}
				for j := range t.Shape {
					d, err := r.integer()
					if err != nil {
						return true, err
					}
					if d <= 0 || d > MaxTensorElements {
						return true, fmt.Errorf("%w: dimension %d", ErrInvalid, d)
					}
					t.Shape[j] = int(d)
				}
			case "data":
				t.Data, err = r.bin()
			case "scales":
				var b []byte
				if b, err = r.bin(); err == nil {
					if len(b)%4 != 0 {
						return true, fmt.Errorf("%w: scales are %d bytes, not a multiple of 4", ErrMalformed, len(b))
					}
					if len(b) > 0 {
						t.Scales = getFloat32s(b)
					}
				}
			default:
				return false, nil
			}
			return true, err
		})
		if err != nil {
			return nil, fmt.Errorf("tensor %d (%q): %w", i, t.Name, err)
		}
	}
	return ts, nil
}

func (r *reader) producer(p *Producer) error {
	return r.fields(func(k string) (bool, error) {
		var err error
		switch k {
		case "tool":
			p.Tool, err = r.str()
		case "version":
			p.Version, err = r.str()
		case "framework":
			p.Framework, err = r.str()
		case "created":
			var s string
			if s, err = r.str(); err == nil && s != "" {
				p.Created, err = time.Parse(time.RFC3339, s)
			}
		case "metrics":
			var n int
			if n, err = r.mapLen(); err != nil {
				return true, err
			}
			p.Metrics = make(map[string]float64, n)
			for i := 0; i < n; i++ {
				key, err := r.str()
				if err != nil {
					return true, err
				}
				if p.Metrics[key], err = r.number(); err != nil {
					return true, err
				}
			}
		case "extra":
			var n int
			if n, err = r.mapLen(); err != nil {
				return true, err
			}
			p.Extra = make(map[string]string, n)
			for i := 0; i < n; i++ {
				key, err := r.str()
				if err != nil {
					return true, err
				}
				if p.Extra[key], err = r.str(); err != nil {
					return true, err
				}
			}
		default:
			return false, nil
		}
		return true, err
	})
}
