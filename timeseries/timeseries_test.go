package timeseries

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portolan-sdk/portolan/internal/shareddata"
	"github.com/stretchr/testify/require"
)

func TestReadCSV(t *testing.T) {
	s, err := ReadCSV(strings.NewReader("id,step,ndvi,vv,target\nb,1,0.4,NA,80\nb,0,0.3,-9,80\na,0,0.5,-10,100\na,1,,-11,100\n"))
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, s.IDs)
	require.Equal(t, []string{"ndvi", "vv"}, s.Features)
	require.Equal(t, 2, s.T)
	require.True(t, math.IsNaN(float64(s.Series(0)[2])))
	require.Equal(t, []float32{0.3, -9}, s.Series(1)[:2], "steps sorted")
	require.Equal(t, []float64{100, 80}, s.Target)
	require.Nil(t, s.Groups)
	s.Fill([]float32{7, 8})
	require.Equal(t, float32(7), s.Series(0)[2])
	require.Equal(t, float32(8), s.Series(1)[3])

	for _, bad := range []string{"", "id,step\n", "a,b,c\n1,2,3\n", "id,step,x\na,zero,1\n"} {
		_, err := ReadCSV(strings.NewReader(bad))
		require.ErrorIs(t, err, ErrFormat, "%q", bad)
	}
}

// TestReadCSVRules reads testdata/series/rules.csv, which exercises every
// rule of the package doc, and checks it value by value.
func TestReadCSVRules(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "testdata", "series", "rules.csv"))
	require.NoError(t, err)
	defer f.Close()
	s, err := ReadCSVWith(f, CSVOptions{Group: "site"})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c"}, s.IDs)
	require.Equal(t, []string{"ndvi", "vv"}, s.Features, "names trimmed, BOM dropped, group column not a feature")
	require.Equal(t, []int{-1, 0, 1, 2}, s.Steps, "the union of every series' steps")
	require.Equal(t, []string{"south", "north", "north"}, s.Groups)
	require.Equal(t, []float64{100.5, 80, 7}, s.Target, "one target per series, wherever its rows carry it")
	nan := float32(math.NaN())
	same := func(want, got []float32) {
		t.Helper()
		require.Len(t, got, len(want))
		for i := range want {
			if math.IsNaN(float64(want[i])) {
				require.True(t, math.IsNaN(float64(got[i])), "value %d: want NaN, got %v", i, got[i])
			} else {
				require.Equal(t, want[i], got[i], "value %d", i)
			}
		}
	}
	// (ndvi, vv) at steps -1, 0, 1, 2
	same([]float32{0.123456789012, -150, 0.5, -10, nan, nan, nan, -11}, s.Series(0))
	same([]float32{nan, nan, 0.3, -9.5, 0.4, nan, 0.25, nan}, s.Series(1))
	same([]float32{1e-3, nan, nan, nan, nan, nan, nan, nan}, s.Series(2))

	f.Seek(0, io.SeekStart)
	_, err = ReadCSV(f)
	require.ErrorIs(t, err, ErrFormat, "without the group option, site is a feature and north is no number")
}

// TestReadCSVInvalid: each file in testdata/series/invalid breaks one rule.
func TestReadCSVInvalid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "series", "invalid", "*.csv"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 12)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			_, err = ReadCSVWith(bytes.NewReader(data), CSVOptions{Group: "site"})
			require.ErrorIs(t, err, ErrFormat)
		})
	}
}

