// Package wayprep turns AIS tracks into WAY training shards: port-to-port
// voyages as nested sequences with destination and ETA labels, split by
// vessel, with the scaler statistics and vocabularies a bundle carries.
// The Python trainer reads these shards and nothing else (docs/SHARDS.md).
package wayprep

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/internal/rng"
	"github.com/portolan-sdk/portolan/trajectory"
)

// Config controls preparation. Start from DefaultConfig.
type Config struct {
	Nested trajectory.NestedConfig
	Clean  trajectory.CleanConfig
	Visit  trajectory.VisitConfig
	// Seed keys the train/validation/test split (by vessel) and random
	// point sampling.
	Seed uint64
	// TrainFrac and ValFrac are the shares of vessels in the train and
	// validation splits; the rest is test. Defaults 0.8 and 0.1.
	TrainFrac, ValFrac float64
	// MinPoints is the fewest points a voyage needs. Default 4.
	MinPoints int
	// ShardSize is the most voyages per shard file. Default 5000.
	ShardSize int
	// VisitedAreasOnly keeps in the shards' port areas only the catalogue
	// ports where a visit was found (a smaller bundle); by default every
	// catalogue port is kept, so prediction cuts voyages exactly as
	// preparation did.
	VisitedAreasOnly bool
}

// DefaultConfig returns the defaults: WAY's nested-sequence settings,
// default cleaning and visit thresholds, seed 1.
func DefaultConfig() Config {
	return Config{Nested: trajectory.DefaultNestedConfig(), Seed: 1, TrainFrac: 0.8, ValFrac: 0.1, MinPoints: 4, ShardSize: 5000}
}

// Splits in shard order.
var Splits = []string{"train", "val", "test"}

// Sample is one labelled voyage.
type Sample struct {
	Split       string
	MMSI        uint32
	Departure   int // vocabulary id, 0 unknown
	Destination int // vocabulary id (≥ 1)
	Depart      time.Time
	Arrive      time.Time
	Nested      trajectory.Nested
}

// Dataset is the prepared data.
type Dataset struct {
	Config  Config
	Ports   []trajectory.Port // vocabulary; index 0 is "unknown"
	Areas   []trajectory.Port // the catalogue visits were found with (see Config.VisitedAreasOnly)
	Samples []Sample
	Scaler  trajectory.Scaler
	Clean   trajectory.CleanStats
	Counts  map[string]int // voyage accounting: complete, in_progress, too_short, ...
}

// SplitOf assigns a vessel to a split from the shared generator, so the
// split depends only on the seed and the MMSI.
func SplitOf(seed uint64, mmsi uint32, trainFrac, valFrac float64) string {
	u := rng.Float64(seed, uint64(mmsi), 0, 0)
	switch {
	case u < trainFrac:
		return "train"
	case u < trainFrac+valFrac:
		return "val"
	}
	return "test"
}

// Prepare cleans tracks, finds voyages between ports of the catalogue and
// builds labelled nested sequences. The port vocabulary holds the ports
// that begin or end a voyage, sorted by UN/LOCODE, after "unknown".
func Prepare(tracks []*trajectory.Track, ports *trajectory.Ports, cfg Config) (*Dataset, error) {
	d := &Dataset{Config: cfg, Counts: map[string]int{}, Clean: trajectory.CleanStats{Dropped: map[string]int{}}}
	type pending struct {
		split string
		v     trajectory.Voyage
	}
	var voyages []pending
	used := map[int]bool{}
	visited := map[int]bool{}
	for _, t := range tracks {
		c, st := trajectory.Clean(t, cfg.Clean)
		d.Clean.Add(st)
		visits := trajectory.Visits(c, ports, cfg.Visit)
		for _, v := range visits {
			visited[v.Port] = true
		}
		vs := trajectory.Voyages(c, visits)
		split := SplitOf(cfg.Seed, t.MMSI, cfg.TrainFrac, cfg.ValFrac)
		for _, v := range vs {
			switch {
			case v.InProgress():
				d.Counts["in_progress"]++
				continue
			case len(v.Points) < cfg.MinPoints:
				d.Counts["too_short"]++
				continue
			case v.From < 0:
				d.Counts["unknown_departure"]++
			}
			d.Counts["complete"]++
			used[v.To] = true
			if v.From >= 0 {
				used[v.From] = true
			}
			voyages = append(voyages, pending{split, v})
		}
	}
	for i, p := range ports.All() {
		if !cfg.VisitedAreasOnly || visited[i] {
			d.Areas = append(d.Areas, p)
		}
	}
	// vocabulary
	var idx []int
	for i := range used {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool {
		pa, pb := ports.At(idx[a]), ports.At(idx[b])
		if pa.Locode != pb.Locode {
			return pa.Locode < pb.Locode
		}
		return pa.Name < pb.Name
	})
	vocab := map[int]int{}
	d.Ports = []trajectory.Port{{Name: "unknown"}}
	for _, i := range idx {
		vocab[i] = len(d.Ports)
		d.Ports = append(d.Ports, ports.At(i))
	}
	for k, p := range voyages {
		n, err := trajectory.BuildNested(p.v.Points, p.v.Depart, cfg.Nested, uint64(k))
		if err != nil {
			return nil, err
		}
		n.ShipType = p.v.ShipType
		if p.v.From >= 0 {
			n.Departure = vocab[p.v.From]
		}
		d.Samples = append(d.Samples, Sample{Split: p.split, MMSI: p.v.MMSI, Departure: n.Departure,
			Destination: vocab[p.v.To], Depart: p.v.Depart, Arrive: p.v.Arrive, Nested: n})
	}
	var train []trajectory.Nested
	for i := range d.Samples {
		if d.Samples[i].Split == "train" {
			train = append(train, d.Samples[i].Nested)
		}
	}
	d.Scaler = trajectory.FitScaler(train)
	return d, nil
}

