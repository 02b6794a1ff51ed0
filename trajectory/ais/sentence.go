package ais

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// Sentence is one parsed AIVDM/AIVDO sentence with what preceded it on the
// line (tag block, receiver timestamp).
type Sentence struct {
	Talker  string // e.g. "AI", "AB", "SA"
	Own     bool   // VDO: own-vessel report
	Count   int    // number of fragments, 1..9
	Num     int    // this fragment's number, 1..Count
	SeqID   int    // sequential message id 0..9, or -1 when empty
	Channel byte   // 'A', 'B', '1', '2', or 0 when empty
	Payload []byte // armoured payload; aliases the input line
	Fill    int    // fill bits, 0..5
	// Time is the receive time from a tag block (c:), a leading unix or
	// ISO 8601 time, or a trailing unix time; zero when the line has none.
	Time time.Time
	// PrefixIgnored is true when text that is not a time came before the
	// sentence on its line (a line number, a station name).
	PrefixIgnored bool
	// Source and Group come from the tag block (s: and the id of g:).
	Source, Group string
}

// ParseSentence parses one line. It returns ErrNotAIS for comments, blank
// lines and other NMEA sentences, and errors wrapping ErrChecksum or
// ErrSyntax for damaged sentences. The returned Payload aliases line.
func ParseSentence(line []byte) (Sentence, error) {
	var s Sentence
	line = bytes.TrimSpace(trimBOM(line))
	if len(line) == 0 || line[0] == '#' {
		return s, ErrNotAIS
	}
	// A receiver's time before the sentence: "1241544035 !AIVDM…" (unix
	// seconds, milliseconds, microseconds or nanoseconds) or
	// "2024-05-01T12:00:00Z !AIVDM…".
	if c := line[0]; c != '!' && c != '\\' && c != '$' {
		start := sentenceStart(line)
		if start < 0 {
			return s, ErrNotAIS
		}
		s.Time = prefixTime(bytes.TrimRight(line[:start], " \t,;"))
		s.PrefixIgnored = s.Time.IsZero()
		line = line[start:]
	}
	if line[0] == '\\' {
		end := bytes.IndexByte(line[1:], '\\')
		if end < 0 {
			return s, fmt.Errorf("%w: unterminated tag block", ErrSyntax)
		}
		if err := parseTagBlock(line[1:1+end], &s); err != nil {
			return s, err
		}
		line = line[end+2:]
	}
	if len(line) < 7 || (line[0] != '!' && line[0] != '$') || !bytes.Equal(line[3:5], []byte("VD")) ||
		(line[5] != 'M' && line[5] != 'O') || line[6] != ',' {
		return s, ErrNotAIS
	}
	star := bytes.LastIndexByte(line, '*')
	if star < 0 || star+3 > len(line) {
		return s, fmt.Errorf("%w: no checksum", ErrSyntax)
	}
	want, ok := hex2(line[star+1 : star+3])
	if !ok {
		return s, fmt.Errorf("%w: bad checksum digits %q", ErrSyntax, line[star+1:star+3])
	}
	if got := xorSum(line[1:star]); got != want {
		return s, fmt.Errorf("%w: computed %02X, sentence says %02X", ErrChecksum, got, want)
	}
	// Some feeds append ",<unix time>" after the checksum.
	if rest := line[star+3:]; len(rest) > 1 && rest[0] == ',' && s.Time.IsZero() {
		s.Time = unixTime(rest[1:])
	}
	s.Talker = talker(line[1:3])
	s.Own = line[5] == 'O'

	// count, number, sequence id, channel, payload, fill bits
	var f [6][]byte
	body := line[7:star]
	for i := 0; i < 5; i++ {
		j := bytes.IndexByte(body, ',')
		if j < 0 {
			return s, fmt.Errorf("%w: want 7 fields", ErrSyntax)
		}
		f[i], body = body[:j], body[j+1:]
	}
	f[5] = body
	var okc, okn bool
	s.Count, okc = digit(f[0], 1, 9)
	s.Num, okn = digit(f[1], 1, 9)
	if !okc || !okn || s.Num > s.Count {
		return s, fmt.Errorf("%w: fragment %q of %q", ErrSyntax, f[1], f[0])
	}
	s.SeqID = -1
	if len(f[2]) > 0 {
		if s.SeqID, ok = digit(f[2], 0, 9); !ok {
			return s, fmt.Errorf("%w: sequence id %q", ErrSyntax, f[2])
		}
	}
	switch len(f[3]) {
	case 0:
	case 1:
		s.Channel = f[3][0]
	default:
		return s, fmt.Errorf("%w: channel %q", ErrSyntax, f[3])
	}
	s.Payload = f[4]
	if s.Fill, ok = digit(f[5], 0, 5); !ok {
		return s, fmt.Errorf("%w: fill bits %q", ErrSyntax, f[5])
	}
	return s, nil
}

