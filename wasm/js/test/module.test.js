// The ES module in Node: load, decode, predict, streams and forecasts
// against the native CLI's answers, refusals, and a stuck or crashing
// guest stopped and replaced.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Portolan, PortolanError } from '../src/index.js';
import { readSeriesCSV, seriesKey } from '../src/series.js';
import { close, missing, native, read, testWasmPath, wasmPath } from './helpers.js';

// Tolerances against the native CLI, which runs the same Go code with SIMD
// kernels (the guest runs the generic ones, in float32): probabilities
// within 1e-5, hours and forecast statistics within a relative 1e-5 (with
// an absolute floor of 1e-5 h or units).
const PROB_ABS = 1e-5;
const REL = 1e-5;

const skip = missing([wasmPath, testWasmPath]) || false;

let pt;
let way;
let td;
before(async () => {
  if (skip) return;
  pt = await Portolan.create({ wasm: wasmPath });
  way = await pt.open(read('models/way-demo.portolan'));
  td = await pt.open(read('models/td-demo.portolan'));
});
after(() => pt?.close());

test('load: model kinds, features, ports', { skip }, () => {
  assert.equal(way.kind, 'way');
  assert.equal(td.kind, 'td');
  assert.ok(way.ports.length > 0);
  for (const p of way.ports) {
    assert.match(p.locode, /^[A-Z]{2}[A-Z0-9]{3}$/);
    assert.ok(Math.abs(p.lat) <= 90 && Math.abs(p.lon) <= 180);
  }
  assert.deepEqual(td.features, ['ndvi', 'ndwi', 'sar_vv', 'elevation', 'soil']);
  assert.equal(td.steps, 12);
});

test('decode AIS: positions with the schema fields', { skip }, async () => {
  const ps = await pt.decodeAIS(read('ais/sample.nmea'));
  assert.ok(ps.length > 1000, `${ps.length} positions`);
  for (const p of ps) {
    assert.equal(typeof p.mmsi, 'number');
    assert.ok(Math.abs(p.lat) <= 90 && Math.abs(p.lon) <= 180);
    assert.ok(!Number.isNaN(Date.parse(p.time)), p.time);
  }
  assert.ok(ps.some((p) => p.name && p.destination && p.ship_type != null));
  // the same answer from text as from bytes
  const again = await pt.decodeAIS(read('ais/sample.nmea').toString('utf8'));
  assert.deepEqual(again, ps);
  // text that is no AIS gives no positions or a refusal, never a crash
  try {
    assert.deepEqual(await pt.decodeAIS('\x00\x01 not ais at all'), []);
  } catch (e) {
    assert.ok(e instanceof PortolanError && e.status === 'bad_input', String(e));
  }
});

// sameVessels compares guest answers with the native CLI's rows.
function sameVessels(got, want) {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => {
    const w = want[i];
    assert.equal(g.mmsi, w.mmsi);
    assert.equal(g.name ?? '', w.name ?? '');
    assert.equal(g.status, w.status, `vessel ${w.mmsi}`);
    if (!w.prediction) return;
    const gp = g.prediction;
    const wp = w.prediction;
    assert.equal(gp.departure, wp.departure);
    assert.equal(gp.at, wp.at);
    assert.equal(gp.cells, wp.cells);
    assert.equal(gp.destinations.length, wp.destinations.length);
    gp.destinations.forEach((d, k) => {
      const wd = wp.destinations[k];
      assert.ok(close(d.prob, wd.prob, PROB_ABS), `vessel ${w.mmsi} rank ${k}: ${d.prob} vs ${wd.prob}`);
      // a swap of two candidates whose probabilities are within tolerance is allowed
      if (d.locode !== wd.locode) assert.ok(close(d.prob, wd.prob, PROB_ABS), `rank ${k}: ${d.locode} vs ${wd.locode}`);
    });
    assert.ok(close(gp.eta_hours, wp.eta_hours, 1e-5, REL), `vessel ${w.mmsi} ETA ${gp.eta_hours} vs ${wp.eta_hours}`);
  });
}

test('predict: equals the native CLI, from text and from positions', { skip }, async () => {
  const want = await native('predict', '--model', 'testdata/models/way-demo.portolan', '--ais', 'testdata/ais/sample.nmea', '--top', '3');
  assert.ok(want.filter((w) => w.prediction).length >= 4, 'the sample has voyages in progress');
  const d = way.destinations({ topK: 3 });
  const fromText = await d.predict(read('ais/sample.nmea'));
  sameVessels(fromText, want);
  const fromPositions = await d.predict(await pt.decodeAIS(read('ais/sample.nmea')));
  assert.deepEqual(fromPositions, fromText);
  for (const v of fromText.filter((v) => v.prediction)) {
    const probs = v.prediction.destinations.map((x) => x.prob);
    assert.deepEqual(probs, [...probs].sort((a, b) => b - a), 'destinations by probability');
  }
});

