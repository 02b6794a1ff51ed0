package feed

import (
	"io"
	"testing"

	"github.com/portolan-sdk/portolan/internal/shareddata"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// BenchmarkMarineCadastreSlice reads the shared 2-hour MarineCadastre
// slice (zstd CSV, 521,867 rows) into positions: decompression, format
// detection and CSV parsing together, in rows per second.
func BenchmarkMarineCadastreSlice(b *testing.B) {
	path := shareddata.Path(b, "marinecadastre-2020-01-01/AIS_2020_01_01_1200-1400.csv.zst")
	rows := 0
	for i := 0; i < b.N; i++ {
		in, err := Open(path, nil)
		if err != nil {
			b.Fatal(err)
		}
		s, err := in.Next()
		if err != nil {
			b.Fatal(err)
		}
		pr, err := ais.OpenPositions(s.R, ais.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := pr.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		rows = pr.(ais.Accounter).Account().Read
		in.Close()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
