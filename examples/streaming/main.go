// Command streaming replays an AIS feed as if it were live through an
// sdk.Manager, which keeps one prediction stream per vessel: each position
// updates only the newest grid cell of its vessel's model input. The
// manager bounds what it holds (vessels idle for six hours of feed time
// are let go, and the least recently heard when the streams' memory passes
// 64 MiB), and the replay survives what real feeds carry: stations that
// are not ships (base stations, aids to navigation), vessels in port,
// positions without a time, late or impossible ones, damaged lines.
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
	"sync/atomic"
	"time"

	"github.com/portolan-sdk/portolan/sdk"
	"github.com/portolan-sdk/portolan/trajectory/ais"
)

func main() {
	model := flag.String("model", "testdata/models/way-demo.portolan", "WAY bundle")
	feed := flag.String("ais", "testdata/ais/sample.nmea", "AIS feed to replay: NMEA, MarineCadastre, DMA or generic CSV")
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
	// the reader merges static data into positions as they arrive, and
	// counts what it could not use instead of stopping at it
	r, err := ais.OpenPositions(f, ais.Options{})
	if err != nil {
		return err
	}
	// a replay measures idle time on the feed's clock (a live feed keeps
	// the default, the wall clock)
	var clock atomic.Int64
	mgr, err := d.NewManager(sdk.NewManagerConfig().WithIdle(6 * time.Hour).WithMaxBytes(64 << 20).
		WithClock(func() time.Time { return time.Unix(0, clock.Load()) }))
	if err != nil {
		return err
	}
	ctx := context.Background()
	latest := map[uint32]*sdk.Prediction{}
	positions, updates, failed := 0, 0, 0
	for {
		pos, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		positions++
		if t := pos.Time.UnixNano(); !pos.Time.IsZero() && t > clock.Load() {
			clock.Store(t)
		}
		p, err := mgr.Push(ctx, pos)
		switch {
		case errors.Is(err, sdk.ErrNoVoyage):
			delete(latest, pos.MMSI) // in port, too few positions yet, or not a ship
		case err != nil:
			failed++ // a broken model (sdk.ErrOutput): reported, the replay goes on
			delete(latest, pos.MMSI)
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
	st := mgr.Stats()
	var evicted int64
	for _, n := range st.Evicted {
		evicted += n
	}
	fmt.Fprintf(w, "%d positions: %d updates for %d vessels (%d held at most, %d let go); %d from stations that are not ships, %d dropped by cleaning, %d failed\n",
		positions, updates, len(latest), st.Peak, evicted, st.NotShip, st.Dropped, failed)
	if a, ok := r.(ais.Accounter); ok {
		acc := a.Account()
		fmt.Fprintf(w, "input: %d %s read, %d skipped, %d dropped\n", acc.Read, acc.Unit, sum(acc.Skipped), sum(acc.Dropped))
	}
	for _, k := range mmsis {
		p := latest[k]
		fmt.Fprintf(w, "%d bound for %s (%.0f%%) after %d cells\n", k, p.Top[0].Locode, 100*p.Top[0].Prob, p.Cells)
	}
	return nil
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
