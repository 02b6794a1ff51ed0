// Package conformance runs the reference vectors of testdata/conformance on
// one target and prints or collects the results: each target (native,
// noasm, arm64 and riscv64 under qemu, the WebAssembly guest in wazero,
// Node or Chromium) evaluates every vector with the same Go code
// (Evaluate, compiled for that target) and prints one JSON Result per
// vector; Matrix collects them into the target × vector table.
// docs/CONFORMANCE.md specifies the contract a target command follows.
package conformance

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/portolan-sdk/portolan/accel"
	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/models"
	"github.com/portolan-sdk/portolan/uncertainty"
)

// Result is one vector's outcome on one target.
type Result struct {
	Target    string  `json:"target"`
	Vector    string  `json:"vector"` // file name without .vectors.portolan
	Kind      string  `json:"kind"`   // the vector kind: conformance-way, conformance-td
	Pass      bool    `json:"pass"`
	MaxAbsErr float64 `json:"max_abs_err"` // largest absolute error of any output
	Checks    []Check `json:"checks"`
	// Values are outputs that every target must agree on within
	// ValueAbs + ValueRel·|value| (the vector's tolerances): the last
	// step's logits of each WAY voyage, every Monte Carlo sample mean of a
	// temporal-dropout series.
	Values   []float64 `json:"values"`
	ValueAbs float64   `json:"value_abs"`
	ValueRel float64   `json:"value_rel"`
	Kernels  string    `json:"kernels"`         // accel.Implementation() of the target
	Error    string    `json:"error,omitempty"` // why the vector could not be run
}

// Check is one compared output.
type Check struct {
	Name   string  `json:"name"`
	MaxErr float64 `json:"max_err"` // in the check's own measure (absolute, relative or count)
	Limit  float64 `json:"limit"`   // the largest MaxErr that passes
	Pass   bool    `json:"pass"`
}

func failed(kind string, err error) Result {
	return Result{Kind: kind, Error: err.Error()}
}

// Evaluate runs one vector file against its model bundle (both whole
// .portolan files) and compares every output with the reference.
func Evaluate(vectors, model []byte) Result {
	v, err := export.Unmarshal(vectors)
	if err != nil {
		return failed("", fmt.Errorf("vectors: %w", err))
	}
	b, err := export.Unmarshal(model)
	if err != nil {
		return failed(v.Kind, fmt.Errorf("model: %w", err))
	}
	if b, err = convertModel(v, b); err != nil {
		return failed(v.Kind, err)
	}
	var r Result
	switch v.Kind {
	case "conformance-way":
		r, err = evaluateWAY(v, b)
	case "conformance-td":
		r, err = evaluateTD(v, b)
	default:
		err = fmt.Errorf("unknown vector kind %q", v.Kind)
	}
	if err != nil {
		r = failed(v.Kind, err)
	}
	r.Kind, r.Kernels = v.Kind, accel.Implementation()
	if err != nil {
		return r
	}
	r.Pass = len(r.Checks) > 0
	for _, c := range r.Checks {
		r.Pass = r.Pass && c.Pass
	}
	return r
}

// convertModel converts the model to the vector's dtype (config "dtype":
// f16 or int8; absent for the bundle as stored), as the reference writer
// converted it: export's conversion and the trainer's agree byte for byte.
func convertModel(v, b *export.Bundle) (*export.Bundle, error) {
	dt, err := v.Config.String("dtype", "")
	if err != nil || dt == "" {
		return b, err
	}
	if dt != string(export.F16) && dt != string(export.Int8) {
		return nil, fmt.Errorf("vector dtype %q (want f16 or int8)", dt)
	}
	c, err := b.Convert(export.DType(dt))
	if err != nil {
		return nil, fmt.Errorf("model to %s: %w", dt, err)
	}
	return c, nil
}

// quantised reports whether the vector is for a converted model, whose
// f32_* tensors hold the f32 model's outputs.
func quantised(v *export.Bundle) bool {
	dt, _ := v.Config.String("dtype", "")
	return dt != ""
}

// vectors reads tensors of a vector file, keeping the first error.
type vectors struct {
	b   *export.Bundle
	err error
}

func (v *vectors) f32(name string) ([]float32, []int) {
	t, err := v.b.Tensor(name)
	if err != nil {
		v.err = errors.Join(v.err, err)
		return nil, nil
	}
	x, err := t.Float32s()
	v.err = errors.Join(v.err, err)
	return x, t.Shape
}

