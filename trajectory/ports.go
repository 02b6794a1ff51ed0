package trajectory

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// Port is a port with the circular area inside which a slow vessel counts
// as visiting it.
type Port struct {
	Locode  string // UN/LOCODE without the space, e.g. "NLRTM"; may be empty
	Name    string
	Country string
	Lat     float64
	Lon     float64
	Radius  float64 // metres
}

// DefaultPortRadius is the port-area radius when the source gives no
// harbour size: 5 km.
const DefaultPortRadius = 5000.0

// harbourRadius maps World Port Index harbour sizes to port-area radii in
// metres: large ports spread over terminals and anchorages.
var harbourRadius = map[string]float64{"large": 10000, "medium": 6000, "small": 4000, "very small": 3000}

// Ports is a catalogue with a spatial index for "which port is this
// position in".
type Ports struct {
	list     []Port
	byLocode map[string]int
	buckets  map[[2]int][]int // 1° cells → port indices
}

// NewPorts indexes a port list. Ports with a duplicate UN/LOCODE keep the
// first entry; ports off the globe or with a non-positive radius are an error.
func NewPorts(list []Port) (*Ports, error) {
	p := &Ports{byLocode: map[string]int{}, buckets: map[[2]int][]int{}}
	for _, port := range list {
		if !(port.Lat >= -90 && port.Lat <= 90 && port.Lon >= -180 && port.Lon <= 180) || !(port.Radius > 0 && port.Radius < 100000) {
			return nil, fmt.Errorf("trajectory: port %s %q at %v,%v radius %v", port.Locode, port.Name, port.Lat, port.Lon, port.Radius)
		}
		if port.Locode != "" {
			if _, dup := p.byLocode[port.Locode]; dup {
				continue
			}
			p.byLocode[port.Locode] = len(p.list)
		}
		k := bucket(port.Lat, port.Lon)
		p.buckets[k] = append(p.buckets[k], len(p.list))
		p.list = append(p.list, port)
	}
	return p, nil
}

func bucket(lat, lon float64) [2]int {
	return [2]int{int(math.Floor(lat)), int(math.Floor(lon))}
}

// Len returns the number of ports.
func (p *Ports) Len() int { return len(p.list) }

// At returns port i.
func (p *Ports) At(i int) Port { return p.list[i] }

// All returns the ports in catalogue order.
func (p *Ports) All() []Port { return append([]Port(nil), p.list...) }

// Index returns the index of the port with the given UN/LOCODE.
func (p *Ports) Index(locode string) (int, bool) {
	i, ok := p.byLocode[locode]
	return i, ok
}

// Within returns the nearest port whose area contains (lat, lon), and the
// distance to it in metres. Port areas are at most 100 km across, so only
// the 1° cells around the position are searched (3×3, wider near the poles).
func (p *Ports) Within(lat, lon float64) (int, float64, bool) {
	best, bestD := -1, math.Inf(1)
	b := bucket(lat, lon)
	dlon := 1
	if c := math.Cos(lat * math.Pi / 180); c < 0.5 {
		dlon = int(math.Min(180, math.Ceil(1/math.Max(c, 1e-3))))
	}
	pt := orb.Point{lon, lat}
	for dy := -1; dy <= 1; dy++ {
		for dx := -dlon; dx <= dlon; dx++ {
			x := (b[1]+dx+180)%360 - 180
			if x < -180 {
				x += 360
			}
			for _, i := range p.buckets[[2]int{b[0] + dy, x}] {
				port := &p.list[i]
				d := geo.DistanceHaversine(pt, orb.Point{port.Lon, port.Lat})
				if d <= port.Radius && d < bestD {
					best, bestD = i, d
				}
			}
		}
	}
	return best, bestD, best >= 0
}

// WPIEntry is one World Port Index row: the port, and the harbour facts
// that port selection weighs.
type WPIEntry struct {
	Port
	Region      string  // "Region Name", e.g. "United States E Coast -- 6585"
	HarbourSize string  // "Large", "Medium", "Small", "Very Small" or ""
	HarbourType string  // e.g. "Coastal (Natural)", "River (Natural)", "Open Roadstead"
	Depth       float64 // metres: the deepest of the channel, cargo pier and oil terminal depths; 0 when none is given
}

// LoadWPI reads ports from the World Port Index (NGA Pub. 150) CSV: the
// columns "Main Port Name", "UN/LOCODE" ("US NYC"), "Country Code",
// "Latitude", "Longitude" and "Harbor Size" (which sets the area radius).
// Rows without coordinates are skipped.
func LoadWPI(r io.Reader) ([]Port, error) {
	entries, err := ReadWPI(r)
	if err != nil {
		return nil, err
	}
	out := make([]Port, len(entries))
	for i := range entries {
		out[i] = entries[i].Port
	}
	return out, nil
}

