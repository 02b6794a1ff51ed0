// The page side of the Chromium conformance target (chromium.mjs): runs a
// vector through the module's conformance export in the page's Worker.

import { encode, decode } from '@msgpack/msgpack';
import { Portolan } from '../src/index.js';

let pt;

async function bytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

window.conformance = async (vectorsURL, modelURL) => {
  const kernels = new URL(location.href).searchParams.get('kernels') === 'simd128' ? new URL('portolan_accel.wasm', location.href) : false;
  pt ??= await Portolan.create({ wasm: new URL('portolan.wasm', location.href), kernels });
  if (kernels && pt.kernels !== 'simd128') throw new Error('the SIMD128 kernels were not linked');
  const [vectors, model] = await Promise.all([bytes(vectorsURL), bytes(modelURL)]);
  return decode(await pt.call('conformance', encode({ vectors, model })));
};
window.conformanceReady = true;
