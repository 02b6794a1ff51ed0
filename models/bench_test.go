package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/portolan-sdk/portolan/export"
	"github.com/stretchr/testify/require"
)

// randomCells returns L cells with 5 points each of standard-normal
// (already scaled) features along a plausible track.
func randomCells(m *WAY, L int) []Cell {
	r := rand.New(rand.NewPCG(1, 1))
	cells := make([]Cell, L)
	for i := range cells {
		x := make([]float32, min(5, m.SubLen)*m.NFeatures)
		for k := range x {
			x[k] = float32(r.NormFloat64())
		}
		cells[i] = Cell{Lon: float32(-10 + 0.1*float64(i)), Lat: float32(45 + 0.05*float64(i)), Hours: float32(2 * i), X: x}
	}
	return cells
}

// wayConfigs are the trainer's WAY configs (training/portolan_train/way.py).
var wayConfigs = map[string]map[string]int64{
	"small":   {"d_model": 64, "n_blocks": 2, "n_heads": 4, "d_k": 16, "d_ffn": 128, "gru_layers": 2},
	"default": {"d_model": 128, "n_blocks": 4, "n_heads": 4, "d_k": 64, "d_ffn": 256, "gru_layers": 2},
}

// randomTensors adds tensors of random weights to a bundle: uniform
// ±1/√fan-in, as PyTorch initialises linear layers.
type randomTensors struct {
	b *export.Bundle
	r *rand.Rand
}

func (rt *randomTensors) add(name string, fanIn int, shape ...int) {
	n := 1
	for _, s := range shape {
		n *= s
	}
	v := make([]float32, n)
	a := 1 / math.Sqrt(float64(fanIn))
	for i := range v {
		v[i] = float32((2*rt.r.Float64() - 1) * a)
	}
	rt.b.Tensors = append(rt.b.Tensors, export.NewF32(name, shape, v))
}

// randomWAY builds a WAY model of a trainer config with random weights
// and the demo model's vocabularies and preprocessing.
func randomWAY(t testing.TB, config string) *WAY {
	m, err := NewWAY(randomWAYBundle(t, config, 0))
	require.NoError(t, err)
	return m
}

// randomWAYBundle is the bundle of a WAY model of a trainer config with
// random weights and the demo model's preprocessing; ports > 0 sets a
// vocabulary of that many ports (without names).
func randomWAYBundle(t testing.TB, config string, ports int) *export.Bundle {
	b, err := export.ReadFile(filepath.Join(testdata, "models", "way-demo.portolan"))
	require.NoError(t, err)
	for k, v := range wayConfigs[config] {
		b.Config[k] = v
	}
	if ports > 0 {
		b.Config["n_ports"] = int64(ports)
		b.Preprocessing.Ports = nil
	}
	cfg := func(k string) int { v, err := b.Config.Int(k, 0); require.NoError(t, err); return v }
	d, h, dk, ffn, P, S := cfg("d_model"), cfg("n_heads"), cfg("d_k"), cfg("d_ffn"), cfg("n_ports"), cfg("n_ship")
	b.Tensors = nil
	rt := &randomTensors{b: b, r: rand.New(rand.NewPCG(7, 7))}
	add := rt.add
	add("st.w_space", 1, 1, 1, d)
	add("ship.weight", 1, S, d)
	add("port.weight", 1, P, d)
	for l := 0; l < cfg("gru_layers"); l++ {
		in := cfg("n_features")
		if l > 0 {
			in = d
		}
		add(fmt.Sprintf("gru.weight_ih_l%d", l), d, 3*d, in)
		add(fmt.Sprintf("gru.weight_hh_l%d", l), d, 3*d, d)
		add(fmt.Sprintf("gru.bias_ih_l%d", l), d, 3*d)
		add(fmt.Sprintf("gru.bias_hh_l%d", l), d, 3*d)
	}
	for i := 0; i < cfg("n_blocks"); i++ {
		p := fmt.Sprintf("blocks.%d.", i)
		add(p+"chan.w_in.weight", d, h*dk, d)
		add(p+"chan.w_out.weight", h*dk, d, h*dk)
		add(p+"chan.w1", 4, h, 4, 2)
		add(p+"chan.b1", 4, h, 1, 2)
		add(p+"chan.w2", 2, h, 2, 4)
		add(p+"chan.b2", 2, h, 1, 4)
		for _, n := range []string{"q", "k", "v"} {
			add(p+"attn."+n+".weight", d, h*dk, d)
		}
		add(p+"attn.o.weight", h*dk, d, h*dk)
		add(p+"ffn1.weight", d, ffn, d)
		add(p+"ffn1.bias", d, ffn)
		add(p+"ffn2.weight", ffn, d, ffn)
		add(p+"ffn2.bias", ffn, d)
		for _, n := range []string{"norm_chan", "norm_attn", "norm_ffn"} {
			add(p+n+".weight", 1, d)
			add(p+n+".bias", 1, d)
		}
	}
	add("dest.weight", d, P, d)
	add("dest.bias", d, P)
	add("eta.weight", d, 1, d)
	add("eta.bias", d, 1)
	return b
}

