package ais

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/internal/shareddata"
	"github.com/stretchr/testify/require"
)

const (
	type5a = "55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8"
	type5b = "88888888880"
	type1p = "15M67FC000G?ufbE`FepT@3n00Sa"
)

type rejectLog struct{ lines []string }

func (l *rejectLog) add(line int, reason string, text []byte) {
	l.lines = append(l.lines, fmt.Sprintf("%d %s: %s", line, reason, text))
}

func decodeString(t *testing.T, input string, opt Options) ([]Message, Stats) {
	t.Helper()
	r := NewReader(strings.NewReader(input), opt)
	var out []Message
	for {
		m, err := r.Next()
		if err != nil {
			require.Equal(t, "EOF", err.Error())
			break
		}
		out = append(out, *m)
	}
	return out, r.Stats()
}

func lines(l ...string) string { return strings.Join(l, "\n") + "\n" }

func TestReassembly(t *testing.T) {
	a1 := sentence(2, 1, "3", "A", type5a, 0)
	a2 := sentence(2, 2, "3", "A", type5b, 2)
	single := sentence(1, 1, "", "B", type1p, 0)

	tests := []struct {
		name     string
		input    string
		names    []string // decoded type 5 names, in order
		messages int
		orphans  int
		rejected map[string]int
	}{
		{"in order", lines(a1, a2), []string{"EVER DIADEM"}, 1, 0, nil},
		// fragments of one message arrive in order: a second fragment first is an
		// orphan, and the first fragment then waits in vain
		{"out of order", lines(a2, a1), nil, 0, 2, nil},
		{"interleaved with singles", lines(a1, single, single, a2), []string{"EVER DIADEM"}, 3, 0, nil},
		{"interleaved with another message", lines(a1, sentence(2, 1, "4", "A", type5a, 0), a2, sentence(2, 2, "4", "A", type5b, 2)),
			[]string{"EVER DIADEM", "EVER DIADEM"}, 2, 0, nil},
		{"same seq on other channel", lines(a1, sentence(2, 1, "3", "B", type5a, 0), sentence(2, 2, "3", "B", type5b, 2), a2),
			[]string{"EVER DIADEM", "EVER DIADEM"}, 2, 0, nil},
		{"missing second fragment", lines(a1, single), nil, 1, 1, nil},
		{"missing first fragment", lines(a2, single), nil, 1, 1, nil},
		{"new first fragment replaces a stale one", lines(a1, a1, a2), []string{"EVER DIADEM"}, 1, 1, nil},
		{"bad fill bits on a middle fragment", lines(sentence(2, 1, "3", "A", type5a, 2), a2), nil, 0, 1,
			map[string]int{ReasonFillBits: 1}},
		{"bad checksum fragment", lines(strings.Replace(a1, "*", "0*", 1), a2), nil, 0, 1,
			map[string]int{ReasonChecksum: 1}},
		{"empty payload", lines(sentence(1, 1, "", "B", "", 0), single), nil, 1, 0, map[string]int{ReasonEmpty: 1}},
		{"bad armouring", lines(sentence(1, 1, "", "B", "15M67FC000G?ufbE`FepT@3n00S~", 0)), nil, 0, 0,
			map[string]int{ReasonArmour: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msgs, st := decodeString(t, tc.input, Options{})
			var names []string
			for _, m := range msgs {
				if m.Type == 5 {
					names = append(names, m.Name)
				}
			}
			require.Equal(t, tc.names, names)
			require.Equal(t, tc.messages, st.Messages)
			require.Equal(t, tc.orphans, st.Orphans)
			if tc.rejected == nil {
				tc.rejected = map[string]int{}
			}
			require.Equal(t, tc.rejected, st.Rejected)
		})
	}
}

func TestExpiryAndBounds(t *testing.T) {
	a1 := sentence(2, 1, "3", "A", type5a, 0)
	a2 := sentence(2, 2, "3", "A", type5b, 2)
	single := sentence(1, 1, "", "B", type1p, 0)

	// the second fragment arrives after more than MaxAgeLines lines
	in := []string{a1}
	for range 5 {
		in = append(in, single)
	}
	in = append(in, a2)
	_, st := decodeString(t, lines(in...), Options{MaxAgeLines: 3})
	require.Equal(t, 2, st.Orphans, "the stale first fragment and the late second")
	require.Equal(t, 5, st.Messages)

	// by time: tag-block times two minutes apart
	tag := func(sec int, s string) string {
		tb := fmt.Sprintf("c:%d", 1700000000+sec)
		return "\\" + tb + "*" + hexByte(xorSum([]byte(tb))) + "\\" + s
	}
	msgs, st := decodeString(t, lines(tag(0, a1), tag(120, a2)), Options{})
	require.Empty(t, msgs)
	require.Equal(t, 2, st.Orphans)
	msgs, _ = decodeString(t, lines(tag(0, a1), tag(2, a2)), Options{})
	require.Len(t, msgs, 1)
	require.Equal(t, time.Unix(1700000000, 0).UTC(), msgs[0].Time, "the first fragment's time")

	// bounded buffer: 5 distinct pending messages with room for 2
	var many []string
	for i := range 5 {
		many = append(many, sentence(2, 1, fmt.Sprint(i), "A", type5a, 0))
	}
	_, st = decodeString(t, lines(many...), Options{MaxPending: 2})
	require.Equal(t, 5, st.Orphans)

	// overlong lines are rejected without stopping the stream
	var log rejectLog
	msgs, st = decodeString(t, lines(strings.Repeat("x", 10000), single, strings.Repeat("!", 5000)), Options{MaxLineBytes: 200, Reject: log.add})
	require.Len(t, msgs, 1)
	require.Equal(t, 3, st.Lines)
	require.Equal(t, map[string]int{ReasonTooLong: 2}, st.Rejected)
	require.Len(t, log.lines, 2)
	require.True(t, strings.HasPrefix(log.lines[0], "1 line too long: xxx"))
}