func digit(b []byte, lo, hi int) (int, bool) {
	if len(b) != 1 || b[0] < '0' || b[0] > '9' {
		return 0, false
	}
	v := int(b[0] - '0')
	return v, v >= lo && v <= hi
}

func xorSum(b []byte) byte {
	var x byte
	for _, c := range b {
		x ^= c
	}
	return x
}

func hex2(b []byte) (byte, bool) {
	var v byte
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | (c - '0')
		case c >= 'A' && c <= 'F':
			v = v<<4 | (c - 'A' + 10)
		case c >= 'a' && c <= 'f':
			v = v<<4 | (c - 'a' + 10)
		default:
			return 0, false
		}
	}
	return v, len(b) == 2
}

// trimBOM removes a UTF-8 byte order mark from the start of b.
func trimBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return b[3:]
	}
	return b
}

// sentenceStart returns the index of the tag block or sentence that
// follows a prefix: the first '\\' or '!', or -1.
func sentenceStart(line []byte) int {
	for i, c := range line {
		if c == '!' || c == '\\' {
			return i
		}
	}
	return -1
}

// prefixTime reads a receive time written before a sentence: unix time
// (see unixTime) or an ISO 8601 date and time ("2024-05-01T12:00:00Z",
// "2024-05-01 12:00:00.123", UTC when no zone is given). It returns the
// zero time for anything else.
func prefixTime(b []byte) time.Time {
	if t := unixTime(b); !t.IsZero() {
		return t
	}
	if len(b) < 19 || b[4] != '-' || b[7] != '-' {
		return time.Time{}
	}
	t, ok := parseISO(b)
	if !ok {
		return time.Time{}
	}
	return t
}

// minUnix is the earliest receive time believed, 1990-01-01 (AIS began in
// 2002): a smaller leading number is a line counter, not a time.
const minUnix = 631152000

// unixTime parses a unix time whose resolution follows from its size, as
// capture tools write them: seconds (below 10¹¹, optionally with a
// fraction), milliseconds (below 10¹⁴, optionally with a fraction),
// microseconds (below 10¹⁷) or nanoseconds. Integer parts are read exactly.
// It returns the zero time for anything else, and for times before 1990.
func unixTime(b []byte) time.Time {
	i := 0
	var n uint64
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if i >= 19 {
			return time.Time{}
		}
		n = n*10 + uint64(b[i]-'0')
		i++
	}
	if i == 0 {
		return time.Time{}
	}
	var frac uint64 // fraction in nanoseconds of the unit
	if i < len(b) {
		if b[i] != '.' {
			return time.Time{}
		}
		scale := uint64(1e8)
		for j := i + 1; j < len(b); j++ {
			c := b[j]
			if c < '0' || c > '9' {
				return time.Time{}
			}
			frac += uint64(c-'0') * scale
			scale /= 10
		}
	}
	var sec, nsec int64
	switch {
	case n < 1e11:
		sec, nsec = int64(n), int64(frac)
	case n < 1e14:
		sec, nsec = int64(n/1e3), int64(n%1e3)*1e6+int64(frac/1e3)
	case n < 1e17:
		sec, nsec = int64(n/1e6), int64(n%1e6)*1e3+int64(frac/1e6)
	default:
		sec, nsec = int64(n/1e9), int64(n%1e9)+int64(frac/1e9)
	}
	if sec < minUnix {
		return time.Time{}
	}
	return time.Unix(sec, nsec).UTC()
}

