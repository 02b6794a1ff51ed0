package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run("../../testdata/models/way-demo.portolan", "../../testdata/ais/sample.nmea", &out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 8)
	require.Equal(t, "211969162 bound for DEBRV (16%), ETA 2026-01-05 01:44", lines[0])
}