func TestRejectCallbackSeesEverything(t *testing.T) {
	var log rejectLog
	in := lines(
		sentence(1, 1, "", "B", "", 0),                    // empty payload
		"!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*00", // checksum
		sentence(2, 1, "1", "A", type5a, 0),               // orphan
		sentence(1, 1, "", "A", "?03OwnP0000000000000000", 2),
	)
	_, st := decodeString(t, in, Options{Reject: log.add})
	require.Equal(t, []string{
		"1 empty payload: " + sentence(1, 1, "", "B", "", 0),
		"2 checksum mismatch: !AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*00",
		"4 unsupported message type: " + sentence(1, 1, "", "A", "?03OwnP0000000000000000", 2),
		"3 orphan fragment: fragment 1 of 2: " + type5a,
	}, log.lines)
	require.Equal(t, 1, st.Unsupported[15])
}

func TestTagBlockGroups(t *testing.T) {
	// The second fragment carries the group but not the source.
	in := lines(
		`\g:1-2-27300,n:636994,s:b003669710,c:1428621738*5F\!SAVDM,2,1,2,B,55Mw@A7J1adAL@?;7WPl58F0U<h4pB222222220t1PN5553fN4g?`+"`"+`4iSp5Rc,0*26`,
		`\g:2-2-27300,n:636995*15\!SAVDM,2,2,2,B,iP`+"`"+`88888880,2*5E`,
	)
	msgs, st := decodeString(t, in, Options{})
	require.Len(t, msgs, 1, "%+v", st)
	require.Equal(t, 5, msgs[0].Type)
	require.Equal(t, "b003669710", msgs[0].Source)
	require.Equal(t, time.Unix(1428621738, 0).UTC(), msgs[0].Time)
}

func TestPGHPTimesNextSentence(t *testing.T) {
	in := lines("$PGHP,1,2008,5,9,0,0,0,10,338,2,,1,09*17", sentence(1, 1, "", "B", type1p, 0), sentence(1, 1, "", "B", type1p, 0))
	msgs, st := decodeString(t, in, Options{})
	require.Len(t, msgs, 2)
	require.Equal(t, time.Date(2008, 5, 9, 0, 0, 0, 100e6, time.UTC), msgs[0].Time)
	require.True(t, msgs[1].Time.IsZero(), "a $PGHP line times only the sentence after it")
	require.Equal(t, 1, st.TimeLines)
}

// TestOtherSamples decodes what is decodable in the other pyais files.
func TestOtherSamples(t *testing.T) {
	tests := []struct {
		file     string
		messages int
		check    func(t *testing.T, st Stats)
	}{
		{"pyais-nmea/mixed.txt", 12, func(t *testing.T, st Stats) {
			// 10 type 1, the two-fragment type 5 and the !SAVDM pair joined by its tag-block group.
			require.Equal(t, 10, st.ByType[1])
			require.Equal(t, 2, st.ByType[5])
			// the tag-blocked sentence whose checksum lacks its '*' is a syntax error; the
			// $PGHP line whose year was edited (2009) without its checksum is refused
			require.Equal(t, map[string]int{ReasonSyntax: 1, ReasonChecksum: 1}, st.Rejected)
			require.Equal(t, 6, st.OtherNMEA) // $GPGGA, $GPRTE, $GPR00, $IIMWV and two junk lines
			require.Equal(t, 5, st.Comments)
		}},
		{"pyais-nmea/messages.ais", 6, nil},
		{"pyais-nmea/ais_test_messages", 7, nil},
		{"pyais-nmea/timestamped.ais", 4, func(t *testing.T, st Stats) {
			require.Equal(t, 3, st.TimeLines)
			require.Equal(t, map[string]int{ReasonChecksum: 1}, st.Rejected, "the 2009 line's checksum is for 2008")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			msgs, st := readAll(t, shareddata.Path(t, tc.file), Options{})
			require.Len(t, msgs, tc.messages, "%+v", st)
			if tc.check != nil {
				tc.check(t, st)
			}
		})
	}
}