// parseISO reads "YYYY-MM-DD[T ]hh:mm:ss[.fraction][Z|±hh:mm| UTC| GMT]",
// UTC when no zone is given, without allocating.
func parseISO(b []byte) (time.Time, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(s []byte) int {
		v := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, h, mi, sec := num(b[0:4]), num(b[5:7]), num(b[8:10]), num(b[11:13]), num(b[14:16]), num(b[17:19])
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60 {
		return time.Time{}, false
	}
	rest := b[19:]
	nsec := 0
	if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
		scale := int(1e8)
		j := 1
		for ; j < len(rest) && rest[j] >= '0' && rest[j] <= '9'; j++ {
			nsec += int(rest[j]-'0') * scale
			scale /= 10
		}
		if j == 1 {
			return time.Time{}, false
		}
		rest = rest[j:]
	}
	offset := 0
	switch z := string(bytes.TrimSpace(rest)); {
	case z == "", z == "Z", z == "UTC", z == "GMT", z == "+00:00", z == "+0000":
	case len(z) == 6 && (z[0] == '+' || z[0] == '-') && z[3] == ':', len(z) == 5 && (z[0] == '+' || z[0] == '-'):
		hh, mm := num([]byte(z[1:3])), num([]byte(z[len(z)-2:]))
		if hh < 0 || mm < 0 || hh > 14 || mm > 59 {
			return time.Time{}, false
		}
		offset = hh*3600 + mm*60
		if z[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, nsec, time.UTC)
	if t.Day() != d {
		return time.Time{}, false // 31 April
	}
	return t.Add(-time.Duration(offset) * time.Second), true
}

// parseTagBlock reads "k:v,k:v*hh" (NMEA 4.10). A two-digit checksum is
// verified; the fields used are c (unix time in seconds or milliseconds,
// see unixTime), s (source) and g (group).
func parseTagBlock(tb []byte, s *Sentence) error {
	if star := bytes.LastIndexByte(tb, '*'); star >= 0 {
		if want, ok := hex2(tb[star+1:]); ok && xorSum(tb[:star]) != want {
			return fmt.Errorf("%w: tag block", ErrChecksum)
		}
		tb = tb[:star]
	}
	for len(tb) > 0 {
		var field []byte
		if i := bytes.IndexByte(tb, ','); i >= 0 {
			field, tb = tb[:i], tb[i+1:]
		} else {
			field, tb = tb, nil
		}
		if len(field) < 2 || field[1] != ':' {
			continue
		}
		v := field[2:]
		switch field[0] {
		case 'c':
			s.Time = unixTime(v)
		case 's':
			s.Source = string(v)
		case 'g':
			// g:<sentence>-<total>-<group id>
			if i := bytes.LastIndexByte(v, '-'); i >= 0 {
				s.Group = string(v[i+1:])
			}
		}
	}
	return nil
}

// parsePGHP reads the receive time from a $PGHP,1,yyyy,mm,dd,hh,mm,ss,cc,…
// line (Gamma-style receivers). It reports false for other $PGHP lines.
func parsePGHP(line []byte) (time.Time, error) {
	line = bytes.TrimSpace(line)
	star := bytes.LastIndexByte(line, '*')
	if star < 0 || star+3 > len(line) {
		return time.Time{}, fmt.Errorf("%w: no checksum", ErrSyntax)
	}
	if want, ok := hex2(line[star+1 : star+3]); !ok || xorSum(line[1:star]) != want {
		return time.Time{}, fmt.Errorf("%w: $PGHP", ErrChecksum)
	}
	f := bytes.Split(line[1:star], []byte(","))
	if len(f) < 9 || string(f[1]) != "1" {
		return time.Time{}, fmt.Errorf("%w: $PGHP fields", ErrSyntax)
	}
	var v [8]int
	for i := range v {
		n, err := strconv.Atoi(string(f[i+2]))
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("%w: $PGHP field %d", ErrSyntax, i+2)
		}
		v[i] = n
	}
	t := time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], v[6]*10*int(time.Millisecond), time.UTC)
	if t.Month() != time.Month(v[1]) || t.Day() != v[2] || v[3] > 23 || v[4] > 59 || v[5] > 60 {
		return time.Time{}, fmt.Errorf("%w: $PGHP date", ErrSyntax)
	}
	return t, nil
}

// talkers are the usual AIS talker ids, interned so that parsing a
// sentence does not allocate.
var talkers = []string{"AI", "AB", "AD", "AN", "AR", "AS", "AT", "AX", "BS", "SA"}

func talker(b []byte) string {
	for _, t := range talkers {
		if string(b) == t {
			return t
		}
	}
	return string(b)
}
