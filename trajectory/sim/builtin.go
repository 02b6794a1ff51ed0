package sim

import (
	"github.com/paulmach/orb"
	"github.com/portolan-sdk/portolan/trajectory"
)

// BuiltinPorts are 18 European ports for the built-in lane network, so the
// simulator, the demo and the tests work without external data. Positions
// are at the port's seaward berths; radii follow the harbour's size.
var BuiltinPorts = []trajectory.Port{
	{Locode: "NLRTM", Name: "Rotterdam", Country: "Netherlands", Lat: 51.95, Lon: 4.05, Radius: 8000},
	{Locode: "BEANR", Name: "Antwerp", Country: "Belgium", Lat: 51.35, Lon: 4.25, Radius: 8000},
	{Locode: "DEHAM", Name: "Hamburg", Country: "Germany", Lat: 53.54, Lon: 9.93, Radius: 8000},
	{Locode: "DEBRV", Name: "Bremerhaven", Country: "Germany", Lat: 53.57, Lon: 8.54, Radius: 6000},
	{Locode: "GBFXT", Name: "Felixstowe", Country: "United Kingdom", Lat: 51.95, Lon: 1.33, Radius: 5000},
	{Locode: "GBSOU", Name: "Southampton", Country: "United Kingdom", Lat: 50.88, Lon: -1.40, Radius: 6000},
	{Locode: "FRLEH", Name: "Le Havre", Country: "France", Lat: 49.48, Lon: 0.12, Radius: 6000},
	{Locode: "DKAAR", Name: "Aarhus", Country: "Denmark", Lat: 56.15, Lon: 10.23, Radius: 5000},
	{Locode: "SEGOT", Name: "Gothenburg", Country: "Sweden", Lat: 57.69, Lon: 11.85, Radius: 6000},
	{Locode: "NOOSL", Name: "Oslo", Country: "Norway", Lat: 59.90, Lon: 10.73, Radius: 5000},
	{Locode: "PLGDN", Name: "Gdansk", Country: "Poland", Lat: 54.40, Lon: 18.67, Radius: 6000},
	{Locode: "ESBIO", Name: "Bilbao", Country: "Spain", Lat: 43.35, Lon: -3.05, Radius: 5000},
	{Locode: "PTLIS", Name: "Lisbon", Country: "Portugal", Lat: 38.70, Lon: -9.15, Radius: 5000},
	{Locode: "ESALG", Name: "Algeciras", Country: "Spain", Lat: 36.13, Lon: -5.43, Radius: 6000},
	{Locode: "ESBCN", Name: "Barcelona", Country: "Spain", Lat: 41.35, Lon: 2.17, Radius: 6000},
	{Locode: "FRMRS", Name: "Marseille", Country: "France", Lat: 43.33, Lon: 5.33, Radius: 6000},
	{Locode: "ITGOA", Name: "Genoa", Country: "Italy", Lat: 44.40, Lon: 8.92, Radius: 6000},
	{Locode: "GRPIR", Name: "Piraeus", Country: "Greece", Lat: 37.94, Lon: 23.62, Radius: 6000},
}

// builtinLanes are hand-drawn lanes between the BuiltinPorts, following
// the usual routes (Dover Strait, Skagerrak, Kiel and the Baltic, Biscay,
// Gibraltar, the western and central Mediterranean), as [lon, lat].
var builtinLanes = []orb.LineString{
	// North Sea trunk: Dover Strait – off Rotterdam – German Bight – Skagerrak
	{{1.6, 51.05}, {2.4, 51.45}, {3.6, 52.0}, {4.3, 53.0}, {6.5, 54.0}, {7.9, 54.05}, {7.0, 55.5}, {7.5, 57.0}, {10.7, 57.9}},
	{{3.6, 52.0}, {4.05, 51.95}},                                                           // Rotterdam
	{{2.4, 51.45}, {3.4, 51.45}, {4.25, 51.35}},                                            // Scheldt to Antwerp
	{{2.4, 51.45}, {1.7, 51.9}, {1.33, 51.95}},                                             // Felixstowe
	{{7.9, 54.05}, {8.3, 53.9}, {8.54, 53.57}},                                             // Weser to Bremerhaven
	{{8.3, 53.9}, {9.0, 53.85}, {9.93, 53.54}},                                             // Elbe to Hamburg
	{{10.7, 57.9}, {11.3, 57.4}, {11.85, 57.69}},                                           // Gothenburg
	{{10.7, 57.9}, {10.6, 59.0}, {10.73, 59.9}},                                            // Oslofjord
	{{11.3, 57.4}, {11.0, 56.5}, {10.23, 56.15}},                                           // Kattegat to Aarhus
	{{11.0, 56.5}, {11.0, 55.6}, {11.3, 54.65}, {14.5, 55.0}, {18.9, 54.7}, {18.67, 54.4}}, // Great Belt, Baltic, Gdansk
	// English Channel and Biscay
	{{1.6, 51.05}, {0.5, 50.5}, {-1.1, 50.6}, {-3.0, 49.9}, {-5.5, 48.6}},
	{{-1.1, 50.6}, {-1.40, 50.88}},            // Solent to Southampton
	{{0.5, 50.5}, {0.0, 49.6}, {0.12, 49.48}}, // Le Havre
	{{-5.5, 48.6}, {-6.5, 45.5}, {-9.8, 43.0}, {-9.6, 38.6}, {-9.2, 36.9}, {-7.0, 36.0}, {-5.6, 35.95}},
	{{-6.5, 45.5}, {-3.0, 43.6}, {-3.05, 43.35}}, // Bilbao
	{{-9.6, 38.6}, {-9.15, 38.7}},                // Lisbon
	{{-5.6, 35.95}, {-5.43, 36.13}},              // Algeciras
	// Mediterranean
	{{-5.6, 35.95}, {-3.0, 36.2}, {-1.0, 37.0}, {2.5, 39.5}, {2.3, 41.2}, {2.17, 41.35}}, // Barcelona
	{{2.5, 39.5}, {4.5, 42.4}, {5.2, 43.1}, {5.33, 43.33}},                               // Gulf of Lion to Marseille
	{{4.5, 42.4}, {8.0, 43.6}, {8.9, 44.2}, {8.92, 44.4}},                                // Ligurian Sea to Genoa
	{{-1.0, 37.0}, {3.0, 37.6}, {9.5, 38.0}, {12.0, 37.2}, {16.0, 36.5}, {20.0, 36.2}, {23.0, 36.0}, {23.5, 37.6}, {23.62, 37.94}},
}

// BuiltinNetwork returns the built-in lane network.
func BuiltinNetwork() *Network {
	n, err := NewNetwork(builtinLanes)
	if err != nil {
		panic(err) // static data
	}
	return n
}
