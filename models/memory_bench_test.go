package models

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portolan-sdk/portolan/export"
)

// memoryProbeEnv names a bundle file for the memory probe: a test binary
// started with it loads that bundle, builds its model, drops everything
// else and prints what the model holds (see BenchmarkModelMemory).
const memoryProbeEnv = "PORTOLAN_MEMORY_PROBE"

func TestMain(m *testing.M) {
	if path := os.Getenv(memoryProbeEnv); path != "" {
		if err := memoryProbe(path); err != nil {
			fmt.Fprintln(os.Stderr, "memory probe:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// memoryProbe prints "model-bytes heap-bytes rss-bytes" for the model of
// the bundle at path: the weights it holds (Bytes), and how much the Go
// heap in use and the process's resident set grew from before the file
// was read to after the model was built and everything else collected
// (rss −1 where /proc/self/status is missing).
func memoryProbe(path string) error {
	heap0, rss0 := settle()
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	b, err := export.Unmarshal(data)
	if err != nil {
		return err
	}
	data = nil
	var model interface{ Bytes() int }
	if b.Kind == "way" {
		model, err = NewWAY(b)
	} else {
		model, err = NewTD(b)
	}
	if err != nil {
		return err
	}
	b = nil
	heap1, rss1 := settle()
	rss := int64(-1)
	if rss0 >= 0 && rss1 >= 0 {
		rss = rss1 - rss0
	}
	fmt.Printf("probe %d %d %d\n", model.Bytes(), int64(heap1)-int64(heap0), rss)
	runtime.KeepAlive(model)
	return nil
}

// settle collects garbage, returns freed memory to the system and reports
// the heap in use and the resident set (−1 where unknown).
func settle() (heapInuse uint64, rss int64) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse, residentBytes()
}

// residentBytes reads VmRSS from /proc/self/status.
func residentBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

// memoryModels are the models whose memory and speed per dtype the
// benchmarks compare: the demo models, the default WAY config with a
// 4096-port vocabulary (random weights) and a default-size Transformer TD.
func memoryModels(b *testing.B) []struct {
	name   string
	bundle *export.Bundle
} {
	return []struct {
		name   string
		bundle *export.Bundle
	}{
		{"way-demo", readBundle(b, "way-demo")},
		{"way-default-4k", randomWAYBundle(b, "default", 4096)},
		{"td-demo", readBundle(b, "td-demo")},
		{"td-transformer", randomTransformerTD(b)},
	}
}

var dtypes = []export.DType{export.F32, export.F16, export.Int8}

// BenchmarkModelMemory reports, per model and dtype, the bytes the built
// model holds (model-B), and how much the Go heap in use (heap-B) and the
// resident set (rss-B) grew to load it, in a fresh process each time (the
// test binary re-run as a probe), from a bundle file of that dtype.
//
//	go test -run '^$' -bench BenchmarkModelMemory -benchtime 3x ./models
func BenchmarkModelMemory(b *testing.B) {
	dir := b.TempDir()
	for _, mm := range memoryModels(b) {
		for _, dt := range dtypes {
			conv, err := mm.bundle.Convert(dt)
			if err != nil {
				b.Fatal(err)
			}
			path := filepath.Join(dir, fmt.Sprintf("%s-%s.portolan", mm.name, dt))
			if err := export.WriteFile(path, conv); err != nil {
				b.Fatal(err)
			}
			b.Run(mm.name+"/"+string(dt), func(b *testing.B) {
				var model, heap, rss float64
				for i := 0; i < b.N; i++ {
					cmd := exec.Command(os.Args[0], "-test.run=^$")
					cmd.Env = append(os.Environ(), memoryProbeEnv+"="+path)
					out, err := cmd.CombinedOutput()
					if err != nil {
						b.Fatalf("%v: %s", err, out)
					}
					var m, h, r int64
					if _, err := fmt.Fscanf(bytes.NewReader(out[bytes.Index(out, []byte("probe ")):]), "probe %d %d %d", &m, &h, &r); err != nil {
						b.Fatalf("%v: %s", err, out)
					}
					model, heap, rss = float64(m), heap+float64(h)/float64(b.N), rss+float64(r)/float64(b.N)
				}
				b.ReportMetric(model, "model-B")
				b.ReportMetric(heap, "heap-B")
				b.ReportMetric(rss, "rss-B")
			})
		}
	}
}

// BenchmarkDType is the speed cost of compact weights: the same forward
// with the model stored f32, f16 and int8 (f16 and int8 panels are
// dequantised inside every product), the three run in turn in every
// iteration so that they share the machine's load: a WAY voyage of 128
// cells, a WAY stream update after 128 cells (one row: the worst case),
// a TD forecast of 1 and of 64 series with 20 samples, on one thread. It
// reports the median time of each dtype (f32-ms, f16-ms, int8-ms) and
// the medians of the per-iteration ratios (f16/f32, int8/f32); ns/op is
// the three together.
//
//	go test -run '^$' -bench BenchmarkDType -benchtime 20x ./models
func BenchmarkDType(b *testing.B) {
	for _, mm := range memoryModels(b) {
		var cases []dtypeCase
		for _, dt := range dtypes {
			conv, err := mm.bundle.Convert(dt)
			if err != nil {
				b.Fatal(err)
			}
			var cs []func() error
			if conv.Kind == "way" {
				cs = wayDTypeCases(b, conv)
			} else {
				cs = tdDTypeCases(b, conv)
			}
			for i, f := range cs {
				if len(cases) <= i {
					cases = append(cases, dtypeCase{})
				}
				cases[i].run = append(cases[i].run, f)
			}
		}
		names := map[string][]string{"way": {"voyage/L128", "stream/after128"}, "td": {"series1", "series64"}}[mm.bundle.Kind]
		for i, c := range cases {
			b.Run(mm.name+"/"+names[i], c.bench)
		}
	}
}

// dtypeCase is one forward under each dtype (f32, f16, int8).
type dtypeCase struct{ run []func() error }

func (c dtypeCase) bench(b *testing.B) {
	times := make([][]float64, len(c.run))
	for _, f := range c.run { // warm up: buffers grown, caches filled
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < b.N; i++ {
		for k, f := range c.run {
			t0 := time.Now()
			if err := f(); err != nil {
				b.Fatal(err)
			}
			times[k] = append(times[k], float64(time.Since(t0).Nanoseconds()))
		}
	}
	ratio := func(k int) float64 {
		r := make([]float64, len(times[k]))
		for i := range r {
			r[i] = times[k][i] / times[0][i]
		}
		return median(r)
	}
	b.ReportMetric(median(times[0])/1e6, "f32-ms")
	b.ReportMetric(median(times[1])/1e6, "f16-ms")
	b.ReportMetric(median(times[2])/1e6, "int8-ms")
	b.ReportMetric(ratio(1), "f16/f32")
	b.ReportMetric(ratio(2), "int8/f32")
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// wayDTypeCases returns a voyage of 128 cells and a stream update after
// 128 cells of a WAY model.
func wayDTypeCases(b *testing.B, bd *export.Bundle) []func() error {
	m, err := NewWAY(bd)
	if err != nil {
		b.Fatal(err)
	}
	cells := randomCells(m, 129)
	w := m.NewWork()
	batch := []Voyage{{Cells: cells[:128], Ship: 1, Departure: 1}}
	s, err := m.NewStream(1, 1)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 128; i++ {
		if err := s.Update(&cells[i], true); err != nil {
			b.Fatal(err)
		}
	}
	return []func() error{
		func() error { return m.ForwardBatch(w, batch) },
		func() error { return s.Update(&cells[128], false) },
	}
}

// tdDTypeCases returns forecasts of 1 and of 64 series (20 samples) of a
// TD model.
func tdDTypeCases(b *testing.B, bd *export.Bundle) []func() error {
	m, err := NewTD(bd)
	if err != nil {
		b.Fatal(err)
	}
	var out []func() error
	for _, series := range []int{1, 64} {
		w := m.NewWork(20)
		x := make([]float32, series*m.T*m.D)
		keys := make([]uint64, series)
		for i := range keys {
			keys[i] = uint64(i)
		}
		out = append(out, func() error { return m.SampleBatch(w, x, keys, 1) })
	}
	return out
}
