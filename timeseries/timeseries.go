// Package timeseries reads multivariate time series for the
// temporal-dropout regressor: long-format CSV and NumPy .npy arrays.
//
// # Series rules
//
// The trainer (training/portolan_train/data.py, read_series_csv) and this
// package read a long-format CSV by the same rules, and a cross-language
// test reads every fixture in testdata/series with both:
//
//   - The header names the columns; names are trimmed and a UTF-8 byte
//     order mark is dropped. Columns are found by name, never by position:
//     `id` and `step` are required, `target` is optional, the group column
//     (CSVOptions.Group) is optional, and every other column is a feature,
//     in header order. A name may appear once.
//   - One row per (id, step); every row has as many fields as the header.
//     A repeated (id, step) is an error.
//   - step is an integer ([+-]digits). The steps of a set are the union of
//     the steps of all its series, ascending; a series without a row for a
//     step has every feature of that step missing (a gap).
//   - Series are ordered by id (byte order); rows may come in any order.
//   - A cell that is empty, NA, N/A, NaN or null (any case) is missing.
//     Other cells must be decimal numbers ([+-]digits[.digits][e±digits]);
//     Inf, hexadecimal floats and digit separators are errors. Values are
//     parsed as float64 and rounded once to float32.
//   - A series' target is the value of its non-missing target cells, which
//     must all be equal; NaN when it has none.
//   - A group label must be the same on every row of a series.
//
// # Missing values
//
// Missing values stay NaN in a Set. A model serves a series (Set.Check,
// CheckSeries; sdk.Forecaster applies them before every forecast) when:
//
//   - every feature is observed at one step or more. Other cells may be
//     missing, singly or as whole steps (gaps): they are filled with the
//     model's scaler mean (Set.Fill), so they read as 0 after scaling, as a
//     step that temporal dropout drops in training does; the trainer fills
//     with the training mean, the value the bundle stores.
//   - no value is infinite (the readers refuse them: an infinite value is
//     damage, not a gap).
//
// A series with no observed value, or with a feature observed at no step,
// is refused with ErrMissing naming the series and the feature: filling it
// would present the training mean, a guess, as the series' forecast (an
// all-missing series used to get a confident forecast with no epistemic
// spread).
//
// Before a model runs a Set, Match puts its feature columns in the order
// of the model's feature names and refuses missing or unknown columns, so
// renamed or reordered columns cannot give silently wrong forecasts.
package timeseries

