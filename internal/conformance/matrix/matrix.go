// Package matrix runs conformance targets and prints the target × vector
// matrix (docs/CONFORMANCE.md).
package matrix

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/internal/conformance"
	"github.com/portolan-sdk/portolan/internal/mpack"
)

// Target is a command that evaluates every vector and prints one JSON
// Result per line (docs/CONFORMANCE.md). The matrix runs it as
// `sh -c '<Command> <vectors dir> <models dir>'` from the repository root.
type Target struct {
	Name    string
	Command string
	// Skip, when not empty, says why the target cannot run here (a missing
	// emulator); the matrix shows it as skipped instead of running it.
	Skip string
	// Kernels, when not empty, is the accel implementation every result
	// of the target must report (riscv64: "generic").
	Kernels string
}

// Outcome is what one target gave: its results, or why it gave none.
type Outcome struct {
	Target  Target
	Results []conformance.Result
	Err     error // the command failed or printed something else than results
}

// Run runs a target's command and reads its results.
func Run(ctx context.Context, t Target, dir, modelsDir string) Outcome {
	o := Outcome{Target: t}
	if t.Skip != "" {
		return o
	}
	cmd := exec.CommandContext(ctx, "sh", "-c", t.Command+" "+shellQuote(dir)+" "+shellQuote(modelsDir))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		o.Err = fmt.Errorf("%s: %v: %s", t.Command, err, strings.TrimSpace(lastLines(stderr.String(), 5)))
		return o
	}
	o.Results, o.Err = ReadResults(bytes.NewReader(out))
	return o
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// ReadResults reads JSON Results, one per line; blank lines are skipped.
func ReadResults(r io.Reader) ([]conformance.Result, error) {
	var out []conformance.Result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var res conformance.Result
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&res); err != nil {
			return out, fmt.Errorf("not a result line: %.80q: %v", line, err)
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

// Cell is one target × vector entry of the matrix.
type Cell struct {
	State  string // "pass", "FAIL", "skip"
	Result *conformance.Result
	Why    string // for FAIL and skip
}

// Matrix is every target's outcome on every vector.
type Matrix struct {
	Vectors []string
	Targets []Target
	Cells   [][]Cell // [target][vector]
}

// Collect builds the matrix of the given vectors from the outcomes. A cell
// fails when the target failed to run, gave no result for the vector,
// failed it, used other kernels than it must, or disagrees with the first
// target that passed the vector on a value (see Result.Values).
func Collect(vectors []string, outcomes []Outcome) *Matrix {
	m := &Matrix{Vectors: vectors}
	for _, o := range outcomes {
		m.Targets = append(m.Targets, o.Target)
		row := make([]Cell, len(vectors))
		byName := map[string]*conformance.Result{}
		for i := range o.Results {
			byName[o.Results[i].Vector] = &o.Results[i]
		}
		for j, v := range vectors {
			r := byName[v]
			switch {
			case o.Target.Skip != "":
				row[j] = Cell{State: "skip", Why: o.Target.Skip}
			case o.Err != nil:
				row[j] = Cell{State: "FAIL", Why: o.Err.Error()}
			case r == nil:
				row[j] = Cell{State: "FAIL", Why: "no result"}
			case r.Error != "":
				row[j] = Cell{State: "FAIL", Result: r, Why: r.Error}
			case !r.Pass:
				row[j] = Cell{State: "FAIL", Result: r, Why: failedChecks(r)}
			case o.Target.Kernels != "" && r.Kernels != o.Target.Kernels:
				row[j] = Cell{State: "FAIL", Result: r, Why: fmt.Sprintf("ran %s kernels, want %s", r.Kernels, o.Target.Kernels)}
			default:
				row[j] = Cell{State: "pass", Result: r}
			}
		}
		m.Cells = append(m.Cells, row)
	}
	m.crossCheck()
	return m
}

func failedChecks(r *conformance.Result) string {
	var bad []string
	for _, c := range r.Checks {
		if !c.Pass {
			bad = append(bad, fmt.Sprintf("%s %.3g > %.3g", c.Name, c.MaxErr, c.Limit))
		}
	}
	return strings.Join(bad, ", ")
}

// crossCheck compares each passing cell's values with those of the first
// target that passed the same vector.
func (m *Matrix) crossCheck() {
	for j := range m.Vectors {
		var ref *conformance.Result
		refName := ""
		for i := range m.Targets {
			c := &m.Cells[i][j]
			if c.State != "pass" {
				continue
			}
			if ref == nil {
				ref, refName = c.Result, m.Targets[i].Name
				continue
			}
			if why := disagree(ref, c.Result); why != "" {
				c.State, c.Why = "FAIL", fmt.Sprintf("disagrees with %s: %s", refName, why)
			}
		}
	}
}

func disagree(ref, r *conformance.Result) string {
	if len(ref.Values) != len(r.Values) {
		return fmt.Sprintf("%d values, %s has %d", len(r.Values), ref.Target, len(ref.Values))
	}
	worst, at := 0.0, -1
	for k, v := range r.Values {
		d := math.Abs(v - ref.Values[k])
		if tol := ref.ValueAbs + ref.ValueRel*math.Abs(ref.Values[k]); d > tol && d-tol > worst {
			worst, at = d-tol, k
		}
	}
	if at >= 0 {
		return fmt.Sprintf("value %d is %v, %v there", at, r.Values[at], ref.Values[at])
	}
	return ""
}

// OK reports whether no cell failed (skipped cells are allowed; callers
// that must run every target check Skipped).
func (m *Matrix) OK() bool {
	for _, row := range m.Cells {
		for _, c := range row {
			if c.State == "FAIL" {
				return false
			}
		}
	}
	return true
}

// Skipped lists the targets that were skipped.
func (m *Matrix) Skipped() []string {
	var out []string
	for _, t := range m.Targets {
		if t.Skip != "" {
			out = append(out, t.Name)
		}
	}
	return out
}

// Print writes the matrix: one row per target, one column per vector,
// each cell "pass" or "FAIL" with the largest absolute error, then the
// reason of every failure and skip.
func (m *Matrix) Print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "target\tkernels")
	for _, v := range m.Vectors {
		fmt.Fprintf(tw, "\t%s", v)
	}
	fmt.Fprintln(tw)
	var notes []string
	for i, t := range m.Targets {
		kernels := "-"
		for _, c := range m.Cells[i] {
			if c.Result != nil && c.Result.Kernels != "" {
				kernels = c.Result.Kernels
			}
		}
		fmt.Fprintf(tw, "%s\t%s", t.Name, kernels)
		for j, c := range m.Cells[i] {
			cell := c.State
			if c.Result != nil && c.Result.Error == "" {
				cell += fmt.Sprintf(" %.1e", c.Result.MaxAbsErr)
			}
			fmt.Fprintf(tw, "\t%s", cell)
			if c.Why != "" && (j == 0 || c.State == "FAIL") {
				notes = append(notes, fmt.Sprintf("%s %s × %s: %s", c.State, t.Name, m.Vectors[j], c.Why))
			}
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
	return nil
}

// VectorSuffix ends the name of every vector file.
const VectorSuffix = ".vectors.portolan"

// Vector is one vector file and the model bundle it names.
type Vector struct {
	Name        string // file name without VectorSuffix
	Path, Model string
}

// Vectors lists the vector files of dir, sorted by name, with their models
// found in modelsDir (the file the vector's config "model" names).
func Vectors(dir, modelsDir string) ([]Vector, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*"+VectorSuffix))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("conformance: no *%s files in %s", VectorSuffix, dir)
	}
	sort.Strings(paths)
	out := make([]Vector, len(paths))
	for i, p := range paths {
		b, err := export.ReadFile(p)
		if err != nil {
			return nil, err
		}
		model, err := b.Config.String("model", "")
		if err != nil || model == "" || filepath.Base(model) != model {
			return nil, fmt.Errorf("conformance: %s: config \"model\" must name a file in %s", p, modelsDir)
		}
		out[i] = Vector{Name: strings.TrimSuffix(filepath.Base(p), VectorSuffix), Path: p, Model: filepath.Join(modelsDir, model)}
	}
	return out, nil
}

