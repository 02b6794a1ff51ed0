// Package feed opens AIS inputs for programs built on Portolan: files, or
// readers of objects in any store, plain or compressed — gzip, zstd, bzip2,
// and each member of a zip archive (itself plain or compressed) —
// recognised by their leading bytes, never by their names. It is what the
// portolan command reads its inputs with; each Stream's text goes to
// ais.OpenPositions.
//
//	in, err := feed.Open("AIS_2020_01_01.zip")
//	defer in.Close()
//	for {
//		s, err := in.Next() // io.EOF after the last stream
//		...
//		positions, err := ais.OpenPositions(s.R, ais.Options{})
//	}
package feed

import (
	"io"

	"github.com/portolan-sdk/portolan/internal/feed"
)

// Input yields the streams of one input in order: the input itself,
// decompressed, or each member of a zip archive. Close it when done.
type Input = feed.Input

// Stream is one text stream of an input: its Name (the input's name, and
// ":member" for a zip member), its Compression layers, outermost first
// ("" for plain text, "gzip", "zip+zstd"), and its decompressed text R,
// valid until the next call to Input.Next.
type Stream = feed.Stream

// ErrUnsupported is returned for compressed data of a kind feed cannot
// read (xz), or compressed more than three times over.
var ErrUnsupported = feed.ErrUnsupported

// Open opens a file.
func Open(path string) (*Input, error) { return feed.Open(path, nil) }

// OpenReader reads an input from r, named name in its streams and errors
// (a URL, an object in a store). A zip archive is spooled to a temporary
// file for random access; Close removes it.
func OpenReader(name string, r io.Reader) (*Input, error) { return feed.OpenReader(name, r) }