func (v *vectors) i32(name string) []int32 {
	t, err := v.b.Tensor(name)
	if err != nil {
		v.err = errors.Join(v.err, err)
		return nil
	}
	x, err := t.Int32s()
	v.err = errors.Join(v.err, err)
	return x
}

func (v *vectors) tolerance(keys ...string) []float64 {
	tol, _ := v.b.Config["tolerance"].(map[string]any)
	out := make([]float64, len(keys))
	for i, k := range keys {
		x, err := export.Config(tol).Float(k, math.NaN())
		if err != nil || math.IsNaN(x) {
			v.err = errors.Join(v.err, fmt.Errorf("tolerance %q missing", k))
		}
		out[i] = x
	}
	return out
}

// maxErr tracks the largest error of a check.
type maxErr struct {
	Check
	abs float64 // largest absolute error
}

// add records an error; a NaN or infinite error (a non-finite output)
// counts as math.MaxFloat64, so results stay finite (and JSON-encodable).
func (m *maxErr) add(err, abs float64) {
	m.MaxErr = max(m.MaxErr, finite(err))
	m.abs = max(m.abs, finite(abs))
}

func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return math.MaxFloat64
	}
	return x
}

func (r *Result) addCheck(m *maxErr) {
	m.Pass = m.MaxErr <= m.Limit
	r.Checks = append(r.Checks, m.Check)
	r.MaxAbsErr = max(r.MaxAbsErr, m.abs)
}

// evaluateWAY runs every voyage through the full model and compares the
// logits (absolute), ETA (relative to max(1, |ETA|)) at every step and the
// top-k at the last step, where swapping two candidates whose reference
// logits are within topk_margin is allowed.
func evaluateWAY(v *export.Bundle, b *export.Bundle) (Result, error) {
	m, err := models.NewWAY(b)
	if err != nil {
		return Result{}, fmt.Errorf("model: %w", err)
	}
	vr := &vectors{b: v}
	st, _ := vr.f32("spacetime")
	x, xs := vr.f32("sub_x_raw")
	refLogits, ls := vr.f32("logits")
	refETA, _ := vr.f32("eta_hours")
	n, ship, dep, topk := vr.i32("sub_len"), vr.i32("ship"), vr.i32("departure"), vr.i32("topk")
	tol := vr.tolerance("logits_abs", "eta_rel", "topk_margin")
	if vr.err != nil {
		return Result{}, vr.err
	}
	if len(xs) != 4 || len(ls) != 3 || xs[3] != m.NFeatures || ls[2] != m.NPorts {
		return Result{}, fmt.Errorf("vector shapes %v and %v do not fit the model", xs, ls)
	}
	B, L, S, P, F := xs[0], xs[1], xs[2], ls[2], xs[3]
	K := len(topk) / B
	if len(st) != B*L*3 || len(n) != B*L || len(ship) != B || len(dep) != B || len(refETA) != B*L || K*B != len(topk) {
		return Result{}, errors.New("vector tensors disagree in size")
	}
	var f32Logits, f32ETA []float32
	var qtol []float64
	if quantised(v) {
		f32Logits, _ = vr.f32("f32_logits")
		f32ETA, _ = vr.f32("f32_eta_hours")
		qtol = vr.tolerance("f32_logits_abs", "f32_probs_abs", "f32_eta_rel")
		if vr.err != nil {
			return Result{}, vr.err
		}
		if len(f32Logits) != len(refLogits) || len(f32ETA) != len(refETA) {
			return Result{}, errors.New("f32 reference tensors disagree in size")
		}
	}
	r := Result{ValueAbs: tol[0]}
	logits := maxErr{Check: Check{Name: "logits", Limit: tol[0]}}
	eta := maxErr{Check: Check{Name: "eta_rel", Limit: tol[1]}}
	top := maxErr{Check: Check{Name: "topk_mismatches", Limit: 0}}
	var q wayQuant
	if qtol != nil {
		q = newWAYQuant(qtol)
	}
	for i := 0; i < B; i++ {
		var cells []models.Cell
		for j := 0; j < L; j++ {
			k := int(n[i*L+j])
			if k == 0 {
				break
			}
			if k > S {
				return Result{}, fmt.Errorf("voyage %d cell %d has %d points, more than %d", i, j, k, S)
			}
			base := (i*L + j) * S * F
			cx := append([]float32(nil), x[base:base+k*F]...)
			m.Scale(cx)
			c := st[(i*L+j)*3:]
			cells = append(cells, models.Cell{Lon: c[0], Lat: c[1], Hours: c[2], X: cx})
		}
		if len(cells) == 0 {
			return Result{}, fmt.Errorf("voyage %d has no cells", i)
		}
		out, err := m.Forward(cells, int(ship[i]), int(dep[i]))
		if err != nil {
			return Result{}, fmt.Errorf("voyage %d: %w", i, err)
		}
		for j := range cells {
			for p := 0; p < P; p++ {
				d := math.Abs(float64(out.Logits[j*P+p] - refLogits[(i*L+j)*P+p]))
				logits.add(d, d)
			}
			ref := float64(refETA[i*L+j])
			d := math.Abs(float64(out.ETA[j]) - ref)
			eta.add(d/math.Max(1, math.Abs(ref)), d)
			if qtol != nil {
				k := i*L + j
				q.add(out.Logits[j*P:(j+1)*P], f32Logits[k*P:(k+1)*P], out.ETA[j], f32ETA[k])
			}
		}
		last := len(cells) - 1
		got := out.Logits[last*P : (last+1)*P]
		for _, l := range got {
			r.Values = append(r.Values, finite(float64(l)))
		}
		top.add(float64(topkMismatches(got, refLogits[(i*L+last)*P:(i*L+last+1)*P], topk[i*K:(i+1)*K], tol[2])), 0)
	}
	r.addCheck(&logits)
	r.addCheck(&eta)
	r.addCheck(&top)
	if qtol != nil {
		for i := range q {
			r.addCheck(&q[i])
		}
	}
	return r, nil
}