import (
	"bufio"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

var (
	// ErrFormat is returned for input that is not a readable series file.
	ErrFormat = errors.New("timeseries: bad format")
	// ErrColumns is returned by Match when a set's feature columns are not
	// the ones a model was trained on.
	ErrColumns = errors.New("timeseries: columns do not match the model")
	// ErrMissing is returned by Check and CheckSeries for a series the
	// missing-value policy (package doc) cannot serve: no observed value,
	// or a feature observed at no step.
	ErrMissing = errors.New("timeseries: too few observed values")
)

// Limits of the readers: a file that claims or holds more is refused
// before anything is allocated from the claim.
const (
	// MaxValues bounds N·T·D of one set (2^28 values, 1 GiB of float32).
	MaxValues = 1 << 28
	// MaxLineBytes bounds one line of a CSV file (1 MiB).
	MaxLineBytes = 1 << 20
	// MaxColumns bounds the columns of a CSV file (16384).
	MaxColumns = 1 << 14
)

// Set is N series of T steps × D features, row-major, with NaN for missing
// values.
type Set struct {
	IDs []string
	// Indexed is true when the source names no series (.npy) and IDs are
	// the row indices; a series' Monte Carlo key is then its index, not
	// the hash of its id (docs/RNG.md).
	Indexed  bool
	Steps    []int     // the T step values, ascending (0..T-1 for .npy)
	Groups   []string  // per series, when read with a group column; else nil
	Features []string  // the D feature names; nil when the source has none (.npy)
	T, D     int       // steps and features per series
	X        []float32 // N × T × D
	Target   []float64 // per series, NaN when absent
}

// Series returns series i (T × D).
func (s *Set) Series(i int) []float32 { return s.X[i*s.T*s.D : (i+1)*s.T*s.D] }

// Fill replaces missing values (NaN) of feature k by fill[k]. A model's
// scaler mean makes a gap read as 0 after scaling, the rule the trainer
// uses. fill must hold D values.
func (s *Set) Fill(fill []float32) {
	for i, v := range s.X {
		if math.IsNaN(float64(v)) {
			s.X[i] = fill[i%s.D]
		}
	}
}

// CheckSeries applies the missing-value policy (package doc) to one
// series of T steps × D features, row-major, NaN for a missing value. It
// returns an error wrapping ErrMissing for a series with no observed value
// or a feature observed at no step (naming feature k as names[k] when
// names has D entries, else by its index), or ErrFormat for an infinite
// value.
func CheckSeries(x []float32, T, D int, names []string) error {
	if T < 1 || D < 1 || len(x) != T*D {
		return fmt.Errorf("%w: %d values for %d steps × %d features", ErrFormat, len(x), T, D)
	}
	name := func(k int) string {
		if len(names) == D {
			return fmt.Sprintf("%q", names[k])
		}
		return fmt.Sprintf("%d", k)
	}
	var unseen []string
	for k := 0; k < D; k++ {
		seen := false
		for t := 0; t < T; t++ {
			v := float64(x[t*D+k])
			if math.IsInf(v, 0) {
				return fmt.Errorf("%w: feature %s at step %d is infinite", ErrFormat, name(k), t)
			}
			seen = seen || !math.IsNaN(v)
		}
		if !seen {
			unseen = append(unseen, name(k))
		}
	}
	switch {
	case len(unseen) == D:
		return fmt.Errorf("%w: no value is observed (every one of the %d steps × %d features is missing)", ErrMissing, T, D)
	case len(unseen) > 0:
		return fmt.Errorf("%w: feature(s) %s observed at none of the %d steps (a feature must be observed at one step or more)", ErrMissing, strings.Join(unseen, ", "), T)
	}
	return nil
}

// Check applies CheckSeries to every series of s; the error names the
// first series refused.
func (s *Set) Check() error {
	for i := range s.IDs {
		if err := CheckSeries(s.Series(i), s.T, s.D, s.Features); err != nil {
			return fmt.Errorf("series %q: %w", s.IDs[i], err)
		}
	}
	return nil
}

// Match reorders the feature columns of s to the order of names (a
// model's feature list). A set without names (.npy) is taken as already
// in that order when its width matches. Missing or unknown columns are an
// error wrapping ErrColumns that names them.
func (s *Set) Match(names []string) error {
	if s.Features == nil {
		if s.D != len(names) {
			return fmt.Errorf("%w: the series have %d features, the model takes %d (%s)", ErrColumns, s.D, len(names), strings.Join(names, ", "))
		}
		return nil
	}
	col := make(map[string]int, len(s.Features))
	for i, f := range s.Features {
		col[f] = i
	}
	var missing, unknown []string
	perm := make([]int, len(names))
	want := make(map[string]bool, len(names))
	for k, n := range names {
		want[n] = true
		i, ok := col[n]
		if !ok {
			missing = append(missing, n)
		}
		perm[k] = i
	}
	for _, f := range s.Features {
		if !want[f] {
			unknown = append(unknown, f)
		}
	}
	if len(missing) > 0 || len(unknown) > 0 {
		msg := ""
		if len(missing) > 0 {
			msg = "no column for feature(s) " + strings.Join(missing, ", ")
		}
		if len(unknown) > 0 {
			if msg != "" {
				msg += "; "
			}
			msg += "column(s) " + strings.Join(unknown, ", ") + " are not features of the model"
		}
		return fmt.Errorf("%w: %s (the model takes %s)", ErrColumns, msg, strings.Join(names, ", "))
	}
	if slices.Equal(s.Features, names) {
		return nil
	}
	row := make([]float32, s.D)
	for r := 0; r < len(s.X); r += s.D {
		copy(row, s.X[r:r+s.D])
		for k, i := range perm {
			s.X[r+k] = row[i]
		}
	}
	s.Features = append([]string(nil), names...)
	return nil
}

// CSVOptions change how ReadCSVWith reads. The zero value reads the
// columns the package doc lists.
type CSVOptions struct {
	// Group names a column labelling each series' group (a site, a
	// region, a vessel) for grouped validation; it is not a feature.
	Group string
	// MaxSteps, when positive, refuses a set of more distinct steps (a
	// model's T: the set's size is then bounded by its rows times T, not
	// by the square of its rows).
	MaxSteps int
}

// ReadCSV reads long-format series by the rules of the package doc.
func ReadCSV(r io.Reader) (*Set, error) { return ReadCSVWith(r, CSVOptions{}) }

// digits returns how many ASCII digits s starts with.
func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// isInteger reports whether s is [+-]?[0-9]+.
func isInteger(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	return s != "" && digits(s) == len(s)
}

// isDecimal reports whether s is a plain decimal number,
// [+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?: no hex, no
// underscores, no inf or nan spellings.
func isDecimal(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	n := digits(s)
	s = s[n:]
	if s != "" && s[0] == '.' {
		f := digits(s[1:])
		if n == 0 && f == 0 {
			return false
		}
		s = s[1+f:]
	} else if n == 0 {
		return false
	}
	if s != "" && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s != "" && (s[0] == '+' || s[0] == '-') {
			s = s[1:]
		}
		e := digits(s)
		if e == 0 {
			return false
		}
		s = s[e:]
	}
	return s == ""
}

