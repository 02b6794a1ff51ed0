// The Chromium runner of `make bench-ort`: one case in headless Chromium
// (Debian's /usr/bin/chromium through wasm/js's playwright-core), either
// Portolan's benchmark program compiled to WebAssembly with the SIMD128
// kernels (--backend portolan) or onnxruntime-web (--backend ort), one
// thread, in a cross-origin isolated page served from 127.0.0.1. Prints
// the runner protocol's JSON line; its cold start counts from this
// process's start (the browser's launch included).
//
//   node chromium.mjs --backend portolan|ort --wasm FILE --kernels FILE --modules DIR --case DIR [runner protocol flags]
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserType, launch } from '../../wasm/js/test/chromium.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const jsDir = path.join(root, 'wasm/js');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc, []));
const opts = {
  threads: Number(args.threads ?? 1), warmupMs: Number(args['warmup-ms'] ?? 1000),
  minMs: Number(args['min-ms'] ?? 2000), minRuns: Number(args['min-runs'] ?? 10),
};
if (opts.threads !== 1) throw new Error('the Chromium runner runs one thread');
const caseDir = path.resolve(args.case);
const man = JSON.parse(readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));

// the page's bundle
const out = path.join(root, 'build/bench-ort/page');
mkdirSync(out, { recursive: true });
const esbuild = createRequire(path.join(jsDir, 'package.json'))('esbuild');
await esbuild.build({
  entryPoints: { page: path.join(here, 'page.js') }, outdir: out, bundle: true, format: 'esm', platform: 'browser',
  target: 'es2022', nodePaths: [path.join(jsDir, 'node_modules')], logLevel: 'warning',
});

// every file the page may fetch: URL path → file
const routes = {
  '/': null,
  '/page.js': path.join(out, 'page.js'),
  '/portolan.wasm': path.resolve(args.wasm),
  '/portolan_accel.wasm': path.resolve(args.kernels),
  '/model.onnx': man.onnx,
  '/bundle': man.bundle,
  '/case/manifest.json': path.join(caseDir, 'manifest.json'),
};
for (const a of [...Object.values(man.inputs), man.expected]) routes[`/case/${a.file}`] = path.join(caseDir, a.file);
const ortDist = path.join(path.resolve(args.modules), 'node_modules/onnxruntime-web/dist');
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x').pathname;
  let file = routes[url];
  if (url.startsWith('/ort/') && !url.includes('..')) file = path.join(ortDist, url.slice(5));
  const headers = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cache-control': 'no-store' };
  try {
    const body = url === '/' ? Buffer.from('<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>\n') : await readFile(file);
    const type = url === '/' ? 'text/html' : TYPES[path.extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { ...headers, 'content-type': type });
    res.end(body);
  } catch {
    res.writeHead(404, headers).end();
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await launch(await browserType());
let result;
try {
  const page = await browser.ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(base + '/');
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 60_000 });
  const pageStart = performance.now();
  if (args.backend === 'portolan') {
    const files = { [path.join(caseDir, 'manifest.json')]: '/case/manifest.json', [man.bundle]: '/bundle' };
    for (const a of [...Object.values(man.inputs), man.expected]) files[path.join(caseDir, a.file)] = `/case/${a.file}`;
    const flags = ['run', '--case', caseDir, '--threads', '1', '--warmup-ms', String(opts.warmupMs), '--min-ms', String(opts.minMs),
      '--min-runs', String(opts.minRuns)];
    const r = await page.evaluate((a) => window.runPortolan(a), { wasm: '/portolan.wasm', kernels: '/portolan_accel.wasm', args: flags, files });
    result = JSON.parse(r.lines[r.lines.length - 1]);
    result.runner = 'portolan-chromium';
    result.cold_ms += pageStart + r.started; // the program's own clock starts when it does
  } else {
    const version = JSON.parse(readFileSync(path.join(ortDist, '../package.json'), 'utf8')).version;
    const r = await page.evaluate((a) => window.runORT(a), {
      ortURL: '/ort/ort.wasm.min.mjs', manifest: man, caseURL: '/case/', modelURL: '/model.onnx', opts,
    });
    if (!r.isolated) throw new Error('the page is not cross-origin isolated');
    result = {
      runner: 'onnxruntime-web-chromium', version, threads: 1, load_ms: r.load_ms, first_ms: r.first_ms, cold_ms: pageStart + r.tFirst,
      warmup_runs: r.warmup_runs, times_ms: r.times_ms, cpu_ms_per_run: 0, peak_rss_kb: 0, outputs: r.outputs,
    };
  }
  if (errors.length) process.stderr.write(errors.join('\n') + '\n');
} finally {
  await browser.close();
  server.close();
}
process.stdout.write(JSON.stringify(result) + '\n');
