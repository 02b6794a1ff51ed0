// Serves the demo page on 127.0.0.1 (make serve-demo):
//
//   node wasm/js/demo/serve.mjs [--port 8080] [--wasm build/wasm/portolan.wasm]
//
// It bundles the page and the worker with esbuild into build/demo, then
// serves a fixed table of files: the page, the bundles, the module, the
// demo bundles and samples from testdata, and the offline land outlines.
// Nothing else is reachable through it. The browser test and the Chromium
// conformance target start it with startServer.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
export const jsDir = path.resolve(here, '..');
export const root = path.resolve(jsDir, '../..');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json', '.json': 'application/json', '.wasm': 'application/wasm', '.portolan': 'application/octet-stream',
  '.nmea': 'text/plain; charset=utf-8', '.csv': 'text/csv; charset=utf-8',
};

/**
 * Bundles the page (demo/app.js) and the worker (src/worker.js), and any
 * extra entry points ({name: file}), into outDir.
 */
export async function bundle(outDir, entries = {}) {
  await esbuild.build({
    entryPoints: { app: path.join(here, 'app.js'), worker: path.join(jsDir, 'src/worker.js'), ...entries },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['node:*'], // the Node branches of index.js and worker.js never run in a page
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
}

/** The files the demo serves: URL path → file. */
export function demoRoutes({ wasm, outDir }) {
  const td = (rel) => path.join(root, 'testdata', rel);
  return {
    '/': path.join(here, 'index.html'),
    '/index.html': path.join(here, 'index.html'),
    '/style.css': path.join(here, 'style.css'),
    '/app.js': path.join(outDir, 'app.js'),
    '/app.js.map': path.join(outDir, 'app.js.map'),
    '/worker.js': path.join(outDir, 'worker.js'),
    '/worker.js.map': path.join(outDir, 'worker.js.map'),
    '/portolan.wasm': wasm,
    '/portolan_accel.wasm': path.join(path.dirname(wasm), 'portolan_accel.wasm'), // the SIMD128 kernels, found by default
    '/data/way-demo.portolan': td('models/way-demo.portolan'),
    '/data/td-demo.portolan': td('models/td-demo.portolan'),
    '/data/sample.nmea': td('ais/sample.nmea'),
    '/data/sample.csv': td('series/sample.csv'),
    '/data/land-50m.json': path.join(jsDir, 'node_modules/world-atlas/land-50m.json'),
  };
}

/**
 * Starts a server on host:port (port 0: any free one) for a route table
 * (URL path → file). Files are read on each request (no caching, so a
 * rebuilt module is served at once) and sent gzipped when the client
 * accepts it. Returns {url, close}.
 */
export async function startServer(routes, { host = '127.0.0.1', port = 0 } = {}) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const file = Object.hasOwn(routes, url.pathname) ? routes[url.pathname] : null;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    let body;
    try {
      body = await readFile(file);
    } catch (e) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`${url.pathname}: ${e.code ?? e.message}\n`);
      return;
    }
    const headers = { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' };
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '') && body.length > 1024) {
      body = gzipSync(body, { level: 6 });
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const a = server.address();
  return {
    url: `http://${a.address}:${a.port}/`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Bundles the demo and serves it; returns {url, close}. */
export async function serveDemo({ wasm = path.join(root, 'build/wasm/portolan.wasm'), outDir = path.join(root, 'build/demo'), port = 0, extraRoutes = {}, entries = {} } = {}) {
  await bundle(outDir, entries);
  return startServer({ ...demoRoutes({ wasm, outDir }), ...extraRoutes }, { port });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : def;
  };
  const s = await serveDemo({ wasm: path.resolve(arg('wasm', path.join(root, 'build/wasm/portolan.wasm'))), port: Number(arg('port', 8080)) });
  console.log(`Portolan demo: ${s.url}  (Ctrl-C stops it)`);
}
