package main

import (
	"errors"
	"flag"
	"io"
)

// errUsage reports a usage error whose message the flag set has printed.
var errUsage = errors.New("usage")

// newFlags returns a flag set that prints its usage to stderr and whose
// parse errors become errUsage.
func newFlags(name, args string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fs.Output().Write([]byte("usage: portolan " + name + " " + args + "\n"))
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args and checks the number of positional arguments.
func parse(fs *flag.FlagSet, args []string, nargs int) error {
	if err := fs.Parse(args); err != nil {
		return errUsage // the flag set has printed the problem or the help
	}
	if nargs >= 0 && fs.NArg() != nargs {
		fs.Usage()
		return errUsage
	}
	return nil
}
