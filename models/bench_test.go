package models

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/portolan-sdk/portolan/export"
)

// randomCells returns L cells with 5 points each of standard-normal
// (already scaled) features along a plausible track.
func randomCells(m *WAY, L int) []Cell {
	r := rand.New(rand.NewPCG(1, 1))
	cells := make([]Cell, L)
	for i := range cells {
		x := make([]float32, m.SubLen*m.NFeatures)
		for k := range x {
			x[k] = float32(r.NormFloat64())
		}
		cells[i] = Cell{Lon: float32(-10 + 0.1*float64(i)), Lat: float32(45 + 0.05*float64(i)), Hours: float32(2 * i), X: x}
	}
	return cells
}

// BenchmarkWAYFull is a full prediction for batches of voyages of L cells
// (the batch runs voyage after voyage on one core).
func BenchmarkWAYFull(b *testing.B) {
	m := loadWAY(b)
	for _, L := range []int{128, 512} {
		cells := randomCells(m, L)
		for _, B := range []int{1, 32} {
			b.Run(fmt.Sprintf("L%d/B%d", L, B), func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					for v := 0; v < B; v++ {
						if _, err := m.Forward(cells, 1, 1); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}

// BenchmarkWAYStreamUpdate is one streaming update (the open cell
// re-evaluated) after L committed cells.
func BenchmarkWAYStreamUpdate(b *testing.B) {
	m := loadWAY(b)
	for _, L := range []int{128, 511} {
		b.Run(fmt.Sprintf("after%d", L), func(b *testing.B) {
			cells := randomCells(m, L+1)
			s, err := m.NewStream(1, 1)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < L; i++ {
				if err := s.Update(&cells[i], true); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := s.Update(&cells[L], false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTDForecast is one forecast with 20 Monte Carlo samples.
func BenchmarkTDForecast(b *testing.B) {
	m := loadTD(b)
	w := m.NewWork(20)
	x := make([]float32, m.T*m.D)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := m.Sample(w, x, 0, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad reads, validates and builds each demo bundle.
func BenchmarkLoad(b *testing.B) {
	for _, name := range []string{"way-demo", "td-demo"} {
		data, err := os.ReadFile(filepath.Join(testdata, "models", name+".portolan"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				bd, err := export.Unmarshal(data)
				if err != nil {
					b.Fatal(err)
				}
				if bd.Kind == "way" {
					_, err = NewWAY(bd)
				} else {
					_, err = NewTD(bd)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
