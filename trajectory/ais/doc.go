// Package ais decodes AIS (Automatic Identification System) data: NMEA 0183
// AIVDM/AIVDO sentences and tabular (CSV) exports such as MarineCadastre's
// and the Danish Maritime Authority's.
//
// The sentence layer accepts any talker (!AIVDM, !ABVDM, !SAVDM, …, and
// !xxVDO for own-ship reports), NMEA 4.10 tag blocks
// (\s:station,c:unixtime*hh\), a leading receive time (unix seconds,
// milliseconds, microseconds or nanoseconds, or ISO 8601), a trailing unix
// time, $PGHP timestamp lines, comments, blank lines and a UTF-8 byte order
// mark. It verifies checksums, de-armours the 6-bit payload, honours fill
// bits, and reassembles multi-fragment messages keyed by (source, sequence
// id, channel) in a bounded buffer with expiry. Fragments of a message
// arrive in order: a later fragment with no pending first part is an
// orphan, never joined to an unrelated message.
//
// Messages 1, 2, 3 (class A position), 4 (base station), 5 (static and
// voyage, including the 420- and 422-bit variants some transmitters send),
// 18 and 19 (class B), 24 (static data, parts A and B) and 27 (long-range
// position) are decoded with every field in real units: degrees, knots,
// metres, ROT in degrees per minute. Each "not available" sentinel becomes
// an explicit absent value (Opt with Valid false), never a number that looks
// real. Other message types are counted as unsupported.
//
// Reader streams messages from an io.Reader and keeps Stats that account for
// every input line; malformed input never stops the stream. Tracker merges
// static data into position reports per MMSI, and CSVReader reads tabular
// exports into the same merged Position records, matching columns by header
// name (CSVFormat, ParseCSVFormat). OpenPositions tells NMEA from the CSV
// layouts it knows, and refuses what it cannot read (compressed data,
// unknown layouts) with an error that quotes the input. Both readers
// account for their input (Account).
//
// The package reads text and knows no files, so it builds for every target
// (wasip1 included); decompression is the caller's (the portolan command
// does it by magic bytes).
//
// The reference for the layouts is the public AIVDM/AIVDO protocol
// decoding document maintained by the gpsd project (AIVDM.adoc) and
// ITU-R M.1371-5.
package ais
