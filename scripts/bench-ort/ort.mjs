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

function load(spec) {
  const buf = readFileSync(join(args.case, spec.file));
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  switch (spec.dtype) {
    case "float32": return new ort.Tensor("float32", new Float32Array(ab), spec.shape);
    case "int64": return new ort.Tensor("int64", new BigInt64Array(ab), spec.shape);
    default: throw new Error("dtype " + spec.dtype);
  }
}

const ms = (a, b) => Number(b - a) / 1e6;
const options = { executionMode: "sequential", graphOptimizationLevel: "all", intraOpNumThreads: threads, interOpNumThreads: 1 };
if (args.backend === "web") {
  ort.env.wasm.numThreads = threads;
  options.executionProviders = ["wasm"];
}
const tLoad = process.hrtime.bigint();
const session = await ort.InferenceSession.create(readFileSync(man.onnx), options);
const tSession = process.hrtime.bigint();
const inputs = man.kind === "way"
  ? { spacetime: load(man.inputs.spacetime), sub_x: load(man.inputs.sub_x), sub_len: load(man.inputs.sub_len),
      ship: load(man.inputs.ship), departure: load(man.inputs.departure) }
  : { x: load(man.inputs.x), u: load(man.inputs.u) };
// onnxruntime-web refuses feeds that are not graph inputs (the exporter drops unused ones)
const feeds = Object.fromEntries(session.inputNames.map((n) => [n, inputs[n]]));
let out = await session.run(feeds);
const tFirst = process.hrtime.bigint();

function compared(o) {
  if (man.kind === "way") {
    const { B, L } = man;
    const lg = o.logits.data, eta = o.eta.data;
    const P = lg.length / (B * L);
    const v = [];
    for (let b = 0; b < B; b++) for (let p = 0; p < P; p++) v.push(lg[(b * L + L - 1) * P + p]);
    for (let i = 0; i < B * L; i++) v.push(eta[i] * man.eta_scale);
    return v;
  }
  const mu = [...o.mu.data].map((m) => m * man.y_std + man.y_mean);
  const vr = [...o.logvar.data].map((l) => Math.exp(l) * man.y_std * man.y_std);
  return [...mu, ...vr];
}

const w0 = process.hrtime.bigint();
let warm = 0;
while (ms(w0, process.hrtime.bigint()) < warmupMs || warm < 3) {
  out = await session.run(feeds);
  warm++;
}
const times = [];
const cpu0 = process.cpuUsage();
const s0 = process.hrtime.bigint();
while ((times.length < minRuns || ms(s0, process.hrtime.bigint()) < minMs) && times.length < 2000) {
  const a = process.hrtime.bigint();
  out = await session.run(feeds);
  times.push(ms(a, process.hrtime.bigint()));
}
const cpu = process.cpuUsage(cpu0);
const line = JSON.stringify({
  runner: "onnxruntime-" + args.backend, version, threads,
  load_ms: ms(tLoad, tSession), first_ms: ms(tSession, tFirst), cold_ms: ms(t0, tFirst),
  warmup_runs: warm, times_ms: times, cpu_ms_per_run: (cpu.user + cpu.system) / 1000 / times.length,
  peak_rss_kb: process.resourceUsage().maxRSS, outputs: compared(out),
}) + "\n";
// exit once the line is flushed (a pipe takes large writes asynchronously;
// exiting at once would cut them, and onnxruntime-web's workers would keep
// the process alive without an exit)
process.stdout.write(line, () => process.exit(0));
