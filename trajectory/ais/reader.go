package ais

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Options tune a Reader. The zero value gives the defaults.
type Options struct {
	// MaxPending bounds the multi-fragment messages waiting for their other
	// fragments; when full, the oldest becomes an orphan. The default is 256.
	MaxPending int
	// MaxAgeLines is how many lines a fragment may wait for the rest of its
	// message before it is an orphan. The default is 100.
	MaxAgeLines int
	// MaxAge is the same limit in receive time, used when the fragments
	// carry times. The default is one minute.
	MaxAge time.Duration
	// MaxLineBytes bounds one input line; longer lines are rejected with
	// ReasonTooLong and skipped. The default is 4096.
	MaxLineBytes int
	// Reject, when set, is called for every line or message the reader
	// drops (damaged, unsupported, orphaned), with its 1-based line number,
	// the reason (a Reason* constant) and the raw text, so nothing the user
	// gave is lost silently. The text is only valid during the call.
	Reject func(line int, reason string, text []byte)
	// CSV, when set, makes OpenPositions read the input as CSV in this
	// layout instead of detecting the format.
	CSV *CSVFormat
}

func (o Options) withDefaults() Options {
	if o.MaxPending <= 0 {
		o.MaxPending = 256
	}
	if o.MaxAgeLines <= 0 {
		o.MaxAgeLines = 100
	}
	if o.MaxAge <= 0 {
		o.MaxAge = time.Minute
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = 4096
	}
	return o
}

// Stats accounts for every line a Reader has read. Each line is exactly one
// of: Blank, Comments, OtherNMEA, TimeLines, or a rejected line (checksum or
// syntax), or an AIS sentence. Each message assembled from sentences is
// exactly one of: decoded (ByType), unsupported (Unsupported), malformed
// (Rejected by reason) or, when fragments never complete, an orphan.
type Stats struct {
	Lines     int // lines read
	Blank     int // empty lines
	Comments  int // lines starting with '#'
	OtherNMEA int // other sentences and text ($GPGGA, junk)
	TimeLines int // $PGHP timestamp lines
	Sentences int // AIVDM/AIVDO sentences with valid syntax and checksum

	Messages        int     // messages decoded
	ByType          [64]int // messages decoded, by type
	Unsupported     [64]int // messages of types this package does not decode
	Orphans         int     // multi-fragment messages never completed (a later fragment without its first is one)
	OrphansByType   [64]int // orphans by the type in their first fragment (when it arrived)
	OrphanFragments int     // sentences in orphaned messages
	// Prefixed counts sentences after text that is not a receive time (a
	// line number, a station name): decoded, but without a time from it.
	Prefixed int

	// Rejected counts lines and messages dropped, by Reason* constant
	// (checksum failures and syntax errors are lines; the rest messages).
	Rejected map[string]int
}

// Malformed returns the number of rejected lines and messages, all reasons
// together.
func (s *Stats) Malformed() int {
	n := 0
	for _, v := range s.Rejected {
		n += v
	}
	return n
}

// UnsupportedTotal returns the number of messages of unsupported types.
func (s *Stats) UnsupportedTotal() int {
	n := 0
	for _, v := range s.Unsupported {
		n += v
	}
	return n
}

type fragKey struct {
	source  string
	seq     int
	channel byte
	own     bool
}

type partial struct {
	key       fragKey
	group     string
	source    string // the first tag-block source seen
	count     int
	got       int // fragments received, in order: 1..got
	parts     [9][]byte
	fill      int
	line      int // line of the first fragment received
	time      time.Time
	sentences int
}

// Reader decodes AIS messages from a stream of NMEA lines.
type Reader struct {
	br      *bufio.Reader
	opt     Options
	stats   Stats
	line    int
	pending []*partial
	pghp    time.Time // time from a $PGHP line, for the next sentence
	msg     Message
	bits    payload
	err     error
}

// NewReader returns a Reader over r with the given options.
func NewReader(r io.Reader, opt Options) *Reader {
	opt = opt.withDefaults()
	return &Reader{
		br:    bufio.NewReaderSize(r, 64<<10),
		opt:   opt,
		stats: Stats{Rejected: map[string]int{}},
	}
}

// Stats returns the statistics so far. After Next has returned io.EOF they
// account for the whole input.
func (r *Reader) Stats() Stats {
	s := r.stats
	s.Rejected = make(map[string]int, len(r.stats.Rejected))
	for k, v := range r.stats.Rejected {
		s.Rejected[k] = v
	}
	return s
}