// randomTransformerTD is the bundle of a Transformer-backbone TD model of
// the trainer's default size (hidden and dense 128, 2 layers of 4 heads)
// with random weights, for the demo's T and D and preprocessing.
func randomTransformerTD(t testing.TB) *export.Bundle {
	b, err := export.ReadFile(filepath.Join(testdata, "models", "td-demo.portolan"))
	require.NoError(t, err)
	T, D, H, F := 12, 5, 128, 256
	b.Config["backbone"], b.Config["kind"], b.Config["heads"] = "transformer", DropoutMCTD, int64(4)
	b.Tensors = nil
	rt := &randomTensors{b: b, r: rand.New(rand.NewPCG(8, 8))}
	add := rt.add
	add("inp.weight", D, H, D)
	add("inp.bias", D, H)
	add("pos", 1, 1, T, H)
	for l := 0; l < 2; l++ {
		p := fmt.Sprintf("enc.layers.%d.", l)
		add(p+"self_attn.in_proj_weight", H, 3*H, H)
		add(p+"self_attn.in_proj_bias", H, 3*H)
		add(p+"self_attn.out_proj.weight", H, H, H)
		add(p+"self_attn.out_proj.bias", H, H)
		add(p+"linear1.weight", H, F, H)
		add(p+"linear1.bias", H, F)
		add(p+"linear2.weight", F, H, F)
		add(p+"linear2.bias", F, H)
		for _, n := range []string{"norm1", "norm2"} {
			add(p+n+".weight", 1, H)
			add(p+n+".bias", 1, H)
		}
	}
	add("fc.weight", H, 128, H)
	add("fc.bias", H, 128)
	for _, n := range []string{"mu", "logvar"} {
		add(n+".weight", 128, 1, 128)
		add(n+".bias", 128, 1)
	}
	return b
}

// BenchmarkWAY is a full prediction of B voyages of L cells as one batch
// (ForwardBatch with a kept WAYWork), for the demo ("small") model and a
// random model of the default config, on one and two threads.
func BenchmarkWAY(b *testing.B) {
	models := map[string]*WAY{"small": loadWAY(b), "default": randomWAY(b, "default")}
	for _, c := range []struct {
		model   string
		B, L    int
		threads int
	}{{"small", 1, 128, 1}, {"small", 1, 512, 1}, {"small", 32, 128, 1}, {"default", 1, 128, 1}, {"default", 1, 512, 1},
		{"small", 32, 128, 2}, {"default", 1, 512, 2}} {
		m := models[c.model]
		batch := make([]Voyage, c.B)
		for i := range batch {
			batch[i] = Voyage{Cells: randomCells(m, c.L), Ship: 1, Departure: 1}
		}
		b.Run(fmt.Sprintf("%s/B%d/L%d/threads%d", c.model, c.B, c.L, c.threads), func(b *testing.B) {
			w := m.NewWork()
			w.SetThreads(c.threads)
			if err := m.ForwardBatch(w, batch); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := m.ForwardBatch(w, batch); err != nil {
					b.Fatal(err)
				}
			}
		})
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

// BenchmarkTD is a forecast with 20 Monte Carlo samples of one series and
// of a batch of 64 series.
func BenchmarkTD(b *testing.B) {
	m := loadTD(b)
	for _, c := range []struct{ series, threads int }{{1, 1}, {64, 1}, {1, 2}, {64, 2}} {
		b.Run(fmt.Sprintf("series%d/threads%d", c.series, c.threads), func(b *testing.B) {
			w := m.NewWork(20)
			w.SetThreads(c.threads)
			x := make([]float32, c.series*m.T*m.D)
			keys := make([]uint64, c.series)
			for i := range keys {
				keys[i] = uint64(i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := m.SampleBatch(w, x, keys, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
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
