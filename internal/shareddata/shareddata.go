// Package shareddata locates the real data sets in ../shared/data beside
// the repository, for tests and benchmarks.
package shareddata

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Root returns the shared data directory: $PORTOLAN_SHARED_DATA, or
// ../shared/data relative to the repository root. It returns "" when the
// directory does not exist.
func Root() string {
	if d := os.Getenv("PORTOLAN_SHARED_DATA"); d != "" {
		return d
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	// this file is internal/shareddata/shareddata.go in the repository
	d := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "data")
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return d
	}
	return ""
}

// Path returns the path of rel inside the shared data directory. When the
// file is missing the test is skipped with a message, or fails when the CI
// environment variable is set (CI must run every test).
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	root := Root()
	p := filepath.Join(root, rel)
	if root == "" {
		p = rel
	}
	if _, err := os.Stat(p); root == "" || err != nil {
		msg := "shared data " + rel + " not found (expected ../shared/data beside the repository, or set PORTOLAN_SHARED_DATA)"
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return p
}
