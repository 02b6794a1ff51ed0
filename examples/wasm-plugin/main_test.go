package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portolan-sdk/portolan/internal/wasmbuild"
	"github.com/stretchr/testify/require"
)

// TestRun builds the module as `make wasm` does (it is too large to
// commit) and runs the example on it: the plugin gives the answers the
// native sdk gives (examples/destinations).
func TestRun(t *testing.T) {
	root, err := wasmbuild.ModuleRoot()
	require.NoError(t, err)
	wasm := filepath.Join(t.TempDir(), "portolan.wasm")
	require.NoError(t, wasmbuild.Build(context.Background(), root, wasm, nil))
	var out bytes.Buffer
	require.NoError(t, run(wasm, "../../testdata/models/way-demo.portolan", "../../testdata/ais/sample.nmea", t.TempDir(), &out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 8)
	require.Equal(t, "211969162 bound for DEBRV (16%), ETA 2026-01-05 01:44", lines[0])

	// without the module the example says so
	require.Error(t, run(wasm+".missing", "../../testdata/models/way-demo.portolan", "../../testdata/ais/sample.nmea", "", &out))
}
