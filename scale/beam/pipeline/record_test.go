package pipeline

import (
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/stretchr/testify/require"
)

func someOf[T any](v T) ais.Opt[T] { return ais.Opt[T]{V: v, Valid: true} }

// TestRecordsRoundTrip: every field the per-vessel stage reads survives
// the encoding, and damaged batches are refused, never a panic.
func TestRecordsRoundTrip(t *testing.T) {
	at := time.Date(2020, 1, 1, 12, 0, 7, 500, time.UTC)
	pos := Record{File: 2, Seq: 41, Pos: ais.Position{MMSI: 366000001, Time: at, Lat: 40.5, Lon: -70.25,
		SOG: someOf(12.5), COG: someOf(271.0), Heading: someOf(270), ROT: someOf(-3.5), NavStatus: someOf(0), ClassB: true,
		Static: ais.Static{IMO: someOf(uint32(9321483)), Name: "ÅLAND STAR", CallSign: "WDC1", ShipType: someOf(70),
			Length: someOf(180), Width: someOf(30), Draught: someOf(9.1), Destination: "US NYC",
			ETA: ais.ETA{Month: 1, Day: 3, Hour: 4, Minute: 5, Valid: true}, ETATime: someOf(at.Add(48 * time.Hour)), Updated: at}}}
	msg := Record{File: 0, Seq: 1, Msg: &ais.Message{Type: 5, MMSI: 244000001, Time: at, IMO: someOf(uint32(1)),
		CallSign: "PD", Name: "NAME", ShipType: someOf(80), ToBow: someOf(100), ToStern: someOf(20), ToPort: someOf(10),
		ToStarboard: someOf(12), Draught: someOf(7.5), Destination: "NLRTM", ETA: ais.ETA{Month: 2, Day: 29, Valid: true}}}
	report := Record{File: 1, Seq: 9, Msg: &ais.Message{Type: 1, MMSI: 244000001, Lat: someOf(51.9), Lon: someOf(4.1),
		SOG: someOf(0.0), Heading: someOf(3), NavStatus: someOf(5)}} // no time
	recs := []Record{pos, msg, report}
	data := appendRecords(nil, recs)
	got, err := decodeRecords(nil, data)
	require.NoError(t, err)
	require.Equal(t, recs, got)

	for i := range len(data) {
		_, err := decodeRecords(nil, data[:i])
		require.Error(t, err, "cut at %d", i)
	}
	_, err = decodeRecords(nil, append(data, 0))
	require.Error(t, err, "a trailing byte")
	_, err = decodeRecords(nil, []byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	require.Error(t, err, "a count larger than the data")
	bad := appendRecords(nil, recs[:1])
	bad[3] = 7 // the kind byte of the first record (count, file, seq before it)
	_, err = decodeRecords(nil, bad)
	require.Error(t, err)
}

// batchesOf returns an iterator over the encodings of batches, as a GBK
// hands them to vesselFn.
func batchesOf(batches ...[]Record) func(*[]byte) bool {
	i := 0
	return func(b *[]byte) bool {
		if i == len(batches) {
			return false
		}
		*b = appendRecords(nil, batches[i])
		i++
		return true
	}
}

// TestOrdered: records come out by (time, file, seq) whether they are
// held or spilled and read in spans of hours; an hour with more records
// than may be held is dropped and counted.
func TestOrdered(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	rec := func(file int32, seq int64, minutes int) Record {
		return Record{File: file, Seq: seq, Pos: ais.Position{MMSI: 1, Time: t0.Add(time.Duration(minutes) * time.Minute)}}
	}
	// two files, out of order; hour 2 has 4 records, the others 2 or fewer
	a := []Record{rec(1, 1, 130), rec(1, 2, 10), rec(1, 3, 125), rec(1, 4, 61)}
	b := []Record{rec(0, 7, 10), rec(0, 8, 135), rec(0, 9, 5), rec(0, 10, 121), rec(0, 11, 300)}
	want := []int64{9, 7, 2, 4, 10, 3, 1, 8, 11} // seqs by (time, file, seq)
	for _, maxHeld := range []int{100, 9, 4} {
		var got []int64
		dense, spilled, err := ordered(batchesOf(a, b), maxHeld, func(r *Record) { got = append(got, r.Seq) })
		require.NoError(t, err)
		require.Zero(t, dense)
		require.Equal(t, maxHeld < 9, spilled)
		require.Equal(t, want, got, "max held %d", maxHeld)
	}
	var got []int64
	dense, _, err := ordered(batchesOf(a, b), 3, func(r *Record) { got = append(got, r.Seq) })
	require.NoError(t, err)
	require.Equal(t, 4, dense, "hour 2 holds 4 records, more than 3")
	require.Equal(t, []int64{9, 7, 2, 4, 11}, got)
}
