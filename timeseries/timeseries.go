// Package timeseries reads multivariate time series for the
// temporal-dropout regressor: long-format CSV and NumPy .npy arrays.
package timeseries

import (
	"bufio"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ErrFormat is returned for input that is not a readable series file.
var ErrFormat = errors.New("timeseries: bad format")

// Set is N series of T steps × D features, row-major, with NaN for missing
// values.
type Set struct {
	IDs      []string
	Features []string
	T, D     int
	X        []float32 // N × T × D
	Target   []float64 // per series, NaN when absent
}

// Series returns series i (T × D).
func (s *Set) Series(i int) []float32 { return s.X[i*s.T*s.D : (i+1)*s.T*s.D] }

// Fill replaces missing values (NaN) of feature k by fill[k]. A model's
// scaler mean makes a gap read as 0 after scaling, the rule the trainer uses.
func (s *Set) Fill(fill []float32) {
	for i, v := range s.X {
		if math.IsNaN(float64(v)) {
			s.X[i] = fill[i%s.D]
		}
	}
}

// ReadCSV reads long-format series: a header with `id`, `step`, the
// feature columns and optionally `target`; one row per (id, step). Empty,
// NA and NaN cells are missing. Series are ordered by id, steps by value;
// every series must have the same steps.
func ReadCSV(r io.Reader) (*Set, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	idCol, stepCol, targetCol := -1, -1, -1
	var featCols []int
	s := &Set{}
	for i, h := range header {
		switch strings.TrimSpace(h) {
		case "id":
			idCol = i
		case "step":
			stepCol = i
		case "target":
			targetCol = i
		default:
			featCols = append(featCols, i)
			s.Features = append(s.Features, strings.TrimSpace(h))
		}
	}
	if idCol < 0 || stepCol < 0 || len(featCols) == 0 {
		return nil, fmt.Errorf("%w: want columns id, step and at least one feature", ErrFormat)
	}
	type row struct {
		step int
		vals []float32
		tgt  float64
	}
	byID := map[string][]row{}
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
			return nil, fmt.Errorf("%w: line %d has %d fields, header %d", ErrFormat, line, len(rec), len(header))
		}
		step, err := strconv.Atoi(strings.TrimSpace(rec[stepCol]))
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: step %q", ErrFormat, line, rec[stepCol])
		}
		rw := row{step: step, tgt: math.NaN()}
		for _, c := range featCols {
			v, err := cell(rec[c])
			if err != nil {
				return nil, fmt.Errorf("%w: line %d column %s: %v", ErrFormat, line, header[c], err)
			}
			rw.vals = append(rw.vals, float32(v))
		}
		if targetCol >= 0 {
			if rw.tgt, err = cell(rec[targetCol]); err != nil {
				return nil, fmt.Errorf("%w: line %d target: %v", ErrFormat, line, err)
			}
		}
		id := rec[idCol]
		byID[id] = append(byID[id], rw)
	}
	for id := range byID {
		s.IDs = append(s.IDs, id)
	}
	if len(s.IDs) == 0 {
		return nil, fmt.Errorf("%w: no rows", ErrFormat)
	}
	sort.Strings(s.IDs)
	s.D = len(featCols)
	for i, id := range s.IDs {
		rows := byID[id]
		sort.SliceStable(rows, func(a, b int) bool { return rows[a].step < rows[b].step })
		if i == 0 {
			s.T = len(rows)
		} else if len(rows) != s.T {
			return nil, fmt.Errorf("%w: series %q has %d steps, %q has %d", ErrFormat, id, len(rows), s.IDs[0], s.T)
		}
		tgt := math.NaN()
		for _, r := range rows {
			s.X = append(s.X, r.vals...)
			if !math.IsNaN(r.tgt) {
				tgt = r.tgt
			}
		}
		s.Target = append(s.Target, tgt)
	}
	return s, nil
}

func cell(v string) (float64, error) {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "", "na", "nan", "null":
		return math.NaN(), nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, fmt.Errorf("value %q", v)
	}
	return f, nil
}

// ReadNPY reads a little-endian float32 NumPy array of shape (N, T, D) in C
// order (format 1.0 or 2.0).
func ReadNPY(r io.Reader) (*Set, error) {
	br := bufio.NewReader(r)
	magic := make([]byte, 8)
	if _, err := io.ReadFull(br, magic); err != nil || string(magic[:6]) != "\x93NUMPY" {
		return nil, fmt.Errorf("%w: not a .npy file", ErrFormat)
	}
	var hlen int
	switch magic[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, fmt.Errorf("%w: .npy version %d", ErrFormat, magic[6])
	}
	if hlen > 1<<16 {
		return nil, fmt.Errorf("%w: .npy header of %d bytes", ErrFormat, hlen)
	}
	h := make([]byte, hlen)
	if _, err := io.ReadFull(br, h); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	hs := string(h)
	if !strings.Contains(hs, "'descr': '<f4'") || strings.Contains(hs, "'fortran_order': True") {
		return nil, fmt.Errorf("%w: want little-endian float32 in C order, header %s", ErrFormat, strings.TrimSpace(hs))
	}
	i, j := strings.Index(hs, "'shape': ("), -1
	if i >= 0 {
		j = strings.Index(hs[i:], ")")
	}
	if i < 0 || j < 0 {
		return nil, fmt.Errorf("%w: no shape in header", ErrFormat)
	}
	var dims []int
	for _, f := range strings.Split(hs[i+len("'shape': ("):i+j], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 || n > 1<<28 {
			return nil, fmt.Errorf("%w: shape %q", ErrFormat, hs[i:i+j+1])
		}
		dims = append(dims, n)
	}
	if len(dims) != 3 || dims[0]*dims[1]*dims[2] > 1<<28 {
		return nil, fmt.Errorf("%w: want shape (N, T, D), got %v", ErrFormat, dims)
	}
	s := &Set{T: dims[1], D: dims[2]}
	n := dims[0] * dims[1] * dims[2]
	buf := make([]byte, 4*4096)
	for len(s.X) < n {
		k := min(len(buf), 4*(n-len(s.X)))
		if _, err := io.ReadFull(br, buf[:k]); err != nil {
			return nil, fmt.Errorf("%w: data ends after %d of %d values", ErrFormat, len(s.X), n)
		}
		for o := 0; o < k; o += 4 {
			s.X = append(s.X, math.Float32frombits(binary.LittleEndian.Uint32(buf[o:])))
		}
	}
	for i := 0; i < dims[0]; i++ {
		s.IDs = append(s.IDs, strconv.Itoa(i))
		s.Target = append(s.Target, math.NaN())
	}
	for k := 0; k < s.D; k++ {
		s.Features = append(s.Features, "f"+strconv.Itoa(k))
	}
	return s, nil
}
