package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// runner is one column of the comparison: a program that speaks the
// runner protocol, with its thread count.
type runner struct {
	ID       string   // short name, e.g. "portolan-1t"
	Name     string   // column label
	Threads  int      //
	Argv     []string // the command; the protocol's flags follow
	WarmupMs float64  // time-based warm-up before timing
	Portolan bool     // a Portolan build (compared with the ORT-native reference)
	Ref      bool     // onnxruntime-node: the reference of its thread count
	Wasm     bool     // a WebAssembly column: reported in its own tables (report.wasmTables)
}

// The WebAssembly columns (one thread): Portolan's benchmark program
// compiled to WebAssembly in Node (without and with the SIMD128 kernels),
// in Chromium with them beside onnxruntime-web in the same browser, and as
// a wazero plugin with the host's native kernels and with the SIMD128
// module. Their ratios are taken against onnxruntime-web in the same
// engine and against native Portolan.
const (
	idWasmNode       = "portolan-wasm-node-1t"
	idSIMDNode       = "portolan-simd128-node-1t"
	idSIMDChromium   = "portolan-simd128-chromium-1t"
	idORTWebChromium = "ort-web-chromium-1t"
	idWazeroHost     = "portolan-wazero-host-1t"
	idWazeroSIMD     = "portolan-wazero-simd128-1t"
)

// wasmRunners are the WebAssembly columns: dir holds portolan.wasm (this
// program built for wasip1 with the portolan_accel tag) and
// portolan-native; kernels is the SIMD128 kernel module.
func wasmRunners(dir, kernels string, chromium bool) []runner {
	wasm := filepath.Join(dir, "portolan.wasm")
	node := func(k string) []string {
		return []string{"node", "--no-warnings", "scripts/bench-ort/wasm.mjs", "--wasm", wasm, "--kernels", k, "run"}
	}
	wazero := func(k string) []string {
		return []string{filepath.Join(dir, "portolan-native"), "wazero", "--wasm", wasm, "--kernels", k, "--kernel-module", kernels,
			"--cache", filepath.Join(dir, "wazero-cache"), "run"}
	}
	// V8 tiers WebAssembly up in the background: warm up for 6 s as for onnxruntime-web
	rs := []runner{
		{ID: idWasmNode, Name: "Portolan wasm, Node", Threads: 1, Argv: node("none"), WarmupMs: 6000, Portolan: true, Wasm: true},
		{ID: idSIMDNode, Name: "Portolan SIMD128, Node", Threads: 1, Argv: node(kernels), WarmupMs: 6000, Portolan: true, Wasm: true},
	}
	if chromium {
		page := func(backend string) []string {
			return []string{"node", "scripts/bench-ort/chromium.mjs", "--backend", backend, "--wasm", wasm, "--kernels", kernels, "--modules", dir}
		}
		rs = append(rs,
			runner{ID: idSIMDChromium, Name: "Portolan SIMD128, Chromium", Threads: 1, Argv: page("portolan"), WarmupMs: 6000, Portolan: true, Wasm: true},
			runner{ID: idORTWebChromium, Name: "ORT web, Chromium", Threads: 1, Argv: page("ort"), WarmupMs: 6000, Wasm: true})
	}
	return append(rs,
		runner{ID: idWazeroHost, Name: "Portolan wazero + host kernels", Threads: 1, Argv: wazero("host"), WarmupMs: 1000, Portolan: true, Wasm: true},
		runner{ID: idWazeroSIMD, Name: "Portolan wazero + SIMD128", Threads: 1, Argv: wazero("simd128"), WarmupMs: 1000, Portolan: true, Wasm: true})
}

