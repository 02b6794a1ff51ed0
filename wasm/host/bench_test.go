package host

import (
	"context"
	"testing"

	"github.com/portolan-sdk/portolan/sdk"
	"github.com/stretchr/testify/require"
)

// Benchmarks of the guest in wazero (docs/BENCHMARKS.md):
//
//	go test -run='^$' -bench=. -benchtime=10x ./wasm/host

var modes = []struct {
	name          string
	interruptible bool
}{{"trusted", false}, {"interruptible", true}}

// BenchmarkCompile compiles the guest without a cache (cold) and with a
// warm compilation cache directory.
func BenchmarkCompile(b *testing.B) {
	ctx := context.Background()
	for _, m := range modes {
		b.Run(m.name+"/cold", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				h, err := New(ctx, guestWasm, NewConfig().WithInterruptible(m.interruptible))
				require.NoError(b, err)
				h.Close(ctx)
			}
		})
		b.Run(m.name+"/cached", func(b *testing.B) {
			dir := b.TempDir()
			h, err := New(ctx, guestWasm, NewConfig().WithInterruptible(m.interruptible).WithCompilationCache(dir))
			require.NoError(b, err)
			h.Close(ctx)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h, err := New(ctx, guestWasm, NewConfig().WithInterruptible(m.interruptible).WithCompilationCache(dir))
				require.NoError(b, err)
				h.Close(ctx)
			}
		})
	}
}

// BenchmarkInstantiate starts an instance (instantiate, _initialize, ABI
// check).
func BenchmarkInstantiate(b *testing.B) {
	ctx := context.Background()
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			h := newHost(b, guestWasm, NewConfig().WithInterruptible(m.interruptible))
			for i := 0; i < b.N; i++ {
				in, err := h.newInstance(ctx)
				require.NoError(b, err)
				in.close(ctx)
			}
		})
	}
}

// eachMode runs f under both modes with each choice of kernels, as
// MODE/KERNELS (none: the module's Go code; native: the host's kernels,
// the default; simd128: the SIMD128 kernel module in wazero).
func eachMode(b *testing.B, f func(b *testing.B, cfg Config)) {
	for _, m := range modes {
		for _, k := range kernelChoices {
			b.Run(m.name+"/"+k.name, func(b *testing.B) {
				f(b, NewConfig().WithInstances(1).WithInterruptible(m.interruptible).WithKernels(k.kernels))
			})
		}
	}
}

// BenchmarkWAY predicts the sample's first vessel under way from its whole
// track (one full forward of the demo model).
func BenchmarkWAY(b *testing.B) {
	ctx := context.Background()
	tracks := sampleTracks(b)
	eachMode(b, func(b *testing.B, cfg Config) {
		h := newHost(b, guestWasm, cfg)
		d, err := open(b, h, "way-demo.portolan").Destinations(sdk.NewConfig())
		require.NoError(b, err)
		_, err = d.Predict(ctx, tracks[0])
		require.NoError(b, err)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := d.Predict(ctx, tracks[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTD forecasts one series with 20 Monte Carlo samples.
func BenchmarkTD(b *testing.B) {
	ctx := context.Background()
	series := sampleSeries(b)[:1]
	eachMode(b, func(b *testing.B, cfg Config) {
		h := newHost(b, guestWasm, cfg)
		f, err := open(b, h, "td-demo.portolan").Forecaster(sdk.NewConfig())
		require.NoError(b, err)
		_, err = f.Forecast(ctx, series)
		require.NoError(b, err)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := f.Forecast(ctx, series); err != nil {
				b.Fatal(err)
			}
		}
	})
}
