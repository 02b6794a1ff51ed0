package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run("../../testdata/models/td-demo.portolan", "../../testdata/series/sample.csv", &out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 13)
	require.Equal(t, "site00: 162.4 ± 15.0 (epistemic 2.1, aleatoric 14.9)", lines[0])
	require.Equal(t, "12 of 12 targets inside their 90% interval", lines[12])
}
