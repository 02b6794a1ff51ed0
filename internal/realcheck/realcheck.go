// Package realcheck puts a WAY model trained on simulated voyages to real
// AIS: of the voyages an archive shows from one port to another, how often
// the port reached is among the model's first answers halfway there
// (Check), and what it answers for a few real vessels by region
// (Showcase). docs/RESULTS.md reports both for the shared US slice.
package realcheck

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/trajectory"
)

// Options set up Check. The zero value of a field means its default.
type Options struct {
	Top  int     // answers that count as a hit; default 5
	Near float64 // metres: an answer this close to the port reached counts as nearby; default 50 km
}

func (o Options) withDefaults() Options {
	if o.Top == 0 {
		o.Top = 5
	}
	if o.Near == 0 {
		o.Near = 50e3
	}
	return o
}

// Outcome is one voyage seen from its departure (or the first position,
// when the archive begins at sea) to its arrival, and the model's answer
// halfway in time.
type Outcome struct {
	MMSI     uint32    `json:"mmsi"`
	ShipType string    `json:"ship_type"`
	From     string    `json:"from"` // "" when the archive begins at sea
	To       string    `json:"to"`
	Depart   time.Time `json:"depart"`
	Arrive   time.Time `json:"arrive"`
	Midway   time.Time `json:"midway"`
	InVocab  bool      `json:"in_vocabulary"` // the port reached is one the model can answer
	Answered bool      `json:"answered"`      // the model had a voyage in progress to answer for at midway
	Top      []string  `json:"top"`           // the model's answers at midway, most probable first
	Rank     int       `json:"rank"`          // 1-based rank of the port reached among Top, 0 when absent
	NearRank int       `json:"near_rank"`     // 1-based rank of the first answer within Options.Near of it, 0 when none
	Top1Km   float64   `json:"top1_km"`       // from the first answer to the port reached
	// the baseline: the vocabulary ports nearest the midway position,
	// the departure port left out
	NearestRank int `json:"nearest_rank"`
}

// Summary counts the outcomes of one kind of voyage.
type Summary struct {
	Voyages  int `json:"voyages"`
	Answered int `json:"answered"`
	InVocab  int `json:"in_vocabulary"` // answered voyages whose port reached the model can answer
	// hits among the InVocab voyages
	Top1 int `json:"top1"`
	TopK int `json:"top_k"`
	// answered voyages with an answer within Options.Near of the port reached, among the first K
	NearK int `json:"near_k"`
	// the baseline's hits among the InVocab voyages
	NearestTop1 int `json:"nearest_top1"`
	NearestTopK int `json:"nearest_top_k"`
	// median distance from the first answer to the port reached, km (0
	// when nothing was answered)
	MedianTop1Km float64 `json:"median_top1_km"`
}

// Report is the outcome of Check.
type Report struct {
	Top     int       `json:"top"`
	NearKm  float64   `json:"near_km"`
	Vessels int       `json:"vessels"`
	Ports   int       `json:"port_areas"` // the catalogue voyages were cut with
	Known   Summary   `json:"known_departure"`
	AtSea   Summary   `json:"began_at_sea"`
	Voyages []Outcome `json:"voyages"`
}

// Check finds, in each track, the voyages that reach a port of d's
// catalogue (its port areas, as prediction cuts voyages) from another
// port or from the track's beginning, and asks the model, with the track
// up to halfway between departure (or the first position) and arrival,
// where the vessel is going. vocab is the model's port vocabulary (index
// 0 "unknown"). A voyage that returns to the port it left is skipped.
func Check(ctx context.Context, d *sdk.Destinations, vocab []export.Port, tracks []*trajectory.Track, opt Options) (*Report, error) {
	opt = opt.withDefaults()
	ports := d.Ports()
	inVocab := map[string]bool{}
	for _, p := range vocab[1:] {
		inVocab[p.Locode] = true
	}
	r := &Report{Top: opt.Top, NearKm: opt.Near / 1000, Vessels: len(tracks), Ports: ports.Len()}
	var km [2][]float64
	for _, t := range tracks {
		voyages, _ := trajectory.VoyagesOf(t, ports, trajectory.CleanConfig{}, d.Visit())
		for _, v := range voyages {
			if v.InProgress() || v.From == v.To {
				continue
			}
			o, err := outcome(ctx, d, vocab, t, &v, opt)
			if err != nil {
				return nil, err
			}
			o.InVocab = inVocab[o.To]
			s, k := &r.Known, 0
			if v.From < 0 {
				s, k = &r.AtSea, 1
			}
			s.add(o, opt.Top)
			if o.Answered {
				km[k] = append(km[k], o.Top1Km)
			}
			r.Voyages = append(r.Voyages, *o)
		}
	}
	r.Known.MedianTop1Km, r.AtSea.MedianTop1Km = median(km[0]), median(km[1])
	return r, nil
}

