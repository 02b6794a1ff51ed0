package feed_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/portolan-sdk/portolan/trajectory/ais"
	"github.com/portolan-sdk/portolan/trajectory/ais/feed"
	"github.com/stretchr/testify/require"
)

// streams returns the names and texts of every stream of in.
func streams(t *testing.T, in *feed.Input, err error) (names []string, texts []string) {
	t.Helper()
	require.NoError(t, err)
	defer in.Close()
	for {
		s, err := in.Next()
		if err == io.EOF {
			return names, texts
		}
		require.NoError(t, err)
		data, err := io.ReadAll(s.R)
		require.NoError(t, err)
		names, texts = append(names, s.Name), append(texts, string(data))
	}
}

// TestOpenReader: an object read from any reader is recognised by its
// leading bytes and named as given; a zip archive is spooled and each
// member read; the text goes on to ais.OpenPositions.
func TestOpenReader(t *testing.T) {
	const csv = "MMSI,BaseDateTime,LAT,LON\n366000001,2020-01-01T12:00:00,40.5,-70.25\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write([]byte(csv))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	in, err := feed.OpenReader("gs://bucket/day.csv.gz", bytes.NewReader(gz.Bytes()))
	names, texts := streams(t, in, err)
	require.Equal(t, []string{"gs://bucket/day.csv.gz"}, names)
	require.Equal(t, []string{csv}, texts)

	var zb bytes.Buffer
	w := zip.NewWriter(&zb)
	for _, name := range []string{"a.csv", "b.csv.gz"} {
		f, err := w.Create(name)
		require.NoError(t, err)
		data := []byte(csv)
		if name == "b.csv.gz" {
			data = gz.Bytes()
		}
		_, err = f.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	in, err = feed.OpenReader("s3://b/x.zip", bytes.NewReader(zb.Bytes()))
	names, texts = streams(t, in, err)
	require.Equal(t, []string{"s3://b/x.zip:a.csv", "s3://b/x.zip:b.csv.gz"}, names)
	require.Equal(t, []string{csv, csv}, texts)

	path := filepath.Join(t.TempDir(), "day.dat")
	require.NoError(t, os.WriteFile(path, gz.Bytes(), 0o644))
	in, err = feed.Open(path)
	require.NoError(t, err)
	defer in.Close()
	s, err := in.Next()
	require.NoError(t, err)
	require.Equal(t, "gzip", s.Compression)
	pr, err := ais.OpenPositions(s.R, ais.Options{})
	require.NoError(t, err)
	p, err := pr.Next()
	require.NoError(t, err)
	require.Equal(t, uint32(366000001), p.MMSI)
	require.Equal(t, -70.25, p.Lon)

	_, err = feed.OpenReader("x.xz", bytes.NewReader([]byte{0xfd, '7', 'z', 'X', 'Z', 0, 0, 0}))
	require.ErrorIs(t, err, feed.ErrUnsupported)
}