// ReadWPI reads the World Port Index CSV as LoadWPI does, keeping the
// region, harbour size and type, and the depths ("Channel Depth (m)",
// "Cargo Pier Depth (m)", "Oil Terminal Depth (m)") of each port.
func ReadWPI(r io.Reader) ([]WPIEntry, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("trajectory: WPI header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")] = i
	}
	need := []string{"Main Port Name", "UN/LOCODE", "Latitude", "Longitude"}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return nil, fmt.Errorf("trajectory: WPI CSV has no %q column", n)
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []WPIEntry
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			continue
		}
		if err != nil {
			return nil, err
		}
		lat, err1 := strconv.ParseFloat(get(rec, "Latitude"), 64)
		lon, err2 := strconv.ParseFloat(get(rec, "Longitude"), 64)
		if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
			continue
		}
		size := get(rec, "Harbor Size")
		radius := float64(DefaultPortRadius)
		if r, ok := harbourRadius[strings.ToLower(size)]; ok {
			radius = r
		}
		depth := 0.0
		for _, c := range []string{"Channel Depth (m)", "Cargo Pier Depth (m)", "Oil Terminal Depth (m)"} {
			if d, err := strconv.ParseFloat(get(rec, c), 64); err == nil && d > depth && d < 100 {
				depth = d
			}
		}
		out = append(out, WPIEntry{
			Port: Port{
				Locode: strings.ReplaceAll(get(rec, "UN/LOCODE"), " ", ""), Name: get(rec, "Main Port Name"),
				Country: get(rec, "Country Code"), Lat: lat, Lon: lon, Radius: radius,
			},
			Region: get(rec, "Region Name"), HarbourSize: size, HarbourType: get(rec, "Harbor Type"), Depth: depth,
		})
	}
	return out, nil
}

// LoadPortsGeoJSON reads ports from a GeoJSON FeatureCollection of Points
// with properties "port" or "locode" (UN/LOCODE), "name", "cty" or
// "country", and optionally "radius" in metres. Features of other
// geometry types are skipped. (It decodes with encoding/json rather than
// orb/geojson, whose BSON support would triple the WebAssembly module.)
func LoadPortsGeoJSON(data []byte) ([]Port, error) {
	fs, err := LoadPortFeatures(data)
	if err != nil {
		return nil, err
	}
	out := make([]Port, len(fs))
	for i := range fs {
		out[i] = fs[i].Port
	}
	return out, nil
}

// PortFeature is a port read from GeoJSON with all of its feature's
// properties (e.g. MARNET's "to_cty", the countries a port has liner
// services to, or the "weight" that `portolan simulate --ports-out` writes).
type PortFeature struct {
	Port
	Properties map[string]any
}

// LoadPortFeatures reads ports as LoadPortsGeoJSON does, with their
// properties.
func LoadPortFeatures(data []byte) ([]PortFeature, error) {
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Geometry *struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, fmt.Errorf("trajectory: ports GeoJSON: %w", err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, fmt.Errorf("trajectory: ports GeoJSON: type %q, want a FeatureCollection", fc.Type)
	}
	var out []PortFeature
	for i, f := range fc.Features {
		if f.Geometry == nil || f.Geometry.Type != "Point" {
			continue
		}
		var c []float64
		if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil || len(c) < 2 {
			return nil, fmt.Errorf("trajectory: ports GeoJSON: feature %d: a point needs [lon, lat]", i)
		}
		port := Port{Lon: c[0], Lat: c[1], Radius: DefaultPortRadius}
		port.Locode = firstString(f.Properties, "port", "locode")
		port.Name = firstString(f.Properties, "name")
		port.Country = firstString(f.Properties, "cty", "country")
		if r, ok := f.Properties["radius"].(float64); ok && r > 0 {
			port.Radius = r
		}
		if port.Lon > 180 {
			port.Lon -= 360
		}
		out = append(out, PortFeature{Port: port, Properties: f.Properties})
	}
	return out, nil
}

func firstString(p map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := p[k].(string); ok {
			return s
		}
	}
	return ""
}

// LoadPortsFile reads a port list by file extension: .csv is World Port
// Index CSV, .geojson or .json is GeoJSON points.
func LoadPortsFile(path string) ([]Port, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return LoadWPI(bytes.NewReader(data))
	case ".geojson", ".json":
		return LoadPortsGeoJSON(data)
	}
	return nil, fmt.Errorf("trajectory: %s: want a .csv (World Port Index) or .geojson port list", path)
}

// SortByLocode orders ports by UN/LOCODE (then name), the order the
// vocabulary of a model uses, so that the same catalogue always gives the
// same class ids.
func SortByLocode(list []Port) {
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].Locode != list[j].Locode {
			return list[i].Locode < list[j].Locode
		}
		return list[i].Name < list[j].Name
	})
}
