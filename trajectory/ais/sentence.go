package ais

import (
	"bytes"
	"fmt"
	"math"
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
	// Time is the receive time from a tag block (c:) or a leading or
	// trailing unix timestamp; zero when the line has none.
	Time time.Time
	// Source and Group come from the tag block (s: and the id of g:).
	Source, Group string
}

// ParseSentence parses one line. It returns ErrNotAIS for comments, blank
// lines and other NMEA sentences, and errors wrapping ErrChecksum or
// ErrSyntax for damaged sentences. The returned Payload aliases line.
func ParseSentence(line []byte) (Sentence, error) {
	var s Sentence
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return s, ErrNotAIS
	}
	// A receiver's unix timestamp before the sentence: "1241544035 !AIVDM…".
	if c := line[0]; c >= '0' && c <= '9' {
		i := 0
		for i < len(line) && (line[i] >= '0' && line[i] <= '9' || line[i] == '.') {
			i++
		}
		j := i
		for j < len(line) && (line[j] == ' ' || line[j] == '\t' || line[j] == ',' || line[j] == ';') {
			j++
		}
		if j == i || j == len(line) || (line[j] != '!' && line[j] != '\\') {
			return s, ErrNotAIS
		}
		s.Time = unixTime(line[:i])
		line = line[j:]
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

// unixTime parses unix seconds (with an optional fraction); values above
// 1e11 are taken as milliseconds. It returns the zero time for anything else.
func unixTime(b []byte) time.Time {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) {
		return time.Time{}
	}
	if f > 1e11 {
		f /= 1000
	}
	if f > 1e11 { // beyond year 5000: not a time
		return time.Time{}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC()
}

// parseTagBlock reads "k:v,k:v*hh" (NMEA 4.10). A two-digit checksum is
// verified; the fields used are c (unix time), s (source) and g (group).
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
