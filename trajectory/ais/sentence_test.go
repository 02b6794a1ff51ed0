package ais

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseSentence(t *testing.T) {
	s, err := ParseSentence([]byte("!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C\r\n"))
	require.NoError(t, err)
	require.Equal(t, Sentence{Talker: "AI", Count: 1, Num: 1, SeqID: -1, Channel: 'B',
		Payload: []byte("15M67FC000G?ufbE`FepT@3n00Sa")}, s)

	// other talkers, VDO, sequence ids
	s, err = ParseSentence([]byte(sentence(2, 1, "7", "A", "55?M", 0)[0:1] + "SAVDO" + sentence(2, 1, "7", "A", "55?M", 0)[6:]))
	require.ErrorIs(t, err, ErrChecksum, "changing the talker breaks the checksum")
	line := "!BSVDO,2,1,7,A,55?M,0"
	line += "*" + hexByte(xorSum([]byte(line[1:])))
	s, err = ParseSentence([]byte(line))
	require.NoError(t, err)
	require.Equal(t, "BS", s.Talker)
	require.True(t, s.Own)
	require.Equal(t, 7, s.SeqID)

	// tag block with time and source, checksum verified
	tb := "s:rORBCOMM000,c:1426032000"
	line = "\\" + tb + "*" + hexByte(xorSum([]byte(tb))) + "\\" + sentence(1, 1, "", "A", "15M67FC000G?ufbE`FepT@3n00Sa", 0)
	s, err = ParseSentence([]byte(line))
	require.NoError(t, err)
	require.Equal(t, "rORBCOMM000", s.Source)
	require.Equal(t, time.Unix(1426032000, 0).UTC(), s.Time)

	// a tag block with a wrong two-digit checksum is refused
	_, err = ParseSentence([]byte("\\c:1426032000*00\\" + sentence(1, 1, "", "A", "15M67FC000G?ufbE`FepT@3n00Sa", 0)))
	require.ErrorIs(t, err, ErrChecksum)

	// receiver timestamp prefix, seconds and milliseconds, and suffix
	s, err = ParseSentence([]byte("1241544035.5 " + sentence(1, 1, "", "A", "15M67FC000G?ufbE`FepT@3n00Sa", 0)))
	require.NoError(t, err)
	require.Equal(t, time.Unix(1241544035, 5e8).UTC(), s.Time)
	s, err = ParseSentence([]byte("1241544035000;" + sentence(1, 1, "", "A", "15M67FC000G?ufbE`FepT@3n00Sa", 0)))
	require.NoError(t, err)
	require.Equal(t, time.Unix(1241544035, 0).UTC(), s.Time)
	s, err = ParseSentence([]byte(sentence(1, 1, "", "A", "15M67FC000G?ufbE`FepT@3n00Sa", 0) + ",1241544035"))
	require.NoError(t, err)
	require.Equal(t, time.Unix(1241544035, 0).UTC(), s.Time)
}

func hexByte(b byte) string {
	return string("0123456789ABCDEF"[b>>4]) + string("0123456789ABCDEF"[b&15])
}

func TestParseSentenceErrors(t *testing.T) {
	tests := []struct {
		name        string
		line        string
		expectedErr error
	}{
		{"blank", "   ", ErrNotAIS},
		{"comment", "# a comment", ErrNotAIS},
		{"other NMEA", "$GPGGA,184353.07,1929.045,S,02410.506,E,1,04,2.6,100.00,M,-33.9,M,,0000*6D", ErrNotAIS},
		{"junk", "IamNotAnAisMessage1111", ErrNotAIS},
		{"number only", "12345", ErrNotAIS},
		{"bad checksum", "!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5D", ErrChecksum},
		{"no checksum", "!AIVDM,1,1,,B,15N4cJ005Jrek0H@9nDW5608EP,013", ErrSyntax},
		{"bad checksum digits", "!AIVDM,1,1,,B,15M,0*ZZ", ErrSyntax},
		{"too few fields", "!AIVDM,1,1,B,15M,0*" + hexByte(xorSum([]byte("AIVDM,1,1,B,15M,0"))), ErrSyntax},
		{"fragment over count", "!AIVDM,1,2,,B,15M,0*" + hexByte(xorSum([]byte("AIVDM,1,2,,B,15M,0"))), ErrSyntax},
		{"count zero", "!AIVDM,0,0,,B,15M,0*" + hexByte(xorSum([]byte("AIVDM,0,0,,B,15M,0"))), ErrSyntax},
		{"fill bits 7", "!AIVDM,1,1,,B,15M,7*" + hexByte(xorSum([]byte("AIVDM,1,1,,B,15M,7"))), ErrSyntax},
		{"seq id letter", "!AIVDM,2,1,x,B,15M,0*" + hexByte(xorSum([]byte("AIVDM,2,1,x,B,15M,0"))), ErrSyntax},
		{"long channel", "!AIVDM,1,1,,AB,15M,0*" + hexByte(xorSum([]byte("AIVDM,1,1,,AB,15M,0"))), ErrSyntax},
		{"unterminated tag block", "\\s:x,c:1!AIVDM", ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSentence([]byte(tc.line))
			require.ErrorIs(t, err, tc.expectedErr)
		})
	}
}

func TestPGHP(t *testing.T) {
	tm, err := parsePGHP([]byte("$PGHP,1,2008,5,9,0,0,0,10,338,2,,1,09*17"))
	require.NoError(t, err)
	require.Equal(t, time.Date(2008, 5, 9, 0, 0, 0, 100e6, time.UTC), tm)
	_, err = parsePGHP([]byte("$PGHP,1,2008,5,9,0,0,0,10,338,2,,1,09*18"))
	require.ErrorIs(t, err, ErrChecksum)
}
