// The SIMD128 kernel module in Node: linked only where the engine has
// SIMD128, checked inside the guest against the generic Go code on random
// inputs (bit-exact: internal/kernelcheck through the test_kernels export),
// the same answers as without it, the default that finds it beside
// portolan.wasm, and a kernel call outside memory that traps and is
// replaced.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Portolan } from '../src/index.js';
import { simdSupported, kernelImports } from '../src/kernels.js';
import { kernelsPath, missing, read, testWasmPath, wasmPath } from './helpers.js';

const skip = missing([wasmPath, testWasmPath, kernelsPath]) || false;

const seed = (n) => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);

test('Node 20 has SIMD128', () => {
  assert.equal(simdSupported(), true);
});

test('in the guest: kernels against the generic code, bit-exact', { skip }, async () => {
  for (const [kernels, want] of [[kernelsPath, 'simd128'], [false, 'generic']]) {
    const pt = await Portolan.create({ wasm: testWasmPath, kernels, worker: false });
    try {
      assert.equal(pt.kernels, kernels ? 'simd128' : 'none');
      for (const s of [1, 2, 3]) {
        const [impl, n] = new TextDecoder().decode(await pt.call('test_kernels', seed(s))).split(' ');
        assert.equal(impl, want);
        assert.ok(Number(n) > 50, `${n} comparisons`);
      }
    } finally {
      pt.close();
    }
  }
});

test('the same predictions and forecasts with and without kernels', { skip }, async () => {
  const answers = [];
  for (const kernels of [false, kernelsPath]) {
    const pt = await Portolan.create({ wasm: wasmPath, kernels });
    try {
      const way = await pt.open(read('models/way-demo.portolan'));
      const td = await pt.open(read('models/td-demo.portolan'));
      const vessels = await way.destinations({ topK: 5 }).predict(read('ais/sample.nmea'));
      const series = [Float32Array.from({ length: td.steps * td.features.length }, (_, i) => Math.sin(i) + 2)];
      const forecasts = await td.forecaster({ samples: 20, seed: 3 }).forecast(series);
      answers.push({ vessels, forecasts });
    } finally {
      pt.close();
    }
  }
  assert.ok(answers[0].vessels.some((v) => v.prediction));
  assert.deepEqual(answers[1], answers[0]);
});

test('default kernels: beside portolan.wasm, else none', { skip }, async () => {
  const pt = await Portolan.create({ wasm: wasmPath });
  assert.equal(pt.kernels, 'simd128');
  pt.close();
  const dir = mkdtempSync(path.join(tmpdir(), 'portolan-'));
  copyFileSync(wasmPath, path.join(dir, 'portolan.wasm'));
  const alone = await Portolan.create({ wasm: path.join(dir, 'portolan.wasm') });
  assert.equal(alone.kernels, 'none');
  const td = await alone.open(read('models/td-demo.portolan'));
  assert.equal(td.kind, 'td');
  alone.close();
  await assert.rejects(Portolan.create({ wasm: wasmPath, kernels: path.join(dir, 'missing.wasm') }), { status: 'bad_module' });
});

test('stub kernels refuse to be called', { skip }, async () => {
  const guest = await WebAssembly.compile(readFileSync(wasmPath));
  const { imports } = kernelImports(guest, null);
  assert.equal(imports.abi_version(), 0);
  assert.throws(() => imports.gemm(), /no kernels were linked/);
});

test('a kernel call outside memory traps; the next call starts a new instance', { skip }, async () => {
  const pt = await Portolan.create({ wasm: testWasmPath, kernels: kernelsPath });
  try {
    await assert.rejects(pt.call('test_kernel_oob'), { status: 'crashed' });
    const [impl] = new TextDecoder().decode(await pt.call('test_kernels', seed(9))).split(' ');
    assert.equal(impl, 'simd128');
    assert.equal(pt.generation, 2);
  } finally {
    pt.close();
  }
});