func TestMatch(t *testing.T) {
	read := func(csv string) *Set {
		s, err := ReadCSV(strings.NewReader(csv))
		require.NoError(t, err)
		return s
	}
	model := []string{"ndvi", "vv"}
	s := read("id,step,vv,ndvi\na,0,-10,0.5\na,1,-11,0.6\n")
	require.NoError(t, s.Match(model))
	require.Equal(t, model, s.Features)
	require.Equal(t, []float32{0.5, -10, 0.6, -11}, s.Series(0), "columns reordered to the model's order")

	err := read("id,step,ndvi,VV\na,0,0.5,-10\n").Match(model)
	require.ErrorIs(t, err, ErrColumns)
	require.Contains(t, err.Error(), "no column for feature(s) vv")
	require.Contains(t, err.Error(), "column(s) VV are not features")
	err = read("id,step,ndvi,vv,extra\na,0,0.5,-10,1\n").Match(model)
	require.ErrorIs(t, err, ErrColumns)
	require.Contains(t, err.Error(), "extra")

	n, err := ReadNPY(bytes.NewReader(npy("(1, 2, 2)", []float32{1, 2, 3, 4})))
	require.NoError(t, err)
	require.NoError(t, n.Match(model), ".npy has no names: positional")
	require.ErrorIs(t, n.Match([]string{"a", "b", "c"}), ErrColumns)
}

func npy(shape string, vals []float32) []byte {
	b := npyHeader("<f4", shape)
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

func npy64(shape string, vals []float64) []byte {
	b := npyHeader("<f8", shape)
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

func npyHeader(descr, shape string) []byte {
	h := "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }"
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
	return append(b, h...)
}

func TestReadNPY(t *testing.T) {
	s, err := ReadNPY(bytes.NewReader(npy("(2, 2, 1)", []float32{1, 2, 3, 4})))
	require.NoError(t, err)
	require.Equal(t, []float32{3, 4}, s.Series(1))
	_, err = ReadNPY(bytes.NewReader(npy("(2, 2, 1)", []float32{1, 2, 3})))
	require.ErrorIs(t, err, ErrFormat)
	_, err = ReadNPY(bytes.NewReader(npy("(4,)", []float32{1, 2, 3, 4})))
	require.ErrorIs(t, err, ErrFormat)
	_, err = ReadNPY(bytes.NewReader(npy("(100000000, 100000, 10)", nil)))
	require.ErrorIs(t, err, ErrFormat)
	_, err = ReadNPY(strings.NewReader("PK\x03\x04"))
	require.ErrorIs(t, err, ErrFormat)
	_, err = ReadNPY(bytes.NewReader(npy("(1, 1, 2)", []float32{1, float32(math.Inf(1))})))
	require.ErrorIs(t, err, ErrFormat, "infinite")
	_, err = ReadNPY(bytes.NewReader(npyHeader("<i8", "(1, 1, 1)")))
	require.ErrorContains(t, err, "float32 or float64")

	// float64 is rounded to float32; NaN stays missing; beyond float32 is an error
	s, err = ReadNPY(bytes.NewReader(npy64("(1, 1, 3)", []float64{0.1, math.NaN(), -2})))
	require.NoError(t, err)
	require.Equal(t, float32(0.1), s.X[0])
	require.True(t, math.IsNaN(float64(s.X[1])))
	_, err = ReadNPY(bytes.NewReader(npy64("(1, 1, 1)", []float64{1e39})))
	require.ErrorContains(t, err, "beyond float32")

	y, err := ReadTargetsNPY(bytes.NewReader(npy64("(3,)", []float64{1.5, 2, 3})))
	require.NoError(t, err)
	require.Equal(t, []float64{1.5, 2, 3}, y)
	y, err = ReadTargetsNPY(bytes.NewReader(npy("(2, 1)", []float32{4, 5})))
	require.NoError(t, err)
	require.Equal(t, []float64{4, 5}, y)
	_, err = ReadTargetsNPY(bytes.NewReader(npy("(2, 2)", []float32{4, 5, 6, 7})))
	require.ErrorIs(t, err, ErrFormat)
}

// TestLFMC reads the real LFMC array of the temporal-dropout paper.
func TestLFMC(t *testing.T) {
	f, err := os.Open(shareddata.Path(t, "lfmc-temporal-dropout/lfmc_X_float32.npy"))
	require.NoError(t, err)
	defer f.Close()
	s, err := ReadNPY(f)
	require.NoError(t, err)
	require.Equal(t, [3]int{2578, 4, 61}, [3]int{len(s.IDs), s.T, s.D})
}
