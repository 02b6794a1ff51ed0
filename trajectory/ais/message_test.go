package ais

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func header(typ int, mmsi uint32) *bitWriter {
	return (&bitWriter{}).u(6, uint64(typ)).u(2, 0).u(30, uint64(mmsi))
}

func decodeW(t *testing.T, w *bitWriter) Message {
	t.Helper()
	p, fill := w.armoured()
	var m Message
	require.NoError(t, Decode([]byte(p), fill, &m))
	return m
}

// sentence wraps a payload in a checksummed AIVDM sentence.
func sentence(count, num int, seq, channel, payload string, fill int) string {
	body := fmt.Sprintf("AIVDM,%d,%d,%s,%s,%s,%d", count, num, seq, channel, payload, fill)
	return fmt.Sprintf("!%s*%02X", body, xorSum([]byte(body)))
}

func TestPublishedVectors(t *testing.T) {
	var m Message
	// Type 1, widely published (pyais, gpsd tests).
	require.NoError(t, Decode([]byte("15M67FC000G?ufbE`FepT@3n00Sa"), 0, &m))
	require.Equal(t, 1, m.Type)
	require.Equal(t, uint32(366053209), m.MMSI)
	require.Equal(t, some(3), m.NavStatus)
	require.Equal(t, some(0.0), m.SOG)
	require.InDelta(t, -122.341618, m.Lon.V, 1e-6)
	require.InDelta(t, 37.802118, m.Lat.V, 1e-6)
	require.Equal(t, some(219.3), m.COG)
	require.Equal(t, some(1), m.Heading)
	require.Equal(t, some(59), m.Second)
	require.Equal(t, some(0.0), m.ROT)
	require.False(t, m.Accuracy)

	// Type 5, two fragments concatenated, 2 fill bits.
	require.NoError(t, Decode([]byte("55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp888888888880"), 2, &m))
	require.Equal(t, 5, m.Type)
	require.Equal(t, "EVER DIADEM", m.Name)
	require.Equal(t, "3FOF8", m.CallSign)
	require.Equal(t, "NEW YORK", m.Destination)
	require.Equal(t, some(225), m.ToBow)
	require.Equal(t, some(70), m.ToStern)
	require.Equal(t, some(1), m.ToPort)
	require.Equal(t, some(31), m.ToStarboard)
	require.Equal(t, some(12.2), m.Draught)

	// Type 18 class B.
	require.NoError(t, Decode([]byte("B5NJ;PP005l4ot5Isbl03wsUkP06"), 0, &m))
	require.Equal(t, 18, m.Type)
	require.Equal(t, uint32(367430530), m.MMSI)
	require.InDelta(t, 37.79, m.Lat.V, 0.01)
	require.InDelta(t, -122.27, m.Lon.V, 0.01)
}

func TestType1HandBuilt(t *testing.T) {
	// status 5 (moored), ROT raw 20 → (20/4.733)² = 17.85612 °/min, SOG 123 → 12.3 kn,
	// lon 4.5° = 2700000, lat -33.25° = -19950000, COG 3599 → 359.9°, heading 359, second 30
	w := header(3, 123456789).u(4, 5).s(8, 20).u(10, 123).u(1, 1).s(28, 2700000).s(27, -19950000).
		u(12, 3599).u(9, 359).u(6, 30).u(2, 1).u(3, 0).u(1, 1).u(19, 0)
	m := decodeW(t, w)
	require.Equal(t, 3, m.Type)
	require.Equal(t, uint32(123456789), m.MMSI)
	require.Equal(t, some(5), m.NavStatus)
	require.InDelta(t, 17.85612, m.ROT.V, 1e-5)
	require.Equal(t, some(12.3), m.SOG)
	require.True(t, m.Accuracy)
	require.Equal(t, some(4.5), m.Lon)
	require.Equal(t, some(-33.25), m.Lat)
	require.Equal(t, some(359.9), m.COG)
	require.Equal(t, some(359), m.Heading)
	require.Equal(t, some(30), m.Second)
	require.Equal(t, 1, m.Maneuver)
	require.True(t, m.RAIM)

	// negative ROT: raw -50 → -(50/4.733)²
	w = header(1, 1).u(4, 0).s(8, -50).u(10, 0).u(1, 0).s(28, 0).s(27, 0).u(12, 0).u(9, 0).u(6, 0).u(25, 0)
	m = decodeW(t, w)
	require.InDelta(t, -math.Pow(50/4.733, 2), m.ROT.V, 1e-9)
}

