// Takes the README's screenshot of the demo page (docs/img/demo.png):
//
//   node wasm/js/demo/screenshot.mjs [OUT.png] [--wasm build/wasm/portolan.wasm]
//
// The page is served as make serve-demo serves it and shot in headless
// Chromium once the sample's destinations and forecasts are shown, then
// compressed with pngquant when it is installed.

import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { serveDemo, root } from './serve.mjs';
import { browserType, launch } from '../test/chromium.js';

const args = process.argv.slice(2);
const wi = args.indexOf('--wasm');
const wasm = path.resolve(wi >= 0 ? args.splice(wi, 2)[1] : path.join(root, 'build/wasm/portolan.wasm'));
const out = path.resolve(args[0] ?? path.join(root, 'docs/img/demo.png'));
const server = await serveDemo({ wasm, outDir: path.join(root, 'build/js-test/screenshot') });
const browser = await launch(await browserType(), { width: 1280, height: 980 });
try {
  const page = await browser.ctx.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: 240_000 });
  // the whole page in one viewport, so the sticky status bar sits at its foot
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: 1280, height });
  await page.waitForTimeout(500); // the map redraws on the next animation frame
  await page.screenshot({ path: out });
  // pngquant, where installed, makes the file about three times smaller
  const q = spawnSync('pngquant', ['--force', '--skip-if-larger', '--quality=70-95', '--output', out, out]);
  console.log(`${out}: ${statSync(out).size} bytes${q.status === 0 ? ' (pngquant)' : ''}`);
} finally {
  await browser.close();
  await server.close();
}
