// WAY and TD latency of the module in Node (in a Worker, and on the
// calling thread) and in headless Chromium (in a Web Worker), after a
// time-based warm-up, over several rounds that alternate the hosts;
// prints each run as JSON on stderr and a Markdown table of the medians
// (docs/BENCHMARKS.md):
//
//   node wasm/js/bench/run.mjs [--rounds 3] [--warmup 3] [--measure 3] [--wasm build/wasm/portolan.wasm]

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Portolan } from '../src/index.js';
import { serveDemo, root } from '../demo/serve.mjs';
import { browserType, launch } from '../test/chromium.js';
import { bench } from './workload.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const rounds = Number(arg('rounds', 3));
const opts = { warmupMs: 1000 * Number(arg('warmup', 3)), measureMs: 1000 * Number(arg('measure', 3)) };
const wasm = path.resolve(arg('wasm', path.join(root, 'build/wasm/portolan.wasm')));
const td = (rel) => readFileSync(path.join(root, 'testdata', rel));
const data = { way: td('models/way-demo.portolan'), td: td('models/td-demo.portolan'), nmea: td('ais/sample.nmea'), csv: td('series/sample.csv').toString() };

const outDir = path.join(root, 'build/js-bench');
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'bench.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="bench.js"></script>\n');
const server = await serveDemo({
  wasm, outDir, entries: { bench: path.join(import.meta.dirname, 'page.js') },
  extraRoutes: { '/bench.html': path.join(outDir, 'bench.html'), '/bench.js': path.join(outDir, 'bench.js') },
});
const browser = await launch(await browserType());
const results = { 'Node (Worker)': [], 'Node (calling thread)': [], 'Chromium (Web Worker)': [] };
try {
  const page = await browser.ctx.newPage();
  await page.goto(`${server.url}bench.html`);
  await page.waitForFunction(() => window.benchReady === true);
  for (let r = 0; r < rounds; r++) {
    for (const host of Object.keys(results)) {
      let res;
      if (host.startsWith('Chromium')) res = await page.evaluate((o) => window.bench(o), opts);
      else res = await bench(Portolan, { wasm, worker: host === 'Node (Worker)' }, data, opts);
      console.error(JSON.stringify({ round: r, host, ...res }));
      results[host].push(res);
    }
  }
} finally {
  await browser.close();
  await server.close();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms < 1000 ? `${ms.toPrecision(3)} ms` : `${(ms / 1000).toPrecision(3)} s`);
const any = Object.values(results)[0][0];
console.log(`| host | WAY: MMSI ${any.way.mmsi} (${any.way.cells} cells) | TD: ${any.td.series}, 20 samples | create (read + compile) | first open (start + load WAY) |`);
console.log('| --- | --- | --- | --- | --- |');
for (const [host, rs] of Object.entries(results)) {
  console.log(`| ${host} | ${fmt(median(rs.map((x) => x.way.median_ms)))} | ${fmt(median(rs.map((x) => x.td.median_ms)))} | ` +
    `${fmt(median(rs.map((x) => x.compile_ms)))} | ${fmt(median(rs.map((x) => x.start_and_load_ms)))} |`);
}
