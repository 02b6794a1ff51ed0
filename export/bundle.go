package export

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"time"
)

// Bundle is a model bundle in memory.
type Bundle struct {
	// Version is the format version the bundle was read with. Write ignores
	// it and always writes CurrentVersion.
	Version Version
	// Kind names the model family, such as "way" or "td".
	Kind string
	// Config holds the kind-specific hyperparameters (sizes, rates, options).
	Config Config
	// Preprocessing is what turns raw inputs into the model's inputs.
	Preprocessing Preprocessing
	// Tensors are the weights, in the order the producer wrote them.
	Tensors []Tensor
	// Producer describes who made the bundle and how well it scored.
	Producer Producer
}

// Preprocessing holds the data the runtime needs to build model inputs
// exactly as the trainer did.
type Preprocessing struct {
	// Features names the input features in order. Mean and Std, when set,
	// hold one standard-scaling statistic per feature: x' = (x - Mean) / Std.
	Features  []string
	Mean, Std []float32
	// Grid, when set, is the spatial grid the model's cells live on.
	Grid *Grid
	// ShipTypes is the ship-type vocabulary: index i is embedding row i.
	ShipTypes []string
	// Ports is the port vocabulary: index i is destination class i.
	Ports []Port
	// PortAreas is the port catalogue the training voyages were cut with:
	// a vessel stopped inside one of these circles is visiting that port.
	// Empty in bundles written before format 1.1; runtimes then use the
	// vocabulary ports at a 5 km radius.
	PortAreas []PortArea
	// Visit holds the rules that make a stop in a port area a visit; nil in
	// bundles written before format 1.1 (runtimes then use the defaults of
	// trajectory.VisitConfig: 1 knot, 30 minutes).
	Visit *VisitRules
}

// PortArea is one entry of a port catalogue: a circle around a port.
type PortArea struct {
	Locode   string  // UN/LOCODE without the space; may be empty
	Name     string  // human-readable name
	Lat, Lon float64 // centre, degrees WGS84
	RadiusM  float64 // radius in metres, 0 < RadiusM < 100000
}

// VisitRules say when a stop in a port area is a port visit: the vessel
// moves at or below MaxSpeedKnots, and its stopped points span at least
// MinDwellS seconds.
type VisitRules struct {
	MaxSpeedKnots float64
	MinDwellS     float64
}

// Grid describes a spatial grid such as GEOREF at a given resolution.
type Grid struct {
	System        string  // e.g. "georef"
	ResolutionDeg float64 // cell size in degrees; the default is 1
}

// Port is one entry of a port vocabulary.
type Port struct {
	Locode   string  // UN/LOCODE without the space, e.g. "NLRTM"; may be empty
	Name     string  // human-readable name
	Lat, Lon float64 // degrees, WGS84
}

// Producer describes the tool and run that made a bundle.
type Producer struct {
	Tool      string             // e.g. "portolan_train"
	Version   string             // the tool's version
	Framework string             // e.g. "torch 1.13.1"
	Created   time.Time          // when the bundle was written (UTC, second precision)
	Metrics   map[string]float64 // training and evaluation metrics
	Extra     map[string]string  // anything else worth keeping
}

