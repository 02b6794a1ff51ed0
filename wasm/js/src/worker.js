// The worker that runs the guest, in Node (worker_threads) and browsers
// (a module Web Worker). It is a byte pipe: the page or program sends a
// compiled module once, then export names with msgpack requests, and gets
// the answers back; index.js encodes and decodes. A call that runs away is
// stopped by terminating this worker.
//
// Messages in:  {type: 'init', module, kernels} | {type: 'call', id, name, request}
// Messages out: {type: 'ready'} | {type: 'failed', message}
//               {type: 'answer', id, answer}
//               {type: 'error', id, code, status, message, fatal}

import { Guest, CallError } from './guest.js';

const isNode = typeof process !== 'undefined' && process.versions?.node != null && typeof WorkerGlobalScope === 'undefined';
let post;
let listen;
if (isNode) {
  const { parentPort } = await import('node:worker_threads');
  post = (msg, transfer) => parentPort.postMessage(msg, transfer);
  listen = (fn) => parentPort.on('message', fn);
} else {
  post = (msg, transfer) => self.postMessage(msg, transfer);
  listen = (fn) => self.addEventListener('message', (e) => fn(e.data));
}

let guest = null;

listen(async (msg) => {
  if (msg.type === 'init') {
    try {
      guest = await Guest.instantiate(msg.module, msg.kernels ?? null);
      post({ type: 'ready' });
    } catch (e) {
      post({ type: 'failed', message: String(e?.message ?? e) });
    }
    return;
  }
  if (msg.type !== 'call') return;
  try {
    const answer = guest.call(msg.name, msg.request);
    post({ type: 'answer', id: msg.id, answer }, [answer.buffer]);
  } catch (e) {
    const ce = e instanceof CallError;
    post({
      type: 'error', id: msg.id, code: ce ? e.code : undefined, status: ce ? e.status : 'crashed',
      message: String(e?.message ?? e), fatal: !ce,
    });
  }
});
