package ais

import "errors"

// Reasons a line or message is rejected; Stats.Rejected counts by these.
const (
	ReasonChecksum    = "checksum mismatch"
	ReasonSyntax      = "bad sentence syntax"
	ReasonEmpty       = "empty payload"
	ReasonShort       = "payload too short"
	ReasonArmour      = "bad armouring character"
	ReasonFillBits    = "bad fill bits"
	ReasonBadField    = "bad field value"
	ReasonFragment    = "bad fragment"
	ReasonTooLong     = "line too long"
	ReasonUnsupported = "unsupported message type"
	ReasonOrphan      = "orphan fragment"
)

var (
	// ErrNotAIS is returned by ParseSentence for a line that is not an
	// AIVDM/AIVDO sentence: a comment, a blank line, or another NMEA
	// sentence. Readers skip such lines and count them.
	ErrNotAIS = errors.New("ais: not an AIVDM/AIVDO sentence")

	// ErrChecksum is returned by ParseSentence when the NMEA checksum does
	// not match. Typically the line was corrupted in reception.
	ErrChecksum = errors.New("ais: " + ReasonChecksum)

	// ErrSyntax is returned by ParseSentence for a sentence whose fields
	// are missing or out of range.
	ErrSyntax = errors.New("ais: " + ReasonSyntax)
)
