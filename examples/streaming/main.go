// Command streaming replays an AIS feed as if it were live and keeps one
// prediction stream per vessel: each position updates only the newest grid
// cell of the model's input.
//
//	go run ./examples/streaming -model testdata/models/way-demo.portolan -ais testdata/ais/sample.nmea
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"sort"

	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

func main() {
	model := flag.String("model", "testdata/models/way-demo.portolan", "WAY bundle")
	feed := flag.String("ais", "testdata/ais/sample.nmea", "NMEA feed to replay")
	flag.Parse()
	if err := run(*model, *feed, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(modelPath, feedPath string, w io.Writer) error {
	m, err := sdk.Open(modelPath)
	if err != nil {
		return err
	}
	d, err := m.Destinations(sdk.NewConfig().WithTopK(1))
	if err != nil {
		return err
	}
	f, err := os.Open(feedPath)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx := context.Background()
	// an NMEA reader with a tracker merges static data into positions as they arrive
	r := ais.NewReader(f, ais.Options{})
	tracker := ais.NewTracker()
	streams := map[uint32]*sdk.Stream{}
	latest := map[uint32]*sdk.Prediction{}
	updates := 0
	for {
		msg, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		pos, ok := tracker.Update(msg)
		if !ok {
			continue
		}
		s := streams[pos.MMSI]
		if s == nil {
			if s, err = d.NewStream(pos.MMSI, pos.Static.ShipType); err != nil {
				return err
			}
			streams[pos.MMSI] = s
		}
		p, err := s.Push(ctx, &pos)
		switch {
		case errors.Is(err, sdk.ErrNoVoyage):
			delete(latest, pos.MMSI) // in port
		case err != nil:
			return err
		default:
			latest[pos.MMSI] = p
			updates++
		}
	}
	var mmsis []uint32
	for k := range latest {
		mmsis = append(mmsis, k)
	}
	sort.Slice(mmsis, func(i, j int) bool { return mmsis[i] < mmsis[j] })
	fmt.Fprintf(w, "%d updates for %d vessels\n", updates, len(streams))
	for _, k := range mmsis {
		p := latest[k]
		fmt.Fprintf(w, "%d bound for %s (%.0f%%) after %d cells\n", k, p.Top[0].Locode, 100*p.Top[0].Prob, p.Cells)
	}
	return nil
}