func TestType1Sentinels(t *testing.T) {
	// every field "not available": status 15, ROT -128, SOG 1023, lon 181°, lat 91°,
	// COG 3600, heading 511, second 60
	w := header(1, 999).u(4, 15).s(8, -128).u(10, 1023).u(1, 0).s(28, 181*600000).s(27, 91*600000).
		u(12, 3600).u(9, 511).u(6, 60).u(25, 0)
	m := decodeW(t, w)
	require.False(t, m.NavStatus.Valid)
	require.False(t, m.ROT.Valid)
	require.False(t, m.SOG.Valid)
	require.False(t, m.Lat.Valid)
	require.False(t, m.Lon.Valid)
	require.False(t, m.HasPosition())
	require.False(t, m.COG.Valid)
	require.False(t, m.Heading.Valid)
	require.False(t, m.Second.Valid)
	require.Zero(t, m.SOG.V, "absent values are zero, not plausible numbers")

	// ROT ±127: turning, rate unknown; heading 400 invalid; lat 95 off the globe
	w = header(1, 999).u(4, 0).s(8, 127).u(10, 1022).u(1, 0).s(28, 0).s(27, 95*600000).
		u(12, 3601).u(9, 400).u(6, 63).u(25, 0)
	m = decodeW(t, w)
	require.False(t, m.ROT.Valid)
	require.Equal(t, some(102.2), m.SOG, "1022 means 102.2 knots or more")
	require.False(t, m.HasPosition())
	require.False(t, m.COG.Valid)
	require.False(t, m.Heading.Valid)
}

func TestType4(t *testing.T) {
	w := header(4, 2320000).u(14, 2024).u(4, 2).u(5, 29).u(5, 23).u(6, 59).u(6, 58).u(1, 1).
		s(28, -600000*73/10).s(27, 600000*51).u(4, 1).u(10, 0).u(1, 0).u(19, 0)
	m := decodeW(t, w)
	require.Equal(t, some(time.Date(2024, 2, 29, 23, 59, 58, 0, time.UTC)), m.UTC)
	require.Equal(t, some(-7.3), m.Lon)
	require.Equal(t, some(51.0), m.Lat)
	require.Equal(t, 1, m.EPFD)

	// 29 February 2023 does not exist; year 0 is "not available"
	for _, date := range [][3]uint64{{2023, 2, 29}, {0, 1, 1}, {2024, 13, 1}} {
		w = header(4, 1).u(14, date[0]).u(4, date[1]).u(5, date[2]).u(5, 0).u(6, 0).u(6, 0).u(90, 0)
		require.False(t, decodeW(t, w).UTC.Valid, "%v", date)
	}
}

func type5(imo uint64, eta [4]uint64, draught uint64, dest string) *bitWriter {
	return header(5, 244660000).u(2, 0).u(30, imo).text(7, "PDIJ").text(20, "NORD STAR").u(8, 80).
		u(9, 150).u(9, 30).u(6, 12).u(6, 13).u(4, 1).
		u(4, eta[0]).u(5, eta[1]).u(5, eta[2]).u(6, eta[3]).u(8, draught).text(20, dest).u(1, 0).u(1, 0)
}