// Preprocessing returns the bundle preprocessing block the shards and
// the trained model carry.
func (d *Dataset) Preprocessing() export.Preprocessing {
	p := export.Preprocessing{
		Features:  append([]string(nil), trajectory.FeatureNames...),
		Mean:      append([]float32(nil), d.Scaler.Mean[:]...),
		Std:       append([]float32(nil), d.Scaler.Std[:]...),
		Grid:      &export.Grid{System: "georef", ResolutionDeg: d.Config.Nested.Grid.Resolution()},
		ShipTypes: append([]string(nil), trajectory.ShipCategories...),
	}
	for _, port := range d.Ports {
		p.Ports = append(p.Ports, export.Port{Locode: port.Locode, Name: port.Name, Lat: port.Lat, Lon: port.Lon})
	}
	for _, a := range d.Areas {
		p.PortAreas = append(p.PortAreas, export.PortArea{Locode: a.Locode, Name: a.Name, Lat: a.Lat, Lon: a.Lon, RadiusM: a.Radius})
	}
	v := d.Config.Visit.Defaults()
	p.Visit = &export.VisitRules{MaxSpeedKnots: v.MaxSpeedKnots, MinDwellS: v.MinDwell.Seconds()}
	return p
}

// shard builds one shard bundle from samples (all of one split).
func (d *Dataset) shard(split string, samples []Sample) *export.Bundle {
	var (
		voyageCells = []int32{0}
		cellPoints  = []int32{0}
		points      []float32
		centre      []float32
		hours, eta  []float32
		progress    []float32
		cellID      []int32
		ship, dep   []int32
		dest, mmsi  []int32
	)
	for _, s := range samples {
		total := s.Arrive.Sub(s.Depart).Hours()
		for _, c := range s.Nested.Cells {
			for _, f := range c.Features {
				points = append(points, f[:]...)
			}
			cellPoints = append(cellPoints, int32(len(points)/trajectory.NumFeatures))
			centre = append(centre, float32(c.Lat), float32(c.Lon))
			hours = append(hours, c.Hours)
			eta = append(eta, float32(max(0, s.Arrive.Sub(c.Time).Hours())))
			pr := 1.0
			if total > 0 {
				pr = min(1, max(0, c.Time.Sub(s.Depart).Hours()/total))
			}
			progress = append(progress, float32(pr))
			cellID = append(cellID, int32(c.Cell))
		}
		voyageCells = append(voyageCells, int32(len(cellID)))
		ship = append(ship, int32(s.Nested.ShipType))
		dep = append(dep, int32(s.Departure))
		dest = append(dest, int32(s.Destination))
		mmsi = append(mmsi, int32(s.MMSI))
	}
	v, c, p := len(samples), len(cellID), len(points)/trajectory.NumFeatures
	cfg := d.Config
	return &export.Bundle{
		Kind: "way-shard",
		Config: export.Config{
			"split": split, "voyages": int64(v), "cells": int64(c), "points": int64(p),
			"max_len": int64(cfg.Nested.MaxLen), "sub_len": int64(cfg.Nested.SubLen),
			"sampling": []string{"even", "random"}[cfg.Nested.Sampling], "seed": int64(cfg.Seed),
		},
		Preprocessing: d.Preprocessing(),
		Tensors: []export.Tensor{
			export.NewI32("voyage_cells", []int{v + 1}, voyageCells),
			export.NewI32("cell_points", []int{c + 1}, cellPoints),
			export.NewF32("points", []int{p, trajectory.NumFeatures}, points),
			export.NewF32("cell_centre", []int{c, 2}, centre),
			export.NewF32("cell_hours", []int{c}, hours),
			export.NewF32("cell_eta_hours", []int{c}, eta),
			export.NewF32("cell_progress", []int{c}, progress),
			export.NewI32("cell_id", []int{c}, cellID),
			export.NewI32("ship_type", []int{v}, ship),
			export.NewI32("departure", []int{v}, dep),
			export.NewI32("destination", []int{v}, dest),
			export.NewI32("mmsi", []int{v}, mmsi),
		},
		Producer: export.Producer{Tool: "portolan prepare way", Version: "1"},
	}
}

