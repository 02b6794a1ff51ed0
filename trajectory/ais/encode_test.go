package ais

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestEncodeRoundTrip encodes messages of every encodable type, frames
// them as sentences, and reads them back through the streaming Reader.
func TestEncodeRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	msgs := []Message{
		{Type: 1, MMSI: 244660000, Lat: some(51.95), Lon: some(4.14), SOG: some(12.3), COG: some(359.9),
			Heading: some(358), ROT: some(-8.5), NavStatus: some(0), Second: some(30), Accuracy: true},
		{Type: 3, MMSI: 244660001}, // every field absent
		{Type: 18, MMSI: 244660002, Lat: some(-33.5), Lon: some(151.25), SOG: some(5.5), COG: some(90.0), Second: some(1)},
		{Type: 5, MMSI: 244660000, IMO: some(uint32(9074729)), CallSign: "PDIJ", Name: "NORD STAR", ShipType: some(80),
			ToBow: some(150), ToStern: some(30), ToPort: some(12), ToStarboard: some(13), EPFD: 1,
			ETA: ETA{Month: 3, Day: 4, Hour: 5, Minute: 6, Valid: true}, Draught: some(12.5), Destination: "NLRTM"},
		{Type: 24, MMSI: 244660002, PartNum: 0, Name: "LITTLE DIPPER"},
		{Type: 24, MMSI: 244660002, PartNum: 1, ShipType: some(36), VendorID: "ABC", CallSign: "PD1234",
			ToBow: some(5), ToStern: some(5), ToPort: some(2), ToStarboard: some(2)},
	}
	var buf []byte
	for i := range msgs {
		p, fill, err := Encode(&msgs[i])
		require.NoError(t, err)
		buf = AppendSentences(buf, p, fill, SentenceOptions{Time: at, Source: "sim", SeqID: i, Channel: 'B'})
	}
	r := NewReader(bytes.NewReader(buf), Options{})
	for i := range msgs {
		got, err := r.Next()
		require.NoError(t, err, "message %d", i)
		want := msgs[i]
		want.Time, want.Source, want.Channel = at, "sim", 'B'
		if want.ROT.Valid { // ROT is quantised on the wire
			require.InDelta(t, want.ROT.V, got.ROT.V, 0.5)
			got.ROT = want.ROT
		}
		if want.Type == 18 {
			got.RAIM = want.RAIM
		}
		require.Equal(t, want, *got, "message %d", i)
	}
	st := r.Stats()
	require.Equal(t, len(msgs), st.Messages)
	require.Equal(t, 0, st.Malformed())
	// the type 5 needed two sentences, each within NMEA's 82 characters
	for _, line := range bytes.Split(bytes.TrimSpace(buf), []byte("\n")) {
		if i := bytes.IndexByte(line[1:], '\\'); i >= 0 {
			line = line[i+2:]
		}
		require.LessOrEqual(t, len(line), 82)
	}
	_, _, err := Encode(&Message{Type: 27})
	require.Error(t, err)
}