// ReadCSVWith reads long-format series with options.
func ReadCSVWith(r io.Reader, o CSVOptions) (*Set, error) {
	cr := csv.NewReader(&lineLimit{r: r})
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	if len(header) > MaxColumns {
		return nil, fmt.Errorf("%w: %d columns, more than %d", ErrFormat, len(header), MaxColumns)
	}
	names := make([]string, len(header))
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		names[i] = strings.TrimSpace(h)
	}
	idCol, stepCol, targetCol, groupCol := -1, -1, -1, -1
	var featCols []int
	s := &Set{}
	seen := map[string]bool{}
	for i, h := range names {
		if seen[h] {
			return nil, fmt.Errorf("%w: column %q appears twice", ErrFormat, h)
		}
		seen[h] = true
		switch {
		case h == "id":
			idCol = i
		case h == "step":
			stepCol = i
		case h == "target":
			targetCol = i
		case o.Group != "" && h == o.Group:
			groupCol = i
		default:
			featCols = append(featCols, i)
			s.Features = append(s.Features, h)
		}
	}
	if idCol < 0 || stepCol < 0 || len(featCols) == 0 {
		return nil, fmt.Errorf("%w: want columns id, step and at least one feature, found %s", ErrFormat, strings.Join(names, ", "))
	}
	if o.Group != "" && groupCol < 0 {
		return nil, fmt.Errorf("%w: no group column %q (columns: %s)", ErrFormat, o.Group, strings.Join(names, ", "))
	}
	type key struct {
		id   string
		step int
	}
	type row struct {
		vals []float32
		tgt  float64
	}
	rows := map[key]row{}
	groups := map[string]string{}
	stepSet := map[int]bool{}
	line := 1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrFormat, line, err)
		}
		if len(rec) != len(header) {
			return nil, fmt.Errorf("%w: line %d has %d fields, the header %d", ErrFormat, line, len(rec), len(header))
		}
		st := strings.TrimSpace(rec[stepCol])
		step, err := strconv.Atoi(st)
		if err != nil || !isInteger(st) {
			return nil, fmt.Errorf("%w: line %d: step %q is not an integer", ErrFormat, line, rec[stepCol])
		}
		k := key{rec[idCol], step}
		if _, dup := rows[k]; dup {
			return nil, fmt.Errorf("%w: line %d: series %q has step %d twice", ErrFormat, line, k.id, step)
		}
		rw := row{vals: make([]float32, 0, len(featCols)), tgt: math.NaN()}
		for _, c := range featCols {
			v, err := cell(rec[c])
			if err != nil {
				return nil, fmt.Errorf("%w: line %d column %s: %v", ErrFormat, line, names[c], err)
			}
			rw.vals = append(rw.vals, float32(v))
		}
		if targetCol >= 0 {
			if rw.tgt, err = cell(rec[targetCol]); err != nil {
				return nil, fmt.Errorf("%w: line %d target: %v", ErrFormat, line, err)
			}
		}
		if groupCol >= 0 {
			g := strings.TrimSpace(rec[groupCol])
			if prev, ok := groups[k.id]; ok && prev != g {
				return nil, fmt.Errorf("%w: line %d: series %q is in group %q and %q", ErrFormat, line, k.id, prev, g)
			}
			groups[k.id] = g
		}
		rows[k] = rw
		stepSet[step] = true
		if o.MaxSteps > 0 && len(stepSet) > o.MaxSteps {
			return nil, fmt.Errorf("%w: line %d: more than %d distinct steps (the model takes %d)", ErrFormat, line, o.MaxSteps, o.MaxSteps)
		}
		if len(rows)*len(featCols) > MaxValues {
			return nil, fmt.Errorf("%w: more than %d values", ErrFormat, MaxValues)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no rows", ErrFormat)
	}
	ids := map[string]bool{}
	for k := range rows {
		ids[k.id] = true
	}
	for id := range ids {
		s.IDs = append(s.IDs, id)
	}
	sort.Strings(s.IDs)
	for st := range stepSet {
		s.Steps = append(s.Steps, st)
	}
	sort.Ints(s.Steps)
	s.T, s.D = len(s.Steps), len(featCols)
	if n := len(s.IDs) * s.T * s.D; n > MaxValues || n/s.T/s.D != len(s.IDs) {
		return nil, fmt.Errorf("%w: %d series × %d steps × %d features is over %d values", ErrFormat, len(s.IDs), s.T, s.D, MaxValues)
	}
	s.X = make([]float32, len(s.IDs)*s.T*s.D)
	nan := float32(math.NaN())
	for i, id := range s.IDs {
		tgt := math.NaN()
		for t, st := range s.Steps {
			dst := s.X[(i*s.T+t)*s.D : (i*s.T+t+1)*s.D]
			rw, ok := rows[key{id, st}]
			if !ok {
				for k := range dst {
					dst[k] = nan
				}
				continue
			}
			copy(dst, rw.vals)
			if !math.IsNaN(rw.tgt) {
				if !math.IsNaN(tgt) && tgt != rw.tgt {
					return nil, fmt.Errorf("%w: series %q has targets %v and %v (one target per series)", ErrFormat, id, tgt, rw.tgt)
				}
				tgt = rw.tgt
			}
		}
		s.Target = append(s.Target, tgt)
		if groupCol >= 0 {
			s.Groups = append(s.Groups, groups[id])
		}
	}
	return s, nil
}

