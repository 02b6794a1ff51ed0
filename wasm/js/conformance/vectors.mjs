// What the two JavaScript conformance targets (node.mjs, chromium.mjs)
// share: the vector list and the result lines of the target contract
// (docs/CONFORMANCE.md).

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { decode } from '@msgpack/msgpack';

export const SUFFIX = '.vectors.portolan';
const HEADER = 24; // magic, version, body length, CRC (docs/FORMAT.md §1)
const MAX_FLOAT64 = 1.7976931348623157e308;

// modelOf reads the model file name a vector file's config names.
function modelOf(file) {
  const b = readFileSync(file);
  if (b.length < HEADER || b.toString('latin1', 0, 8) !== 'PORTOLAN') throw new Error(`${file}: not a bundle`);
  const n = Number(b.readBigUInt64LE(12));
  if (HEADER + n !== b.length) throw new Error(`${file}: body of ${n} bytes in a file of ${b.length}`);
  const model = decode(b.subarray(HEADER))?.config?.model;
  if (typeof model !== 'string' || model === '' || path.basename(model) !== model) {
    throw new Error(`${file}: config "model" must name a file in the models directory`);
  }
  return model;
}

/** Lists the vector files of dir, sorted, with the model each names (or why it cannot be read). */
export function listVectors(dir, modelsDir) {
  const names = readdirSync(dir).filter((f) => f.endsWith(SUFFIX)).sort();
  if (names.length === 0) throw new Error(`no *${SUFFIX} files in ${dir}`);
  return names.map((f) => {
    const v = { name: f.slice(0, -SUFFIX.length), path: path.join(dir, f) };
    try {
      v.model = path.join(modelsDir, modelOf(v.path));
    } catch (e) {
      v.error = e.message;
    }
    return v;
  });
}

/**
 * The JSON line of one vector: the guest's answer (every Result field but
 * target and vector) with those two added, or a failed result with the
 * error. Non-finite numbers are written as the largest float64.
 */
export function resultLine(target, vector, answer, error) {
  const r = error == null
    ? { ...answer, target, vector }
    : { target, vector, kind: '', pass: false, max_abs_err: 0, checks: [], values: [], value_abs: 0, value_rel: 0, kernels: '', error: String(error) };
  return JSON.stringify(r, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? MAX_FLOAT64 : v));
}

/**
 * Parses `[--target NAME] [--wasm FILE] [--kernels simd128|none] VECTORS_DIR MODELS_DIR`:
 * --kernels simd128 links the kernel module beside the wasm file, none (the default) none.
 */
export function parseArgs(argv, target) {
  const opts = { target, wasm: 'build/wasm/portolan.wasm', kernels: 'none', dirs: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--target') opts.target = argv[++i];
    else if (argv[i] === '--wasm') opts.wasm = argv[++i];
    else if (argv[i] === '--kernels') opts.kernels = argv[++i];
    else opts.dirs.push(argv[i]);
  }
  if (opts.dirs.length !== 2 || !opts.target || !opts.wasm) {
    throw new Error('usage: [--target NAME] [--wasm FILE] VECTORS_DIR MODELS_DIR');
  }
  return opts;
}
