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
	require.True(t, strings.HasSuffix(lines[0], "updates for 8 vessels"), lines[0])
	// the streams end where the batch predictor does (examples/destinations)
	require.Contains(t, out.String(), "211969162 bound for DEBRV (16%)")
}
