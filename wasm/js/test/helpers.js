// Shared by the tests: where things are, and the native CLI's answers.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { promisify } from 'node:util';

/** The repository root (PORTOLAN_ROOT overrides). */
export const root = process.env.PORTOLAN_ROOT ?? path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** The guest module users get, and the one built with the test exports (make jstest builds both). */
export const wasmPath = process.env.PORTOLAN_WASM ?? path.join(root, 'build/wasm/portolan.wasm');
export const testWasmPath = process.env.PORTOLAN_WASM_TEST ?? path.join(root, 'build/wasm/portolan-test.wasm');
/** The SIMD128 kernel module `make wasm` assembles beside portolan.wasm. */
export const kernelsPath = process.env.PORTOLAN_KERNELS ?? path.join(root, 'build/wasm/portolan_accel.wasm');

export const testdata = (rel) => path.join(root, 'testdata', rel);
export const read = (rel) => readFileSync(testdata(rel));

/**
 * The reason a test must skip, or '' when it can run: under CI what is
 * missing is an error instead.
 */
export function missing(files) {
  const gone = files.filter((f) => !existsSync(f));
  if (gone.length === 0) return '';
  const why = `${gone.join(', ')} missing (make jstest builds it)`;
  if (process.env.CI) throw new Error(why);
  return why;
}

const run = promisify(execFile);

/** Runs the native CLI (go run ./cmd/portolan ARGS) and parses its JSON lines. */
export async function native(...args) {
  const { stdout } = await run('go', ['run', './cmd/portolan', ...args, '--format', 'jsonl'], {
    cwd: root, maxBuffer: 64 << 20,
  });
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** |got − want| ≤ abs + rel·|want|. */
export function close(got, want, abs, rel = 0) {
  return Math.abs(got - want) <= abs + rel * Math.abs(want);
}
