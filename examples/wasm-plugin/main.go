// Command wasm-plugin runs Portolan as a sandboxed WebAssembly plugin of a
// Go program: the module built by `make wasm` runs in wazero (wasm/host)
// with no filesystem or network, a memory limit and a deadline per call,
// decodes the AIS file and predicts every vessel's destination inside the
// sandbox.
//
//	make wasm
//	go run ./examples/wasm-plugin -wasm build/wasm/portolan.wasm \
//	    -model testdata/models/way-demo.portolan -ais testdata/ais/sample.nmea
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/wasm/host"
)

func main() {
	wasm := flag.String("wasm", "build/wasm/portolan.wasm", "the Portolan module (make wasm)")
	model := flag.String("model", "testdata/models/way-demo.portolan", "WAY bundle")
	feed := flag.String("ais", "testdata/ais/sample.nmea", "AIS file (NMEA or CSV)")
	cache := flag.String("cache", "", "compilation cache directory (faster starts after the first)")
	flag.Parse()
	if err := run(*wasm, *model, *feed, *cache, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(wasmPath, modelPath, feedPath, cacheDir string, w io.Writer) error {
	ctx := context.Background()
	cfg := host.NewConfig().
		WithInstances(2).                // two calls at a time
		WithMemoryLimitPages(2048).      // 128 MiB per instance
		WithCallTimeout(2 * time.Minute) // no call runs longer
	if cacheDir != "" {
		cfg = cfg.WithCompilationCache(cacheDir)
	}
	h, err := host.NewFromFile(ctx, wasmPath, cfg)
	if err != nil {
		return err
	}
	defer h.Close(ctx)
	m, err := h.OpenFile(ctx, modelPath)
	if err != nil {
		return err
	}
	d, err := m.Destinations(sdk.NewConfig().WithTopK(1))
	if err != nil {
		return err
	}
	feed, err := os.ReadFile(feedPath)
	if err != nil {
		return err
	}
	results, err := d.PredictAIS(ctx, feed) // decoded inside the sandbox
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Err != nil {
			fmt.Fprintf(w, "%d: %v\n", r.MMSI, r.Err)
			continue
		}
		p := r.Prediction
		fmt.Fprintf(w, "%d bound for %s (%.0f%%), ETA %s\n", p.MMSI, p.Top[0].Locode, 100*p.Top[0].Prob, p.ETA.UTC().Format("2006-01-02 15:04"))
	}
	return nil
}
