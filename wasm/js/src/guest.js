// One instance of the Portolan WebAssembly guest, called synchronously on
// the current thread. The worker (worker.js) owns one; the public API
// (index.js) talks to the worker. docs/WASM.md specifies the exports.
//
// Pitfalls handled here: i32 results are signed (pointers and lengths
// are read with >>> 0), memory grows during a call (views are made anew
// after every call), and a Go panic or out-of-memory surfaces as a
// WebAssembly RuntimeError ("unreachable"), after which the instance must
// not be used again (Fatal).

import { WASI, File, OpenFile, ConsoleStdout } from '@bjorn3/browser_wasi_shim';
import { kernelImports, KERNEL_MODULE } from './kernels.js';

/** ABI version this module speaks (abi.Version). */
export const ABI_VERSION = 1;

/** Status names by number (abi.Status). */
export const STATUS = ['ok', 'bad_request', 'bad_bundle', 'not_found', 'wrong_kind', 'bad_input',
  'no_voyage', 'limit', 'unsupported', 'internal'];

/** The exports every guest has. */
export const REQUIRED_EXPORTS = ['memory', '_initialize', 'abi_version', 'alloc', 'free', 'answer_ptr',
  'answer_len', 'last_error_ptr', 'last_error_len', 'load', 'release', 'decode_ais', 'predict',
  'stream_open', 'stream_push', 'stream_close', 'forecast', 'conformance'];

// Lines of the guest's stderr kept for the message of a fatal error (the
// Go runtime prints "fatal error: out of memory" or a panic there).
const STDERR_LINES = 20;

/**
 * A failed call that leaves the instance usable: the guest answered with a
 * status other than ok.
 */
export class CallError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
    this.status = STATUS[code] ?? `status(${code})`;
  }
}

/** The instance trapped or misbehaved and must be discarded. */
export class Fatal extends Error {}

export class Guest {
  /**
   * Instantiates a compiled guest module, links its kernels (the compiled
   * SIMD128 kernel module, or null for none: kernels.js) and runs its
   * _initialize.
   * @param {WebAssembly.Module} module
   * @param {WebAssembly.Module|null} [kernels]
   */
  static async instantiate(module, kernels = null) {
    const stderr = [];
    const keep = (line) => {
      stderr.push(line);
      if (stderr.length > STDERR_LINES) stderr.shift();
    };
    // stdin is empty; stdout and stderr are kept as lines. No preopened
    // directories: the guest has no filesystem. debug:false, or the shim
    // logs every WASI call.
    const fds = [new OpenFile(new File([])), ConsoleStdout.lineBuffered(keep), ConsoleStdout.lineBuffered(keep)];
    const wasi = new WASI([], [], fds, { debug: false });
    const k = kernelImports(module, kernels);
    const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport, [KERNEL_MODULE]: k.imports });
    const missing = REQUIRED_EXPORTS.filter((n) => !(n in instance.exports));
    if (missing.length) throw new Fatal(`not a Portolan guest: no export ${missing.join(', ')}`);
    k.link(instance.exports);
    const g = new Guest(instance, stderr);
    g.#run(() => wasi.initialize(instance));
    const v = g.#run(() => instance.exports.abi_version()) | 0;
    if (v !== ABI_VERSION) throw new Fatal(`the guest speaks ABI version ${v}, this module ${ABI_VERSION}`);
    return g;
  }

  #x;
  #stderr;
  #dead = null;

  constructor(instance, stderr) {
    this.#x = instance.exports;
    this.#stderr = stderr;
  }

  // run calls into the guest; a trap or any other exception kills the
  // instance.
  #run(fn) {
    if (this.#dead) throw new Fatal(`the instance is dead: ${this.#dead}`);
    try {
      return fn();
    } catch (e) {
      if (e instanceof CallError) throw e;
      const err = e instanceof Fatal ? e : this.#fatal(e);
      this.#dead = err.message;
      throw err;
    }
  }

  #fatal(e) {
    const tail = this.#stderr.filter((l) => l.trim() !== '').slice(-4).join('\n');
    const what = e instanceof WebAssembly.RuntimeError ? `the guest trapped (${e.message})` : `the guest failed (${e?.message ?? e})`;
    return new Fatal(tail ? `${what}: ${tail}` : what);
  }

  // bytes copies len bytes at ptr out of memory, refusing a range outside
  // it (a guest that points its answer anywhere is broken).
  #bytes(ptr, len) {
    const buf = this.#x.memory.buffer;
    if (ptr + len > buf.byteLength) {
      throw new Fatal(`the guest's answer [${ptr}, ${ptr + len}) lies outside its ${buf.byteLength} bytes of memory`);
    }
    return new Uint8Array(buf, ptr, len).slice();
  }

  /**
   * Calls a call export with a msgpack request and returns its answer.
   * Throws CallError when the guest refuses the request, Fatal when the
   * instance broke.
   * @param {string} name
   * @param {Uint8Array} request
   * @returns {Uint8Array}
   */
  call(name, request) {
    const fn = this.#x[name];
    if (typeof fn !== 'function' || name === 'alloc' || name === 'free' || name.startsWith('_')) {
      throw new CallError(8, `the guest has no call export ${JSON.stringify(name)}`);
    }
    return this.#run(() => {
      const x = this.#x;
      let ptr = 0;
      if (request.length > 0) {
        ptr = x.alloc(request.length) >>> 0;
        if (ptr === 0) throw new CallError(7, `a request of ${request.length} bytes is over the guest's limit`);
        new Uint8Array(x.memory.buffer, ptr, request.length).set(request); // a fresh view: memory may have grown
      }
      let st = fn(ptr, request.length); // a trap leaves the request unfreed: the instance is dropped anyway
      if (ptr !== 0) x.free(ptr);
      if (st === undefined) return new Uint8Array(0); // an export with no result
      st |= 0;
      if (st !== 0) {
        const msg = new TextDecoder().decode(this.#bytes(x.last_error_ptr() >>> 0, x.last_error_len() >>> 0));
        throw new CallError(st, msg || STATUS[st] || `status ${st}`);
      }
      return this.#bytes(x.answer_ptr() >>> 0, x.answer_len() >>> 0);
    });
  }
}
