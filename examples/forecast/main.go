// Command forecast predicts the sample vegetation series with the demo
// temporal-dropout model and prints each forecast with its uncertainty.
//
//	go run ./examples/forecast -model testdata/models/td-demo.portolan -series testdata/series/sample.csv
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"

	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/timeseries"
)

func main() {
	model := flag.String("model", "testdata/models/td-demo.portolan", "temporal-dropout bundle")
	series := flag.String("series", "testdata/series/sample.csv", "series (long CSV)")
	flag.Parse()
	if err := run(*model, *series, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(modelPath, seriesPath string, w io.Writer) error {
	m, err := sdk.Open(modelPath)
	if err != nil {
		return err
	}
	f, err := m.Forecaster(sdk.NewConfig().WithSamples(20).WithSeed(1))
	if err != nil {
		return err
	}
	in, err := os.Open(seriesPath)
	if err != nil {
		return err
	}
	defer in.Close()
	set, err := timeseries.ReadCSV(in)
	if err != nil {
		return err
	}
	set.Fill(m.Bundle.Preprocessing.Mean)
	var xs []sdk.Series
	for i, id := range set.IDs {
		xs = append(xs, sdk.Series{Key: sdk.SeriesKey(id), Values: set.Series(i)}) // Monte Carlo keyed by the series id
	}
	out, err := f.ForecastSeries(context.Background(), xs)
	if err != nil {
		return err
	}
	covered := 0
	for i, fc := range out {
		if y := set.Target[i]; y >= fc.Lo90 && y <= fc.Hi90 {
			covered++
		}
		fmt.Fprintf(w, "%s: %.1f ± %.1f (epistemic %.1f, aleatoric %.1f)\n", set.IDs[i], fc.Mean, fc.Std(),
			math.Sqrt(fc.Epistemic), math.Sqrt(fc.Aleatoric))
	}
	fmt.Fprintf(w, "%d of %d targets inside their 90%% interval\n", covered, len(out))
	return nil
}