func TestType5(t *testing.T) {
	m := decodeW(t, type5(9074729, [4]uint64{12, 31, 22, 45}, 125, "NLRTM"))
	require.Equal(t, some(uint32(9074729)), m.IMO)
	require.Equal(t, "PDIJ", m.CallSign)
	require.Equal(t, "NORD STAR", m.Name)
	require.Equal(t, some(80), m.ShipType)
	require.Equal(t, [4]Opt[int]{some(150), some(30), some(12), some(13)}, [4]Opt[int]{m.ToBow, m.ToStern, m.ToPort, m.ToStarboard})
	require.Equal(t, ETA{Month: 12, Day: 31, Hour: 22, Minute: 45, Valid: true}, m.ETA)
	require.Equal(t, some(12.5), m.Draught)
	require.Equal(t, "NLRTM", m.Destination)

	// ETA resolves to the year nearest the report
	at, ok := m.ETA.Resolve(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	require.True(t, ok)
	require.Equal(t, time.Date(2025, 12, 31, 22, 45, 0, 0, time.UTC), at)
	at, _ = m.ETA.Resolve(time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC))
	require.Equal(t, time.Date(2026, 12, 31, 22, 45, 0, 0, time.UTC), at)

	// not available: IMO 0, ETA month 0 / hour 24 / minute 60, draught 0, ship type 0
	m = decodeW(t, type5(0, [4]uint64{0, 0, 24, 60}, 0, ""))
	require.False(t, m.IMO.Valid)
	require.False(t, m.ETA.Valid)
	_, ok = m.ETA.Resolve(time.Now())
	require.False(t, ok)
	require.False(t, m.Draught.Valid)
	require.Equal(t, "", m.Destination)
	// hour and minute missing, date given: valid at day precision
	m = decodeW(t, type5(0, [4]uint64{3, 14, 24, 60}, 0, ""))
	require.Equal(t, ETA{Month: 3, Day: 14, Valid: true}, m.ETA)
	// 31 April is not a date
	require.False(t, decodeW(t, type5(0, [4]uint64{4, 31, 0, 0}, 0, "")).ETA.Valid)

	// the 420- and 422-bit variants decode, with the tail read as zero
	for _, n := range []int{420, 422} {
		w := type5(1, [4]uint64{1, 2, 3, 4}, 10, "ABCDEFGHIJKLMNOPQRST")
		w.bits = w.bits[:n]
		m := decodeW(t, w)
		require.Equal(t, "ABCDEFGHIJKLMNOPQRS", m.Destination[:19], "%d bits", n)
		require.Equal(t, some(1.0), m.Draught)
	}
	w := type5(1, [4]uint64{1, 2, 3, 4}, 10, "X")
	w.bits = w.bits[:410]
	p, fill := w.armoured()
	err := Decode([]byte(p), fill, &m)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	require.Equal(t, ReasonShort, de.Reason)
}

func TestClassB(t *testing.T) {
	w := header(18, 211000001).u(8, 0).u(10, 55).u(1, 0).s(28, 600000*10).s(27, -600000*5).
		u(12, 900).u(9, 511).u(6, 10).u(2, 0).u(1, 1).u(1, 0).u(1, 1).u(1, 1).u(1, 1).u(1, 0).u(1, 1).u(20, 0)
	m := decodeW(t, w)
	require.Equal(t, some(5.5), m.SOG)
	require.Equal(t, some(10.0), m.Lon)
	require.Equal(t, some(-5.0), m.Lat)
	require.Equal(t, some(90.0), m.COG)
	require.False(t, m.Heading.Valid)
	require.True(t, m.RAIM)

	w = header(19, 211000002).u(8, 0).u(10, 1023).u(1, 0).s(28, 0).s(27, 0).u(12, 0).u(9, 45).u(6, 0).
		u(4, 0).text(20, "SEA BREEZE").u(8, 37).u(9, 10).u(9, 5).u(6, 2).u(6, 3).u(4, 1).u(1, 1).u(1, 0).u(1, 0).u(4, 0)
	require.Len(t, w.bits, 312)
	m = decodeW(t, w)
	require.False(t, m.SOG.Valid)
	require.Equal(t, some(45), m.Heading)
	require.Equal(t, "SEA BREEZE", m.Name)
	require.Equal(t, some(37), m.ShipType)
	require.Equal(t, some(10), m.ToBow)
	require.Equal(t, some(3), m.ToStarboard)
	require.True(t, m.RAIM)
	require.True(t, m.IsStatic())
}

