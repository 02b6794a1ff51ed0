package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portolan-sdk/portolan/export"
	"github.com/stretchr/testify/require"
)

func portolan(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

const golden = "../../export/testdata/v1/tiny.portolan"

func TestInspect(t *testing.T) {
	code, out, errOut := portolan("inspect", golden)
	require.Equal(t, 0, code, errOut)
	for _, want := range []string{"kind        mlp", "format      1.0", "fc.weight  f32    [4 3]  48", "17 parameters", "NLRTM Rotterdam"} {
		require.Contains(t, out, want)
	}
}

func TestInspectBadFiles(t *testing.T) {
	data, err := os.ReadFile(golden)
	require.NoError(t, err)
	dir := t.TempDir()
	flipped := bytes.Clone(data)
	flipped[len(flipped)/2] ^= 0x01
	files := map[string][]byte{
		"truncated.portolan": data[:len(data)-10],
		"flipped.portolan":   flipped,
		"empty.portolan":     nil,
		"text.portolan":      []byte("hello, this is not a model\n"),
	}
	reasons := map[string]string{
		"truncated.portolan": "truncated",
		"flipped.portolan":   "checksum mismatch",
		"empty.portolan":     "truncated",
		"text.portolan":      "bad magic",
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, content, 0o644))
		code, out, errOut := portolan("inspect", path)
		require.Equal(t, 1, code, name)
		require.Empty(t, out)
		require.Equal(t, 1, strings.Count(errOut, "\n"), "one-line reason: %q", errOut)
		require.Contains(t, errOut, reasons[name])
	}
	code, _, _ := portolan("inspect", filepath.Join(dir, "missing.portolan"))
	require.Equal(t, 1, code)
}

func TestConvert(t *testing.T) {
	dir := t.TempDir()
	for _, dt := range []string{"f16", "int8", "f32"} {
		out := filepath.Join(dir, dt+".portolan")
		code, stdout, errOut := portolan("convert", "--dtype", dt, golden, out)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, stdout, "wrote "+out)
		b, err := export.ReadFile(out)
		require.NoError(t, err)
		w, err := b.Tensor("fc.weight")
		require.NoError(t, err)
		want := export.DType(dt)
		if want == export.Int8 {
			want = export.F16 // a 4×3 matrix is below the int8 size (export.Int8Target)
		}
		require.Equal(t, want, w.DType)
	}
	code, _, errOut := portolan("convert", "--dtype", "f64", golden, filepath.Join(dir, "x"))
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "unknown --dtype")
}

func TestUsage(t *testing.T) {
	code, _, errOut := portolan()
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "inspect")
	code, _, _ = portolan("nope")
	require.Equal(t, 2, code)
	code, _, _ = portolan("inspect")
	require.Equal(t, 2, code)
}

// TestInspectPythonBundle inspects a bundle the Python writer made.
func TestInspectPythonBundle(t *testing.T) {
	py := os.Getenv("PORTOLAN_PYTHON")
	if py == "" {
		py = "/usr/bin/python3"
	}
	dir := t.TempDir()
	out, err := exec.Command(py, "../../training/tests/crosslang.py", "write", dir).CombinedOutput()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python writer: %v %s", err, out)
		}
		t.Skipf("python writer unavailable (run scripts/setup.sh): %v %s", err, out)
	}
	code, stdout, errOut := portolan("inspect", filepath.Join(dir, "py_int8.portolan"))
	require.Equal(t, 0, code, errOut)
	require.Contains(t, stdout, "kind        crosslang")
	require.Contains(t, stdout, "w     f16    [5 7]     70")
	require.Contains(t, stdout, "big   int8   [16 4 5]  384")
}