// runners lists the columns: Portolan native and noasm (this binary's
// siblings built by scripts/bench-ort/run.sh), onnxruntime-node and
// onnxruntime-web, at each thread count. onnxruntime-web warms up for 6 s
// because V8 first runs its wasm with the baseline compiler and tiers up
// in the background (notes/onnx-comparison.md).
func runners(dir, script string, threads []int) []runner {
	node := func(backend string) []string {
		return []string{"node", script, "--modules", dir, "--backend", backend}
	}
	var out []runner
	for _, t := range threads {
		out = append(out, runner{ID: fmt.Sprintf("portolan-%dt", t), Name: "Portolan", Threads: t,
			Argv: []string{filepath.Join(dir, "portolan-native"), "run"}, WarmupMs: 1000, Portolan: true})
		if t == 1 {
			out = append(out, runner{ID: "portolan-noasm-1t", Name: "Portolan noasm", Threads: t,
				Argv: []string{filepath.Join(dir, "portolan-noasm"), "run"}, WarmupMs: 1000, Portolan: true})
		}
		out = append(out,
			runner{ID: fmt.Sprintf("ort-node-%dt", t), Name: "ORT node", Threads: t, Argv: node("node"), WarmupMs: 1000, Ref: true},
			runner{ID: fmt.Sprintf("ort-web-%dt", t), Name: "ORT web", Threads: t, Argv: node("web"), WarmupMs: 6000})
	}
	return out
}

// savedRun is the --json file: a run's machine and results, from which
// --from renders the report again.
type savedRun struct {
	Env     env                             `json:"env"`
	Results map[string]map[string][]*Result `json:"results"` // case → runner → rounds
}

// caseResults are one case's results: per runner, one Result per round.
type caseResults struct {
	man      *Manifest
	expected []float64
	byRunner map[string][]*Result
}

