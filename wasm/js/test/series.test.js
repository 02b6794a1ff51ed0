// The series CSV reader against the trainer's (training/tests/crossseries.py,
// the reference Go's timeseries is held to as well) on every fixture in
// testdata/series and testdata/series/invalid, without and with a group
// column: the same ids, steps, groups, features, values bit for bit (NaN
// where missing) and targets, or a refusal from both.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { readSeriesCSV, SeriesError, seriesKey } from '../src/series.js';
import { root } from './helpers.js';

const python = process.env.PORTOLAN_PYTHON ?? '/usr/bin/python3';
const script = path.join(root, 'training/tests/crossseries.py');

function fixtures() {
  const dir = path.join(root, 'testdata/series');
  const list = (d) => readdirSync(d).filter((f) => f.endsWith('.csv')).sort().map((f) => path.join(d, f));
  return [...list(dir), ...list(path.join(dir, 'invalid'))];
}

function reference(group, files) {
  const out = execFileSync(python, [script, group, ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return out.trim().split('\n').map((l) => JSON.parse(l));
}

let skip = false;
if (!existsSync(python) || !existsSync(script)) {
  if (process.env.CI) throw new Error(`${python} or ${script} missing`);
  skip = `${python} with the trainer is missing`;
} else {
  try {
    execFileSync(python, ['-c', 'import numpy']);
  } catch {
    if (process.env.CI) throw new Error(`${python} cannot import numpy (scripts/setup.sh installs it)`);
    skip = `${python} cannot import numpy`;
  }
}

for (const group of ['', 'site']) {
  test(`series CSV rules equal the trainer's (group ${JSON.stringify(group)})`, { skip }, () => {
    const files = fixtures();
    assert.ok(files.length >= 14, `${files.length} fixtures`);
    const want = reference(group, files);
    let accepted = 0;
    files.forEach((file, i) => {
      const w = want[i];
      assert.equal(w.file, file);
      const text = readFileSync(file);
      if (w.error) {
        assert.throws(() => readSeriesCSV(text, { group }), SeriesError, `${file}: the trainer refused it (${w.error})`);
        return;
      }
      const s = readSeriesCSV(text, { group });
      accepted++;
      assert.deepEqual(s.ids, w.ids, file);
      assert.deepEqual(s.steps, w.steps, file);
      assert.deepEqual(s.features, w.features, file);
      assert.deepEqual(s.groups, w.groups, file);
      assert.deepEqual([s.ids.length, s.T, s.D], w.shape, file);
      assert.deepEqual(Array.from(s.x, (v) => (Number.isNaN(v) ? null : v)), w.x, `${file} values`);
      assert.deepEqual(Array.from(s.target, (v) => (Number.isNaN(v) ? null : v)), w.y, `${file} targets`);
    });
    assert.ok(accepted >= 1, 'some fixture is accepted');
  });
}

test('match puts columns in the model order and refuses renamed ones', () => {
  const s = readSeriesCSV('id,step,b,a\nx,0,1,2\nx,1,3,4\n');
  const m = s.match(['a', 'b']);
  assert.deepEqual(m.features, ['a', 'b']);
  assert.deepEqual(Array.from(m.series(0)), [2, 1, 4, 3]);
  assert.equal(s.match(['b', 'a']), s);
  assert.throws(() => s.match(['a', 'c']), /no column for feature\(s\) c; column\(s\) b are not features/);
});

test('quoted fields, CRLF, blank lines and gaps', () => {
  const s = readSeriesCSV('\ufeff id ,step,"f"\r\n"x,1",2,"1.5"\r\n\r\n"x,1",0,NA\r\ny,1,\r\n');
  assert.deepEqual(s.ids, ['x,1', 'y']);
  assert.deepEqual(s.steps, [0, 1, 2]);
  assert.deepEqual(Array.from(s.x, (v) => (Number.isNaN(v) ? null : v)), [null, null, 1.5, null, null, null]);
  assert.throws(() => readSeriesCSV('id,step,f\nx,0,1"\n'), /bare "/);
  assert.throws(() => readSeriesCSV('id,step,f\nx,0,"1"2\n'), /quoted field/);
  assert.throws(() => readSeriesCSV('id,step,f\nx,0,1e39\n'), /out of range/);
  assert.throws(() => readSeriesCSV('id,step,f\n'), /no rows/);
});

test('seriesKey: the FNV-1a 64 vectors of docs/RNG.md', () => {
  assert.equal(seriesKey(''), 0xCBF29CE484222325n);
  assert.equal(seriesKey('a'), 0xAF63DC4C8601EC8Cn);
  assert.equal(seriesKey('foobar'), 0x85944171F73967E8n);
  assert.equal(seriesKey('site00'), 0x2FDBE201783AE13En);
  assert.equal(seriesKey('é'), 0x0ac21707b7181e01n); // two UTF-8 bytes (Go's sdk.SeriesKey)
});
