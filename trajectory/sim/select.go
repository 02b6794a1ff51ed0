package sim

import (
	"cmp"
	"math"
	"slices"

	"github.com/portolan-sdk/portolan/trajectory"
)

// SelectConfig chooses the ports of a world-wide fleet from the World
// Port Index (see SelectPorts). The zero value of a field means its default.
type SelectConfig struct {
	// Max is the most ports chosen; 0: every eligible port.
	Max int
	// MinSeparation is the least distance between two chosen ports, in
	// metres; default 30 km (port areas, at most 10 km in radius, never
	// overlap, and the nearer of two close harbours is not a guess a model
	// can make from AIS).
	MinSeparation float64
	// MaxLaneDistance is the farthest a port may lie from the lane
	// network, in metres; default 100 km (the fleet's own rule).
	MaxLaneDistance float64
	// MinLiner is the number of countries with liner services that makes
	// a port eligible whatever its harbour; default 5.
	MinLiner int
	// MinDepth is the water (metres, the deepest of channel, cargo pier
	// and oil terminal) a Large or Medium harbour needs to be eligible
	// without liner services; default 9 m, enough for ocean-going ships.
	MinDepth float64
	// LinerRadius is how far a traffic point whose UN/LOCODE is not in
	// the Port Index may lie from the entry that takes its liner services;
	// default 25 km.
	LinerRadius float64
}

func (c SelectConfig) withDefaults() SelectConfig {
	if c.MinSeparation == 0 {
		c.MinSeparation = 30e3
	}
	if c.MaxLaneDistance == 0 {
		c.MaxLaneDistance = 100e3
	}
	if c.MinLiner == 0 {
		c.MinLiner = 5
	}
	if c.MinDepth == 0 {
		c.MinDepth = 9
	}
	if c.LinerRadius == 0 {
		c.LinerRadius = 25e3
	}
	return c
}

// SelectedPort is a port chosen by SelectPorts, with the facts that chose it.
type SelectedPort struct {
	trajectory.Port
	Region      string
	HarbourSize string
	Depth       float64
	// Liner is the number of countries the port has liner services to
	// (0: none known).
	Liner int
	// Score orders the candidates: Liner plus the harbour's size points
	// (Large 15, Medium 8, Small 3).
	Score float64
	// Weight is the traffic the port draws in the simulation: Score/10,
	// at least 0.3 (Config.PortWeights).
	Weight float64
}

var harbourPoints = map[string]float64{"Large": 15, "Medium": 8, "Small": 3}

// SelectPorts chooses the ports of a world-wide fleet from World Port
// Index entries (trajectory.ReadWPI). Real traffic is uneven, and the
// Port Index has no traffic figures, so two signals stand in for it:
//
//   - liner connectivity: the number of countries a port has liner
//     services to, from traffic points such as the "to_cty" lists of
//     MARNET's ports.geojson (trajectory.LoadPortFeatures), matched by
//     UN/LOCODE; a traffic point whose code the Port Index lacks (MARNET
//     and the Port Index code some hubs differently: Shanghai, Singapore,
//     Ningbo) gives its services to the nearest entry within LinerRadius;
//   - the Port Index's harbour size (Large, Medium, Small) and depth.
//
// A port is eligible when it has a UN/LOCODE, lies within
// MaxLaneDistance of the lane network, and either has liner services to
// at least MinLiner countries or is a Large or Medium harbour with at
// least MinDepth metres of water. Eligible ports are taken by Score
// (then depth, then UN/LOCODE), skipping any within MinSeparation of one
// already taken, up to Max. The result is in UN/LOCODE order.
func SelectPorts(wpi []trajectory.WPIEntry, traffic []trajectory.PortFeature, net *Network, cfg SelectConfig) []SelectedPort {
	cfg = cfg.withDefaults()
	liner := make([]int, len(wpi))
	index := map[string][]int{}
	for i, e := range wpi {
		if e.Locode != "" {
			index[e.Locode] = append(index[e.Locode], i)
		}
	}
	for _, f := range traffic {
		l, _ := f.Properties["to_cty"].([]any)
		if len(l) == 0 {
			continue
		}
		at, ok := index[f.Locode]
		if !ok { // a code the Port Index lacks: the nearest entry within LinerRadius
			best, bestD := -1, cfg.LinerRadius
			for i, e := range wpi {
				if d := trajectory.Distance(e.Lat, e.Lon, f.Lat, f.Lon); e.Locode != "" && d <= bestD {
					best, bestD = i, d
				}
			}
			if best >= 0 {
				at = []int{best}
			}
		}
		for _, i := range at {
			liner[i] = max(liner[i], len(l))
		}
	}
	var cand []SelectedPort
	for i, e := range wpi {
		if e.Locode == "" {
			continue
		}
		liner := liner[i]
		big := e.HarbourSize == "Large" || e.HarbourSize == "Medium"
		if liner < cfg.MinLiner && !(big && e.Depth >= cfg.MinDepth) {
			continue
		}
		if _, d := net.Nearest(e.Lat, e.Lon); d > cfg.MaxLaneDistance {
			continue
		}
		score := float64(liner) + harbourPoints[e.HarbourSize]
		cand = append(cand, SelectedPort{Port: e.Port, Region: e.Region, HarbourSize: e.HarbourSize, Depth: e.Depth,
			Liner: liner, Score: score, Weight: math.Max(0.3, score/10)})
	}
	slices.SortStableFunc(cand, func(a, b SelectedPort) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(b.Depth, a.Depth), cmp.Compare(a.Locode, b.Locode), cmp.Compare(a.Name, b.Name))
	})
	var out []SelectedPort
	for _, c := range cand {
		if cfg.Max > 0 && len(out) == cfg.Max {
			break
		}
		if !slices.ContainsFunc(out, func(s SelectedPort) bool {
			return s.Locode == c.Locode || trajectory.Distance(s.Lat, s.Lon, c.Lat, c.Lon) < cfg.MinSeparation
		}) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b SelectedPort) int {
		return cmp.Or(cmp.Compare(a.Locode, b.Locode), cmp.Compare(a.Name, b.Name))
	})
	return out
}
