package realcheck

import (
	"context"
	"errors"
	"sort"

	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/trajectory"
)

// Region is a named box of latitude and longitude.
type Region struct {
	Name                     string
	South, West, North, East float64
}

// Contains reports whether (lat, lon) is in the box.
func (r Region) Contains(lat, lon float64) bool {
	return lat >= r.South && lat <= r.North && lon >= r.West && lon <= r.East
}

// Regions are the coasts Showcase picks vessels from: the US coasts of
// the MarineCadastre archives, and European seas.
var Regions = []Region{
	{"New York", 40.0, -74.5, 41.0, -73.0},
	{"Chesapeake", 36.5, -77.0, 39.5, -75.5},
	{"Florida", 24.0, -83.5, 31.0, -79.5},
	{"Gulf of Mexico", 26.0, -98.0, 31.0, -84.0},
	{"Los Angeles", 33.0, -119.5, 34.2, -117.5},
	{"San Francisco", 37.3, -123.2, 38.3, -121.8},
	{"Puget Sound", 47.0, -123.5, 48.8, -122.0},
	{"Great Lakes", 41.0, -92.5, 49.0, -76.0},
	{"Alaska", 51.0, -180.0, 72.0, -129.0},
	{"Hawaii", 18.5, -161.0, 22.5, -154.5},
	{"North Sea", 51.0, -2.0, 58.0, 9.0},
	{"English Channel", 48.5, -6.0, 51.2, 2.0},
	{"Aegean and Ionian", 34.5, 19.0, 41.0, 28.0},
	{"Western Mediterranean", 35.5, -6.0, 44.5, 12.0},
}

// Pick is a vessel Showcase chose and the model's answer for it.
type Pick struct {
	Region     string          `json:"region"`
	Name       string          `json:"name"`
	ShipType   string          `json:"ship_type"`
	SOG        float64         `json:"sog"`
	Prediction *sdk.Prediction `json:"prediction"`
}

// Showcase answers, for up to per vessels in each region, where the model
// says they are going: vessels with a voyage in progress whose latest
// position is in the region, cargo ships, tankers and passenger ships
// under way (6 knots or more) first, then other vessels under way, then
// the rest; within each, the most positions first, then by MMSI.
func Showcase(ctx context.Context, d *sdk.Destinations, tracks []*trajectory.Track, regions []Region, per int) ([]Pick, error) {
	type cand struct {
		t    *trajectory.Track
		rank int
	}
	byRegion := make([][]cand, len(regions))
	for _, t := range tracks {
		if len(t.Points) == 0 {
			continue
		}
		last := t.Points[len(t.Points)-1]
		for i, r := range regions {
			if r.Contains(last.Lat, last.Lon) {
				rank := 2
				if sog, ok := last.SOG.Get(); ok && sog >= 6 {
					rank = 1
					if c := trajectory.ShipCategory(t.ShipType); c >= 1 && c <= 3 {
						rank = 0
					}
				}
				byRegion[i] = append(byRegion[i], cand{t, rank})
				break
			}
		}
	}
	var out []Pick
	for i, cs := range byRegion {
		sort.SliceStable(cs, func(a, b int) bool {
			if cs[a].rank != cs[b].rank {
				return cs[a].rank < cs[b].rank
			}
			if na, nb := len(cs[a].t.Points), len(cs[b].t.Points); na != nb {
				return na > nb
			}
			return cs[a].t.MMSI < cs[b].t.MMSI
		})
		n := 0
		for _, c := range cs {
			if n == per {
				break
			}
			p, err := d.Predict(ctx, c.t)
			if errors.Is(err, sdk.ErrNoVoyage) {
				continue
			}
			if err != nil {
				return nil, err
			}
			last := c.t.Points[len(c.t.Points)-1]
			out = append(out, Pick{Region: regions[i].Name, Name: c.t.Name, ShipType: trajectory.ShipCategories[trajectory.ShipCategory(c.t.ShipType)],
				SOG: last.SOG.V, Prediction: p})
			n++
		}
	}
	return out, nil
}
