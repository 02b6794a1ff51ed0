package ais

import (
	"os"
	"testing"

	"github.com/portolan-sdk/portolan/internal/shareddata"
	"github.com/stretchr/testify/require"
)

func readAll(t *testing.T, path string, opt Options) ([]Message, Stats) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r := NewReader(f, opt)
	var out []Message
	for {
		m, err := r.Next()
		if err != nil {
			break
		}
		out = append(out, *m)
	}
	return out, r.Stats()
}

// TestPyaisSample accounts for every line of the 898-line real sample.
func TestPyaisSample(t *testing.T) {
	path := shareddata.Path(t, "pyais-nmea/nmea_data_sample.txt")
	msgs, st := readAll(t, path, Options{})
	require.Equal(t, 898, st.Lines)
	require.Equal(t, 898, st.Sentences)
	require.Equal(t, 770, st.Messages)
	require.Len(t, msgs, 770)
	want := map[int]int{1: 667, 3: 76, 4: 6, 18: 19, 24: 2}
	for typ, n := range st.ByType {
		require.Equal(t, want[typ], n, "type %d", typ)
	}
	require.Equal(t, 7, st.Unsupported[15])
	require.Equal(t, 1, st.Unsupported[20])
	require.Equal(t, 8, st.UnsupportedTotal())
	require.Equal(t, map[string]int{ReasonEmpty: 100}, st.Rejected)
	require.Equal(t, 20, st.Orphans)
	require.Equal(t, 20, st.OrphanFragments)
	require.Equal(t, 19, st.OrphansByType[5])
	require.Equal(t, 1, st.OrphansByType[1])
	// every line is accounted for
	require.Equal(t, st.Lines, st.Messages+st.UnsupportedTotal()+st.Malformed()+st.OrphanFragments)

	for _, m := range msgs {
		if m.HasPosition() {
			require.True(t, m.Lat.V > 35.5 && m.Lat.V < 38.6 && m.Lon.V > 19.4 && m.Lon.V < 25.2,
				"position %v,%v outside the sample's Greek waters", m.Lat.V, m.Lon.V)
		}
	}
}