func TestType24(t *testing.T) {
	m := decodeW(t, header(24, 338000001).u(2, 0).text(20, "LITTLE DIPPER"))
	require.Equal(t, 0, m.PartNum)
	require.Equal(t, "LITTLE DIPPER", m.Name)

	m = decodeW(t, header(24, 338000001).u(2, 1).u(8, 36).text(3, "ABC").u(4, 1).u(20, 7).
		text(7, "WDE1234").u(9, 8).u(9, 4).u(6, 2).u(6, 2).u(6, 0))
	require.Equal(t, 1, m.PartNum)
	require.Equal(t, some(36), m.ShipType)
	require.Equal(t, "ABC", m.VendorID)
	require.Equal(t, "WDE1234", m.CallSign)
	require.Equal(t, some(8), m.ToBow)

	// auxiliary craft (MMSI 98xxxxxxx) carry the mothership's MMSI instead
	m = decodeW(t, header(24, 981234567).u(2, 1).u(8, 0).text(3, "").u(24, 0).text(7, "").u(30, 244660000).u(6, 0))
	require.Equal(t, uint32(244660000), m.Mothership)
	require.False(t, m.ToBow.Valid)

	// part number 2 is invalid
	p, fill := header(24, 1).u(2, 2).u(160, 0).armoured()
	err := Decode([]byte(p), fill, &m)
	require.ErrorContains(t, err, ReasonBadField)
}

func TestType27(t *testing.T) {
	// lon/lat in 1/10 minute: -122.5° = -73500, 37.75° = 22650; SOG 12 kn; COG 270°
	w := header(27, 366000001).u(1, 1).u(1, 0).u(4, 0).s(18, -73500).s(17, 22650).u(6, 12).u(9, 270).u(1, 0).u(1, 0)
	m := decodeW(t, w)
	require.Equal(t, some(-122.5), m.Lon)
	require.Equal(t, some(37.75), m.Lat)
	require.Equal(t, some(12.0), m.SOG)
	require.Equal(t, some(270.0), m.COG)
	require.Equal(t, some(0), m.NavStatus)
	// not available: lon 181° (108600), lat 91° (54600), SOG 63, COG 511
	w = header(27, 1).u(1, 0).u(1, 0).u(4, 15).s(18, 108600).s(17, 54600).u(6, 63).u(9, 511).u(2, 0)
	m = decodeW(t, w)
	require.False(t, m.HasPosition())
	require.False(t, m.SOG.Valid)
	require.False(t, m.COG.Valid)
	require.False(t, m.NavStatus.Valid)
}

func TestDecodeErrors(t *testing.T) {
	var m Message
	tests := []struct {
		name    string
		payload string
		fill    int
		reason  string
	}{
		{"empty", "", 0, ReasonEmpty},
		{"short header", "15M67", 0, ReasonShort},
		{"short type 1", "15M67FC000G?ufbE`F", 0, ReasonShort},
		{"bad character", "15M67FC000G?ufbE`FepT@3n00S~", 0, ReasonArmour},
		{"fill bits 6", "15M67FC000G?ufbE`FepT@3n00Sa", 6, ReasonFillBits},
		{"unsupported type 15", "?03OwnP0000000000000000", 2, ReasonUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Decode([]byte(tc.payload), tc.fill, &m)
			var de *DecodeError
			require.ErrorAs(t, err, &de)
			require.Equal(t, tc.reason, de.Reason)
		})
	}
}