// wayQuant holds the checks of a converted WAY model against the f32
// model's outputs: logits and probabilities (absolute), ETA (relative to
// max(1 h, |ETA|)).
type wayQuant [3]maxErr

func newWAYQuant(tol []float64) wayQuant {
	return wayQuant{{Check: Check{Name: "logits_vs_f32", Limit: tol[0]}}, {Check: Check{Name: "probs_vs_f32", Limit: tol[1]}},
		{Check: Check{Name: "eta_vs_f32_rel", Limit: tol[2]}}}
}

func (q *wayQuant) add(logits, f32Logits []float32, eta, f32ETA float32) {
	p, pf := softmax(logits), softmax(f32Logits)
	for c := range logits {
		d := math.Abs(float64(logits[c] - f32Logits[c]))
		q[0].add(d, 0)
		q[1].add(math.Abs(p[c]-pf[c]), 0)
	}
	d := math.Abs(float64(eta - f32ETA))
	q[2].add(d/math.Max(1, math.Abs(float64(f32ETA))), 0)
}

// softmax returns the probabilities of logits z, in float64.
func softmax(z []float32) []float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, float64(v))
	}
	p := make([]float64, len(z))
	var s float64
	for i, v := range z {
		p[i] = math.Exp(float64(v) - m)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}

// topkMismatches counts the ranks where got's top-k differs from want,
// except swaps of candidates whose reference logits are within margin.
func topkMismatches(got, ref []float32, want []int32, margin float64) int {
	idx := make([]int, len(got))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return got[idx[a]] > got[idx[b]] })
	bad := 0
	for r, w := range want {
		if r >= len(idx) {
			bad++
			continue
		}
		if g := idx[r]; g != int(w) && math.Abs(float64(ref[g]-ref[w])) > margin {
			bad++
		}
	}
	return bad
}

