package trajectory

import (
	"os"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/portolan-sdk/portolan/internal/shareddata"
	"github.com/stretchr/testify/require"
)

func TestLoadPortsGeoJSON(t *testing.T) {
	data := []byte(`{"type":"FeatureCollection","features":[
	 {"type":"Feature","geometry":{"type":"Point","coordinates":[4.14,51.95]},"properties":{"port":"NLRTM","name":"Rotterdam","cty":"NL","radius":8000}},
	 {"type":"Feature","geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]},"properties":{"name":"lane"}},
	 {"type":"Feature","geometry":{"type":"Point","coordinates":[183.5,-17.7,0]},"properties":{"locode":"FJSUV","country":"FJ"}}]}`)
	got, err := LoadPortsGeoJSON(data)
	require.NoError(t, err)
	require.Equal(t, []Port{
		{Locode: "NLRTM", Name: "Rotterdam", Country: "NL", Lat: 51.95, Lon: 4.14, Radius: 8000},
		{Locode: "FJSUV", Country: "FJ", Lat: -17.7, Lon: 183.5 - 360, Radius: DefaultPortRadius},
	}, got)

	for _, bad := range []string{`{"type":"Feature"}`, `[1,2]`, `{"type":"FeatureCollection","features":[{"geometry":{"type":"Point","coordinates":[1]}}]}`} {
		_, err := LoadPortsGeoJSON([]byte(bad))
		require.Error(t, err, bad)
	}
}

// TestLoadPortsGeoJSONMatchesOrb reads the MARNET port list and compares
// every port with what orb's GeoJSON decoder finds.
func TestLoadPortsGeoJSONMatchesOrb(t *testing.T) {
	data, err := os.ReadFile(shareddata.Path(t, "searoute-marnet/ports.geojson"))
	require.NoError(t, err)
	got, err := LoadPortsGeoJSON(data)
	require.NoError(t, err)
	fc, err := geojson.UnmarshalFeatureCollection(data)
	require.NoError(t, err)
	var want []Port
	for _, f := range fc.Features {
		pt, ok := f.Geometry.(orb.Point)
		if !ok {
			continue
		}
		p := Port{Lat: pt.Lat(), Lon: pt.Lon(), Radius: DefaultPortRadius,
			Locode: firstString(f.Properties, "port", "locode"), Name: firstString(f.Properties, "name"),
			Country: firstString(f.Properties, "cty", "country")}
		if r, ok := f.Properties["radius"].(float64); ok && r > 0 {
			p.Radius = r
		}
		if p.Lon > 180 {
			p.Lon -= 360
		}
		want = append(want, p)
	}
	require.Greater(t, len(want), 3000)
	require.Equal(t, want, got)
}

func TestReadWPI(t *testing.T) {
	csv := "\ufeffOID_,Region Name,Main Port Name,UN/LOCODE,Country Code,Harbor Size,Harbor Type,Channel Depth (m),Cargo Pier Depth (m),Oil Terminal Depth (m),Latitude,Longitude\n" +
		"1,Netherlands -- 1,Rotterdam,NL RTM,Netherlands,Large,River (Natural),12.5,11.0,23.2,51.9,4.1\n" +
		"2,Nowhere -- 2,Nodepth,,Atlantis,, ,x,,,10,-20\n" +
		"3,Bad -- 3,Offglobe,XXOFF,X,Small,,1,1,1,95,0\n"
	got, err := ReadWPI(strings.NewReader(csv))
	require.NoError(t, err)
	require.Equal(t, []WPIEntry{
		{Port: Port{Locode: "NLRTM", Name: "Rotterdam", Country: "Netherlands", Lat: 51.9, Lon: 4.1, Radius: 10000},
			Region: "Netherlands -- 1", HarbourSize: "Large", HarbourType: "River (Natural)", Depth: 23.2},
		{Port: Port{Name: "Nodepth", Country: "Atlantis", Lat: 10, Lon: -20, Radius: DefaultPortRadius}, Region: "Nowhere -- 2"},
	}, got)
	ports, err := LoadWPI(strings.NewReader(csv))
	require.NoError(t, err)
	require.Equal(t, []Port{got[0].Port, got[1].Port}, ports)
}

func TestLoadPortFeatures(t *testing.T) {
	data := []byte(`{"type":"FeatureCollection","features":[
	 {"type":"Feature","geometry":{"type":"Point","coordinates":[4.14,51.95]},"properties":{"port":"NLRTM","to_cty":["GB","US"],"weight":9.4}}]}`)
	got, err := LoadPortFeatures(data)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, Port{Locode: "NLRTM", Lat: 51.95, Lon: 4.14, Radius: DefaultPortRadius}, got[0].Port)
	require.Equal(t, []any{"GB", "US"}, got[0].Properties["to_cty"])
	require.Equal(t, 9.4, got[0].Properties["weight"])
}
