package abi

import (
	"bytes"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/internal/mpack"
	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/stretchr/testify/require"
)

// request is what every request type has: a decoder and an encoder.
type request interface {
	Decode([]byte) error
	Append([]byte) []byte
}

// requests returns a fresh value of every request type.
func requests() []func() request {
	return []func() request{
		func() request { return &LoadRequest{} },
		func() request { return &HandleRequest{Key: "handle"} },
		func() request { return &HandleRequest{Key: "stream"} },
		func() request { return &DecodeRequest{} },
		func() request { return &PredictRequest{} },
		func() request { return &StreamOpenRequest{} },
		func() request { return &StreamPushRequest{} },
		func() request { return &ForecastRequest{} },
		func() request { return &ConformanceRequest{} },
	}
}

// FuzzRequests throws arbitrary bytes at every request decoder of the
// guest: a request is refused (ErrMalformed) or decoded without a panic,
// and what is decoded encodes to a request that decodes to the same
// encoding.
func FuzzRequests(f *testing.F) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pos := []ais.Position{{MMSI: 244660000, Time: t0, Lat: 51.9, Lon: 4.1, SOG: ais.Opt[float64]{V: 12, Valid: true}}}
	for i, r := range []request{
		&LoadRequest{Bundle: []byte("PORTOLAN")},
		&HandleRequest{Key: "handle", Handle: 7},
		&HandleRequest{Key: "stream", Handle: 9},
		&DecodeRequest{AIS: []byte("!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*23\n")},
		&PredictRequest{Handle: 1, TopK: 3, Positions: pos},
		&StreamOpenRequest{Handle: 1, MMSI: 244660000, ShipType: ais.Opt[int]{V: 70, Valid: true}},
		&StreamPushRequest{Stream: 3, Positions: pos},
		&ForecastRequest{Handle: 2, Series: [][]float32{{1, 2}, {3, 4}}, Samples: 4, Seed: 9, Keys: []uint64{5, 6}},
		&ConformanceRequest{Vectors: []byte{1}, Model: []byte{2}},
	} {
		f.Add(byte(i), r.Append(nil))
	}
	kinds := requests()
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		mk := kinds[int(which)%len(kinds)]
		r := mk()
		if err := r.Decode(data); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		a := r.Append(nil)
		r2 := mk()
		if err := r2.Decode(a); err != nil {
			t.Fatalf("a decoded request does not decode again: %v", err)
		}
		if b := r2.Append(nil); !bytes.Equal(a, b) {
			t.Fatalf("encodings differ:\n%x\n%x", a, b)
		}
	})
}

// TestRequestClaimsAreNotAllocated: arrays whose headers claim 2^32
// elements in a few bytes are refused before anything is allocated for
// them, and a forecast request of many empty series is refused.
func TestRequestClaimsAreNotAllocated(t *testing.T) {
	claim := func(key string) []byte {
		b := mpack.AppendMapHeader(nil, 2)
		b = mpack.AppendString(b, "handle")
		b = mpack.AppendUint(b, 1)
		b = mpack.AppendString(b, key)
		return append(b, 0xdd, 0xff, 0xff, 0xff, 0xff) // array32 of 2^32-1 elements
	}
	for _, c := range []struct {
		key string
		r   request
	}{{"series", &ForecastRequest{}}, {"keys", &ForecastRequest{}}, {"positions", &PredictRequest{}}} {
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		err := c.r.Decode(claim(c.key))
		runtime.ReadMemStats(&b)
		require.ErrorIs(t, err, ErrMalformed, c.key)
		require.Less(t, b.TotalAlloc-a.TotalAlloc, uint64(64<<10), "%s: %d bytes allocated", c.key, b.TotalAlloc-a.TotalAlloc)
	}
	// 100,000 empty series: refused, not 100,000 series of nothing
	b := mpack.AppendMapHeader(nil, 2)
	b = mpack.AppendString(b, "handle")
	b = mpack.AppendUint(b, 1)
	b = mpack.AppendString(b, "series")
	b = mpack.AppendArrayHeader(b, 100000)
	for i := 0; i < 100000; i++ {
		b = mpack.AppendArrayHeader(b, 0)
	}
	err := (&ForecastRequest{}).Decode(b)
	require.ErrorIs(t, err, ErrMalformed)
	require.ErrorContains(t, err, "series 0")
}
