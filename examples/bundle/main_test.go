package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.portolan")
	var out bytes.Buffer
	require.NoError(t, run(path, &out))
	require.Equal(t, "wrote and read back "+path+": kind linear, format 1.1, 2 tensors, 8 parameters\n"+
		"weight [2 3] = [0.5 -0.25 0.125 1 0 -1]\n", out.String())
}
