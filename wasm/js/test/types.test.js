// The TypeScript declarations compile and describe the API as used
// (test/types.ts), checked by tsc --noEmit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('..', import.meta.url));
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

let skip = false;
if (!existsSync(tsc)) {
  if (process.env.CI) throw new Error('typescript is not installed (scripts/setup-js.sh runs npm ci)');
  skip = 'typescript is not installed (scripts/setup-js.sh runs npm ci)';
}

test('index.d.ts and series.d.ts type-check their use', { skip }, () => {
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
