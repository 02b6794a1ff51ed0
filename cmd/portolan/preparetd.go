package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/timeseries"
)

// runPrepareTD writes one td-shard bundle (docs/SHARDS.md, "Series
// shards") from a series file, so the trainer reads series exactly as the
// runtime does.
func runPrepareTD(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("prepare td", "--series FILE --out FILE.portolan [--targets Y.npy] [--group COLUMN]", stderr)
	series := fs.String("series", "", "series: long-format CSV (id, step, features…, [target]) or a float32/float64 .npy of shape (N, T, D)")
	targets := fs.String("targets", "", "targets of a .npy input: a .npy of shape (N,)")
	group := fs.String("group", "", "CSV column naming each series' group (site, region, vessel) for grouped validation; not a feature")
	out := fs.String("out", "", "the shard to write (.portolan)")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *series == "" || *out == "" {
		fs.Usage()
		return errUsage
	}
	set, err := loadSeries(*series, *targets, *group, 0)
	if err != nil {
		return err
	}
	b, err := tdShard(set, filepath.Base(*series), *group)
	if err != nil {
		return fmt.Errorf("%s: %w", *series, err)
	}
	if err := export.WriteFile(*out, b); err != nil {
		return err
	}
	gaps := 0
	for _, v := range set.X {
		if math.IsNaN(float64(v)) {
			gaps++
		}
	}
	labelled := "with targets"
	if !hasTargets(set) {
		labelled = "without targets"
	}
	fmt.Fprintf(stdout, "%d series × %d steps × %d features (%d missing values), %s; wrote %s\n",
		len(set.IDs), set.T, set.D, gaps, labelled, *out)
	return nil
}

