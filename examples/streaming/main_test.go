package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/stretchr/testify/require"
)

const demo = "../../testdata/models/way-demo.portolan"

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(demo, "../../testdata/ais/sample.nmea", &out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.True(t, strings.HasPrefix(lines[0], "2694 positions: "), lines[0])
	require.Contains(t, lines[0], "updates for 8 vessels")
	// the streams end where the batch predictor does (examples/destinations)
	require.Contains(t, out.String(), "211969162 bound for DEBRV (16%)")
}

// report is one position report of a station as NMEA with a time tag.
func report(t *testing.T, mmsi uint32, at time.Time, lat, lon, sog float64) string {
	m := &ais.Message{Type: 1, MMSI: mmsi, Lat: ais.Opt[float64]{V: lat, Valid: true}, Lon: ais.Opt[float64]{V: lon, Valid: true},
		SOG: ais.Opt[float64]{V: sog, Valid: true}}
	payload, fill, err := ais.Encode(m)
	require.NoError(t, err)
	return string(ais.AppendSentences(nil, payload, fill, ais.SentenceOptions{Time: at}))
}

// TestRunSurvivesARealFeed: base stations and aids to navigation sending
// position reports, a vessel lying in port, damaged and foreign lines,
// reports without a time and a vessel from a year ago: the replay goes
// through them all and answers the vessels at sea.
func TestRunSurvivesARealFeed(t *testing.T) {
	sample, err := os.ReadFile("../../testdata/ais/sample.nmea")
	require.NoError(t, err)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var b strings.Builder
	b.WriteString(report(t, 2190001, at, 55.6, 12.6, 0))    // a base station
	b.WriteString(report(t, 992191234, at, 55.7, 12.7, 0))  // an aid to navigation
	b.WriteString(report(t, 111219001, at, 55.8, 12.8, 90)) // a search and rescue aircraft
	for k := 0; k < 20; k++ {                               // a ship lying in Rotterdam
		b.WriteString(report(t, 244000999, at.Add(time.Duration(k)*10*time.Minute), 51.90, 4.48, 0))
	}
	b.WriteString("!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*00\n") // a bad checksum
	b.WriteString("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\n")
	b.WriteString("!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*23\n") // no time
	b.WriteString("garbage that is not NMEA at all \x00\x01\n")
	b.WriteString(report(t, 244000998, at.AddDate(-1, 0, 0), 50, -5, 12)) // a year ago
	b.Write(sample)
	b.WriteString(report(t, 2190001, at.Add(time.Hour), 55.6, 12.6, 0))
	path := filepath.Join(t.TempDir(), "feed.nmea")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))

	var out bytes.Buffer
	require.NoError(t, run(demo, path, &out))
	first := strings.Split(out.String(), "\n")[0]
	require.Contains(t, first, "updates for 8 vessels", "the vessels at sea are answered, the one in port is not")
	require.Contains(t, first, "4 from stations that are not ships")
	require.Contains(t, out.String(), "211969162 bound for DEBRV (16%)")
	require.NotContains(t, out.String(), "244000999")
}
