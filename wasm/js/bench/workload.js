// The latency workloads of docs/BENCHMARKS.md, the same as wasm/host's
// BenchmarkWAY and BenchmarkTD: WAY predicts the sample's first vessel
// (lowest MMSI) from its whole track with the default top 5; TD forecasts
// the first series of the sample with 20 Monte Carlo samples, seed 1.
// Shared by Node (node.mjs) and Chromium (page.js).

import { readSeriesCSV } from '../src/series.js';

// measure runs fn for warmupMs (V8 compiles WebAssembly in tiers: the
// first calls run baseline code while the optimised code is built), then
// for at least measureMs and minRuns, and returns the per-call times.
async function measure(fn, { warmupMs, measureMs, minRuns }) {
  let t0 = performance.now();
  let warmup = 0;
  while (performance.now() - t0 < warmupMs) {
    await fn();
    warmup++;
  }
  const times = [];
  t0 = performance.now();
  while (times.length < minRuns || performance.now() - t0 < measureMs) {
    const s = performance.now();
    await fn();
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  return { median_ms: q(0.5), p10_ms: q(0.1), p90_ms: q(0.9), runs: times.length, warmup_runs: warmup };
}

/**
 * Runs both workloads on a client. data holds the bytes of way-demo and
 * td-demo, the NMEA sample and the series CSV text.
 */
export async function bench(Portolan, createOpts, data, opts = {}) {
  const o = { warmupMs: 3000, measureMs: 3000, minRuns: 5, ...opts };
  let t = performance.now();
  const pt = await Portolan.create(createOpts);
  const compileMs = performance.now() - t;
  try {
    t = performance.now();
    const way = await pt.open(data.way); // starts the instance
    const startMs = performance.now() - t;
    const td = await pt.open(data.td);
    const ps = await pt.decodeAIS(data.nmea);
    const first = ps.reduce((m, p) => Math.min(m, p.mmsi), Infinity);
    const track = ps.filter((p) => p.mmsi === first);
    const d = way.destinations();
    const [v] = await d.predict(track);
    const set = readSeriesCSV(data.csv).match(td.features);
    const f = td.forecaster({ samples: 20, seed: 1 });
    const series = [set.series(0)];
    return {
      compile_ms: compileMs,
      start_and_load_ms: startMs,
      way: { mmsi: first, positions: track.length, cells: v.prediction?.cells, ...await measure(() => d.predict(track), o) },
      td: { series: set.ids[0], ...await measure(() => f.forecast(series), o) },
    };
  } finally {
    pt.close();
  }
}
