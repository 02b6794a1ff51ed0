package sim

import (
	"container/heap"
	"errors"
	"fmt"
	"math"

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

// LoadNetworkGeoJSON reads LineString and MultiLineString features.
func LoadNetworkGeoJSON(data []byte) (*Network, error) {
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		return nil, fmt.Errorf("sim: lanes GeoJSON: %w", err)
	}
	var lines []orb.LineString
	for _, f := range fc.Features {
		switch g := f.Geometry.(type) {
		case orb.LineString:
			lines = append(lines, g)
		case orb.MultiLineString:
			lines = append(lines, g...)
		}
	}
	return NewNetwork(lines)
}

// Nearest returns the node closest to (lat, lon) and its distance in metres.
func (n *Network) Nearest(lat, lon float64) (int, float64) {
	best, bestD := -1, math.Inf(1)
	for i, p := range n.nodes {
		// cheap reject by latitude before the haversine
		if math.Abs(p.Lat()-lat)*111e3 > bestD {
			continue
		}
		if d := trajectory.Distance(lat, lon, p.Lat(), p.Lon()); d < bestD {
			best, bestD = i, d
		}
	}
	return best, bestD
}

// Path returns the shortest path between two nodes as points (lon, lat)
// and its length in metres, or ok false when they are not connected.
func (n *Network) Path(from, to int) (path []orb.Point, metres float64, ok bool) {
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
	if math.IsInf(dist[to], 1) {
		return nil, 0, false
	}
	for v := to; v >= 0; v = int(prev[v]) {
		path = append(path, n.nodes[v])
		if v == from {
			break
		}
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path, dist[to], true
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
