// Package feed opens AIS inputs for the portolan command: files or
// standard input, plain or compressed — gzip, zstd, bzip2, and each member
// of a zip archive (itself plain or compressed) — recognised by their
// leading bytes, never by their names. The readers of trajectory/ais then
// take the text: they know no files, so they build for wasip1 and take no
// dependency on a decompressor.
package feed

import (
	"archive/zip"
	"bufio"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

var (
	// ErrUnsupported is returned for compressed data of a kind feed cannot
	// read (xz).
	ErrUnsupported = errors.New("feed: unsupported compression")
	// ErrExpansion is returned when compressed data expands far beyond
	// what text compresses to (a decompression bomb): past
	// expansionFloor bytes of output, more than maxRatio times the
	// compressed bytes read. AIS text compresses 5 to 20 times.
	ErrExpansion = errors.New("feed: compressed data expands without bound")
	// ErrTooLarge is returned when standard input holding a zip archive,
	// which is copied to a temporary file to be read, exceeds maxSpool.
	ErrTooLarge = errors.New("feed: input too large")
)

// Bounds on what a hostile input can cost. Variables so tests can lower
// them.
var (
	expansionFloor int64 = 256 << 20 // decompressed bytes always allowed
	maxRatio       int64 = 250       // decompressed bytes per compressed byte beyond the floor
	maxSpool       int64 = 16 << 30  // bytes of a zip archive spooled from standard input
)

// maxWindow bounds the zstd window a stream may ask for: enough for
// archives made with --long=27, refused beyond that rather than
// allocating what a hostile header asks for.
const maxWindow = 128 << 20

// Stream is one text stream of an input: the file itself, decompressed,
// or one member of a zip archive.
type Stream struct {
	Name        string // the path ("-" for standard input), and ":member" for a zip member
	Compression string // "" for plain text, else the layers, outermost first: "gzip", "zip", "zip+zstd"
	R           io.Reader
}

// Input yields the streams of one path in order. Close it when done.
type Input struct {
	path    string
	file    *os.File // the opened file, nil for standard input
	tmp     string   // a spooled copy of standard input, for zip
	first   *Stream
	zr      *zip.Reader
	members []*zip.File
	cur     io.Closer
}

// Open opens path, or stdin for "-". It reads the leading bytes to
// recognise compression; decompression happens as the streams are read.
func Open(path string, stdin io.Reader) (*Input, error) {
	in := &Input{path: path}
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		in.file, r = f, f
	}
	return in.open(r)
}

// OpenReader reads an input from r, named name in its streams and errors
// (a URL, an object in a store). A zip archive is spooled to a temporary
// file for random access; Close removes it.
func OpenReader(name string, r io.Reader) (*Input, error) {
	return (&Input{path: name}).open(r)
}

func (in *Input) open(r io.Reader) (*Input, error) {
	path := in.path
	src := &counter{r: r}
	br := bufio.NewReaderSize(src, 64<<10)
	head, err := br.Peek(8)
	if err != nil && err != io.EOF {
		in.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if ais.CompressionOf(head) != "zip" {
		s, err := decompress(br, path, src.read, false)
		if err != nil {
			in.Close()
			return nil, err
		}
		in.first = s
		if c, ok := s.R.(io.Closer); ok {
			in.cur = c
		}
		return in, nil
	}
	// zip needs random access: a file has it; standard input is spooled
	ra, size, err := in.randomAccess(br)
	if err != nil {
		in.Close()
		return nil, err
	}
	if in.zr, err = zip.NewReader(ra, size); err != nil {
		in.Close()
		return nil, fmt.Errorf("%s: zip: %w", path, err)
	}
	for _, f := range in.zr.File {
		if f.FileInfo().IsDir() || strings.HasPrefix(f.Name, "__MACOSX/") {
			continue
		}
		in.members = append(in.members, f)
	}
	if len(in.members) == 0 {
		in.Close()
		return nil, fmt.Errorf("%s: zip archive without files", path)
	}
	return in, nil
}

func (in *Input) randomAccess(br *bufio.Reader) (io.ReaderAt, int64, error) {
	if in.file != nil {
		if st, err := in.file.Stat(); err == nil && st.Mode().IsRegular() {
			return in.file, st.Size(), nil
		}
	}
	f, err := os.CreateTemp("", "portolan-zip-*")
	if err != nil {
		return nil, 0, err
	}
	in.tmp = f.Name()
	n, err := io.Copy(f, io.LimitReader(br, maxSpool+1))
	if err == nil && n > maxSpool {
		err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxSpool)
	}
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("%s: spooling the zip archive: %w", in.path, err)
	}
	if in.file != nil {
		in.file.Close()
	}
	in.file = f
	return f, n, nil
}

