package sim

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/portolan-sdk/portolan/trajectory"
)

// Network is a sea-lane graph: nodes at lane vertices, edges along lanes
// weighted by great-circle length.
type Network struct {
	nodes []orb.Point // lon, lat with lon in [-180, 180)
	adj   [][]edge
	index map[[2]int64]int
	cells map[[2]int][]int32 // 1° cells → nodes (Nearest); read-only once built, so a Network can be shared
}

type edge struct {
	to     int
	metres float64
}

// snap is the vertex-matching precision: lanes that share an endpoint to
// within 1e-4 degrees (about 11 m) are connected.
const snap = 1e4

// NewNetwork builds a network from polylines given as [lon, lat] vertices.
// Longitudes beyond ±180 (lanes that cross the antimeridian) are wrapped.
func NewNetwork(lines []orb.LineString) (*Network, error) {
	n := &Network{index: map[[2]int64]int{}}
	for _, ls := range lines {
		prev := -1
		for _, p := range ls {
			if !(p.Lat() >= -90 && p.Lat() <= 90) || math.IsNaN(p.Lon()) || math.IsInf(p.Lon(), 0) {
				return nil, fmt.Errorf("sim: lane vertex %v off the globe", p)
			}
			id := n.node(p)
			if prev >= 0 && prev != id {
				d := trajectory.Distance(n.nodes[prev].Lat(), n.nodes[prev].Lon(), n.nodes[id].Lat(), n.nodes[id].Lon())
				n.adj[prev] = append(n.adj[prev], edge{id, d})
				n.adj[id] = append(n.adj[id], edge{prev, d})
			}
			prev = id
		}
	}
	if len(n.nodes) == 0 {
		return nil, errors.New("sim: empty lane network")
	}
	n.cells = map[[2]int][]int32{}
	for i, p := range n.nodes {
		k := [2]int{int(math.Floor(p.Lat())), int(math.Floor(p.Lon()))}
		n.cells[k] = append(n.cells[k], int32(i))
	}
	return n, nil
}

func wrapLon(lon float64) float64 {
	lon = math.Mod(lon+180, 360)
	if lon < 0 {
		lon += 360
	}
	return lon - 180
}

func (n *Network) node(p orb.Point) int {
	p = orb.Point{wrapLon(p.Lon()), p.Lat()}
	k := [2]int64{int64(math.Round(p.Lon() * snap)), int64(math.Round(p.Lat() * snap))}
	if id, ok := n.index[k]; ok {
		return id
	}
	n.index[k] = len(n.nodes)
	n.nodes = append(n.nodes, p)
	n.adj = append(n.adj, nil)
	return len(n.nodes) - 1
}

// LoadNetworkGeoJSON reads LineString and MultiLineString features,
// leaving out those whose "passage" property is one of restrict (MARNET
// tags chokepoints so: "northwest", "suez", "panama", …; searoute leaves
// the ice-bound "northwest" passages out by default, and so does
// `portolan simulate`).
func LoadNetworkGeoJSON(data []byte, restrict ...string) (*Network, error) {
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		return nil, fmt.Errorf("sim: lanes GeoJSON: %w", err)
	}
	var lines []orb.LineString
	for _, f := range fc.Features {
		if p, ok := f.Properties["passage"].(string); ok && slices.Contains(restrict, p) {
			continue
		}
		switch g := f.Geometry.(type) {
		case orb.LineString:
			lines = append(lines, g)
		case orb.MultiLineString:
			lines = append(lines, g...)
		}
	}
	return NewNetwork(lines)
}

// Len returns the number of nodes.
func (n *Network) Len() int { return len(n.nodes) }