// Manifest summarises the shards of a Dataset.
type Manifest struct {
	Format   string                 `json:"format"`
	Seed     uint64                 `json:"seed"`
	MaxLen   int                    `json:"max_len"`
	SubLen   int                    `json:"sub_len"`
	Sampling string                 `json:"sampling"`
	GridDeg  float64                `json:"grid_resolution_deg"`
	Features []string               `json:"features"`
	Ports    int                    `json:"port_vocabulary"`
	Areas    int                    `json:"port_areas"`
	Voyages  map[string]int         `json:"voyages"`
	Cleaning trajectory.CleanStats  `json:"cleaning"`
	Splits   map[string]*SplitStats `json:"splits"`
}

// SplitStats counts one split.
type SplitStats struct {
	Voyages       int            `json:"voyages"`
	Vessels       int            `json:"vessels"`
	Cells         int            `json:"cells"`
	Points        int            `json:"points"`
	Files         []string       `json:"files"`
	ByDestination map[string]int `json:"by_destination"`
}

// Write writes the shards (way-<split>-<n>.portolan) and manifest.json
// into dir. Output depends only on the dataset: the same input and
// config give byte-identical files.
func (d *Dataset) Write(dir string) (*Manifest, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	m := &Manifest{
		Format: "portolan-way-shards/1", Seed: d.Config.Seed, MaxLen: d.Config.Nested.MaxLen, SubLen: d.Config.Nested.SubLen,
		Sampling: []string{"even", "random"}[d.Config.Nested.Sampling], GridDeg: d.Config.Nested.Grid.Resolution(),
		Features: trajectory.FeatureNames, Ports: len(d.Ports), Areas: len(d.Areas), Voyages: d.Counts, Cleaning: d.Clean,
		Splits: map[string]*SplitStats{},
	}
	size := d.Config.ShardSize
	if size <= 0 {
		size = 5000
	}
	for _, split := range Splits {
		st := &SplitStats{ByDestination: map[string]int{}, Files: []string{}}
		m.Splits[split] = st
		var samples []Sample
		vessels := map[uint32]bool{}
		for _, s := range d.Samples {
			if s.Split != split {
				continue
			}
			samples = append(samples, s)
			vessels[s.MMSI] = true
			st.ByDestination[portKey(d.Ports[s.Destination])]++
			for _, c := range s.Nested.Cells {
				st.Cells++
				st.Points += len(c.Features)
			}
		}
		st.Voyages, st.Vessels = len(samples), len(vessels)
		for k := 0; k*size < len(samples); k++ {
			name := fmt.Sprintf("way-%s-%03d.portolan", split, k)
			part := samples[k*size : min(len(samples), (k+1)*size)]
			if err := export.WriteFile(filepath.Join(dir, name), d.shard(split, part)); err != nil {
				return nil, err
			}
			st.Files = append(st.Files, name)
		}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return m, os.WriteFile(filepath.Join(dir, "manifest.json"), append(data, '\n'), 0o644)
}

func portKey(p trajectory.Port) string {
	if p.Locode != "" {
		return p.Locode
	}
	return p.Name
}

// Split is one split of a shard directory read back: the voyages of every
// way-<split>-*.portolan file, concatenated, with offsets rebased.
type Split struct {
	Name          string
	Preprocessing export.Preprocessing // the first shard's (all carry the same)
	MaxLen        int
	VoyageCells   []int32   // V+1 offsets into the cells
	CellPoints    []int32   // C+1 offsets into the points
	Points        []float32 // P × NumFeatures, raw
	Centre        []float32 // C × 2: latitude, longitude
	Hours, ETA    []float32 // per cell: hours since departure, label hours to arrival
	Progress      []float32 // per cell
	Ship, Dep     []int32   // per voyage
	Dest, MMSI    []int32   // per voyage
	Files         []string
}

// Voyages returns the number of voyages.
func (s *Split) Voyages() int { return len(s.VoyageCells) - 1 }

// Nested returns voyage v as the model's input (all its cells; inference
// keeps the last MaxLen).
func (s *Split) Nested(v int) trajectory.Nested {
	n := trajectory.Nested{ShipType: int(s.Ship[v]), Departure: int(s.Dep[v])}
	for c := s.VoyageCells[v]; c < s.VoyageCells[v+1]; c++ {
		nc := trajectory.NestedCell{Lat: float64(s.Centre[2*c]), Lon: float64(s.Centre[2*c+1]), Hours: s.Hours[c]}
		for p := s.CellPoints[c]; p < s.CellPoints[c+1]; p++ {
			var f [trajectory.NumFeatures]float32
			copy(f[:], s.Points[int(p)*trajectory.NumFeatures:])
			nc.Features = append(nc.Features, f)
		}
		n.Cells = append(n.Cells, nc)
	}
	return n
}

// ReadSplit reads the shards of one split from dir (docs/SHARDS.md),
// checking that offsets and lengths add up. A split without files is
// empty, not an error.
func ReadSplit(dir, split string) (*Split, error) {
	files, err := filepath.Glob(filepath.Join(dir, "way-"+split+"-*.portolan"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	s := &Split{Name: split, VoyageCells: []int32{0}, CellPoints: []int32{0}}
	for _, f := range files {
		b, err := export.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if err := s.add(b); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		s.Files = append(s.Files, filepath.Base(f))
	}
	return s, nil
}

func (s *Split) add(b *export.Bundle) error {
	if b.Kind != "way-shard" {
		return fmt.Errorf("kind %q, want way-shard", b.Kind)
	}
	var err error
	if len(s.Files) == 0 {
		s.Preprocessing = b.Preprocessing
		if s.MaxLen, err = b.Config.Int("max_len", 512); err != nil {
			return err
		}
	}
	f32 := func(name string) []float32 {
		if err == nil {
			var t *export.Tensor
			if t, err = b.Tensor(name); err == nil {
				var v []float32
				v, err = t.Float32s()
				return v
			}
		}
		return nil
	}
	i32 := func(name string) []int32 {
		if err == nil {
			var t *export.Tensor
			if t, err = b.Tensor(name); err == nil {
				var v []int32
				v, err = t.Int32s()
				return v
			}
		}
		return nil
	}
	vc, cp := i32("voyage_cells"), i32("cell_points")
	pts, centre, hours, eta, prog := f32("points"), f32("cell_centre"), f32("cell_hours"), f32("cell_eta_hours"), f32("cell_progress")
	ship, dep, dest, mmsi := i32("ship_type"), i32("departure"), i32("destination"), i32("mmsi")
	if err != nil {
		return err
	}
	v, c := len(vc)-1, len(cp)-1
	p := len(pts) / trajectory.NumFeatures
	switch {
	case v < 0 || c < 0 || vc[0] != 0 || cp[0] != 0 || int(vc[v]) != c || int(cp[c]) != p || len(pts) != p*trajectory.NumFeatures:
		return fmt.Errorf("%w: offsets do not add up (%d voyages, %d cells, %d points)", export.ErrInvalid, v, c, p)
	case len(centre) != 2*c || len(hours) != c || len(eta) != c || len(prog) != c:
		return fmt.Errorf("%w: per-cell tensors do not hold %d cells", export.ErrInvalid, c)
	case len(ship) != v || len(dep) != v || len(dest) != v || len(mmsi) != v:
		return fmt.Errorf("%w: per-voyage tensors do not hold %d voyages", export.ErrInvalid, v)
	}
	for i := 1; i <= v; i++ {
		if vc[i] <= vc[i-1] {
			return fmt.Errorf("%w: voyage %d has no cell (offsets must increase)", export.ErrInvalid, i-1)
		}
	}
	for i := 1; i <= c; i++ {
		if cp[i] <= cp[i-1] {
			return fmt.Errorf("%w: cell %d has no point (offsets must increase)", export.ErrInvalid, i-1)
		}
	}
	baseC, baseP := s.VoyageCells[len(s.VoyageCells)-1], s.CellPoints[len(s.CellPoints)-1]
	for _, x := range vc[1:] {
		s.VoyageCells = append(s.VoyageCells, baseC+x)
	}
	for _, x := range cp[1:] {
		s.CellPoints = append(s.CellPoints, baseP+x)
	}
	s.Points = append(s.Points, pts...)
	s.Centre = append(s.Centre, centre...)
	s.Hours = append(s.Hours, hours...)
	s.ETA = append(s.ETA, eta...)
	s.Progress = append(s.Progress, prog...)
	s.Ship, s.Dep = append(s.Ship, ship...), append(s.Dep, dep...)
	s.Dest, s.MMSI = append(s.Dest, dest...), append(s.MMSI, mmsi...)
	return nil
}