// Next returns the next stream, or io.EOF after the last. A stream is
// valid until the next call.
func (in *Input) Next() (*Stream, error) {
	if in.first != nil {
		s := in.first
		in.first = nil
		return s, nil
	}
	if in.cur != nil {
		in.cur.Close()
		in.cur = nil
	}
	if len(in.members) == 0 {
		return nil, io.EOF
	}
	f := in.members[0]
	in.members = in.members[1:]
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s:%s: %w", in.path, f.Name, err)
	}
	in.cur = rc
	// the member's text against its compressed size in the archive (rc
	// is already inflated)
	packed := int64(min(f.CompressedSize64, 1<<40))
	s, err := decompress(bufio.NewReaderSize(rc, 64<<10), in.path+":"+f.Name, func() int64 { return packed }, true)
	if err != nil {
		return nil, err
	}
	if c, ok := s.R.(io.Closer); ok {
		in.cur = multiCloser{c, rc}
	}
	s.Compression = strings.TrimSuffix("zip+"+s.Compression, "+")
	return s, nil
}

// Close releases the file and any decompressor.
func (in *Input) Close() error {
	if in.cur != nil {
		in.cur.Close()
	}
	if in.file != nil {
		in.file.Close()
	}
	if in.tmp != "" {
		os.Remove(in.tmp)
	}
	return nil
}

// decompress wraps br in the decompressors its leading bytes name, layer
// after layer (a .gz.gz decompresses twice). packed returns the compressed
// bytes read so far: the output of a compressed stream (or of a zip
// member, zipped) is refused (ErrExpansion) when it runs past
// expansionFloor and maxRatio times packed.
func decompress(br *bufio.Reader, name string, packed func() int64, zipped bool) (*Stream, error) {
	s := &Stream{Name: name, R: br}
	var closers multiCloser
	for depth := 0; ; depth++ {
		head, _ := br.Peek(8)
		kind := ais.CompressionOf(head)
		if kind == "" {
			break
		}
		if depth == 3 {
			return nil, fmt.Errorf("%s: compressed more than three times over: %w", name, ErrUnsupported)
		}
		var r io.Reader
		switch kind {
		case "gzip":
			zr, err := gzip.NewReader(br)
			if err != nil {
				return nil, fmt.Errorf("%s: gzip: %w", name, err)
			}
			r = zr
			closers = append(closers, zr)
		case "zstd":
			zr, err := zstd.NewReader(br, zstd.WithDecoderMaxWindow(maxWindow), zstd.WithDecoderConcurrency(1))
			if err != nil {
				return nil, fmt.Errorf("%s: zstd: %w", name, err)
			}
			r = zr
			closers = append(closers, zstdCloser{zr})
		case "bzip2":
			r = bzip2.NewReader(br)
		case "zip":
			return nil, fmt.Errorf("%s: a zip archive inside a compressed stream: %w", name, ErrUnsupported)
		default:
			return nil, fmt.Errorf("%s: %s: %w (decompress it first)", name, kind, ErrUnsupported)
		}
		s.Compression = strings.TrimPrefix(s.Compression+"+"+kind, "+")
		br = bufio.NewReaderSize(r, 64<<10)
		s.R = br
	}
	if s.Compression != "" || zipped {
		s.R = &expansionGuard{r: s.R, packed: packed, name: name}
	}
	if len(closers) > 0 {
		s.R = readCloser{s.R, closers}
	}
	return s, nil
}

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *counter) read() int64 { return c.n }

// expansionGuard fails a decompressed stream that expands like a bomb.
type expansionGuard struct {
	r      io.Reader
	packed func() int64
	out    int64
	name   string
}

func (g *expansionGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.out += int64(n)
	if g.out > expansionFloor && g.out/maxRatio > g.packed() {
		return 0, fmt.Errorf("%s: %w: %d bytes out of %d compressed (more than %d times)", g.name, ErrExpansion, g.out, g.packed(), maxRatio)
	}
	return n, err
}

type readCloser struct {
	io.Reader
	io.Closer
}

// multiCloser closes every decompressor of a stream.
type multiCloser []io.Closer

func (m multiCloser) Close() error {
	for _, c := range m {
		c.Close()
	}
	return nil
}

// zstdCloser releases the decoder's goroutines and buffers on Close.
type zstdCloser struct{ *zstd.Decoder }

func (z zstdCloser) Close() error { z.Decoder.Close(); return nil }
