package export

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

// Magic is the first eight bytes of every bundle.
const Magic = "PORTOLAN"

// HeaderSize is the size in bytes of the fixed header before the body.
const HeaderSize = 24

// Limits that a reader enforces on untrusted input.
const (
	// MaxBodySize is the largest body Read accepts: 2 GiB.
	MaxBodySize = 1 << 31
	// MaxRank is the largest number of dimensions a tensor may have.
	MaxRank = 8
	// MaxTensorElements is the largest element count of one tensor: 2^31-1.
	MaxTensorElements = 1<<31 - 1
	// maxDepth bounds nesting of generic values in config and metadata.
	maxDepth = 32
)

// Version is a format version. Readers accept any minor version of a
// major version they know.
type Version struct {
	Major, Minor uint16
}

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// CurrentVersion is the version Write produces.
var CurrentVersion = Version{Major: 1, Minor: 1}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum returns the CRC-32C (Castagnoli) of b, the checksum a bundle
// header carries for its body.
func Checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// Header is the fixed-size prefix of a bundle.
type Header struct {
	Version  Version
	BodySize uint64
	CRC32C   uint32
}

// ReadHeader reads and checks the 24-byte header: the magic, a supported
// major version and a body size within MaxBodySize. It reads nothing else.
func ReadHeader(r io.Reader) (Header, error) {
	var b [HeaderSize]byte
	if n, err := io.ReadFull(r, b[:]); err != nil {
		if n < len(Magic) && string(b[:n]) != Magic[:n] {
			return Header{}, ErrBadMagic
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return Header{}, fmt.Errorf("%w: header is %d of %d bytes", ErrTruncated, n, HeaderSize)
		}
		return Header{}, fmt.Errorf("export: read header: %w", err)
	}
	return parseHeader(b[:])
}

func parseHeader(b []byte) (Header, error) {
	if string(b[:8]) != Magic {
		return Header{}, ErrBadMagic
	}
	h := Header{
		Version:  Version{binary.LittleEndian.Uint16(b[8:]), binary.LittleEndian.Uint16(b[10:])},
		BodySize: binary.LittleEndian.Uint64(b[12:]),
		CRC32C:   binary.LittleEndian.Uint32(b[20:]),
	}
	if h.Version.Major != CurrentVersion.Major {
		return h, &UnsupportedVersionError{Got: h.Version, Supported: CurrentVersion}
	}
	if h.BodySize > MaxBodySize {
		return h, fmt.Errorf("%w: body of %d bytes (limit %d)", ErrTooLarge, h.BodySize, MaxBodySize)
	}
	return h, nil
}

// Frame returns body behind a header of the current version that
// announces its length and checksum: a bundle file, as far as the framing
// goes (fuzz tests frame mutated bodies with it so they reach the body
// parser).
func Frame(body []byte) []byte {
	return append(appendHeader(make([]byte, 0, HeaderSize+len(body)), Header{Version: CurrentVersion, BodySize: uint64(len(body)), CRC32C: Checksum(body)}), body...)
}

func appendHeader(dst []byte, h Header) []byte {
	dst = append(dst, Magic...)
	dst = binary.LittleEndian.AppendUint16(dst, h.Version.Major)
	dst = binary.LittleEndian.AppendUint16(dst, h.Version.Minor)
	dst = binary.LittleEndian.AppendUint64(dst, h.BodySize)
	return binary.LittleEndian.AppendUint32(dst, h.CRC32C)
}
