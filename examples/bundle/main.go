// Command bundle writes a small model bundle, reads it back and prints a
// summary: the smallest use of the export package.
//
//	go run ./examples/bundle -out /tmp/tiny.portolan
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/portolan-sdk/portolan/export"
)

func main() {
	out := flag.String("out", "tiny.portolan", "where to write the bundle")
	flag.Parse()
	if err := run(*out, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(path string, w io.Writer) error {
	// A 3 → 2 linear layer: y = W x + b.
	b := &export.Bundle{
		Kind:   "linear",
		Config: export.Config{"in": int64(3), "out": int64(2)},
		Preprocessing: export.Preprocessing{
			Features: []string{"sog", "cog", "heading"},
			Mean:     []float32{10, 180, 180},
			Std:      []float32{5, 104, 104},
		},
		Tensors: []export.Tensor{
			export.NewF32("weight", []int{2, 3}, []float32{0.5, -0.25, 0.125, 1, 0, -1}),
			export.NewF32("bias", []int{2}, []float32{0.1, -0.1}),
		},
		Producer: export.Producer{Tool: "examples/bundle", Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	if err := export.WriteFile(path, b); err != nil {
		return err
	}
	got, err := export.ReadFile(path)
	if err != nil {
		return err
	}
	weight, err := got.Tensor("weight")
	if err != nil {
		return err
	}
	v, err := weight.Float32s()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote and read back %s: kind %s, format %s, %d tensors, %d parameters\n",
		path, got.Kind, got.Version, len(got.Tensors), got.NumParams())
	fmt.Fprintf(w, "weight %v = %v\n", weight.Shape, v)
	return nil
}
