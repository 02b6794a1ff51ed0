package main

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/internal/rng"
	"github.com/portolan-sdk/portolan/models"
	"github.com/stretchr/testify/require"
)

var testdata = filepath.Join("..", "..", "testdata", "models")

// writeArray writes values as a raw little-endian array of the case and
// returns its manifest entry.
func writeArray(t *testing.T, dir, name, dtype string, shape []int, values []float64) Array {
	var b []byte
	for _, v := range values {
		switch dtype {
		case "float32":
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
		case "int64":
			b = binary.LittleEndian.AppendUint64(b, uint64(int64(v)))
		case "float64":
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".bin"), b, 0o644))
	return Array{File: name + ".bin", DType: dtype, Shape: shape}
}

func writeManifest(t *testing.T, m *Manifest) *Manifest {
	data, err := json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(m.dir, "manifest.json"), data, 0o644))
	back, err := readManifest(m.dir)
	require.NoError(t, err)
	return back
}

// TestWAYCase: the runner's voyages and outputs (every voyage's logits
// after its last cell, then every ETA) are what models computes for the
// case's inputs.
func TestWAYCase(t *testing.T) {
	b, err := export.ReadFile(filepath.Join(testdata, "way-demo.portolan"))
	require.NoError(t, err)
	m, err := models.NewWAY(b)
	require.NoError(t, err)
	const B, L = 2, 5
	S, F := m.SubLen, m.NFeatures
	dir := t.TempDir()
	var st, x, n, ship, dep []float64
	for i := 0; i < B*L; i++ {
		st = append(st, 4+0.1*float64(i), 52+0.05*float64(i), 2*float64(i))
		pts := 1 + i%S
		n = append(n, float64(pts))
		for p := 0; p < S; p++ {
			for f := 0; f < F; f++ {
				v := 0.0
				if p < pts {
					v = math.Sin(float64(i*S*F + p*F + f))
				}
				x = append(x, v)
			}
		}
	}
	ship, dep = []float64{1, 2}, []float64{0, 3}
	man := writeManifest(t, &Manifest{Name: "c", Kind: "way", Model: "way-small", B: B, L: L, dir: dir,
		Bundle: filepath.Join(testdata, "way-demo.portolan"), Inputs: map[string]Array{
			"spacetime": writeArray(t, dir, "spacetime", "float32", []int{B, L, 3}, st),
			"sub_x":     writeArray(t, dir, "sub_x", "float32", []int{B, L, S, F}, x),
			"sub_len":   writeArray(t, dir, "sub_len", "int64", []int{B, L}, n),
			"ship":      writeArray(t, dir, "ship", "int64", []int{B}, ship),
			"departure": writeArray(t, dir, "departure", "int64", []int{B}, dep),
		}})
	infer, outputs, err := wayCase(man, b, 1)
	require.NoError(t, err)
	require.NoError(t, infer())
	got := outputs()
	require.Len(t, got, B*m.NPorts+B*L)
	for v := 0; v < B; v++ {
		cells := make([]models.Cell, L)
		for j := range cells {
			r := v*L + j
			cx := make([]float32, int(n[r])*F)
			for k := range cx {
				cx[k] = float32(x[r*S*F+k])
			}
			cells[j] = models.Cell{Lon: float32(st[3*r]), Lat: float32(st[3*r+1]), Hours: float32(st[3*r+2]), X: cx}
		}
		out, err := m.Forward(cells, int(ship[v]), int(dep[v]))
		require.NoError(t, err)
		for p := 0; p < m.NPorts; p++ {
			require.Equal(t, float64(out.Logits[(L-1)*m.NPorts+p]), got[v*m.NPorts+p])
		}
		for j := 0; j < L; j++ {
			require.Equal(t, float64(out.ETA[j]), got[B*m.NPorts+v*L+j])
		}
	}
}

// TestTDCase: the runner forecasts the raw series under the case's key
// (kept as a decimal string: it may exceed 2⁵³) and reports the sample
// means, then the sample variances.
func TestTDCase(t *testing.T) {
	b, err := export.ReadFile(filepath.Join(testdata, "td-demo.portolan"))
	require.NoError(t, err)
	m, err := models.NewTD(b)
	require.NoError(t, err)
	dir := t.TempDir()
	raw := make([]float64, m.T*m.D)
	xs := make([]float32, len(raw))
	for i := range raw {
		raw[i] = float64(m.Preprocessing.Mean[i%m.D]) + math.Cos(float64(i))
		xs[i] = float32(raw[i])
	}
	key := rng.KeyOf("site00")
	man := writeManifest(t, &Manifest{Name: "t", Kind: "td", Samples: 7, Seed: 3, Key: strconv.FormatUint(key, 10), dir: dir,
		Bundle: filepath.Join(testdata, "td-demo.portolan"),
		Inputs: map[string]Array{"x_raw": writeArray(t, dir, "x_raw", "float32", []int{m.T, m.D}, raw)}})
	infer, outputs, err := tdCase(man, b, 2)
	require.NoError(t, err)
	require.NoError(t, infer())
	w := m.NewWork(7)
	require.NoError(t, m.Sample(w, xs, key, 3))
	require.Equal(t, append(append([]float64(nil), w.Mu...), w.Var...), outputs())
}

