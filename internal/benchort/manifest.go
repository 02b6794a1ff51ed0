package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// Manifest describes one benchmark case, as scripts/bench-ort/export.py
// writes it.
type Manifest struct {
	Name     string           `json:"name"`
	Kind     string           `json:"kind"` // "way" or "td"
	Model    string           `json:"model"`
	B        int              `json:"B"`
	L        int              `json:"L"`
	Samples  int              `json:"samples"`
	Seed     uint64           `json:"seed"`
	Key      string           `json:"key"` // a decimal uint64 (JSON numbers cannot hold every one)
	Bundle   string           `json:"bundle"`
	ONNX     string           `json:"onnx"`
	ETAScale float64          `json:"eta_scale"`
	YMean    float64          `json:"y_mean"`
	YStd     float64          `json:"y_std"`
	Inputs   map[string]Array `json:"inputs"`
	Expected Array            `json:"expected"`
	dir      string
}

// Array is a raw little-endian array file of a case.
type Array struct {
	File  string `json:"file"`
	DType string `json:"dtype"` // float32, int64 or float64
	Shape []int  `json:"shape"`
}

func readManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	m := &Manifest{dir: dir}
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return m, nil
}

// raw reads an array's bytes, checking them against its shape.
func (m *Manifest) raw(a Array, size int) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(m.dir, a.File))
	if err != nil {
		return nil, err
	}
	n := size
	for _, d := range a.Shape {
		n *= d
	}
	if len(data) != n {
		return nil, fmt.Errorf("%s: %d bytes for shape %v", a.File, len(data), a.Shape)
	}
	return data, nil
}

func (m *Manifest) float32s(name string) ([]float32, error) {
	a := m.Inputs[name]
	data, err := m.raw(a, 4)
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out, nil
}

func (m *Manifest) int64s(name string) ([]int64, error) {
	a := m.Inputs[name]
	data, err := m.raw(a, 8)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(data)/8)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return out, nil
}

func (m *Manifest) expected() ([]float64, error) {
	data, err := m.raw(m.Expected, 8)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(data)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return out, nil
}
