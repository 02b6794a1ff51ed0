// Command portolan inspects and converts model bundles, decodes AIS, and
// runs the models. Run "portolan help" for the list of commands.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"inspect":  {"print a bundle's kind, producer, config and tensors", runInspect},
	"convert":  {"rewrite a bundle with f32, f16 or int8 weights", runConvert},
	"decode":   {"decode AIS NMEA to JSON lines or CSV, with statistics", runDecode},
	"simulate": {"simulate a fleet and write its AIS as NMEA or MarineCadastre CSV", runSimulate},
	"voyages":  {"split AIS tracks into port-to-port voyages (GeoJSON or JSON lines)", runVoyages},
	"prepare":  {"write training shards: WAY from AIS files, td from series files", runPrepare},
	"predict":  {"predict vessel destinations and ETAs from AIS with a WAY model", runPredict},
	"forecast": {"forecast time series with Monte Carlo temporal-dropout uncertainty", runForecast},
	"evaluate": {"score a model on labelled data (td: accuracy and calibration; way: accuracy by progress, ETA, baselines)", runEvaluate},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit code: 0 on
// success, 1 when the command failed, 2 for a usage error.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "portolan: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	if err := c.run(args[1:], stdout, stderr); err != nil {
		if err == errUsage {
			return 2
		}
		fmt.Fprintf(stderr, "portolan %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: portolan <command> [flags] [args]")
	fmt.Fprintln(w)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'portolan <command> -h' for a command's flags.")
}
