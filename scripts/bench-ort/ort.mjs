// The ONNX Runtime runner of `make bench-ort`: runs one case (a directory
// written by export.py) with onnxruntime-node or onnxruntime-web and prints
// one JSON line in the runner protocol internal/benchort reads: cold start,
// per-run wall times, CPU time, peak RSS and the case's compared outputs.
//
//   node ort.mjs --modules DIR --backend node|web --case DIR [--threads 1]
//                [--warmup-ms 1000] [--min-ms 2000] [--min-runs 10]
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { runCase } from "./ortcase.mjs";

const t0 = process.hrtime.bigint();
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc, []));
const threads = Number(args.threads ?? 1);
const warmupMs = Number(args["warmup-ms"] ?? 1000);
const minMs = Number(args["min-ms"] ?? 2000);
const minRuns = Number(args["min-runs"] ?? 10);
const require = createRequire(resolve(args.modules, "package.json"));
const pkg = args.backend === "web" ? "onnxruntime-web" : "onnxruntime-node";
const ort = require(pkg);
const version = JSON.parse(readFileSync(resolve(args.modules, "node_modules", pkg, "package.json"), "utf8")).version;
const man = JSON.parse(readFileSync(join(args.case, "manifest.json"), "utf8"));

const now = () => Number(process.hrtime.bigint() - t0) / 1e6;
let cpu0;
let cpu;
const r = await runCase(ort, man, async (file) => {
  const buf = readFileSync(join(args.case, file));
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}, readFileSync(man.onnx), {
  web: args.backend === "web", threads, warmupMs, minMs, minRuns, now,
  timed: (start) => {
    if (start) cpu0 = process.cpuUsage();
    else cpu = process.cpuUsage(cpu0);
  },
});
const line = JSON.stringify({
  runner: "onnxruntime-" + args.backend, version, threads,
  load_ms: r.load_ms, first_ms: r.first_ms, cold_ms: r.tFirst,
  warmup_runs: r.warmup_runs, times_ms: r.times_ms, cpu_ms_per_run: (cpu.user + cpu.system) / 1000 / r.times_ms.length,
  peak_rss_kb: process.resourceUsage().maxRSS, outputs: r.outputs,
}) + "\n";
// exit once the line is flushed (a pipe takes large writes asynchronously;
// exiting at once would cut them, and onnxruntime-web's workers would keep
// the process alive without an exit)
process.stdout.write(line, () => process.exit(0));
