// Portolan's WebAssembly runner of `make bench-ort` in Node: runs the
// benchmark program compiled to WebAssembly (internal/benchort built with
// GOOS=wasip1 GOARCH=wasm and the portolan_accel tag) under Node's WASI,
// with the SIMD128 kernel module linked (--kernels FILE) or none
// (--kernels none), and prints its runner line with the cold start
// counted from this process's start (compiling the module included) and
// this process's peak RSS.
//
//   node wasm.mjs --wasm FILE --kernels FILE|none run --case DIR [runner protocol flags]
import { WASI } from 'node:wasi';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelImports, simdSupported } from '../../wasm/js/src/kernels.js';

const argv = process.argv.slice(2);
const opt = {};
while (argv[0] === '--wasm' || argv[0] === '--kernels') {
  opt[argv[0].slice(2)] = argv[1];
  argv.splice(0, 2);
}
if (!opt.wasm || !opt.kernels) {
  console.error('usage: node wasm.mjs --wasm FILE --kernels FILE|none run [flags]');
  process.exit(2);
}
if (opt.kernels !== 'none' && !simdSupported()) {
  console.error('this Node has no WebAssembly SIMD128');
  process.exit(1);
}
const guest = await WebAssembly.compile(readFileSync(opt.wasm));
const kernels = opt.kernels === 'none' ? null : await WebAssembly.compile(readFileSync(opt.kernels));
const k = kernelImports(guest, kernels);
const dir = mkdtempSync(join(tmpdir(), 'bench-wasm-'));
const outFile = join(dir, 'out');
const out = openSync(outFile, 'w');
const wasi = new WASI({ version: 'preview1', args: ['benchort', ...argv], env: {}, preopens: { '/': '/' }, returnOnExit: true, stdout: out });
const inst = await WebAssembly.instantiate(guest, { wasi_snapshot_preview1: wasi.getImportObject().wasi_snapshot_preview1, portolan_accel: k.imports });
k.link(inst.exports);
const before = performance.now(); // ms since this process started
const code = wasi.start(inst);
closeSync(out);
const lines = readFileSync(outFile, 'utf8').trim().split('\n');
rmSync(dir, { recursive: true });
if (code !== 0) {
  console.error(lines.join('\n'));
  process.exit(code);
}
const res = JSON.parse(lines[lines.length - 1]);
res.cold_ms += before;
res.peak_rss_kb = process.resourceUsage().maxRSS;
process.stdout.write(JSON.stringify(res) + '\n');