// evaluateTD draws the Monte Carlo samples of every series with the
// vector's seed (series n keyed n, or by the optional i32 tensor "keys")
// and compares each sample's mean and variance and the summary statistics
// within stats_abs + stats_rel·|reference|.
func evaluateTD(v *export.Bundle, b *export.Bundle) (Result, error) {
	m, err := models.NewTD(b)
	if err != nil {
		return Result{}, fmt.Errorf("model: %w", err)
	}
	vr := &vectors{b: v}
	x, xs := vr.f32("x_raw")
	ref := map[string][]float32{}
	for _, k := range tdOutputs {
		ref[k], _ = vr.f32(k)
	}
	tol := vr.tolerance("stats_abs", "stats_rel")
	L, err1 := v.Config.Int("samples", 0)
	seed, err2 := v.Config.Int("seed", -1)
	if err := errors.Join(vr.err, err1, err2); err != nil {
		return Result{}, err
	}
	if len(xs) != 3 || xs[1] != m.T || xs[2] != m.D || L < 1 || L > 10000 || seed < 0 {
		return Result{}, fmt.Errorf("vector shape %v, samples %d, seed %d do not fit the model (%d × %d)", xs, L, seed, m.T, m.D)
	}
	N := xs[0]
	keys, err := seriesKeys(v.Config, N)
	if err != nil {
		return Result{}, err
	}
	var qb *tdBounds
	if quantised(v) {
		for _, k := range tdOutputs {
			ref["f32_"+k], _ = vr.f32("f32_" + k)
		}
		qt := vr.tolerance("f32_mu_ystd", "f32_var_rel", "f32_epi_rel", "f32_epi_ystd2")
		if vr.err != nil {
			return Result{}, vr.err
		}
		qb = &tdBounds{mu: qt[0] * m.YStd, varRel: qt[1], epiRel: qt[2], epiAbs: qt[3] * m.YStd * m.YStd}
	}
	for k, r := range ref {
		want := N
		if strings.HasSuffix(k, "sample_mean") || strings.HasSuffix(k, "sample_var") {
			want = N * L
		}
		if len(r) != want {
			return Result{}, fmt.Errorf("%s holds %d values, want %d", k, len(r), want)
		}
	}
	r := Result{ValueAbs: tol[0], ValueRel: tol[1]}
	checks := map[string]*maxErr{}
	names := append([]string(nil), tdOutputs...)
	if qb != nil {
		for _, k := range tdOutputs {
			names = append(names, k+"_vs_f32")
		}
	}
	for _, k := range names {
		checks[k] = &maxErr{Check: Check{Name: k, Limit: 1}}
	}
	// each error is measured in units of its tolerance, so 1 is the limit
	within := func(k string, got float64, i int) {
		want := float64(ref[k][i])
		d := math.Abs(got - want)
		checks[k].add(d/(tol[0]+tol[1]*math.Abs(want)), d)
		if qb != nil {
			f := float64(ref["f32_"+k][i])
			checks[k+"_vs_f32"].add(math.Abs(got-f)/qb.bound(k, f), 0)
		}
	}
	w := m.NewWork(L)
	T, D := m.T, m.D
	for n := 0; n < N; n++ {
		if err := m.Sample(w, x[n*T*D:(n+1)*T*D], keys[n], uint64(seed)); err != nil {
			return Result{}, fmt.Errorf("series %d: %w", n, err)
		}
		for s := 0; s < L; s++ {
			within("sample_mean", w.Mu[s], n*L+s)
			within("sample_var", w.Var[s], n*L+s)
			r.Values = append(r.Values, finite(w.Mu[s]))
		}
		sum, err := uncertainty.Summarize(w.Mu, w.Var)
		if err != nil {
			return Result{}, fmt.Errorf("series %d: %w", n, err)
		}
		within("mean", sum.Mean, n)
		within("epistemic", sum.Epistemic, n)
		within("aleatoric", sum.Aleatoric, n)
		within("total", sum.Total, n)
	}
	for _, k := range names {
		r.addCheck(checks[k])
	}
	return r, nil
}

// tdOutputs are the outputs of a temporal-dropout vector.
var tdOutputs = []string{"sample_mean", "sample_var", "mean", "epistemic", "aleatoric", "total"}

// tdBounds are the quantisation bounds of a converted TD model against
// the f32 model (docs/MODELS.md): μ absolute (mu_ystd·y_std), variances
// relative, the epistemic variance relative plus absolute (epi_ystd2·y_std²).
type tdBounds struct {
	mu, varRel, epiRel, epiAbs float64
}

func (b *tdBounds) bound(output string, f32 float64) float64 {
	switch output {
	case "sample_mean", "mean":
		return b.mu
	case "epistemic":
		return b.epiRel*math.Abs(f32) + b.epiAbs
	}
	return b.varRel * math.Abs(f32)
}

// seriesKeys returns the Monte Carlo key of each of n series (docs/RNG.md):
// the vector's config "keys" when present, else the row indices.
func seriesKeys(c export.Config, n int) ([]uint64, error) {
	keys := make([]uint64, n)
	raw, ok := c["keys"]
	if !ok {
		for i := range keys {
			keys[i] = uint64(i)
		}
		return keys, nil
	}
	list, ok := raw.([]any)
	if !ok || len(list) != n {
		return nil, fmt.Errorf("keys: want a list of %d series keys", n)
	}
	for i, k := range list {
		switch k := k.(type) {
		case uint64:
			keys[i] = k
		case int64:
			if k < 0 {
				return nil, fmt.Errorf("keys: negative key %d", k)
			}
			keys[i] = uint64(k)
		default:
			return nil, fmt.Errorf("keys: key %d is %T, want an integer", i, k)
		}
	}
	return keys, nil
}
