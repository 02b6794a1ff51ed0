package timeseries

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/portolan-sdk/portolan/internal/shareddata"
	"os"

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
	s.Fill([]float32{7, 8})
	require.Equal(t, float32(7), s.Series(0)[2])
	require.Equal(t, float32(8), s.Series(1)[3])

	for _, bad := range []string{"", "id,step\n", "a,b,c\n1,2,3\n", "id,step,x\na,zero,1\n", "id,step,x\na,0,inf\n",
		"id,step,x\na,0,1\nb,0,1\nb,1,1\n", "id,step,x\na,0\n"} {
		_, err := ReadCSV(strings.NewReader(bad))
		require.ErrorIs(t, err, ErrFormat, "%q", bad)
	}
}

func npy(shape string, vals []float32) []byte {
	h := "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }"
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
	b = append(b, h...)
	for _, v := range vals {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
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
