// The page of the Chromium runner (chromium.mjs): runs one benchmark case
// in headless Chromium, either Portolan's benchmark program compiled to
// WebAssembly under the browser WASI shim with the SIMD128 kernels linked
// (runPortolan), or onnxruntime-web (runORT). The page is cross-origin
// isolated (COOP/COEP), as onnxruntime-web's threaded build needs.

import { WASI, File, Directory, OpenFile, PreopenDirectory, ConsoleStdout } from '@bjorn3/browser_wasi_shim';
import { kernelImports } from '../../wasm/js/src/kernels.js';
import { runCase } from './ortcase.mjs';

async function fetchBytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.arrayBuffer();
}

// tree builds the shim's directory tree holding files ({absolute path: bytes}).
function tree(files) {
  const root = new Map();
  for (const [p, data] of Object.entries(files)) {
    const parts = p.split('/').filter(Boolean);
    let dir = root;
    for (const d of parts.slice(0, -1)) {
      if (!dir.has(d)) dir.set(d, new Directory(new Map()));
      dir = dir.get(d).contents;
    }
    dir.set(parts[parts.length - 1], new File(new Uint8Array(data), { readonly: true }));
  }
  return new PreopenDirectory('/', root);
}

// runPortolan runs the program with args; files maps the absolute paths it
// reads to URLs. Returns its stdout lines and how long it took to start
// (fetching and compiling, ms).
window.runPortolan = async ({ wasm, kernels, args, files }) => {
  const entry = performance.now();
  const data = {};
  await Promise.all(Object.entries(files).map(async ([p, url]) => { data[p] = await fetchBytes(url); }));
  const guest = await WebAssembly.compile(await fetchBytes(wasm));
  const k = kernelImports(guest, kernels ? await WebAssembly.compile(await fetchBytes(kernels)) : null);
  const out = [];
  const err = [];
  const wasi = new WASI(['benchort', ...args], [], [new OpenFile(new File([])), ConsoleStdout.lineBuffered((l) => out.push(l)),
    ConsoleStdout.lineBuffered((l) => err.push(l)), tree(data)], { debug: false });
  const inst = await WebAssembly.instantiate(guest, { wasi_snapshot_preview1: wasi.wasiImport, portolan_accel: k.imports });
  k.link(inst.exports);
  const started = performance.now() - entry;
  const code = wasi.start(inst);
  if (code !== 0) throw new Error(`exit ${code}: ${err.join('\n')}`);
  return { lines: out, started };
};

// runORT runs the case with onnxruntime-web (one thread, wasm backend).
// Its tFirst counts from the call.
window.runORT = async ({ ortURL, manifest, caseURL, modelURL, opts }) => {
  const entry = performance.now();
  const ort = await import(/* webpackIgnore: true */ ortURL);
  ort.env.wasm.wasmPaths = new URL('./', new URL(ortURL, location.href)).href;
  const r = await runCase(ort, manifest, (file) => fetchBytes(caseURL + file), new Uint8Array(await fetchBytes(modelURL)),
    { ...opts, web: true, now: () => performance.now() - entry });
  return { ...r, isolated: crossOriginIsolated };
};
window.benchReady = true;