// RunDir evaluates every vector of dir with eval (Evaluate natively, or a
// call into a WebAssembly guest) and writes one JSON conformance.Result per line to w,
// named target. It returns an error only when the vectors cannot be read;
// failing vectors are results.
func RunDir(w io.Writer, target, dir, modelsDir string, eval func(vectors, model []byte) conformance.Result) error {
	vs, err := Vectors(dir, modelsDir)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	for _, v := range vs {
		vec, err1 := os.ReadFile(v.Path)
		model, err2 := os.ReadFile(v.Model)
		var r conformance.Result
		if err := errors.Join(err1, err2); err != nil {
			r = conformance.Result{Error: err.Error()}
		} else {
			r = eval(vec, model)
		}
		r.Target, r.Vector = target, v.Name
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// DecodeResult decodes what AppendResult writes, through the bounded
// generic decoder (the answer comes from a guest and is not trusted).
func DecodeResult(b []byte) (conformance.Result, error) {
	d := mpack.NewDecoder(b)
	v, err := d.Value(4)
	if err != nil {
		return conformance.Result{}, fmt.Errorf("conformance answer: %w", err)
	}
	if d.Len() != 0 {
		return conformance.Result{}, errors.New("conformance answer: bytes after the result")
	}
	// the generic value has the JSON shape: round-trip it through JSON
	// into the struct, which checks every field's type
	data, err := json.Marshal(v)
	if err != nil {
		return conformance.Result{}, fmt.Errorf("conformance answer: %w", err)
	}
	var r conformance.Result
	if err := json.Unmarshal(data, &r); err != nil {
		return conformance.Result{}, fmt.Errorf("conformance answer: %w", err)
	}
	return r, nil
}
