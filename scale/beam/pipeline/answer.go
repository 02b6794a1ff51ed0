package pipeline

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/portolan-sdk/portolan/sdk"
)

// Answer is one output row: its place in the output (the MMSI; for
// forecasts, the file and the series' index), its JSON line and, for a
// vessel with a prediction, its GeoJSON feature.
type Answer struct {
	Order   int64
	Line    string
	Feature string
}

// The rows follow the answer schema (docs/SCHEMA.md) exactly as portolan
// predict and forecast write them with --format jsonl|geojson.

// vesselRow is one line of predict --format jsonl: mmsi, name and either
// prediction or status ("no_voyage" or "failed") and error.
type vesselRow struct {
	sdk.VesselResult
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

type vesselAnswerOf struct {
	Answer
	status string
}

func vesselAnswer(r sdk.VesselResult) (vesselAnswerOf, error) {
	row := vesselRow{VesselResult: r}
	if r.Err != nil {
		row.Status, row.Error = "failed", r.Err.Error()
		if errors.Is(r.Err, sdk.ErrNoVoyage) {
			row.Status = "no_voyage"
		}
	}
	line, err := json.Marshal(row)
	if err != nil {
		return vesselAnswerOf{}, err
	}
	a := vesselAnswerOf{Answer: Answer{Order: int64(r.MMSI), Line: string(line)}, status: row.Status}
	if p := r.Prediction; r.Err == nil && p != nil {
		f := geojson.NewFeature(orb.Point{p.Lon, p.Lat})
		f.Properties = geojson.Properties{"mmsi": p.MMSI, "name": r.Name, "departure": p.Departure,
			"eta": p.ETA.UTC().Format(time.RFC3339), "eta_hours": p.ETAHours, "destinations": p.Top}
		data, err := json.Marshal(f)
		if err != nil {
			return vesselAnswerOf{}, err
		}
		a.Feature = string(data)
	}
	return a, nil
}

// forecastRow is one line of forecast --format jsonl: the series id, the
// forecast with its standard deviation, and the target when the input has
// one.
type forecastRow struct {
	ID string `json:"id"`
	sdk.Forecast
	Std    float64  `json:"std"`
	Target *float64 `json:"target,omitempty"`
}
