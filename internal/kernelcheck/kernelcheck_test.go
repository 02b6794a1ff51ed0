package kernelcheck

import (
	"testing"

	"github.com/portolan-sdk/portolan/accel"
	"github.com/stretchr/testify/require"
)

// TestNative compares this CPU's kernels with the generic code (within
// rounding: they sum in other orders), and the generic code with itself
// (bit-exact: the check itself finds no difference where there is none).
func TestNative(t *testing.T) {
	n, err := Check(1, 2, accel.Implementation() == "generic")
	require.NoError(t, err)
	require.Greater(t, n, 50)
	restore := accel.ForceGeneric()
	defer restore()
	_, err = Check(2, 1, true)
	require.NoError(t, err)
}