// Next returns the next decoded message. The message is owned by the Reader
// and valid until the next call; copy it to keep it. At the end of the input
// Next returns io.EOF (pending fragments are then counted as orphans); it
// returns other errors only when reading the underlying stream fails.
// Damaged input never stops the stream.
func (r *Reader) Next() (*Message, error) {
	if r.err != nil {
		return nil, r.err
	}
	for {
		line, err := r.readLine()
		if line == nil && err != nil {
			if errors.Is(err, io.EOF) {
				for len(r.pending) > 0 {
					r.orphan(0)
				}
			}
			r.err = err
			return nil, err
		}
		if r.handle(line) {
			return &r.msg, nil
		}
	}
}

// readLine returns the next line without its terminator, or nil at the end.
// Lines longer than MaxLineBytes are rejected and skipped.
func (r *Reader) readLine() ([]byte, error) {
	for {
		line, err := r.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull || (err == nil && len(line) > r.opt.MaxLineBytes) {
			r.line++
			r.stats.Lines++
			r.reject(ReasonTooLong, line[:min(len(line), 80)])
			for err == bufio.ErrBufferFull {
				_, err = r.br.ReadSlice('\n')
			}
			if err != nil && err != bufio.ErrBufferFull {
				return nil, err
			}
			continue
		}
		if len(line) == 0 && err != nil {
			return nil, err
		}
		if len(line) > r.opt.MaxLineBytes {
			continue // unterminated overlong tail: counted above
		}
		r.line++
		r.stats.Lines++
		return line, nil
	}
}

func (r *Reader) reject(reason string, text []byte) {
	r.stats.Rejected[reason]++
	if r.opt.Reject != nil {
		r.opt.Reject(r.line, reason, bytes.TrimRight(text, "\r\n"))
	}
}

// handle processes one line and reports whether r.msg holds a new message.
func (r *Reader) handle(line []byte) bool {
	s, err := ParseSentence(line)
	if err != nil {
		switch {
		case errors.Is(err, ErrNotAIS):
			r.classifyOther(line)
		case errors.Is(err, ErrChecksum):
			r.reject(ReasonChecksum, line)
		default:
			r.reject(ReasonSyntax, line)
		}
		return false
	}
	r.stats.Sentences++
	if s.PrefixIgnored {
		r.stats.Prefixed++
	}
	if s.Time.IsZero() && !r.pghp.IsZero() {
		s.Time = r.pghp
	}
	r.pghp = time.Time{}

	if s.Count == 1 {
		r.bits.reset()
		if !r.bits.appendArmoured(s.Payload, s.Fill) {
			r.reject(ReasonArmour, line)
			return false
		}
		return r.decode(&s, line)
	}
	return r.fragment(&s, line)
}

func (r *Reader) classifyOther(line []byte) {
	t := bytes.TrimSpace(trimBOM(line))
	switch {
	case len(t) == 0:
		r.stats.Blank++
	case t[0] == '#':
		r.stats.Comments++
	case bytes.HasPrefix(t, []byte("$PGHP")):
		tm, err := parsePGHP(t)
		switch {
		case err == nil:
			r.stats.TimeLines++
			r.pghp = tm
		case errors.Is(err, ErrChecksum):
			r.reject(ReasonChecksum, line)
		default:
			r.stats.OtherNMEA++
		}
	default:
		r.stats.OtherNMEA++
	}
}

// decode decodes r.bits into r.msg and counts the outcome.
func (r *Reader) decode(s *Sentence, text []byte) bool {
	r.msg.Own, r.msg.Channel, r.msg.Time, r.msg.Source = s.Own, s.Channel, s.Time, s.Source
	err := decodeBits(&r.bits, &r.msg)
	if err == nil {
		r.stats.Messages++
		r.stats.ByType[r.msg.Type]++
		return true
	}
	var de *DecodeError
	if errors.As(err, &de) && de.Reason == ReasonUnsupported {
		r.stats.Unsupported[de.Type&63]++
		if r.opt.Reject != nil {
			r.opt.Reject(r.line, ReasonUnsupported, bytes.TrimRight(text, "\r\n"))
		}
		return false
	}
	reason := ReasonBadField
	if de != nil {
		reason = de.Reason
	}
	r.reject(reason, text)
	return false
}