// lineLimit passes text through, failing on a line longer than
// MaxLineBytes: encoding/csv would hold a record of any length.
type lineLimit struct {
	r   io.Reader
	run int // bytes since the last newline
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, c := range p[:n] {
		if c == '\n' {
			l.run = 0
		} else if l.run++; l.run > MaxLineBytes {
			return 0, fmt.Errorf("a line longer than %d bytes", MaxLineBytes)
		}
	}
	return n, err
}

// cell parses a CSV value: NaN for a missing one.
func cell(v string) (float64, error) {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "", "na", "n/a", "nan", "null":
		return math.NaN(), nil
	}
	if !isDecimal(v) {
		return 0, fmt.Errorf("value %q is not a decimal number", v)
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) || math.Abs(f) > math.MaxFloat32 {
		return 0, fmt.Errorf("value %q is out of range", v)
	}
	return f, nil
}

// ReadNPY reads a NumPy array of shape (N, T, D) in C order (format 1.0,
// 2.0 or 3.0): little-endian float32, or float64 rounded to float32 (a
// value beyond float32's range is an error). The set has no feature
// names; Match takes its columns as they are.
func ReadNPY(r io.Reader) (*Set, error) {
	dims, x, err := readNPY(r)
	if err != nil {
		return nil, err
	}
	if len(dims) != 3 {
		return nil, fmt.Errorf("%w: want shape (N, T, D), got %v", ErrFormat, dims)
	}
	s := &Set{T: dims[1], D: dims[2], X: x, Indexed: true}
	for i := 0; i < dims[0]; i++ {
		s.IDs = append(s.IDs, strconv.Itoa(i))
		s.Target = append(s.Target, math.NaN())
	}
	for t := 0; t < s.T; t++ {
		s.Steps = append(s.Steps, t)
	}
	return s, nil
}

