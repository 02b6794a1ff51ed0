// Package export reads, writes and validates Portolan model bundles.
//
// A bundle is one file (extension .portolan) that carries everything a
// runtime needs to run a trained model: the model kind and its
// configuration, the preprocessing (feature names, scaler statistics, grid
// specification, ship-type and port vocabularies), the weight tensors
// (f32, f16, or int8 with per-output-channel scales), and metadata about
// the producer. docs/FORMAT.md is the normative specification; this
// package and the Python package portolan_train both follow it.
//
// # Layout
//
// A 24-byte header that can be read without parsing anything else:
//
//	offset size  field
//	0      8     magic "PORTOLAN"
//	8      2     format major version, little-endian uint16
//	10     2     format minor version, little-endian uint16
//	12     8     body length in bytes, little-endian uint64
//	20     4     CRC-32C (Castagnoli) of the body, little-endian uint32
//
// followed by the body: one msgpack map with string keys.
//
// # Compatibility
//
// A reader accepts every minor version of the major versions it knows and
// skips body fields it does not know, so a newer writer can add fields
// without breaking older readers. A new major version is refused with an
// *UnsupportedVersionError naming both versions.
//
// # Safety
//
// Read never trusts a size from the file: the body length is bounded by
// MaxBodySize and by the bytes actually present, the checksum is verified
// before the body is parsed, and every array, map, string and byte length
// inside the body is checked against the bytes that remain before anything
// is allocated for it. Malformed input returns an error, never a panic.
package export
