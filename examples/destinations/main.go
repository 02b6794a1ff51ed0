// Command destinations predicts where every vessel in an AIS file is
// heading, with the demo WAY model: the batch use of the sdk.
//
//	go run ./examples/destinations -model testdata/models/way-demo.portolan -ais testdata/ais/sample.nmea
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

func main() {
	model := flag.String("model", "testdata/models/way-demo.portolan", "WAY bundle")
	feed := flag.String("ais", "testdata/ais/sample.nmea", "AIS file (NMEA or CSV)")
	flag.Parse()
	if err := run(*model, *feed, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(modelPath, feedPath string, w io.Writer) error {
	m, err := sdk.Open(modelPath)
	if err != nil {
		return err
	}
	d, err := m.Destinations(sdk.NewConfig().WithTopK(1))
	if err != nil {
		return err
	}
	f, err := os.Open(feedPath)
	if err != nil {
		return err
	}
	defer f.Close()
	positions, err := ais.OpenPositions(f, ais.Options{})
	if err != nil {
		return err
	}
	results, err := d.PredictAll(context.Background(), positions, nil)
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
