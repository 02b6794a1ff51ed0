// One benchmark case run with an ONNX Runtime object (onnxruntime-node or
// onnxruntime-web, in Node or a page): what ort.mjs and the Chromium page
// (page.js) share. read(name) returns a case file's bytes (an ArrayBuffer);
// web selects onnxruntime-web's wasm backend; now() is a clock in ms;
// timed(true) and timed(false) are called around
// the timed runs. The result has the runner protocol's fields that do not
// depend on the process (internal/benchort Result), and tFirst, the clock
// at the first result.
export async function runCase(ort, man, read, modelBytes, { web, threads, warmupMs, minMs, minRuns, now, timed = () => {} }) {
  function load(spec, buf) {
    switch (spec.dtype) {
      case 'float32': return new ort.Tensor('float32', new Float32Array(buf), spec.shape);
      case 'int64': return new ort.Tensor('int64', new BigInt64Array(buf), spec.shape);
      default: throw new Error('dtype ' + spec.dtype);
    }
  }
  const options = { executionMode: 'sequential', graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 };
  if (web) {
    ort.env.wasm.numThreads = threads;
    options.executionProviders = ['wasm'];
  }
  const tLoad = now();
  const session = await ort.InferenceSession.create(modelBytes, options);
  const tSession = now();
  const names = man.kind === 'way' ? ['spacetime', 'sub_x', 'sub_len', 'ship', 'departure'] : ['x', 'u'];
  const inputs = {};
  for (const n of names) inputs[n] = load(man.inputs[n], await read(man.inputs[n].file));
  // onnxruntime-web refuses feeds that are not graph inputs (the exporter drops unused ones)
  const feeds = Object.fromEntries(session.inputNames.map((n) => [n, inputs[n]]));
  let out = await session.run(feeds);
  const tFirst = now();
  const w0 = now();
  let warm = 0;
  while (now() - w0 < warmupMs || warm < 3) {
    out = await session.run(feeds);
    warm++;
  }
  const times = [];
  timed(true);
  const s0 = now();
  while ((times.length < minRuns || now() - s0 < minMs) && times.length < 2000) {
    const a = now();
    out = await session.run(feeds);
    times.push(now() - a);
  }
  timed(false);
  return {
    threads, load_ms: tSession - tLoad, first_ms: tFirst - tSession, tFirst,
    warmup_runs: warm, times_ms: times, outputs: compared(man, out),
  };
}

// compared returns the case's compared outputs (see export.py).
function compared(man, o) {
  if (man.kind === 'way') {
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
