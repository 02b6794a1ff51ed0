package ais

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"time"
)

// timeParser reads one time column with a CSVFormat layout, remembering
// the last value (exports sorted by time repeat it row after row).
type timeParser struct {
	kind   int
	layout string
	unit   float64 // seconds per unit, for unix_*
	last   []byte
	lastT  time.Time
	lastOK bool
}

const (
	timeAuto     = iota // ISO 8601 or unix time of any resolution
	timeISO             // ISO 8601 fast path for the layouts it covers
	timeUnix            // unix time, resolution by size
	timeUnixUnit        // unix time in a given unit
	timeLayout          // a Go layout
)

// isoLayouts are Go layouts that parseISO reads exactly.
var isoLayouts = []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", time.RFC3339, time.RFC3339Nano,
	"2006-01-02T15:04:05Z", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"}

func newTimeParser(layout string) (timeParser, error) {
	switch layout {
	case "":
		return timeParser{kind: timeAuto}, nil
	case "unix":
		return timeParser{kind: timeUnix}, nil
	case "unix_s":
		return timeParser{kind: timeUnixUnit, unit: 1}, nil
	case "unix_ms":
		return timeParser{kind: timeUnixUnit, unit: 1e-3}, nil
	case "unix_us":
		return timeParser{kind: timeUnixUnit, unit: 1e-6}, nil
	case "unix_ns":
		return timeParser{kind: timeUnixUnit, unit: 1e-9}, nil
	}
	for _, l := range isoLayouts {
		if layout == l {
			return timeParser{kind: timeISO, layout: layout}, nil
		}
	}
	ref := time.Date(2024, 11, 28, 21, 7, 9, 0, time.UTC)
	s := ref.Format(layout)
	if s == layout {
		return timeParser{}, fmt.Errorf("ais: time layout %q has no date or time elements (write the reference time 2006-01-02 15:04:05 in your format, or unix)", layout)
	}
	if _, err := time.ParseInLocation(layout, s, time.UTC); err != nil {
		return timeParser{}, fmt.Errorf("ais: time layout %q: %w", layout, err)
	}
	return timeParser{kind: timeLayout, layout: layout}, nil
}

// parse reads b; it reports false when b is not a time in the layout.
func (p *timeParser) parse(b []byte) (time.Time, bool) {
	if p.last != nil && bytes.Equal(b, p.last) {
		return p.lastT, p.lastOK
	}
	t, ok := p.parseNew(b)
	p.last, p.lastT, p.lastOK = append(p.last[:0], b...), t, ok
	return t, ok
}

func (p *timeParser) parseNew(b []byte) (time.Time, bool) {
	switch p.kind {
	case timeISO:
		return parseISO(b)
	case timeUnix:
		t := unixTime(b)
		return t, !t.IsZero()
	case timeUnixUnit:
		x, ok := parseNum(b)
		if !ok || x <= 0 || x*p.unit > 1e11 {
			return time.Time{}, false
		}
		if x == math.Trunc(x) && x < 1<<62 {
			n := int64(x)
			switch p.unit {
			case 1e-3:
				return time.UnixMilli(n).UTC(), true
			case 1e-6:
				return time.UnixMicro(n).UTC(), true
			case 1e-9:
				return time.Unix(0, n).UTC(), true
			}
		}
		sec, frac := math.Modf(x * p.unit)
		return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), true
	case timeLayout:
		t, err := time.ParseInLocation(p.layout, string(b), time.UTC)
		return t.UTC(), err == nil
	}
	if t, ok := parseISO(b); ok {
		return t, true
	}
	if t := unixTime(b); !t.IsZero() {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339Nano, string(b)); err == nil {
		return t.UTC(), true
	}
	return time.Time{}, false
}

// parseNum reads a decimal number written as an integer or a float
// ("70", "-3.25", "70.0", "7e1"). Short plain decimals take an exact fast
// path (an integer of at most 15 digits divided by a power of ten is
// correctly rounded); the rest go through strconv.ParseFloat. NaN and
// infinities are refused.
func parseNum(b []byte) (float64, bool) {
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i = 1
	}
	var mant uint64
	digits, fracDigits := 0, 0
	dot := false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if digits < 15 && fracDigits < 15 {
				mant = mant*10 + uint64(c-'0')
				if mant != 0 {
					digits++
				}
				if dot {
					fracDigits++
				}
			} else {
				return parseNumSlow(b)
			}
		case c == '.' && !dot:
			dot = true
		default:
			return parseNumSlow(b)
		}
	}
	if i == 0 || (len(b) == 1 && dot) || (neg && len(b) == 1) || (len(b) == 2 && dot && (b[0] == '-' || b[0] == '+')) {
		return 0, false
	}
	x := float64(mant)
	if fracDigits > 0 {
		x /= pow10[fracDigits]
	}
	if neg {
		x = -x
	}
	return x, true
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16}

func parseNumSlow(b []byte) (float64, bool) {
	x, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, false
	}
	return x, true
}

// parseInt reads an integer written as an integer or as a float with no
// fraction ("70", "70.0"); it reports false for anything else.
func parseInt(b []byte) (int64, bool) {
	x, ok := parseNum(b)
	if !ok || x != math.Trunc(x) || math.Abs(x) > 1<<53 {
		return 0, false
	}
	return int64(x), true
}