// Tensor returns the tensor with the given name, or ErrNoTensor.
func (b *Bundle) Tensor(name string) (*Tensor, error) {
	for i := range b.Tensors {
		if b.Tensors[i].Name == name {
			return &b.Tensors[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrNoTensor, name)
}

// NumParams returns the total element count of all tensors.
func (b *Bundle) NumParams() int64 {
	var n int64
	for i := range b.Tensors {
		n += int64(b.Tensors[i].NumElements())
	}
	return n
}

// Validate checks that the bundle's contents add up: a kind is set, tensor
// names are unique, every tensor's bytes match its shape and dtype, int8
// tensors carry one positive scale per output channel, float weights and
// statistics are finite, scaler statistics match the feature list, and
// vocabulary coordinates are on the globe. It returns an error wrapping
// ErrInvalid, naming the first problem found.
func (b *Bundle) Validate() error {
	if b.Kind == "" {
		return fmt.Errorf("%w: model kind is empty", ErrInvalid)
	}
	seen := make(map[string]bool, len(b.Tensors))
	for i := range b.Tensors {
		t := &b.Tensors[i]
		if seen[t.Name] {
			return fmt.Errorf("%w: duplicate tensor name %q", ErrInvalid, t.Name)
		}
		seen[t.Name] = true
		if err := t.Validate(); err != nil {
			return err
		}
	}
	if err := b.Preprocessing.validate(); err != nil {
		return err
	}
	return b.Config.validate()
}

func (p *Preprocessing) validate() error {
	for _, s := range []struct {
		name string
		v    []float32
	}{{"mean", p.Mean}, {"std", p.Std}} {
		if len(s.v) == 0 {
			continue
		}
		if len(s.v) != len(p.Features) {
			return fmt.Errorf("%w: preprocessing %s has %d values for %d features", ErrInvalid, s.name, len(s.v), len(p.Features))
		}
		for i, x := range s.v {
			if !isFinite32(x) || (s.name == "std" && x <= 0) {
				return fmt.Errorf("%w: preprocessing %s[%d] (%s) = %v", ErrInvalid, s.name, i, p.Features[i], x)
			}
		}
	}
	if len(p.Mean) != len(p.Std) {
		return fmt.Errorf("%w: preprocessing has %d means and %d stds", ErrInvalid, len(p.Mean), len(p.Std))
	}
	if g := p.Grid; g != nil {
		if !(g.ResolutionDeg > 0 && g.ResolutionDeg <= 90) {
			return fmt.Errorf("%w: grid resolution %v degrees", ErrInvalid, g.ResolutionDeg)
		}
	}
	for i, port := range p.Ports {
		if !onGlobe(port.Lat, port.Lon) {
			return fmt.Errorf("%w: port %d (%s) at lat %v lon %v", ErrInvalid, i, port.Locode, port.Lat, port.Lon)
		}
	}
	for i, a := range p.PortAreas {
		if !onGlobe(a.Lat, a.Lon) || !(a.RadiusM > 0 && a.RadiusM < MaxPortRadiusM) {
			return fmt.Errorf("%w: port area %d (%s %s) at lat %v lon %v radius %v m", ErrInvalid, i, a.Locode, a.Name, a.Lat, a.Lon, a.RadiusM)
		}
	}
	if v := p.Visit; v != nil {
		if !(v.MaxSpeedKnots > 0 && v.MaxSpeedKnots < 100) || !(v.MinDwellS >= 0 && v.MinDwellS <= 30*24*3600) {
			return fmt.Errorf("%w: visit rules max_speed_knots %v (0..100), min_dwell_s %v (0..30 days)", ErrInvalid, v.MaxSpeedKnots, v.MinDwellS)
		}
	}
	return nil
}

// MaxPortRadiusM bounds a port area's radius: 100 km.
const MaxPortRadiusM = 100000

func onGlobe(lat, lon float64) bool { return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 }

func isFinite32(x float32) bool { return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) }

// Config holds kind-specific settings. Values are nil, bool, int64,
// float64, string, []byte, []any or map[string]any (what msgpack decodes
// to); writers may also store other integer and float types, slices of
// them, and []string.
type Config map[string]any

// Int returns the integer at key, or def when the key is absent. A float
// with an integral value is accepted; anything else is an error.
func (c Config) Int(key string, def int) (int, error) {
	v, ok := c[key]
	if !ok {
		return def, nil
	}
	switch x := v.(type) {
	case int64:
		return int(x), nil
	case int:
		return x, nil
	case uint64:
		if x <= math.MaxInt32 {
			return int(x), nil
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= math.MaxInt32 {
			return int(x), nil
		}
	}
	return 0, fmt.Errorf("%w: config %q is %T %v, want an integer", ErrInvalid, key, v, v)
}

// Float returns the number at key, or def when the key is absent.
func (c Config) Float(key string, def float64) (float64, error) {
	v, ok := c[key]
	if !ok {
		return def, nil
	}
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	}
	return 0, fmt.Errorf("%w: config %q is %T %v, want a number", ErrInvalid, key, v, v)
}

// String returns the string at key, or def when the key is absent.
func (c Config) String(key, def string) (string, error) {
	v, ok := c[key]
	if !ok {
		return def, nil
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	return "", fmt.Errorf("%w: config %q is %T %v, want a string", ErrInvalid, key, v, v)
}

// Bool returns the boolean at key, or def when the key is absent.
func (c Config) Bool(key string, def bool) (bool, error) {
	v, ok := c[key]
	if !ok {
		return def, nil
	}
	if b, ok := v.(bool); ok {
		return b, nil
	}
	return false, fmt.Errorf("%w: config %q is %T %v, want a boolean", ErrInvalid, key, v, v)
}

// Keys returns the config keys in sorted order.
func (c Config) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (c Config) validate() error {
	for _, k := range c.Keys() {
		if err := validateValue(c[k], 0); err != nil {
			return fmt.Errorf("%w: config %q: %v", ErrInvalid, k, err)
		}
	}
	return nil
}

func validateValue(v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("nested deeper than %d", maxDepth)
	}
	switch x := v.(type) {
	case nil, bool, string, []byte, []string,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64,
		[]int, []int64, []float32, []float64:
		return nil
	case float32:
		if !isFinite32(x) {
			return fmt.Errorf("non-finite %v", x)
		}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("non-finite %v", x)
		}
	case []any:
		for _, e := range x {
			if err := validateValue(e, depth+1); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, e := range x {
			if err := validateValue(e, depth+1); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("unsupported type %T", v)
	}
	return nil
}

// putFloat32s encodes v as little-endian IEEE 754 binary32.
func putFloat32s(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// getFloat32s decodes little-endian binary32 values; len(b) must be a
// multiple of 4.
func getFloat32s(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}
