package wasmbuild

import (
	"encoding/binary"
	"errors"
	"sort"
	"strings"
)

// PackageSize is the code of one Go package in a module.
type PackageSize struct {
	Package string
	Bytes   int
}

// Sections returns the size of each section of a module by name ("code",
// "data", "name", ...), and CodeByPackage the code bytes of each Go
// package, largest first. CodeByPackage needs the name section, so it
// needs a module built without -ldflags=-s.
func Sections(wasm []byte) (map[string]int, error) {
	out := map[string]int{}
	err := sections(wasm, func(id byte, body []byte) error {
		names := map[byte]string{0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory",
			6: "global", 7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "datacount"}
		name := names[id]
		if id == 0 {
			if n, k := binary.Uvarint(body); k > 0 && uint64(len(body)-k) >= n {
				name = string(body[k : k+int(n)])
			}
		}
		out[name] += len(body)
		return nil
	})
	return out, err
}

var errModule = errors.New("wasmbuild: not a WebAssembly module")

func sections(wasm []byte, fn func(id byte, body []byte) error) error {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return errModule
	}
	for p := 8; p < len(wasm); {
		id := wasm[p]
		n, k := binary.Uvarint(wasm[p+1:])
		if k <= 0 || uint64(len(wasm)-p-1-k) < n {
			return errModule
		}
		body := wasm[p+1+k : p+1+k+int(n)]
		if err := fn(id, body); err != nil {
			return err
		}
		p += 1 + k + int(n)
	}
	return nil
}

// CodeByPackage attributes every function body to its Go package by the
// function's name in the name section.
func CodeByPackage(wasm []byte) ([]PackageSize, error) {
	var imports int
	var bodies []int
	names := map[int]string{}
	err := sections(wasm, func(id byte, b []byte) error {
		r := &reader{b: b}
		switch id {
		case 2: // imports: only functions are counted in the index space
			for n := r.uv(); n > 0 && r.ok(); n-- {
				r.skip(int(r.uv()))
				r.skip(int(r.uv()))
				if kind := r.byte(); kind == 0 {
					imports++
					r.uv()
				} else {
					return errors.New("wasmbuild: a non-function import")
				}
			}
		case 10:
			for n := r.uv(); n > 0 && r.ok(); n-- {
				size := int(r.uv())
				bodies = append(bodies, size)
				r.skip(size)
			}
		case 0:
			if string(r.bytes(int(r.uv()))) != "name" {
				return nil
			}
			for r.ok() && r.p < len(r.b) {
				sub := r.byte()
				sr := &reader{b: r.bytes(int(r.uv()))}
				if sub != 1 {
					continue
				}
				for n := sr.uv(); n > 0 && sr.ok(); n-- {
					idx := int(sr.uv())
					names[idx] = string(sr.bytes(int(sr.uv())))
				}
			}
		}
		if !r.ok() {
			return errModule
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("wasmbuild: the module has no name section (built with -s)")
	}
	by := map[string]int{}
	for i, size := range bodies {
		by[packageOf(names[imports+i])] += size
	}
	out := make([]PackageSize, 0, len(by))
	for p, n := range by {
		out = append(out, PackageSize{p, n})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Bytes > out[j].Bytes || (out[i].Bytes == out[j].Bytes && out[i].Package < out[j].Package)
	})
	return out, nil
}

// packageOf returns the package of a wasm function name, in which Go
// writes "/" and "-" as "_": "github.com_portolan_sdk_portolan_models.NewWAY"
// is in github.com/portolan-sdk/portolan/models (this module's path is
// restored; other dashes cannot be told from slashes).
func packageOf(name string) string {
	skip := 0
	for _, host := range []string{"github.com_", "go.mongodb.org_", "gonum.org_", "golang.org_"} {
		if strings.HasPrefix(name, host) {
			skip = len(host)
		}
	}
	pkg := name
	if dot := strings.IndexByte(name[skip:], '.'); dot >= 0 {
		pkg = name[:skip+dot]
	}
	pkg = strings.ReplaceAll(pkg, "_", "/")
	if rest, ok := strings.CutPrefix(pkg, "github.com/portolan/sdk/portolan"); ok {
		pkg = "github.com/portolan-sdk/portolan" + rest
	}
	return pkg
}

type reader struct {
	b   []byte
	p   int
	bad bool
}

func (r *reader) ok() bool { return !r.bad }

func (r *reader) uv() uint64 {
	if r.bad || r.p >= len(r.b) {
		r.bad = true
		return 0
	}
	v, k := binary.Uvarint(r.b[r.p:])
	if k <= 0 {
		r.bad = true
		return 0
	}
	r.p += k
	return v
}

func (r *reader) byte() byte {
	if r.bad || r.p >= len(r.b) {
		r.bad = true
		return 0
	}
	r.p++
	return r.b[r.p-1]
}

func (r *reader) bytes(n int) []byte {
	if r.bad || n < 0 || n > len(r.b)-r.p {
		r.bad = true
		return nil
	}
	r.p += n
	return r.b[r.p-n : r.p]
}

func (r *reader) skip(n int) { r.bytes(n) }
