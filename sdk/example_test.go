package sdk_test

import (
	"context"
	"fmt"
	"os"

	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

// Predict the destinations of the vessels in an AIS file.
func ExampleDestinations_PredictAll() {
	m, err := sdk.Open("../testdata/models/way-demo.portolan")
	if err != nil {
		panic(err)
	}
	d, err := m.Destinations(sdk.NewConfig().WithTopK(2).WithThreads(2))
	if err != nil {
		panic(err)
	}
	f, err := os.Open("../testdata/ais/sample.nmea")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	positions, err := ais.OpenPositions(f, ais.Options{})
	if err != nil {
		panic(err)
	}
	results, err := d.PredictAll(context.Background(), positions, nil)
	if err != nil {
		panic(err)
	}
	p := results[0].Prediction
	fmt.Printf("%d from %s: %s %.2f, %s %.2f, ETA in %.0f h\n", p.MMSI, p.Departure,
		p.Top[0].Locode, p.Top[0].Prob, p.Top[1].Locode, p.Top[1].Prob, p.ETAHours)
	// Output: 211969162 from GBFXT: DEBRV 0.16, DEBRE 0.12, ETA in 26 h
}

// Predict every vessel of a time-ordered AIS feed, holding per-vessel
// state only.
func ExampleDestinations_PredictReader() {
	m, err := sdk.Open("../testdata/models/way-demo.portolan")
	if err != nil {
		panic(err)
	}
	d, err := m.Destinations(sdk.NewConfig().WithTopK(1))
	if err != nil {
		panic(err)
	}
	f, err := os.Open("../testdata/ais/sample.nmea")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	positions, err := ais.OpenPositions(f, ais.Options{})
	if err != nil {
		panic(err)
	}
	results, st, err := d.PredictReader(context.Background(), positions, sdk.IngestConfig{}, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d vessels, %d answered, %d of %d positions used\n", len(results), st.Answered, st.Kept, st.Positions)
	for _, r := range results[:2] {
		if r.Err == nil {
			fmt.Printf("%d bound for %s\n", r.MMSI, r.Prediction.Top[0].Locode)
		}
	}
	// Output:
	// 8 vessels, 8 answered, 2694 of 2694 positions used
	// 211969162 bound for DEBRV
	// 224090252 bound for SEMMA
}

// Forecast a series with Monte Carlo temporal-dropout uncertainty.
func ExampleForecaster_Forecast() {
	m, err := sdk.Open("../testdata/models/td-demo.portolan")
	if err != nil {
		panic(err)
	}
	f, err := m.Forecaster(sdk.NewConfig().WithSamples(20).WithSeed(1))
	if err != nil {
		panic(err)
	}
	x := make([]float32, f.Steps()*f.Features()) // all features at their scaler mean
	copy(x, m.Bundle.Preprocessing.Mean)
	for t := 1; t < f.Steps(); t++ {
		copy(x[t*f.Features():], m.Bundle.Preprocessing.Mean)
	}
	out, err := f.Forecast(context.Background(), [][]float32{x})
	if err != nil {
		panic(err)
	}
	lo, hi := out[0].Interval(0.9)
	fmt.Printf("%.1f, 90%% interval [%.1f, %.1f], epistemic share %.2f\n", out[0].Mean, lo, hi, out[0].Epistemic/out[0].Total)
	// Output: 142.3, 90% interval [125.8, 158.8], epistemic share 0.00
}