// loadSeries reads series by file name: a td shard (.portolan), a .npy
// with optional .npy targets, or a CSV with an optional group column.
// maxSteps, when positive (a model's T), bounds the steps a CSV may hold.
func loadSeries(path, targets, group string, maxSteps int) (*timeseries.Set, error) {
	if strings.EqualFold(filepath.Ext(path), ".portolan") {
		if targets != "" || group != "" {
			return nil, fmt.Errorf("a td shard carries its targets and groups; --targets and --group are for CSV and .npy")
		}
		return readTDShard(path)
	}
	npy := strings.EqualFold(filepath.Ext(path), ".npy")
	switch {
	case !npy && targets != "":
		return nil, fmt.Errorf("--targets is for .npy series; a CSV carries a target column")
	case npy && group != "":
		return nil, fmt.Errorf("--group names a CSV column; a .npy has none")
	}
	in, closeIn, err := openInput(path)
	if err != nil {
		return nil, err
	}
	defer closeIn()
	if !npy {
		set, err := timeseries.ReadCSVWith(in, timeseries.CSVOptions{Group: group, MaxSteps: maxSteps})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return set, nil
	}
	set, err := timeseries.ReadNPY(in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if targets == "" {
		return set, nil
	}
	tin, closeT, err := openInput(targets)
	if err != nil {
		return nil, err
	}
	defer closeT()
	y, err := timeseries.ReadTargetsNPY(tin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", targets, err)
	}
	if len(y) != len(set.IDs) {
		return nil, fmt.Errorf("%s has %d targets for the %d series of %s", targets, len(y), len(set.IDs), path)
	}
	set.Target = y
	return set, nil
}

// hasTargets reports whether every series has a target; it is an error
// elsewhere for only some to have one.
func hasTargets(s *timeseries.Set) bool {
	for _, y := range s.Target {
		if math.IsNaN(y) {
			return false
		}
	}
	return len(s.Target) > 0
}

// tdShard builds the td-shard bundle of a set: values with gaps as 0 and
// their flat indices, targets when every series has one.
func tdShard(s *timeseries.Set, source, group string) (*export.Bundle, error) {
	n := len(s.IDs)
	labelled := 0
	for _, y := range s.Target {
		if !math.IsNaN(y) {
			labelled++
		}
	}
	if labelled != 0 && labelled != n {
		for i, y := range s.Target {
			if math.IsNaN(y) {
				return nil, fmt.Errorf("series %q has no target but %d others have one", s.IDs[i], labelled)
			}
		}
	}
	x := make([]float32, len(s.X))
	var gaps []int32
	for i, v := range s.X {
		if math.IsNaN(float64(v)) {
			gaps = append(gaps, int32(i))
			continue
		}
		x[i] = v
	}
	steps := make([]int64, len(s.Steps))
	for i, v := range s.Steps {
		steps[i] = int64(v)
	}
	cfg := export.Config{"series": int64(n), "steps": int64(s.T), "features": int64(s.D),
		"step_values": steps, "ids": s.IDs, "source": source}
	if s.Groups != nil {
		cfg["group"], cfg["groups"] = group, s.Groups
	}
	b := &export.Bundle{Kind: "td-shard", Config: cfg, Producer: export.Producer{Tool: "portolan prepare td", Version: "1"},
		Preprocessing: export.Preprocessing{Features: s.Features},
		Tensors:       []export.Tensor{export.NewF32("x", []int{n, s.T, s.D}, x)}}
	if len(gaps) > 0 {
		b.Tensors = append(b.Tensors, export.NewI32("gaps", []int{len(gaps)}, gaps))
	}
	if labelled == n {
		y := make([]float32, n)
		for i, v := range s.Target {
			y[i] = float32(v)
		}
		b.Tensors = append(b.Tensors, export.NewF32("target", []int{n}, y))
	}
	return b, nil
}

// readTDShard reads a td-shard bundle back into a set (gaps NaN, targets
// NaN when the shard has none).
func readTDShard(path string) (*timeseries.Set, error) {
	b, err := export.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return tdShardSet(b, path)
}

// tdShardSet reads a td-shard bundle (read from path) into a set.
func tdShardSet(b *export.Bundle, path string) (*timeseries.Set, error) {
	if b.Kind != "td-shard" {
		return nil, fmt.Errorf("%s: a %q bundle, not a td-shard (portolan prepare td)", path, b.Kind)
	}
	xt, err := b.Tensor("x")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(xt.Shape) != 3 {
		return nil, fmt.Errorf("%s: x has shape %v, want (N, T, D)", path, xt.Shape)
	}
	x, err := xt.Float32s()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s := &timeseries.Set{T: xt.Shape[1], D: xt.Shape[2], X: x, Features: b.Preprocessing.Features}
	n := xt.Shape[0]
	if gt, err := b.Tensor("gaps"); err == nil {
		gaps, err := gt.Int32s()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for _, g := range gaps {
			if g < 0 || int(g) >= len(x) {
				return nil, fmt.Errorf("%s: gap index %d outside x", path, g)
			}
			x[g] = float32(math.NaN())
		}
	}
	s.Target = make([]float64, n)
	for i := range s.Target {
		s.Target[i] = math.NaN()
	}
	if tt, err := b.Tensor("target"); err == nil {
		y, err := tt.Float32s()
		if err != nil || len(y) != n {
			return nil, fmt.Errorf("%s: target has %d values for %d series", path, len(y), n)
		}
		for i, v := range y {
			s.Target[i] = float64(v)
		}
	}
	ids, _ := b.Config["ids"].([]any)
	for _, id := range ids {
		str, _ := id.(string)
		s.IDs = append(s.IDs, str)
	}
	if len(s.IDs) != n {
		return nil, fmt.Errorf("%s: %d ids for %d series", path, len(s.IDs), n)
	}
	steps, _ := b.Config["step_values"].([]any)
	for _, v := range steps {
		st, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("%s: step value %v is not an integer", path, v)
		}
		s.Steps = append(s.Steps, int(st))
	}
	if len(s.Steps) != s.T {
		return nil, fmt.Errorf("%s: %d step values for %d steps", path, len(s.Steps), s.T)
	}
	if groups, ok := b.Config["groups"].([]any); ok {
		for _, g := range groups {
			str, _ := g.(string)
			s.Groups = append(s.Groups, str)
		}
		if len(s.Groups) != n {
			return nil, fmt.Errorf("%s: %d groups for %d series", path, len(s.Groups), n)
		}
	}
	if len(s.Features) != 0 && len(s.Features) != s.D {
		return nil, fmt.Errorf("%s: %d feature names for %d features", path, len(s.Features), s.D)
	}
	return s, nil
}
