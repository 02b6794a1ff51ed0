package sim

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/trajectory"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/stretchr/testify/require"
)

func smallFleet(t testing.TB, seed uint64) *Fleet {
	f, err := NewFleet(BuiltinNetwork(), BuiltinPorts, Config{Seed: seed, Vessels: 12, Days: 10})
	require.NoError(t, err)
	return f
}

func TestDeterministic(t *testing.T) {
	var a, b, c bytes.Buffer
	n, err := smallFleet(t, 1).WriteNMEA(&a)
	require.NoError(t, err)
	require.Greater(t, n, 1000)
	_, err = smallFleet(t, 1).WriteNMEA(&b)
	require.NoError(t, err)
	require.Equal(t, sha256.Sum256(a.Bytes()), sha256.Sum256(b.Bytes()), "same seed, same bytes")
	_, err = smallFleet(t, 2).WriteNMEA(&c)
	require.NoError(t, err)
	require.NotEqual(t, a.Bytes(), c.Bytes())
}

// TestRoundTrip decodes the simulated NMEA, and finds port-to-port voyages
// between the built-in ports in it.
func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	n, err := smallFleet(t, 3).WriteNMEA(&buf)
	require.NoError(t, err)
	r := ais.NewReader(bytes.NewReader(buf.Bytes()), ais.Options{})
	var last time.Time
	got := 0
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		require.False(t, m.Time.Before(last), "time order")
		last = m.Time
		got++
	}
	st := r.Stats()
	require.Equal(t, n, got)
	require.Equal(t, 0, st.Malformed())
	require.Equal(t, 0, st.Orphans)
	require.Greater(t, st.ByType[5], 0)

	pr, err := ais.OpenPositions(bytes.NewReader(buf.Bytes()), ais.Options{})
	require.NoError(t, err)
	tracks, err := trajectory.Collect(pr)
	require.NoError(t, err)
	require.Len(t, tracks, 12)
	ports, err := trajectory.NewPorts(BuiltinPorts)
	require.NoError(t, err)
	complete := 0
	for _, tr := range tracks {
		clean, cst := trajectory.Clean(tr, trajectory.CleanConfig{})
		require.Equal(t, cst.In, cst.Kept, "simulated data is clean: %v", cst.Dropped)
		for _, v := range trajectory.Voyages(clean, trajectory.Visits(clean, ports, trajectory.VisitConfig{})) {
			if v.From >= 0 && v.To >= 0 {
				complete++
				require.NotEqual(t, v.From, v.To)
			}
		}
	}
	require.Greater(t, complete, 10)
}

func TestMarineCadastreOutput(t *testing.T) {
	var buf bytes.Buffer
	n, err := smallFleet(t, 1).WriteMarineCadastre(&buf)
	require.NoError(t, err)
	pr, err := ais.OpenPositions(bytes.NewReader(buf.Bytes()), ais.Options{})
	require.NoError(t, err)
	cr := pr.(*ais.CSVReader)
	for {
		if _, err := cr.Next(); err != nil {
			break
		}
	}
	st := cr.Stats()
	require.Equal(t, n, st.Positions)
	require.Zero(t, st.BadRows)
}

func TestNetwork(t *testing.T) {
	net := BuiltinNetwork()
	a, d := net.Nearest(51.95, 4.05) // Rotterdam is a lane end
	require.Less(t, d, 1.0)
	b, _ := net.Nearest(37.94, 23.62) // Piraeus
	path, metres, ok := net.Path(a, b)
	require.True(t, ok)
	require.Greater(t, len(path), 10)
	// Rotterdam → Dover → Biscay → Gibraltar → Piraeus is about 5,500 km by sea
	require.InDelta(t, 5500e3, metres, 700e3)
	_, _, ok = net.Path(a, a)
	require.True(t, ok)
}

func TestIMOCheckDigit(t *testing.T) {
	// The check digit of an IMO number is Σ d_i·(7−i) mod 10 over the first
	// six digits: 9074729 is a real one (9·7+0·6+7·5+4·4+7·3+2·2 = 139 → 9).
	valid := func(imo uint32) bool {
		d := fmt.Sprint(imo)
		sum := 0
		for i := 0; i < 6; i++ {
			sum += int(d[i]-'0') * (7 - i)
		}
		return len(d) == 7 && sum%10 == int(d[6]-'0')
	}
	require.True(t, valid(9074729))
	require.False(t, valid(9074728))
	rng := rand.New(rand.NewPCG(1, 1))
	for range 100 {
		require.True(t, valid(imoNumber(rng)))
	}
}

// TestVesselsWithoutVoyageData: class B vessels never send an ETA or
// destination, and a share of class A vessels leave them empty; their
// points get the not-reported ETA feature, as real ones do.
func TestVesselsWithoutVoyageData(t *testing.T) {
	count := func(share float64) (withETA, withoutETA map[uint32]bool) {
		f, err := NewFleet(BuiltinNetwork(), BuiltinPorts, Config{Seed: 8, Vessels: 40, Days: 3, NoVoyageShare: share})
		require.NoError(t, err)
		withETA, withoutETA = map[uint32]bool{}, map[uint32]bool{}
		require.NoError(t, f.Run(func(m *ais.Message) error {
			if m.Type == 5 {
				if m.ETA.Valid || m.Destination != "" || m.Draught.Valid {
					withETA[m.MMSI] = true
				} else {
					withoutETA[m.MMSI] = true
				}
			}
			return nil
		}))
		return withETA, withoutETA
	}
	with, without := count(0)
	require.Greater(t, len(without), 3, "about a quarter of class A vessels")
	require.Greater(t, len(with), 2*len(without))
	for m := range without {
		require.False(t, with[m], "vessel %d reports voyage data sometimes", m)
	}
	with2, without2 := count(-1)
	require.Empty(t, without2, "a negative share: every class A vessel reports")
	require.Equal(t, len(with)+len(without), len(with2))

	// their points carry the not-reported ETA feature
	f, err := NewFleet(BuiltinNetwork(), BuiltinPorts, Config{Seed: 8, Vessels: 40, Days: 3})
	require.NoError(t, err)
	tracks, err := f.Tracks()
	require.NoError(t, err)
	g := trajectory.DefaultNestedConfig().Grid
	for _, tr := range tracks {
		if !without[tr.MMSI] {
			continue
		}
		for i := range tr.Points {
			require.Equal(t, float32(trajectory.NoETAHours), trajectory.PointFeatures(nil, &tr.Points[i], g)[0])
		}
	}
}