// ReadTargetsNPY reads one target per series from a NumPy array of shape
// (N,) or (N, 1), float32 or float64.
func ReadTargetsNPY(r io.Reader) ([]float64, error) {
	dims, x, err := readNPY(r)
	if err != nil {
		return nil, err
	}
	if len(dims) != 1 && (len(dims) != 2 || dims[1] != 1) {
		return nil, fmt.Errorf("%w: targets: want shape (N,), got %v", ErrFormat, dims)
	}
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out, nil
}

// npyDescr returns the dtype string of a .npy header's 'descr' entry
// ('descr': '<f4'), or "" when there is none.
func npyDescr(h string) string {
	i := strings.Index(h, "'descr':")
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(h[i+len("'descr':"):], " \t")
	if rest == "" || rest[0] != '\'' {
		return ""
	}
	j := strings.IndexByte(rest[1:], '\'')
	if j < 0 {
		return ""
	}
	return rest[1 : 1+j]
}

// readNPY reads a C-order float32 or float64 array as float32.
func readNPY(r io.Reader) ([]int, []float32, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, 8)
	if _, err := io.ReadFull(br, magic); err != nil || string(magic[:6]) != "\x93NUMPY" {
		return nil, nil, fmt.Errorf("%w: not a .npy file", ErrFormat)
	}
	var hlen int
	switch magic[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, nil, fmt.Errorf("%w: .npy version %d", ErrFormat, magic[6])
	}
	if hlen > 1<<16 {
		return nil, nil, fmt.Errorf("%w: .npy header of %d bytes", ErrFormat, hlen)
	}
	h := make([]byte, hlen)
	if _, err := io.ReadFull(br, h); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	hs := string(h)
	size := 0
	switch npyDescr(hs) {
	case "<f4":
		size = 4
	case "<f8":
		size = 8
	}
	if size == 0 || strings.Contains(hs, "'fortran_order': True") {
		return nil, nil, fmt.Errorf("%w: want little-endian float32 or float64 in C order, header %s", ErrFormat, strings.TrimSpace(hs))
	}
	i, j := strings.Index(hs, "'shape': ("), -1
	if i >= 0 {
		j = strings.Index(hs[i:], ")")
	}
	if i < 0 || j < 0 {
		return nil, nil, fmt.Errorf("%w: no shape in header", ErrFormat)
	}
	var dims []int
	n := 1
	for _, f := range strings.Split(hs[i+len("'shape': ("):i+j], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d <= 0 || d > MaxValues {
			return nil, nil, fmt.Errorf("%w: shape %q", ErrFormat, hs[i:i+j+1])
		}
		dims = append(dims, d)
		if n *= d; n > MaxValues {
			return nil, nil, fmt.Errorf("%w: shape %v is over %d values", ErrFormat, dims, MaxValues)
		}
	}
	if len(dims) == 0 {
		return nil, nil, fmt.Errorf("%w: a scalar array", ErrFormat)
	}
	x := make([]float32, 0, min(n, 1<<16)) // grows with the data actually read
	buf := make([]byte, size*4096)
	for len(x) < n {
		k := min(len(buf), size*(n-len(x)))
		if _, err := io.ReadFull(br, buf[:k]); err != nil {
			return nil, nil, fmt.Errorf("%w: data ends after %d of %d values", ErrFormat, len(x), n)
		}
		for o := 0; o < k; o += size {
			var v float64
			if size == 4 {
				v = float64(math.Float32frombits(binary.LittleEndian.Uint32(buf[o:])))
			} else {
				v = math.Float64frombits(binary.LittleEndian.Uint64(buf[o:]))
			}
			if math.Abs(v) > math.MaxFloat32 { // NaN (missing) passes
				return nil, nil, fmt.Errorf("%w: value %d (%g) is infinite or beyond float32's range", ErrFormat, len(x), v)
			}
			x = append(x, float32(v))
		}
	}
	return dims, x, nil
}
