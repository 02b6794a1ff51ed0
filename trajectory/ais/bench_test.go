package ais

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// type1Stream returns n distinct type 1 sentences, one per line, with
// fields drawn from a seeded generator.
func type1Stream(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var buf bytes.Buffer
	for i := 0; i < n; i++ {
		w := header(1, uint32(200000000+rng.IntN(500000000))).u(4, uint64(rng.IntN(9))).s(8, int64(rng.IntN(60)-30)).
			u(10, uint64(rng.IntN(300))).u(1, 1).s(28, int64(rng.IntN(216000000)-108000000)).
			s(27, int64(rng.IntN(108000000)-54000000)).u(12, uint64(rng.IntN(3600))).u(9, uint64(rng.IntN(360))).
			u(6, uint64(rng.IntN(60))).u(2, 0).u(3, 0).u(1, 0).u(19, 0)
		p, fill := w.armoured()
		fmt.Fprintln(&buf, sentence(1, 1, "", "AB"[i%2:i%2+1], p, fill))
	}
	return buf.Bytes()
}

// BenchmarkReaderType1 measures the streaming decoder on class A position
// reports: sentences per second on one core (the sentences/s metric).
func BenchmarkReaderType1(b *testing.B) {
	const n = 100000
	data := type1Stream(n)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := NewReader(bytes.NewReader(data), Options{})
		count := 0
		for {
			if _, err := r.Next(); err != nil {
				break
			}
			count++
		}
		if count != n {
			b.Fatalf("decoded %d of %d", count, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "sentences/s")
}

// BenchmarkDecodeType1 measures payload decoding alone.
func BenchmarkDecodeType1(b *testing.B) {
	p := []byte(type1p)
	var m Message
	for i := 0; i < b.N; i++ {
		if err := Decode(p, 0, &m); err != nil {
			b.Fatal(err)
		}
	}
}

// marineCadastreRows returns a header and n rows in the layout of the
// shared MarineCadastre slice (11 columns, float ship types and headings,
// sorted by time, about 50 rows per vessel), drawn from a seeded generator.
func marineCadastreRows(n int) []byte {
	rng := rand.New(rand.NewPCG(5, 6))
	type vessel struct {
		mmsi, imo, call, typ int
		name                 string
	}
	names := []string{"ALBERT MAERSK", "CHASE LEGACY", "PARAMOUNT HALIFAX", "OCEAN STAR", "SEA TRADER"}
	fleet := make([]vessel, n/50+1)
	for i := range fleet {
		fleet[i] = vessel{200000000 + rng.IntN(500000000), rng.IntN(9999999), rng.IntN(9999), 30 + rng.IntN(60),
			fmt.Sprintf("%s %d", names[rng.IntN(len(names))], i)}
	}
	var buf bytes.Buffer
	buf.WriteString("MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType\n")
	for i := 0; i < n; i++ {
		sec := i / 70 // about 70 rows a second, as in the slice
		v := &fleet[rng.IntN(len(fleet))]
		fmt.Fprintf(&buf, "%d,2020-01-01T%02d:%02d:%02d,%.5f,%.5f,%.1f,%.1f,%d.0,%s,IMO%07d,WDC%04d,%d.0\n",
			v.mmsi, 12+sec/3600, sec/60%60, sec%60, 20+rng.Float64()*30, -160+rng.Float64()*90,
			rng.Float64()*20, rng.Float64()*360, rng.IntN(360), v.name, v.imo, v.call, v.typ)
	}
	return buf.Bytes()
}

// BenchmarkCSVReader measures CSV ingest of the MarineCadastre layout:
// rows per second on one core (the rows/s metric).
func BenchmarkCSVReader(b *testing.B) {
	const n = 100000
	data := marineCadastreRows(n)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pr, err := OpenPositions(bytes.NewReader(data), Options{})
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		for {
			if _, err := pr.Next(); err != nil {
				break
			}
			count++
		}
		if count != n {
			b.Fatalf("read %d of %d rows", count, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
