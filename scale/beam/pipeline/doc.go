// Package pipeline scores AIS archives and time-series files with Portolan
// models on Apache Beam (Flink, Spark, Dataflow, or Prism on one machine).
//
// Predict builds the destination pipeline:
//
//	files (globs; NMEA or CSV, plain or compressed)
//	  → decode (trajectory/ais; every line or row accounted for)
//	  → key by MMSI, in per-vessel batches of records (the shuffle)
//	  → per vessel: time order, static data merged (ais.Tracker),
//	    cleaning, port visits and the voyage in progress (trajectory.VoyageStream
//	    into sdk.VoyageInput: bounded by the model's input, not the track)
//	  → predictions in batches (sdk.Destinations.PredictInputs), the bundle
//	    loaded once per worker process
//	  → JSON lines and GeoJSON in the answer schema of portolan predict
//	    (docs/SCHEMA.md), sorted by MMSI within each output shard
//
// Forecast builds the temporal-dropout pipeline: series files (long CSV or
// .npy) → series keyed for Monte Carlo by their ids → forecasts in batches
// (sdk.Forecaster.ForecastSeries) → JSON lines as portolan forecast writes
// them.
//
// Both count what they do as Beam metrics in the namespace "portolan":
// rows read, positions, "dropped: REASON", "skipped: KIND" and
// "ignored: FIELD" (the accounting of portolan predict), vessels, voyages,
// predictions.
package pipeline
