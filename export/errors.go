package export

import (
	"errors"
	"fmt"
)

var (
	// ErrBadMagic is returned when the first bytes are not the bundle magic.
	// Typically the file is not a .portolan bundle at all.
	ErrBadMagic = errors.New("export: not a portolan bundle (bad magic)")

	// ErrTruncated is returned when the input ends before the header or the
	// body length that the header announces. Typically the file was cut
	// short by an interrupted copy or download.
	ErrTruncated = errors.New("export: truncated bundle")

	// ErrChecksum is returned when the body's CRC-32C does not match the
	// header. Typically the file was corrupted on disk or in transit.
	ErrChecksum = errors.New("export: checksum mismatch")

	// ErrTooLarge is returned when a size in the file exceeds a limit of
	// this reader (MaxBodySize, MaxTensorElements, MaxRank, nesting depth).
	ErrTooLarge = errors.New("export: size over limit")

	// ErrMalformed is returned when the body is not the msgpack document
	// the format specifies: wrong types, lengths past the end, trailing bytes.
	ErrMalformed = errors.New("export: malformed body")

	// ErrInvalid is returned by Validate (and so by Read and Write) when the
	// bundle is well formed but its contents do not add up: a tensor whose
	// bytes do not match its shape and dtype, a non-finite weight, scaler
	// statistics of the wrong length, and so on.
	ErrInvalid = errors.New("export: invalid bundle")

	// ErrNoTensor is returned by (*Bundle).Tensor when no tensor has the name.
	ErrNoTensor = errors.New("export: no such tensor")
)

// UnsupportedVersionError is returned when a bundle's major format version
// is not one this reader knows.
type UnsupportedVersionError struct {
	Got       Version // the version in the file
	Supported Version // the newest version this reader writes and reads
}

func (e *UnsupportedVersionError) Error() string {
	return fmt.Sprintf("export: bundle format version %s is not supported (this reader supports %d.x, newest %s)",
		e.Got, e.Supported.Major, e.Supported)
}