test('streams: pushing a vessel point by point ends at the batch answer', { skip }, async () => {
  const ps = await pt.decodeAIS(read('ais/sample.nmea'));
  const d = way.destinations({ topK: 3 });
  const batch = await d.predict(ps);
  const v = batch.find((b) => b.prediction);
  const mine = ps.filter((p) => p.mmsi === v.mmsi);
  const s = await d.openStream(v.mmsi, { shipType: mine.find((p) => p.ship_type != null)?.ship_type });
  let last;
  for (let i = 0; i < mine.length; i += 50) last = await s.push(mine.slice(i, i + 50));
  assert.equal(last.mmsi, v.mmsi);
  assert.ok(last.prediction, JSON.stringify(last).slice(0, 200));
  assert.equal(last.prediction.destinations[0].locode, v.prediction.destinations[0].locode);
  assert.ok(close(last.prediction.destinations[0].prob, v.prediction.destinations[0].prob, PROB_ABS));
  assert.equal(typeof last.dropped, 'number');
  await s.close();
  await assert.rejects(s.push(mine[0]), (e) => e.status === 'not_found');
});

test('forecast: equals the native CLI; seed, samples and keys', { skip }, async () => {
  const want = await native('forecast', '--model', 'testdata/models/td-demo.portolan', '--series', 'testdata/series/sample.csv',
    '--samples', '20', '--seed', '1');
  const set = readSeriesCSV(read('series/sample.csv').toString('utf8')).match(td.features);
  const f = td.forecaster({ samples: 20, seed: 1 });
  // the CLI keys a CSV series by its id (docs/RNG.md)
  const got = await f.forecast(set.all(), { keys: set.keys() });
  assert.equal(got.length, want.length);
  got.forEach((g, i) => {
    const w = want[i];
    assert.equal(set.ids[i], w.id);
    assert.equal(BigInt(g.key), seriesKey(w.id));
    for (const k of ['mean', 'std', 'epistemic', 'aleatoric', 'lo90', 'hi90']) {
      assert.ok(close(g[k], w[k], 1e-5, REL), `${w.id} ${k}: ${g[k]} vs ${w[k]}`);
    }
    assert.equal(g.samples.length, 20);
    g.samples.forEach((x, s) => assert.ok(close(x, w.samples[s], 1e-5, REL), `${w.id} sample ${s}`));
    assert.ok(close(g.total, g.epistemic + g.aleatoric, 1e-9, 1e-12));
    assert.ok(g.lo90 < g.mean && g.mean < g.hi90);
  });
  // (the guest runs the generic kernels: the checks below use two series)
  const two = [set.series(0), set.series(1)];
  const twoKeys = set.keys().slice(0, 2);
  // the same seed and keys give the same samples; another seed other ones
  assert.deepEqual(await f.forecast(two, { keys: twoKeys }), got.slice(0, 2));
  const other = await td.forecaster({ samples: 20, seed: 2 }).forecast(two, { keys: twoKeys });
  assert.notDeepEqual(other[0].samples, got[0].samples);
  // series as plain arrays with null gaps read like Float32Array with NaN
  const plain = Array.from(set.series(0), (x, k) => (k === 3 ? null : x));
  const gapped = Float32Array.from(set.series(0), (x, k) => (k === 3 ? NaN : x));
  assert.deepEqual(await f.forecast([plain]), await f.forecast([gapped]));
  // keys are the series' Monte Carlo keys: the row index by default
  assert.deepEqual(await f.forecast(two), await f.forecast(two, { keys: [0, 1] }));
  assert.notDeepEqual((await f.forecast(two))[0].samples, got[0].samples);
  // a series alone, or second in a batch, gets the same samples under its key
  const alone = await f.forecast([set.series(1)], { keys: [twoKeys[1]] });
  assert.deepEqual(alone[0], got[1]);
  await assert.rejects(f.forecast(two, { keys: [0] }), RangeError);
  // fewer samples: a shorter sample list
  const few = await td.forecaster({ samples: 3, seed: 1 }).forecast([set.series(0)]);
  assert.equal(few[0].samples.length, 3);
});

test('refusals: corrupt bundles, wrong kinds, bad series, bad options', { skip }, async () => {
  const bundle = read('models/way-demo.portolan');
  for (const [name, bytes] of [
    ['empty', new Uint8Array(0)],
    ['not a bundle', new TextEncoder().encode('hello')],
    ['truncated', bundle.subarray(0, bundle.length >> 1)],
    ['flipped bytes', (() => { const b = Uint8Array.from(bundle); for (let i = 64; i < b.length; i += 997) b[i] ^= 0xff; return b; })()],
  ]) {
    await assert.rejects(pt.open(bytes), (e) => {
      assert.ok(e instanceof PortolanError, `${name}: ${e}`);
      assert.ok(e instanceof Error);
      assert.ok(['bad_bundle', 'bad_request'].includes(e.status), `${name}: ${e.status} ${e.message}`);
      return true;
    });
  }
  await assert.rejects(td.destinations().predict(read('ais/sample.nmea')), (e) => e.status === 'wrong_kind');
  await assert.rejects(way.forecaster().forecast([new Float32Array(60)]), (e) => e.status === 'wrong_kind');
  await assert.rejects(td.forecaster().forecast([new Float32Array(7)]), (e) => e.status === 'bad_input' && /7 values/.test(e.message));
  assert.throws(() => way.destinations({ topK: 0 }), RangeError);
  assert.throws(() => td.forecaster({ samples: 0 }), RangeError);
  await assert.rejects(pt.call('no_such_export'), (e) => e.status === 'unsupported');
  // every refusal left the instance serving
  assert.equal((await way.destinations({ topK: 1 }).predict(read('ais/sample.nmea'))).length > 0, true);
});