func (s *Summary) add(o *Outcome, top int) {
	s.Voyages++
	if !o.Answered {
		return
	}
	s.Answered++
	if o.NearRank > 0 {
		s.NearK++
	}
	if !o.InVocab {
		return
	}
	s.InVocab++
	if o.Rank == 1 {
		s.Top1++
	}
	if o.Rank > 0 {
		s.TopK++
	}
	if o.NearestRank == 1 {
		s.NearestTop1++
	}
	if o.NearestRank > 0 && o.NearestRank <= top {
		s.NearestTopK++
	}
}

// outcome asks the model about one voyage at its midway time.
func outcome(ctx context.Context, d *sdk.Destinations, vocab []export.Port, t *trajectory.Track, v *trajectory.Voyage, opt Options) (*Outcome, error) {
	ports := d.Ports()
	to := ports.At(v.To)
	o := &Outcome{MMSI: t.MMSI, ShipType: trajectory.ShipCategories[v.ShipType], To: key(to), Depart: v.Depart, Arrive: v.Arrive}
	if v.From >= 0 {
		o.From = key(ports.At(v.From))
	}
	o.Midway = v.Depart.Add(v.Arrive.Sub(v.Depart) / 2)
	n := sort.Search(len(t.Points), func(i int) bool { return t.Points[i].Time.After(o.Midway) })
	part := &trajectory.Track{MMSI: t.MMSI, ShipType: t.ShipType, Name: t.Name, Points: t.Points[:n]}
	p, err := d.Predict(ctx, part)
	if errors.Is(err, sdk.ErrNoVoyage) {
		return o, nil
	}
	if err != nil {
		return nil, err
	}
	o.Answered = true
	for i, c := range p.Top {
		o.Top = append(o.Top, c.Locode)
		if o.Rank == 0 && c.Locode == o.To && i < opt.Top {
			o.Rank = i + 1
		}
		if o.NearRank == 0 && i < opt.Top && trajectory.Distance(c.Lat, c.Lon, to.Lat, to.Lon) <= opt.Near {
			o.NearRank = i + 1
		}
	}
	if len(p.Top) > 0 {
		o.Top1Km = trajectory.Distance(p.Top[0].Lat, p.Top[0].Lon, to.Lat, to.Lon) / 1000
	}
	o.NearestRank = nearestRank(vocab, p.Lat, p.Lon, o.From, o.To)
	return o, nil
}

// nearestRank is the 1-based rank of port to among the vocabulary ports
// ordered by distance from (lat, lon), leaving out the departure port;
// 0 when to is not in the vocabulary.
func nearestRank(vocab []export.Port, lat, lon float64, from, to string) int {
	var target float64 = -1
	for _, p := range vocab[1:] {
		if p.Locode == to {
			target = trajectory.Distance(lat, lon, p.Lat, p.Lon)
		}
	}
	if target < 0 {
		return 0
	}
	rank := 1
	for _, p := range vocab[1:] {
		if p.Locode != to && p.Locode != from && trajectory.Distance(lat, lon, p.Lat, p.Lon) < target {
			rank++
		}
	}
	return rank
}

func key(p trajectory.Port) string {
	if p.Locode != "" {
		return p.Locode
	}
	return p.Name
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}
