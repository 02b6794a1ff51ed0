// The conformance target "wasm in Node" (docs/CONFORMANCE.md): every
// vector through the guest's conformance export, in a Worker, one JSON
// result per line.
//
//   node wasm/js/conformance/node.mjs [--target node] [--wasm build/wasm/portolan.wasm] [--kernels simd128|none] VECTORS_DIR MODELS_DIR

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { encode, decode } from '@msgpack/msgpack';
import { Portolan } from '../src/index.js';
import { listVectors, parseArgs, resultLine } from './vectors.mjs';

const opts = parseArgs(process.argv.slice(2), 'node');
const vectors = listVectors(...opts.dirs);
const kernels = opts.kernels === 'simd128' ? path.join(path.dirname(opts.wasm), 'portolan_accel.wasm') : false;
const pt = await Portolan.create({ wasm: opts.wasm, kernels });
if (opts.kernels === 'simd128' && pt.kernels !== 'simd128') throw new Error('the SIMD128 kernels were not linked');
try {
  for (const v of vectors) {
    let line;
    try {
      if (v.error) throw new Error(v.error);
      const req = encode({ vectors: readFileSync(v.path), model: readFileSync(v.model) });
      line = resultLine(opts.target, v.name, decode(await pt.call('conformance', req)));
    } catch (e) {
      line = resultLine(opts.target, v.name, null, e.message);
    }
    process.stdout.write(line + '\n');
  }
} finally {
  pt.close();
}
