// The demo page in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core): it loads, predicts the sample's destinations and
// forecasts the sample series in the page, and what it shows equals the
// native CLI's answers; a picked file is predicted as the CLI predicts it;
// Stop ends a long forecast and the page recovers; no request leaves
// 127.0.0.1. Screenshots go to build/js-test/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { browserType, launch } from './chromium.js';
import { missing, native, root, wasmPath } from './helpers.js';

// Tolerances: the page shows probabilities in percent with one decimal and
// forecast means with two decimals; the values behind them (data-*
// attributes) agree with the native CLI within 1e-5 (probabilities) and a
// relative 1e-5 (means), as in module.test.js.
const PROB_ABS = 1e-5;
const MEAN_REL = 1e-5;

const out = path.join(root, 'build/js-test');

let skip = missing([wasmPath]);
let chromium;
if (!skip) {
  try {
    chromium = await browserType();
  } catch (e) {
    if (process.env.CI) throw e;
    skip = e.message;
  }
}
skip ||= false;

let server;
let browser;
let page;
const requests = [];
const errors = [];

before(async () => {
  if (skip) return;
  mkdirSync(out, { recursive: true });
  const { serveDemo } = await import('../demo/serve.mjs');
  server = await serveDemo({ wasm: wasmPath, outDir: path.join(out, 'demo') });
  browser = await launch(chromium);
  page = await browser.ctx.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: 240_000 });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// shownVessels reads each vessel's top destination as the page shows it.
function shownVessels() {
  return page.$$eval('.vessel', (items) => items.map((v) => {
    const top = v.querySelector('.dest[data-rank="0"]');
    return {
      mmsi: Number(v.dataset.mmsi),
      locode: top?.dataset.locode ?? null,
      prob: top ? Number(top.dataset.prob) : null,
      text: top?.querySelector('.prob').textContent ?? null,
      eta: Number(v.querySelector('.eta')?.dataset.etaHours ?? NaN),
    };
  }));
}

function sameAsNative(shown, want) {
  const withPrediction = want.filter((w) => w.prediction);
  assert.ok(withPrediction.length >= 1);
  assert.equal(shown.length, want.length);
  for (const w of withPrediction) {
    const s = shown.find((x) => x.mmsi === w.mmsi);
    assert.ok(s, `vessel ${w.mmsi} is listed`);
    const top = w.prediction.destinations[0];
    const second = w.prediction.destinations[1];
    // the same top-1 port, unless the CLI's top two are within tolerance
    if (s.locode !== top.locode) assert.ok(second && Math.abs(top.prob - second.prob) <= 2 * PROB_ABS, `vessel ${w.mmsi}: ${s.locode} vs ${top.locode}`);
    assert.ok(Math.abs(s.prob - top.prob) <= PROB_ABS, `vessel ${w.mmsi}: probability ${s.prob} vs ${top.prob}`);
    const pct = Number(s.text.replace('%', ''));
    assert.ok(Math.abs(pct - 100 * top.prob) <= 0.05 + 100 * PROB_ABS, `vessel ${w.mmsi}: shows ${s.text}, the CLI ${top.prob}`);
    assert.ok(Math.abs(s.eta - w.prediction.eta_hours) <= 1e-5 + 1e-5 * w.prediction.eta_hours, `vessel ${w.mmsi}: ETA`);
  }
}

test('the demo page shows the native CLI\'s top destinations, probabilities and forecast means', { skip }, async () => {
  assert.deepEqual(errors, []);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'done', await page.textContent('#status'));
  const want = await native('predict', '--model', 'testdata/models/way-demo.portolan', '--ais', 'testdata/ais/sample.nmea', '--top', '3');
  sameAsNative(await shownVessels(), want);

  const fc = await native('forecast', '--model', 'testdata/models/td-demo.portolan', '--series', 'testdata/series/sample.csv',
    '--samples', '20', '--seed', '1');
  const rows = await page.$$eval('#fc-table tbody tr', (trs) => trs.map((tr) => ({
    id: tr.dataset.id, mean: Number(tr.dataset.mean), text: tr.querySelector('.mean').textContent,
  })));
  assert.deepEqual(rows.map((r) => r.id), fc.map((f) => f.id));
  rows.forEach((r, i) => {
    const m = fc[i].mean;
    assert.ok(Math.abs(r.mean - m) <= MEAN_REL * Math.abs(m), `${r.id}: mean ${r.mean} vs ${m}`);
    assert.ok(Math.abs(Number(r.text) - m) <= 0.005 + MEAN_REL * Math.abs(m), `${r.id}: shows ${r.text}, the CLI ${m}`);
  });
  // one band group per series in the chart
  assert.equal(await page.locator('#chart g.series').count(), fc.length);
  // the map drew land, the ports and a track per vessel
  assert.ok((await page.getAttribute('.land path', 'd')).length > 100_000);
  assert.ok(await page.locator('.port').count() >= 10);
  assert.equal(await page.locator('.overlay [data-mmsi] .track').count() > 0, true);
  await page.screenshot({ path: path.join(out, 'demo.png'), fullPage: true });
});

test('a picked AIS file is predicted as the CLI predicts it', { skip }, async () => {
  const lines = readFileSync(path.join(root, 'testdata/ais/sample.nmea'), 'utf8').split('\n');
  const file = path.join(out, 'first-half.nmea');
  writeFileSync(file, lines.slice(0, lines.length >> 1).join('\n'));
  const want = await native('predict', '--model', 'testdata/models/way-demo.portolan', '--ais', file, '--top', '3');
  await page.setInputFiles('#ais-file', file);
  await page.waitForFunction(() => document.body.dataset.ais === 'done' && document.getElementById('ais-name').textContent === 'first-half.nmea');
  sameAsNative(await shownVessels(), want);
  // selecting a vessel highlights it on the map
  const first = want.find((w) => w.prediction).mmsi;
  await page.click(`.vessel[data-mmsi="${first}"]`);
  // the map redraws on the next animation frame: the vessel's track and marker groups are highlighted
  await page.waitForFunction((m) => document.querySelectorAll(`.overlay g.on[data-mmsi="${m}"]`).length === 2, first);
  assert.equal(await page.locator('.vessel.selected').getAttribute('data-mmsi'), String(first));
  await page.screenshot({ path: path.join(out, 'demo-picked.png') });
});

test('Stop ends a long forecast; the next one runs on a new instance', { skip }, async () => {
  await page.fill('#fc-samples', '10000');
  await page.click('#fc-form button[type=submit]');
  await page.waitForFunction(() => document.body.dataset.forecast === 'running' && !document.getElementById('stop').disabled);
  await page.waitForTimeout(300);
  await page.click('#stop');
  await page.waitForFunction(() => document.body.dataset.forecast === 'error');
  assert.match(await page.textContent('#status'), /Stopped/);
  await page.fill('#fc-samples', '20');
  await page.click('#fc-form button[type=submit]');
  await page.waitForFunction(() => document.body.dataset.forecast === 'done', null, { timeout: 120_000 });
  assert.equal(await page.locator('#fc-table tbody tr').count(), 12);
});

test('nothing is fetched from anywhere but the page\'s own server', { skip }, () => {
  assert.ok(requests.length >= 8);
  for (const u of requests) assert.ok(u.startsWith(server.url), u);
  assert.deepEqual(errors, []);
});
