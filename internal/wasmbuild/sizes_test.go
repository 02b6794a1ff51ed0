package wasmbuild

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPackageOf(t *testing.T) {
	for name, want := range map[string]string{
		"github.com_portolan-sdk_portolan_models.NewWAY":     "github.com/portolan-sdk/portolan/models",
		"github.com_portolan-sdk_portolan_models.__WAY_.run": "github.com/portolan-sdk/portolan/models",
		"runtime.mallocgc":                        "runtime",
		"internal_runtime_maps.__Map_.getWithKey": "internal/runtime/maps",
		"gonum.org_v1_gonum_mat.__Dense_.At":      "gonum.org/v1/gonum/mat",
		"_initialize":                             "/initialize",
	} {
		require.Equal(t, want, packageOf(name), name)
	}
}

// TestCodeByPackage reads a hand-made module: one imported function, two
// function bodies of 2 and 4 bytes, names for both.
func TestCodeByPackage(t *testing.T) {
	mod := []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
		2, 7, 1, 1, 'm', 1, 'f', 0, 0, // import section: m.f, type 0
		10, 9, 2, 2, 0, 0x0b, 4, 0, 0x41, 1, 0x0b, // code: bodies of 2 and 4 bytes
		0, 18, 4, 'n', 'a', 'm', 'e', 1, 11, 2, 1, 3, 'a', '.', 'x', 2, 3, 'b', '.', 'y', // names of functions 1 and 2
	}
	secs, err := Sections(mod)
	require.NoError(t, err)
	require.Equal(t, 9, secs["code"])
	require.Equal(t, 18, secs["name"])
	pkgs, err := CodeByPackage(mod)
	require.NoError(t, err)
	require.Equal(t, []PackageSize{{"b", 4}, {"a", 2}}, pkgs)
	_, err = CodeByPackage(mod[:20])
	require.Error(t, err)
}