// Nearest returns the node closest to (lat, lon) and its distance in metres
// (the lowest-numbered node of equal distance). It searches a box of 1°
// cells that grows until it holds a node, then the box that holds every
// node as close as that one (or every node, when that is fewer than the
// box's cells).
func (n *Network) Nearest(lat, lon float64) (int, float64) {
	best, bestD := -1, math.Inf(1)
	cy, cx := int(math.Floor(lat)), int(math.Floor(wrapLon(lon)))
	scan := func(dy, dx int) {
		dx = min(dx, 180)
		if (2*dy+1)*(2*dx+1) > len(n.nodes) { // a sparse network: every node costs less than every cell
			for i, p := range n.nodes {
				if d := trajectory.Distance(lat, lon, p.Lat(), p.Lon()); d < bestD || (d == bestD && i < best) {
					best, bestD = i, d
				}
			}
			return
		}
		for y := max(-91, cy-dy); y <= min(90, cy+dy); y++ {
			for x := cx - dx; x <= cx+dx && x < cx-dx+360; x++ {
				for _, i := range n.cells[[2]int{y, (x+540)%360 - 180}] {
					p := n.nodes[i]
					if d := trajectory.Distance(lat, lon, p.Lat(), p.Lon()); d < bestD || (d == bestD && int(i) < best) {
						best, bestD = int(i), d
					}
				}
			}
		}
	}
	for r := 1; best < 0 && r < 360; r *= 2 {
		scan(r, r)
	}
	if best < 0 {
		return best, bestD
	}
	// every node within bestD: its latitude differs by at most bestD/R
	// radians and, with both latitudes within far of the equator, its
	// longitude by at most Δλ where sin(Δλ/2)·cos(far) = sin(bestD/2R)
	// (haversine: hav(d/R) ≥ cos φ1·cos φ2·hav(Δλ))
	rad := bestD / orb.EarthRadius
	dy := int(math.Ceil(rad*180/math.Pi)) + 1
	far := math.Min(90, math.Abs(lat)+float64(dy))
	dx := 180
	if s := math.Sin(rad/2) / math.Cos(far*math.Pi/180); s < 1 {
		dx = min(180, int(math.Ceil(2*math.Asin(s)*180/math.Pi))+1)
	}
	scan(dy, dx)
	return best, bestD
}

// Path returns the shortest path between two nodes as points (lon, lat)
// and its length in metres, or ok false when they are not connected.
func (n *Network) Path(from, to int) (path []orb.Point, metres float64, ok bool) {
	dist, prev := n.dijkstra(from, to)
	if path, ok = n.pathTo(prev, from, to); !ok {
		return nil, 0, false
	}
	return path, dist[to], true
}

// dijkstra returns the shortest distances from a node and each node's
// predecessor on its shortest path (-1: none). With to ≥ 0 it stops once
// to is settled: the path to it is then final, though other nodes' may not be.
func (n *Network) dijkstra(from, to int) ([]float64, []int32) {
	dist := make([]float64, len(n.nodes))
	prev := make([]int32, len(n.nodes))
	for i := range dist {
		dist[i] = math.Inf(1)
		prev[i] = -1
	}
	dist[from] = 0
	pq := &queue{{from, 0}}
	for pq.Len() > 0 {
		it := heap.Pop(pq).(item)
		if it.d > dist[it.node] {
			continue
		}
		if it.node == to {
			break
		}
		for _, e := range n.adj[it.node] {
			if d := it.d + e.metres; d < dist[e.to] {
				dist[e.to] = d
				prev[e.to] = int32(it.node)
				heap.Push(pq, item{e.to, d})
			}
		}
	}
	return dist, prev
}

// pathTo follows the predecessors from to back to from; ok is false when
// to is not reachable.
func (n *Network) pathTo(prev []int32, from, to int) (path []orb.Point, ok bool) {
	if to != from && prev[to] < 0 {
		return nil, false
	}
	for v := to; v >= 0; v = int(prev[v]) {
		path = append(path, n.nodes[v])
		if v == from {
			break
		}
	}
	slices.Reverse(path)
	return path, true
}

type item struct {
	node int
	d    float64
}

type queue []item

func (q queue) Len() int           { return len(q) }
func (q queue) Less(i, j int) bool { return q[i].d < q[j].d }
func (q queue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)        { *q = append(*q, x.(item)) }
func (q *queue) Pop() any          { old := *q; it := old[len(old)-1]; *q = old[:len(old)-1]; return it }
