// Package testpy finds the Python interpreter of the trainer for tests
// that cross the language boundary (cross-language format and reader
// tests).
package testpy

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Python returns $PORTOLAN_PYTHON (default /usr/bin/python3) when it can
// import every module named, else skips the test with the reason, or
// fails it when the CI environment variable is set (CI must run every
// test). numpy is always required.
func Python(tb testing.TB, modules ...string) string {
	tb.Helper()
	py := os.Getenv("PORTOLAN_PYTHON")
	if py == "" {
		py = "/usr/bin/python3"
	}
	mods := append([]string{"numpy"}, modules...)
	out, err := exec.Command(py, "-c", "import "+strings.Join(mods, ", ")).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("%s cannot import %s (run scripts/setup.sh): %v %s", py, strings.Join(mods, ", "), err, out)
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return py
}