func TestStatsAndReport(t *testing.T) {
	require.Equal(t, 2.0, median([]float64{3, 1, 2}))
	require.Equal(t, 2.5, median([]float64{4, 1, 2, 3}))
	require.Equal(t, 0.0, median(nil))
	require.InDelta(t, 1.0/3, maxError([]float64{1, 10.5, 0}, []float64{1.5, 10, 0}), 1e-12) // 0.5/1.5, 0.5/10
	require.True(t, math.IsInf(maxError([]float64{math.NaN()}, []float64{1}), 1))

	// two rounds of a case: the ratio is taken within each round
	man := &Manifest{Name: "way-small-B1-L128", Kind: "way", Model: "way-small", B: 1, L: 128}
	res := func(ms float64) *Result {
		return &Result{TimesMs: []float64{ms, ms, ms}, ColdMs: 9, PeakRSSKB: 1024, Outputs: []float64{1}}
	}
	c := &caseResults{man: man, expected: []float64{1}, byRunner: map[string][]*Result{
		"portolan-1t": {res(2), res(3)}, "ort-node-1t": {res(4), res(4)}}}
	per, med := c.ratios("portolan-1t", "ort-node-1t")
	require.Equal(t, []float64{0.5, 0.75}, per)
	require.Equal(t, 0.625, med)
	r := report{runners: runners("d", "s", []int{1}), cases: []*caseResults{c}, threads: []int{1}, svgName: "p.svg",
		env: env{Command: "make bench-ort", Rounds: 2}}
	md := r.markdown()
	require.Contains(t, md, "| WAY small B1 L128 | 2.50 | – | 4.00 | – | **0.62** | 0.50, 0.75 | ≤ 1.0: met |")
	require.Contains(t, md, "cold start of the small WAY (B1 L128) ≤ 50 ms: **9.0 ms** (met)")
	require.True(t, strings.HasPrefix(r.svg(), "<svg"))

	// the WebAssembly tables: ratios against onnxruntime-web in the same
	// engine and against native Portolan, within each round
	c.byRunner[idSIMDNode] = []*Result{res(3), res(6)}
	c.byRunner["ort-web-1t"] = []*Result{res(4), res(4)}
	c.byRunner[idWazeroHost] = []*Result{res(3), res(6)}
	r.runners = append(r.runners, wasmRunners("d", "k.wasm", true)...)
	md = r.markdown()
	require.Contains(t, md, "| WAY small B1 L128 | – | 4.50 | 4.00 | **1.12** | 0.75, 1.50 | ≤ 1.0: missed by 12% | – | – | – | – | – |")
	require.Contains(t, md, "| WAY small B1 L128 | 2.50 | 4.50 | – | **1.75** | 1.50, 2.00 | ≤ 1.5: missed by 17% |")
	require.Contains(t, md, "| case | Portolan | Portolan noasm | ORT node | ORT web | Portolan / ORT node | per round | goal |", "the wasm columns are not in the main tables")
	require.NotContains(t, md, "kernel module (", "no size without a measured module")
	r.env.KernelModuleBytes = 12616
	require.Contains(t, r.markdown(), "kernel module (`wasm/kernels/portolan_accel.wasm`): 12616 bytes (goal ≤ 100 KB: met)")
	r.env.KernelModuleBytes = 100_500
	require.Contains(t, r.markdown(), "100500 bytes (goal ≤ 100 KB: missed by 500 bytes)")

	// the section between the markers is replaced, the rest kept
	doc := filepath.Join(t.TempDir(), "B.md")
	require.NoError(t, os.WriteFile(doc, []byte("# B\n\n"+beginMarker+"\nold\n"+endMarker+"\nafter\n"), 0o644))
	require.NoError(t, rewriteSection(doc, "new\n"))
	data, err := os.ReadFile(doc)
	require.NoError(t, err)
	require.Equal(t, "# B\n\n"+beginMarker+"\nnew\n"+endMarker+"\nafter\n", string(data))
	require.NoError(t, os.WriteFile(doc, []byte("# B\n"), 0o644))
	require.NoError(t, rewriteSection(doc, "x\n"))
	data, _ = os.ReadFile(doc)
	require.Contains(t, string(data), "## Against ONNX Runtime")
	require.Contains(t, string(data), beginMarker+"\nx\n"+endMarker)
}