// fragment stores one fragment of a multi-fragment message and decodes the
// message when its last fragment arrives. Fragments of one message arrive
// in order: a first fragment starts a message (orphaning an unfinished one
// with the same key), a later fragment continues the pending message only
// when it is the next one that message needs, and is otherwise an orphan
// itself — never joined to an unrelated message that reuses the sequence
// id.
func (r *Reader) fragment(s *Sentence, text []byte) bool {
	r.expire(s.Time)
	key := fragKey{source: s.Source, seq: s.SeqID, channel: s.Channel, own: s.Own}
	idx := r.find(key, s.Group)
	if s.Num == 1 {
		if idx >= 0 { // its message never completed
			r.orphan(idx)
		}
		if len(r.pending) >= r.opt.MaxPending {
			r.orphan(0)
		}
		r.pending = append(r.pending, &partial{key: key, group: s.Group, count: s.Count, line: r.line, time: s.Time, source: s.Source})
		idx = len(r.pending) - 1
	} else if idx < 0 || r.pending[idx].count != s.Count || r.pending[idx].got != s.Num-1 {
		if idx >= 0 { // a fragment went missing: the pending message cannot complete
			r.orphan(idx)
		}
		r.orphanFragment(s, text)
		return false
	}
	p := r.pending[idx]
	p.parts[p.got] = append(p.parts[p.got][:0], s.Payload...)
	p.got++
	p.sentences++
	if s.Num == s.Count {
		p.fill = s.Fill
	} else if s.Fill != 0 {
		r.pending = slices.Delete(r.pending, idx, idx+1)
		r.reject(ReasonFillBits, text)
		return false
	}
	if p.time.IsZero() {
		p.time = s.Time
	}
	if p.got < p.count {
		return false
	}
	r.pending = slices.Delete(r.pending, idx, idx+1)
	r.bits.reset()
	for i := 0; i < p.count; i++ {
		fill := 0
		if i == p.count-1 {
			fill = p.fill
		}
		if !r.bits.appendArmoured(p.parts[i], fill) {
			r.reject(ReasonArmour, text)
			return false
		}
	}
	s.Time, s.Source = p.time, p.source
	return r.decode(s, text)
}

// find returns the index of the pending message with key, or, for a
// fragment without a tag-block source, the one in the same tag-block group
// or with the same sequence id and channel.
func (r *Reader) find(key fragKey, group string) int {
	for i, p := range r.pending {
		if p.key == key {
			return i
		}
	}
	if key.source != "" {
		return -1
	}
	// A continuation without a source: match by group, else by the rest of
	// the key (only the first sentence of a group usually names its source).
	for i, p := range r.pending {
		if group != "" && p.group == group && p.key.seq == key.seq && p.key.channel == key.channel {
			return i
		}
	}
	for i, p := range r.pending {
		if p.key.seq == key.seq && p.key.channel == key.channel && p.key.own == key.own {
			return i
		}
	}
	return -1
}

// expire orphans pending messages older than MaxAgeLines or MaxAge.
func (r *Reader) expire(now time.Time) {
	for i := 0; i < len(r.pending); {
		p := r.pending[i]
		old := r.line-p.line > r.opt.MaxAgeLines ||
			(!now.IsZero() && !p.time.IsZero() && now.Sub(p.time) > r.opt.MaxAge)
		if old {
			r.orphan(i)
			continue
		}
		i++
	}
}

// orphan drops pending message i, counting it and its fragments.
func (r *Reader) orphan(i int) {
	p := r.pending[i]
	r.pending = slices.Delete(r.pending, i, i+1)
	r.stats.Orphans++
	r.stats.OrphanFragments += p.sentences
	if len(p.parts[0]) > 0 { // the first fragment names the type
		if t := armour[p.parts[0][0]]; t != 0xff {
			r.stats.OrphansByType[t]++
		}
	}
	if r.opt.Reject != nil {
		for k := 0; k < p.got; k++ {
			r.opt.Reject(p.line, ReasonOrphan, []byte(fmt.Sprintf("fragment %d of %d: %s", k+1, p.count, p.parts[k])))
		}
	}
}

// orphanFragment counts a later fragment that arrived with no pending
// message to continue: an orphan message of unknown type.
func (r *Reader) orphanFragment(s *Sentence, text []byte) {
	r.stats.Orphans++
	r.stats.OrphanFragments++
	if r.opt.Reject != nil {
		r.opt.Reject(r.line, ReasonOrphan, bytes.TrimRight(text, "\r\n"))
	}
}
