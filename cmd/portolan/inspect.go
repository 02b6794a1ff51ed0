package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/portolan-sdk/portolan/export"
	"github.com/portolan-sdk/portolan/sdk"
)

func runInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", "FILE.portolan", stderr)
	if err := parse(fs, args, 1); err != nil {
		return err
	}
	path := fs.Arg(0)
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() && st.Size() > export.HeaderSize+export.MaxBodySize {
		return fmt.Errorf("%s: %w: %d bytes, more than any bundle may hold", path, export.ErrTooLarge, st.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	b, err := export.Unmarshal(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := printSummary(stdout, path, len(data), b); err != nil {
		return err
	}
	if b.Kind == "way" || b.Kind == "td" {
		// well formed is not enough: the runtime checks the config against its limits (docs/MODELS.md)
		m, err := sdk.OpenBytesWithConfig(data, sdk.NewConfig().WithMaxBundleBytes(export.HeaderSize+export.MaxBodySize))
		if err == nil && b.Kind == "td" {
			// and a forecast's working memory, which a config within every
			// limit can still make gigabytes, against forecast's own cap
			_, err = m.Forecaster(sdk.NewConfig())
		}
		if err != nil {
			return fmt.Errorf("%s: the bundle is well formed, but the runtime refuses its model: %w", path, err)
		}
	}
	return nil
}

// printSummary writes a human-readable description of a valid bundle.
func printSummary(w io.Writer, path string, size int, b *export.Bundle) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "file\t%s (%d bytes)\n", path, size)
	fmt.Fprintf(tw, "format\t%s\n", b.Version)
	fmt.Fprintf(tw, "kind\t%s\n", b.Kind)
	p := b.Producer
	prod := strings.TrimSpace(p.Tool + " " + p.Version)
	if p.Framework != "" {
		prod += " (" + p.Framework + ")"
	}
	if !p.Created.IsZero() {
		prod += ", " + p.Created.Format(time.RFC3339)
	}
	fmt.Fprintf(tw, "producer\t%s\n", prod)
	fmt.Fprintf(tw, "checksum\tok (CRC-32C verified)\n")
	for _, k := range b.Config.Keys() {
		fmt.Fprintf(tw, "config\t%s = %v\n", k, b.Config[k])
	}
	pp := b.Preprocessing
	if len(pp.Features) > 0 {
		scaled := ""
		if len(pp.Mean) > 0 {
			scaled = ", standard-scaled"
		}
		fmt.Fprintf(tw, "features\t%d%s: %s\n", len(pp.Features), scaled, strings.Join(pp.Features, " "))
	}
	if pp.Grid != nil {
		fmt.Fprintf(tw, "grid\t%s, %g°\n", pp.Grid.System, pp.Grid.ResolutionDeg)
	}
	if len(pp.ShipTypes) > 0 {
		fmt.Fprintf(tw, "ship types\t%d\n", len(pp.ShipTypes))
	}
	if len(pp.Ports) > 0 {
		var ex []string
		for _, port := range pp.Ports[:min(3, len(pp.Ports))] {
			ex = append(ex, strings.TrimSpace(port.Locode+" "+port.Name))
		}
		if len(pp.Ports) > len(ex) {
			ex = append(ex, "…")
		}
		fmt.Fprintf(tw, "ports\t%d (%s)\n", len(pp.Ports), strings.Join(ex, ", "))
	}
	if len(pp.PortAreas) > 0 {
		lo, hi := math.Inf(1), 0.0
		for _, a := range pp.PortAreas {
			lo, hi = math.Min(lo, a.RadiusM), math.Max(hi, a.RadiusM)
		}
		fmt.Fprintf(tw, "port areas	%d, radius %g–%g km\n", len(pp.PortAreas), lo/1000, hi/1000)
	}
	if v := pp.Visit; v != nil {
		fmt.Fprintf(tw, "visits	at most %g knots for at least %v\n", v.MaxSpeedKnots, time.Duration(v.MinDwellS*float64(time.Second)))
	}
	for _, k := range slices.Sorted(maps.Keys(p.Metrics)) {
		fmt.Fprintf(tw, "metric\t%s = %.6g\n", k, p.Metrics[k])
	}
	fmt.Fprintf(tw, "tensors\t%d, %d parameters, %d bytes\n", len(b.Tensors), b.NumParams(), tensorBytes(b))
	if err := tw.Flush(); err != nil {
		return err
	}

	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  name\tdtype\tshape\tbytes")
	for i := range b.Tensors {
		t := &b.Tensors[i]
		fmt.Fprintf(tw, "  %s\t%s\t%v\t%d\n", t.Name, t.DType, t.Shape, len(t.Data)+4*len(t.Scales))
	}
	return tw.Flush()
}