func compareCmd(args []string) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	dir := fs.String("dir", "build/bench-ort", "directory export.py and run.sh filled")
	script := fs.String("script", "scripts/bench-ort/ort.mjs", "the ONNX Runtime runner")
	rounds := fs.Int("rounds", 5, "rounds (each runs every runner on every case once)")
	minMs := fs.Float64("min-ms", 1500, "least timed time per run, ms")
	minRuns := fs.Int("min-runs", 10, "least timed runs per run")
	threadList := fs.String("threads", "1,2", "thread counts")
	only := fs.String("cases", "", "comma-separated case names (default: all)")
	doc := fs.String("doc", "docs/BENCHMARKS.md", "document whose bench-ort section is rewritten ('' to skip)")
	svg := fs.String("svg", "docs/bench-ort.svg", "plot to write ('' to skip)")
	jsonOut := fs.String("json", "", "also write every raw result here")
	command := fs.String("command", "", "the command to name in the report (default: this one)")
	from := fs.String("from", "", "render the report from a --json file of an earlier run instead of running")
	wasm := fs.Bool("wasm", true, "add the WebAssembly columns (--dir must hold portolan.wasm)")
	kernels := fs.String("kernels", "wasm/kernels/portolan_accel.wasm", "the SIMD128 kernel module of the WebAssembly columns")
	chromium := fs.Bool("chromium", true, "add the Chromium columns (headless Chromium through wasm/js's playwright-core)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var threads []int
	for _, f := range strings.Split(*threadList, ",") {
		t, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || t < 1 {
			return fmt.Errorf("--threads %q", *threadList)
		}
		threads = append(threads, t)
	}
	var list struct {
		Cases []string `json:"cases"`
		Torch string   `json:"torch"`
		Opset int      `json:"opset"`
	}
	data, err := os.ReadFile(filepath.Join(*dir, "cases.json"))
	if err != nil {
		return fmt.Errorf("%w (run scripts/bench-ort/export.py first)", err)
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return err
	}
	env := machine(list.Torch, list.Opset)
	var cases []*caseResults
	for _, name := range list.Cases {
		if *only != "" && !strings.Contains(","+*only+",", ","+name+",") {
			continue
		}
		man, err := readManifest(filepath.Join(*dir, "cases", name))
		if err != nil {
			return err
		}
		exp, err := man.expected()
		if err != nil {
			return err
		}
		cases = append(cases, &caseResults{man: man, expected: exp, byRunner: map[string][]*Result{}})
	}
	rs := runners(*dir, *script, threads)
	if *wasm {
		rs = append(rs, wasmRunners(*dir, *kernels, *chromium)...)
	}
	if *from != "" {
		var saved savedRun
		data, err := os.ReadFile(*from)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &saved); err != nil {
			return fmt.Errorf("%s: %w", *from, err)
		}
		env = saved.Env
		for _, c := range cases {
			c.byRunner = saved.Results[c.man.Name]
		}
	} else {
		env.LoadStart = loadAvg()
		started := time.Now()
		for r := 0; r < *rounds; r++ {
			for _, c := range cases {
				for _, rn := range rs {
					res, err := runOnce(rn, c.man.dir, *minMs, *minRuns)
					if err != nil {
						return fmt.Errorf("round %d, %s, %s: %w", r+1, c.man.Name, rn.ID, err)
					}
					if len(res.Outputs) != len(c.expected) {
						return fmt.Errorf("%s, %s: %d outputs, want %d", c.man.Name, rn.ID, len(res.Outputs), len(c.expected))
					}
					c.byRunner[rn.ID] = append(c.byRunner[rn.ID], res)
					fmt.Fprintf(os.Stderr, "round %d/%d  %-22s %-18s median %8.2f ms  cpu %8.2f ms  max error %.1e\n",
						r+1, *rounds, c.man.Name, rn.ID, res.Median(), res.CPUMsRun, maxError(res.Outputs, c.expected))
				}
			}
		}
		env.LoadEnd = loadAvg()
		env.Took = time.Since(started).Round(time.Second)
		env.Rounds, env.MinMs, env.MinRuns = *rounds, *minMs, *minRuns
		env.Command = *command
		if fi, err := os.Stat(*kernels); err == nil && *wasm {
			env.KernelModuleBytes = fi.Size()
		}
		if env.Command == "" {
			env.Command = "benchort compare " + strings.Join(args, " ")
		}
	}
	if *jsonOut != "" && *from == "" {
		saved := savedRun{Env: env, Results: map[string]map[string][]*Result{}}
		for _, c := range cases {
			saved.Results[c.man.Name] = c.byRunner
		}
		data, _ := json.MarshalIndent(saved, "", " ")
		if err := os.WriteFile(*jsonOut, data, 0o644); err != nil {
			return err
		}
	}
	rep := report{env: env, runners: rs, cases: cases, threads: threads, svgName: filepath.Base(*svg)}
	if *svg != "" {
		if err := os.WriteFile(*svg, []byte(rep.svg()), 0o644); err != nil {
			return err
		}
	}
	md := rep.markdown()
	if *doc == "" {
		fmt.Print(md)
		return nil
	}
	return rewriteSection(*doc, md)
}

// runOnce runs one runner on one case and parses its JSON line.
func runOnce(rn runner, caseDir string, minMs float64, minRuns int) (*Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	caseDir, err := filepath.Abs(caseDir) // the WebAssembly runners see the file system from /
	if err != nil {
		return nil, err
	}
	argv := append(append([]string(nil), rn.Argv...), "--case", caseDir, "--threads", strconv.Itoa(rn.Threads),
		"--warmup-ms", fmt.Sprint(rn.WarmupMs), "--min-ms", fmt.Sprint(minMs), "--min-runs", strconv.Itoa(minRuns))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS="+strconv.Itoa(rn.Threads), "OPENBLAS_NUM_THREADS=1")
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	res := &Result{}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), res); err != nil {
		return nil, fmt.Errorf("runner output: %w", err)
	}
	if len(res.TimesMs) == 0 {
		return nil, fmt.Errorf("runner timed no run")
	}
	return res, nil
}

// maxError is the largest |got − want| / max(1, |want|): absolute for
// logits and small values, relative for ETA hours and target-unit values.
func maxError(got, want []float64) float64 {
	var worst float64
	for i, w := range want {
		e := math.Abs(got[i]-w) / math.Max(1, math.Abs(w))
		if math.IsNaN(e) {
			return math.Inf(1)
		}
		worst = math.Max(worst, e)
	}
	return worst
}
