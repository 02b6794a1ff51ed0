package main

import (
	"fmt"
	"io"

	"github.com/portolan-sdk/portolan/export"
)

func runConvert(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("convert", "--dtype f32|f16|int8 IN.portolan OUT.portolan", stderr)
	dtype := fs.String("dtype", "f16", "weight storage: f32, f16, or int8 (int8 for matrices of 16×16 or more, f16 for smaller ones, vectors stay f32)")
	if err := parse(fs, args, 2); err != nil {
		return err
	}
	dt := export.DType(*dtype)
	if dt.Size() == 0 {
		return fmt.Errorf("unknown --dtype %q (want f32, f16 or int8)", *dtype)
	}
	in, err := export.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	out, err := in.Convert(dt)
	if err != nil {
		return err
	}
	if err := export.WriteFile(fs.Arg(1), out); err != nil {
		return err
	}
	before, after := tensorBytes(in), tensorBytes(out)
	fmt.Fprintf(stdout, "wrote %s: %s weights, %d -> %d bytes (%.0f%%)\n", fs.Arg(1), dt, before, after, 100*float64(after)/float64(max(before, 1)))
	return nil
}

func tensorBytes(b *export.Bundle) int {
	n := 0
	for i := range b.Tensors {
		n += len(b.Tensors[i].Data) + 4*len(b.Tensors[i].Scales)
	}
	return n
}
