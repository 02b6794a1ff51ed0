package feed

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"
)

// testdata/head.nmea.bz2 is `bzip2 -c testdata/head.nmea` (no Go encoder).

func gz(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, err := w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

func zst(t *testing.T, data []byte) []byte {
	w, err := zstd.NewWriter(nil)
	require.NoError(t, err)
	return w.EncodeAll(data, nil)
}

func zipOf(t *testing.T, members map[string][]byte, order []string) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	_, err := w.Create("dir/") // directories are skipped
	require.NoError(t, err)
	for _, name := range order {
		f, err := w.Create(name)
		require.NoError(t, err)
		_, err = f.Write(members[name])
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return b.Bytes()
}

// readAll returns every stream of path with its compression.
func readAll(t *testing.T, path string, stdin io.Reader) (names, kinds []string, texts [][]byte) {
	in, err := Open(path, stdin)
	require.NoError(t, err)
	defer in.Close()
	for {
		s, err := in.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		data, err := io.ReadAll(s.R)
		require.NoError(t, err)
		names, kinds, texts = append(names, s.Name), append(kinds, s.Compression), append(texts, data)
	}
	return names, kinds, texts
}

// TestCompressionByMagic: every kind is recognised by its leading bytes,
// whatever the file is called (the names here all say .txt).
func TestCompressionByMagic(t *testing.T) {
	text, err := os.ReadFile("testdata/head.nmea")
	require.NoError(t, err)
	bz, err := os.ReadFile("testdata/head.nmea.bz2")
	require.NoError(t, err)
	two := gz(t, append(append([]byte{}, text[:100]...), text[100:]...))
	// a gzip file of two members (as `cat a.gz b.gz` makes) reads as one
	multi := append(gz(t, text[:100]), gz(t, text[100:])...)
	dir := t.TempDir()
	for kind, data := range map[string][]byte{"": text, "gzip": two, "zstd": zst(t, text), "bzip2": bz} {
		path := filepath.Join(dir, "feed-"+kind+".txt")
		require.NoError(t, os.WriteFile(path, data, 0o644))
		names, kinds, texts := readAll(t, path, nil)
		require.Equal(t, []string{path}, names)
		require.Equal(t, []string{kind}, kinds)
		require.Equal(t, [][]byte{text}, texts, kind)
	}
	path := filepath.Join(dir, "multi.txt")
	require.NoError(t, os.WriteFile(path, multi, 0o644))
	_, _, texts := readAll(t, path, nil)
	require.Equal(t, [][]byte{text}, texts)

	// a zip archive: each member, plain or compressed itself
	archive := zipOf(t, map[string][]byte{"a.nmea": text, "b.csv.zst": zst(t, []byte("MMSI,BaseDateTime,LAT,LON\n"))}, []string{"a.nmea", "b.csv.zst"})
	path = filepath.Join(dir, "archive.dat")
	require.NoError(t, os.WriteFile(path, archive, 0o644))
	names, kinds, texts := readAll(t, path, nil)
	require.Equal(t, []string{path + ":a.nmea", path + ":b.csv.zst"}, names)
	require.Equal(t, []string{"zip", "zip+zstd"}, kinds)
	require.Equal(t, [][]byte{text, []byte("MMSI,BaseDateTime,LAT,LON\n")}, texts)

	// standard input: plain, compressed, and a zip archive (spooled to a file)
	for _, data := range [][]byte{text, zst(t, text), archive} {
		names, _, texts = readAll(t, "-", bytes.NewReader(data))
		require.Equal(t, text, texts[0])
		require.Contains(t, names[0], "-")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(filepath.Join(dir, "missing"), nil)
	require.Error(t, err)
	for name, data := range map[string][]byte{
		"xz":          {0xfd, '7', 'z', 'X', 'Z', 0, 0, 0},
		"bad gzip":    {0x1f, 0x8b, 0, 0, 0},
		"bad zip":     []byte("PK\x03\x04 nothing else"),
		"empty zip":   zipOf(t, nil, nil),
		"zip in gzip": gz(t, zipOf(t, map[string][]byte{"a": []byte("x")}, []string{"a"})),
	} {
		path := filepath.Join(dir, "f")
		require.NoError(t, os.WriteFile(path, data, 0o644))
		in, err := Open(path, nil)
		if err == nil {
			_, err = in.Next()
			in.Close()
		}
		require.Error(t, err, name)
	}
	// a truncated zstd stream fails when read, not silently
	text, err := os.ReadFile("testdata/head.nmea")
	require.NoError(t, err)
	z := zst(t, text)
	path := filepath.Join(dir, "cut.zst")
	require.NoError(t, os.WriteFile(path, z[:len(z)/2], 0o644))
	in, err := Open(path, nil)
	require.NoError(t, err)
	s, err := in.Next()
	require.NoError(t, err)
	_, err = io.ReadAll(s.R)
	require.Error(t, err)
	in.Close()
}