test('a stuck call is stopped by its timeout, terminate() or an AbortSignal, and the next call recovers', { skip }, async () => {
  const p = await Portolan.create({ wasm: testWasmPath });
  try {
    const m = await p.open(read('models/td-demo.portolan'));
    const series = [new Float32Array(m.steps * m.features.length)];
    const want = await m.forecaster().forecast(series);
    const gen = p.generation;

    let t0 = performance.now();
    await assert.rejects(p.call('test_spin', undefined, { timeoutMs: 200 }), (e) => e.status === 'timeout');
    assert.ok(performance.now() - t0 < 5000);
    assert.deepEqual(await m.forecaster().forecast(series), want, 'the model is loaded again on the new instance');
    assert.equal(p.generation, gen + 1);

    const spinning = p.call('test_spin');
    setTimeout(() => p.terminate(), 100);
    await assert.rejects(spinning, (e) => e.status === 'terminated');
    assert.deepEqual(await m.forecaster().forecast(series), want);

    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    t0 = performance.now();
    await assert.rejects(p.call('test_spin', undefined, { signal: ac.signal }), (e) => e.status === 'aborted');
    assert.deepEqual(await m.forecaster().forecast(series), want);

    // calls queued behind a stuck one run once it is stopped
    const stuck = p.call('test_spin', undefined, { timeoutMs: 200 });
    const queued = m.forecaster().forecast(series);
    await assert.rejects(stuck, (e) => e.status === 'timeout');
    assert.deepEqual(await queued, want);
    assert.equal(p.generation, gen + 4);
  } finally {
    p.close();
  }
});

test('a trapping guest (a panic) is replaced; streams on it are lost, models reload', { skip }, async () => {
  const p = await Portolan.create({ wasm: testWasmPath });
  try {
    const m = await p.open(read('models/way-demo.portolan'));
    const d = m.destinations({ topK: 2 });
    const want = await d.predict(read('ais/sample.nmea'));
    const s = await d.openStream(want[0].mmsi);
    await assert.rejects(p.call('test_crash'), (e) => e.status === 'crashed' && /test_crash/.test(e.message));
    assert.deepEqual(await d.predict(read('ais/sample.nmea')), want);
    await assert.rejects(s.push({ mmsi: want[0].mmsi, lat: 54, lon: 7, time: '2026-01-01T00:00:00Z' }), (e) => e.status === 'lost');
    // an answer pointing outside memory is refused like a trap
    await assert.rejects(p.call('test_oob'), (e) => e.status === 'crashed' && /outside/.test(e.message));
    assert.deepEqual(await d.predict(read('ais/sample.nmea')), want);
  } finally {
    p.close();
  }
});

test('in-thread mode gives the same answers', { skip }, async () => {
  const p = await Portolan.create({ wasm: wasmPath, worker: false });
  try {
    const m = await p.open(read('models/way-demo.portolan'));
    assert.deepEqual(await m.destinations({ topK: 3 }).predict(read('ais/sample.nmea')),
      await way.destinations({ topK: 3 }).predict(read('ais/sample.nmea')));
    await assert.rejects(p.open(new Uint8Array([0x93, 1, 2])), PortolanError);
  } finally {
    p.close();
  }
});

test('a closed client refuses calls; a missing module is an Error', { skip }, async () => {
  const p = await Portolan.create({ wasm: wasmPath });
  p.close();
  await assert.rejects(p.decodeAIS(''), (e) => e.status === 'closed');
  await assert.rejects(Portolan.create({ wasm: '/nonexistent/portolan.wasm' }), (e) => e instanceof PortolanError && e.status === 'bad_module');
  await assert.rejects(Portolan.create({ wasm: new Uint8Array([0, 0x61, 0x73, 0x6d, 9]) }), (e) => e instanceof PortolanError && e.status === 'bad_module');
  // a module that is not a Portolan guest is refused when the instance starts
  const other = await Portolan.create({ wasm: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]) });
  await assert.rejects(other.decodeAIS(''), (e) => e instanceof PortolanError && e.status === 'bad_module' && /not a Portolan guest/.test(e.message));
  other.close();
  await assert.rejects(Portolan.create({}), TypeError);
});
