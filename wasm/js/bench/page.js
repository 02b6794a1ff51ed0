// The Chromium side of the benchmark (run.mjs): window.bench runs the
// workloads with the module in a Web Worker of this page.

import { Portolan } from '../src/index.js';
import { bench } from './workload.js';

async function bytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

window.bench = async (opts) => {
  const [way, td, nmea, csv] = await Promise.all([bytes('data/way-demo.portolan'), bytes('data/td-demo.portolan'),
    bytes('data/sample.nmea'), fetch('data/sample.csv').then((r) => r.text())]);
  return bench(Portolan, { wasm: new URL('portolan.wasm', location.href) }, { way, td, nmea, csv }, opts);
};
window.benchReady = true;
