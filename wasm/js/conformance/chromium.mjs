// The conformance target "wasm in Chromium" (docs/CONFORMANCE.md): the
// module runs in a page of headless Chromium (Debian's /usr/bin/chromium
// through playwright-core), in a Web Worker, served from 127.0.0.1; every
// vector goes through its conformance export; one JSON result per line.
//
//   node wasm/js/conformance/chromium.mjs [--target chromium] [--wasm build/wasm/portolan.wasm] [--kernels simd128|none] VECTORS_DIR MODELS_DIR

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { serveDemo, root } from '../demo/serve.mjs';
import { browserType, launch } from '../test/chromium.js';
import { listVectors, parseArgs, resultLine } from './vectors.mjs';

const opts = parseArgs(process.argv.slice(2), 'chromium');
const vectors = listVectors(...opts.dirs);
const outDir = path.join(root, 'build/js-test/conformance');
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'conformance.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="conformance.js"></script>\n');
const routes = {
  '/conformance.html': path.join(outDir, 'conformance.html'),
  '/conformance.js': path.join(outDir, 'conformance.js'),
};
vectors.forEach((v, i) => {
  routes[`/v/${i}.vectors`] = v.path;
  if (v.model) routes[`/v/${i}.model`] = v.model;
});
const server = await serveDemo({
  wasm: path.resolve(opts.wasm), outDir, extraRoutes: routes, entries: { conformance: path.join(import.meta.dirname, 'page.js') },
});
const browser = await launch(await browserType());
try {
  const page = await browser.ctx.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${server.url}conformance.html?kernels=${opts.kernels}`);
  await page.waitForFunction(() => window.conformanceReady === true, null, { timeout: 60_000 });
  for (const [i, v] of vectors.entries()) {
    let line;
    try {
      if (v.error) throw new Error(v.error);
      const answer = await page.evaluate(([a, b]) => window.conformance(a, b), [`/v/${i}.vectors`, `/v/${i}.model`]);
      line = resultLine(opts.target, v.name, answer);
    } catch (e) {
      line = resultLine(opts.target, v.name, null, [e.message.split('\n')[0], ...pageErrors].join('; '));
    }
    process.stdout.write(line + '\n');
  }
} finally {
  await browser.close();
  await server.close();
}
