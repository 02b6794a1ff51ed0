package host

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/wasm/kernels"
	"github.com/stretchr/testify/require"
)

var kernelChoices = []struct {
	name    string
	kernels Kernels
	impl    string // accel.Implementation() in the guest
	exact   bool   // results bit-identical to the generic code's
}{
	{"none", NoKernels(), "generic", true},
	{"native", NativeKernels(), "host", false},
	{"simd128", WasmKernels(kernels.Module), "simd128", true},
}

// TestKernelsAgree: in the guest, each choice of kernels against the
// generic Go code on random inputs (internal/kernelcheck: bit-exact for
// the SIMD128 module), and the same forecasts and predictions from every
// choice, identical where the kernels are exact.
func TestKernelsAgree(t *testing.T) {
	ctx := context.Background()
	series := sampleSeries(t)[:2]
	tracks := sampleTracks(t)
	var base []sdk.Forecast
	var basePred *sdk.Prediction
	for _, kc := range kernelChoices {
		t.Run(kc.name, func(t *testing.T) {
			h := newHost(t, guestWasm, NewConfig().WithInstances(1).WithInterruptible(false).WithKernels(kc.kernels))
			require.Equal(t, kc.kernels.String(), map[string]string{"none": "none", "native": "native", "simd128": "wasm"}[kc.name])
			seed := binary.LittleEndian.AppendUint64(nil, 7)
			ans, err := h.Call(ctx, "test_kernels", seed)
			require.NoError(t, err)
			impl, _, _ := strings.Cut(string(ans), " ")
			require.Equal(t, kc.impl, impl, "%s", ans)

			f, err := open(t, h, "td-demo.portolan").Forecaster(sdk.NewConfig().WithSamples(8))
			require.NoError(t, err)
			fc, err := f.Forecast(ctx, series)
			require.NoError(t, err)
			d, err := open(t, h, "way-demo.portolan").Destinations(sdk.NewConfig())
			require.NoError(t, err)
			pred, err := d.Predict(ctx, tracks[1])
			require.NoError(t, err)
			if base == nil {
				base, basePred = fc, pred
				return
			}
			if kc.exact {
				require.Equal(t, base, fc)
				require.Equal(t, basePred, pred)
				return
			}
			for i := range fc {
				require.InDelta(t, base[i].Mean, fc[i].Mean, 1e-3*(1+abs(base[i].Mean)))
			}
			require.Equal(t, basePred.Top[0].Locode, pred.Top[0].Locode)
			require.InDelta(t, basePred.Top[0].Prob, pred.Top[0].Prob, 1e-4)
		})
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestKernelOutOfBounds: a guest that names a range outside its memory
// fails that call like a trap, with every kind of kernels; the host
// replaces the instance and keeps serving.
func TestKernelOutOfBounds(t *testing.T) {
	ctx := context.Background()
	for _, kc := range kernelChoices {
		t.Run(kc.name, func(t *testing.T) {
			h := newHost(t, guestWasm, NewConfig().WithInstances(1).WithKernels(kc.kernels))
			_, _, err := h.with(ctx, -1, func(ctx context.Context, in *instance) error {
				_, err := in.raw(ctx, "test_kernel_oob")
				return err
			})
			require.ErrorIs(t, err, ErrTrap)
			_, err = h.DecodeAIS(ctx, []byte("!AIVDM,1,1,,B,19O@ctP00s1EQplO8o>Pp0l00000,0*45\n"))
			require.NoError(t, err, "the next call runs on a new instance")
		})
	}
}

// TestKernelModuleRefused: New refuses a kernel module that lacks the ABI.
func TestKernelModuleRefused(t *testing.T) {
	_, err := New(context.Background(), guestWasm, NewConfig().WithCompilationCache(cacheDir).WithKernels(WasmKernels([]byte{0, 'a', 's', 'm', 1, 0, 0, 0})))
	require.ErrorContains(t, err, "does not export abi_version")
	_, err = New(context.Background(), guestWasm, NewConfig().WithCompilationCache(cacheDir).WithKernels(WasmKernels([]byte("not wasm"))))
	require.ErrorContains(t, err, "compile the kernel module")
}
