// Portolan in JavaScript: the WebAssembly guest (`make wasm`) in Node 20
// and browsers, with an API that mirrors the Go sdk:
//
//   const pt = await Portolan.create({ wasm: 'build/wasm/portolan.wasm' });
//   const way = await pt.open(bundleBytes);
//   const vessels = await way.destinations({ topK: 3 }).predict(nmeaText);
//   const td = await pt.open(tdBytes);
//   const [f] = await td.forecaster({ samples: 20, seed: 1 }).forecast([series]);
//
// The guest runs in a Worker (worker_threads in Node, a module Web Worker
// in browsers) so that a call that runs away can be stopped: a timeout, an
// AbortSignal or terminate() ends the worker, and the next call starts a
// new one, loading the open models again. Answers carry the snake_case
// fields of docs/SCHEMA.md. Requests and answers are the msgpack messages
// of docs/WASM.md.

import { encode, decode } from '@msgpack/msgpack';
import { Guest, CallError, Fatal } from './guest.js';
import { simdSupported } from './kernels.js';

const isNode = typeof process !== 'undefined' && process.versions?.node != null && typeof window === 'undefined';

/**
 * The error of every failed call. status is the guest's status name
 * (bad_request, bad_bundle, not_found, wrong_kind, bad_input, limit,
 * unsupported, internal) or one of this module's: timeout, aborted,
 * terminated (the call was stopped), crashed (the guest trapped and was
 * replaced), lost (a stream whose instance was replaced), closed (the
 * client or model was closed), bad_module (the .wasm could not be read,
 * compiled or started).
 */
export class PortolanError extends Error {
  constructor(status, message, code) {
    super(message);
    this.name = 'PortolanError';
    this.status = status;
    /** The guest's numeric status (abi.Status), when the guest gave one. */
    this.code = code;
  }
}

// ---- loading the module ----

async function readWasm(src) {
  if (src instanceof WebAssembly.Module) return src;
  if (src instanceof ArrayBuffer || ArrayBuffer.isView(src)) return WebAssembly.compile(src);
  if (isNode) {
    const url = src instanceof URL ? src : /^[a-z][a-z0-9+.-]+:\/\//i.test(src) ? new URL(src) : null;
    if (url === null || url.protocol === 'file:') {
      const { readFile } = await import('node:fs/promises');
      return WebAssembly.compile(await readFile(url ?? src));
    }
  }
  const res = await fetch(src);
  if (!res.ok) throw new PortolanError('bad_module', `fetch ${src}: ${res.status} ${res.statusText}`);
  if (res.headers.get('content-type')?.startsWith('application/wasm') && WebAssembly.compileStreaming) {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

// ---- runners: where the guest runs ----

function guestError(m) {
  return m.fatal
    ? new PortolanError('crashed', `${m.message}; the instance was replaced`)
    : new PortolanError(m.status, m.message, m.code);
}

// WorkerRunner runs the guest in a worker; terminate stops it mid-call.
class WorkerRunner {
  #w;
  #pending = new Map();
  #next = 1;
  #dead = null;
  #onDeath;

  static async start(module, kernels, workerURL, onDeath) {
    const r = new WorkerRunner();
    r.#onDeath = onDeath;
    r.#w = await spawn(workerURL);
    await new Promise((resolve, reject) => {
      r.#pending.set(0, { resolve, reject });
      r.#w.onMessage((m) => r.#receive(m));
      r.#w.onError((e) => r.#die(new PortolanError('crashed', `the worker failed: ${e?.message ?? e}`)));
      r.#w.post({ type: 'init', module, kernels });
    });
    r.#w.unref();
    return r;
  }

  #receive(m) {
    if (m.type === 'ready' || m.type === 'failed') {
      const p = this.#pending.get(0);
      this.#pending.delete(0);
      if (m.type === 'ready') p?.resolve();
      else p?.reject(new PortolanError('bad_module', `the guest did not start: ${m.message}`));
      if (m.type === 'failed') this.terminate();
      return;
    }
    const p = this.#pending.get(m.id);
    if (!p) return;
    this.#pending.delete(m.id);
    if (this.#pending.size === 0) this.#w.unref();
    if (m.type === 'answer') {
      p.resolve(m.answer);
      return;
    }
    const err = guestError(m);
    p.reject(err);
    if (m.fatal) this.#die(err);
  }

  // die rejects every pending call and stops the worker.
  #die(err) {
    if (this.#dead) return;
    this.#dead = err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    this.#w.terminate();
    this.#onDeath?.(this);
  }

  call(name, request) {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#w.ref();
      this.#w.post({ type: 'call', id, name, request });
    });
  }

  terminate(err = new PortolanError('terminated', 'the instance was terminated')) {
    this.#die(err);
  }
}

// InlineRunner runs the guest on the calling thread: no worker start-up or
// message cost, but a call cannot be stopped. For benchmarks and hosts
// without workers.
class InlineRunner {
  #g;
  #onDeath;

  static async start(module, kernels, _url, onDeath) {
    const r = new InlineRunner();
    r.#onDeath = onDeath;
    try {
      r.#g = await Guest.instantiate(module, kernels);
    } catch (e) {
      throw new PortolanError('bad_module', `the guest did not start: ${e.message}`);
    }
    return r;
  }

  async call(name, request) {
    try {
      return this.#g.call(name, request);
    } catch (e) {
      if (e instanceof CallError) throw new PortolanError(e.status, e.message, e.code);
      const err = new PortolanError('crashed', `${e instanceof Fatal ? e.message : e}; the instance was replaced`);
      this.#onDeath?.(this);
      throw err;
    }
  }

  terminate() {}
}

// spawn starts the worker script and wraps the two worker APIs alike.
async function spawn(url) {
  if (isNode) {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(url);
    return {
      post: (m, t) => w.postMessage(m, t),
      onMessage: (fn) => w.on('message', fn),
      onError: (fn) => {
        w.on('error', fn);
        w.on('exit', (code) => fn(new Error(`exited with code ${code}`)));
      },
      terminate: () => w.terminate(),
      ref: () => w.ref(),
      unref: () => w.unref(),
    };
  }
  const w = new Worker(url, { type: 'module' });
  return {
    post: (m, t) => w.postMessage(m, t),
    onMessage: (fn) => w.addEventListener('message', (e) => fn(e.data)),
    onError: (fn) => w.addEventListener('error', (e) => fn(new Error(e.message || 'worker error'))),
    terminate: () => w.terminate(),
    ref: () => {},
    unref: () => {},
  };
}

// ---- the API ----

const SESSION = Symbol('session');
const HANDLE = Symbol('handle');

// toBytes gives AIS text or a bundle as bytes.
function toBytes(x, what) {
  if (typeof x === 'string') return new TextEncoder().encode(x);
  if (x instanceof Uint8Array) return x;
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  throw new TypeError(`${what} must be a string, Uint8Array or ArrayBuffer`);
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// float32Bin encodes a series as little-endian float32 bytes; null,
// undefined and NaN are gaps.
function float32Bin(s, i) {
  if (s == null || typeof s.length !== 'number') throw new TypeError(`series ${i} must be an array or Float32Array`);
  const f = s instanceof Float32Array ? s : Float32Array.from(s, (v) => (v == null ? NaN : v));
  if (littleEndian) return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  const out = new Uint8Array(f.length * 4);
  const dv = new DataView(out.buffer);
  f.forEach((v, k) => dv.setFloat32(4 * k, v, true));
  return out;
}

// readKernels compiles the SIMD128 kernel module for create's kernels
// option: null where the engine has no SIMD128 or kernels is false; the
// default ('auto') looks for portolan_accel.wasm beside a wasm given as a
// path or URL and goes without kernels when it is not there.
async function readKernels(kernels, wasm) {
  if (kernels === false || !simdSupported()) return null;
  if (kernels === undefined || kernels === 'auto') {
    if (typeof wasm !== 'string' && !(wasm instanceof URL)) return null;
    try {
      return await readWasm(new URL('portolan_accel.wasm', wasm instanceof URL || /^[a-z][a-z0-9+.-]+:/i.test(wasm) ? wasm
        : isNode ? (await import('node:url')).pathToFileURL(wasm) : new URL(wasm, globalThis.location?.href)));
    } catch {
      return null;
    }
  }
  return readWasm(kernels);
}

export class Portolan {
  #module;
  #kernels = null;
  #opts;
  #runner = null;
  #starting = null;
  #gen = 0;
  #queue = Promise.resolve();
  #closed = false;

  /**
   * Compiles the guest and returns a client. Options: wasm (required: a
   * path or URL of portolan.wasm, its bytes, or a WebAssembly.Module),
   * kernels (the SIMD128 kernel module portolan_accel.wasm as a path, URL,
   * bytes or WebAssembly.Module; false for none; default 'auto': the one
   * beside a wasm path or URL, if there), worker (default true),
   * workerURL, timeoutMs (default 0: none). Kernels are linked only where
   * the engine has WebAssembly SIMD128; without them the guest runs its
   * own Go code, with the same results.
   */
  static async create(opts = {}) {
    if (opts.wasm == null) throw new TypeError('Portolan.create: give wasm, the path, URL or bytes of portolan.wasm');
    const p = new Portolan();
    p.#opts = {
      worker: opts.worker ?? true,
      workerURL: opts.workerURL ?? new URL('./worker.js', import.meta.url),
      timeoutMs: opts.timeoutMs ?? 0,
    };
    try {
      p.#module = await readWasm(opts.wasm);
    } catch (e) {
      throw e instanceof PortolanError ? e : new PortolanError('bad_module', `the guest module: ${e.message}`);
    }
    try {
      p.#kernels = await readKernels(opts.kernels, opts.wasm);
    } catch (e) {
      throw e instanceof PortolanError ? e : new PortolanError('bad_module', `the kernel module: ${e.message}`);
    }
    return p;
  }

  /** The guest's kernels: 'simd128' (the kernel module is linked) or 'none'. */
  get kernels() {
    return this.#kernels ? 'simd128' : 'none';
  }

  /** How many instances have been started so far (each restart adds one). */
  get generation() {
    return this.#gen;
  }

  async #ensureRunner() {
    if (this.#closed) throw new PortolanError('closed', 'the client is closed');
    if (this.#runner) return this.#runner;
    if (!this.#starting) {
      const Runner = this.#opts.worker ? WorkerRunner : InlineRunner;
      this.#starting = Runner.start(this.#module, this.#kernels, this.#opts.workerURL, (r) => this.#drop(r))
        .then((r) => {
          this.#gen++;
          this.#runner = r;
          return r;
        })
        .finally(() => {
          this.#starting = null;
        });
    }
    return this.#starting;
  }

  // drop forgets a runner that died; the next call starts another.
  #drop(r) {
    if (this.#runner === r) this.#runner = null;
  }

  // exec sends one request on the current runner, stopping it when the
  // timeout passes or the signal aborts.
  async #exec(name, request, gen, { timeoutMs = this.#opts.timeoutMs, signal } = {}) {
    if (signal?.aborted) throw new PortolanError('aborted', `${name}: aborted before it started`);
    const r = await this.#ensureRunner();
    if (gen !== undefined && gen !== this.#gen) {
      throw new PortolanError('lost', `${name}: the instance was replaced during the call`);
    }
    let timer;
    let onAbort;
    try {
      return await new Promise((resolve, reject) => {
        if (timeoutMs > 0) {
          timer = setTimeout(() => {
            const e = new PortolanError('timeout', `${name} ran past ${timeoutMs} ms and was stopped`);
            r.terminate(e);
            reject(e);
          }, timeoutMs);
        }
        if (signal) {
          onAbort = () => {
            const e = new PortolanError('aborted', `${name} was aborted and stopped`);
            r.terminate(e);
            reject(e);
          };
          signal.addEventListener('abort', onAbort, { once: true });
        }
        r.call(name, request).then(resolve, reject);
      });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  // SESSION runs fn alone (calls are served one at a time, in order) with
  // the generation of the instance it starts on; ctx.exec and ctx.request
  // fail with 'lost' if the instance is replaced in between.
  [SESSION](fn) {
    const run = async () => {
      await this.#ensureRunner();
      const gen = this.#gen;
      const ctx = {
        gen,
        exec: (name, req, opts) => this.#exec(name, req, gen, opts),
        request: async (name, obj, opts, decodeOpts) =>
          decode(await this.#exec(name, encode(obj, { useBigInt64: true }), gen, opts), decodeOpts),
      };
      return fn(ctx);
    };
    const p = this.#queue.then(run, run);
    this.#queue = p.catch(() => {});
    return p;
  }

  /**
   * Loads a .portolan bundle; a corrupt one is refused with a
   * PortolanError (status bad_bundle).
   * @returns {Promise<Model>}
   */
  async open(bundle, opts) {
    const bytes = toBytes(bundle, 'bundle').slice();
    return this[SESSION](async (ctx) => {
      const info = await ctx.request('load', { bundle: bytes }, opts);
      return new Model(this, bytes, info, ctx.gen);
    });
  }

  /** Decodes AIS text (NMEA, MarineCadastre or DMA CSV) into positions. */
  async decodeAIS(text, opts) {
    const ais = toBytes(text, 'AIS text');
    return this[SESSION](async (ctx) => (await ctx.request('decode_ais', { ais }, opts)).positions);
  }

  /**
   * Sends a raw msgpack request to a call export (docs/WASM.md) and returns
   * the raw answer. Suits self-contained requests (decode_ais, conformance);
   * requests naming handles must use the typed API.
   */
  async call(name, request = new Uint8Array(0), opts) {
    return this[SESSION]((ctx) => ctx.exec(name, toBytes(request, 'request'), opts));
  }

  /** Stops the call in progress, if any, and the instance; the next call starts a new one. */
  terminate() {
    const r = this.#runner;
    this.#runner = null;
    r?.terminate();
  }

  /** Stops the instance; later calls fail with status closed. */
  close() {
    this.#closed = true;
    this.terminate();
  }
}

/** A loaded bundle: a WAY model (destinations) or a td model (forecasts). */
export class Model {
  #pt;
  #bundle;
  #handle;
  #gen;
  #closed = false;

  constructor(pt, bundle, info, gen) {
    this.#pt = pt;
    this.#bundle = bundle;
    this.#handle = info.handle;
    this.#gen = gen;
    /** "way" or "td". */
    this.kind = info.kind;
    /** Input feature names. */
    this.features = info.features ?? [];
    /** td: time steps per series. */
    this.steps = info.steps ?? 0;
    /** way: the destinations {locode, name, lat, lon}. */
    this.ports = info.ports ?? [];
  }

  // HANDLE returns the model's handle on the session's instance, loading
  // the bundle again if the instance was replaced since.
  async [HANDLE](ctx, opts) {
    if (this.#closed) throw new PortolanError('closed', 'the model is closed');
    if (this.#gen !== ctx.gen) {
      const info = await ctx.request('load', { bundle: this.#bundle }, opts);
      this.#handle = info.handle;
      this.#gen = ctx.gen;
    }
    return this.#handle;
  }

  /** Destination prediction with topK candidates (default 5). */
  destinations({ topK = 5 } = {}) {
    if (!Number.isInteger(topK) || topK < 1 || topK > 1000) throw new RangeError(`topK ${topK}: want 1..1000`);
    return new Destinations(this.#pt, this, topK);
  }

  /** Forecasts with samples Monte Carlo samples (default 20) from seed (default 1). */
  forecaster({ samples = 20, seed = 1 } = {}) {
    if (!Number.isInteger(samples) || samples < 1 || samples > 10000) throw new RangeError(`samples ${samples}: want 1..10000`);
    if (!(typeof seed === 'bigint' ? seed >= 0n : Number.isSafeInteger(seed) && seed >= 0)) {
      throw new RangeError(`seed ${seed}: want a non-negative integer`);
    }
    return new Forecaster(this.#pt, this, samples, seed);
  }

  /** Releases the model in the guest. */
  async close(opts) {
    if (this.#closed) return;
    await this.#pt[SESSION](async (ctx) => {
      if (this.#gen === ctx.gen) await ctx.request('release', { handle: this.#handle }, opts);
    });
    this.#closed = true;
  }
}

export class Destinations {
  #pt;
  #model;

  constructor(pt, model, topK) {
    this.#pt = pt;
    this.#model = model;
    this.topK = topK;
  }

  /**
   * Predicts the destination of every vessel's voyage in progress, in
   * MMSI order, from AIS text (string or bytes) or an array of positions.
   * @returns {Promise<VesselResult[]>}
   */
  async predict(input, opts) {
    const req = Array.isArray(input) ? { positions: input } : { ais: toBytes(input, 'AIS text') };
    return this.#pt[SESSION](async (ctx) => {
      const handle = await this.#model[HANDLE](ctx, opts);
      return (await ctx.request('predict', { handle, top_k: this.topK, ...req }, opts)).vessels;
    });
  }

  /** Opens a stream for one vessel: push its positions as they arrive. */
  async openStream(mmsi, { shipType } = {}, opts) {
    return this.#pt[SESSION](async (ctx) => {
      const handle = await this.#model[HANDLE](ctx, opts);
      const req = { handle, mmsi, top_k: this.topK };
      if (shipType != null) req.ship_type = shipType;
      const { stream } = await ctx.request('stream_open', req, opts);
      return new Stream(this.#pt, stream, mmsi, ctx.gen);
    });
  }
}

export class Stream {
  #pt;
  #id;
  #gen;

  constructor(pt, id, mmsi, gen) {
    this.#pt = pt;
    this.#id = id;
    this.#gen = gen;
    this.mmsi = mmsi;
  }

  #check(ctx) {
    if (this.#gen !== ctx.gen) {
      throw new PortolanError('lost', `the stream of ${this.mmsi} was lost when its instance was replaced; open a new one`);
    }
  }

  /**
   * Pushes one position or an array of them, in time order, and returns
   * the prediction after the last (or status no_voyage while in port).
   * @returns {Promise<StreamResult>}
   */
  async push(positions, opts) {
    const ps = Array.isArray(positions) ? positions : [positions];
    return this.#pt[SESSION](async (ctx) => {
      this.#check(ctx);
      return ctx.request('stream_push', { stream: this.#id, positions: ps }, opts);
    });
  }

  /** Closes the stream. */
  async close(opts) {
    return this.#pt[SESSION](async (ctx) => {
      if (this.#gen === ctx.gen) await ctx.request('stream_close', { stream: this.#id }, opts);
    });
  }
}

export class Forecaster {
  #pt;
  #model;

  constructor(pt, model, samples, seed) {
    this.#pt = pt;
    this.#model = model;
    this.samples = samples;
    this.seed = seed;
  }

  /** Time steps per series. */
  get steps() {
    return this.#model.steps;
  }

  /** Features per step. */
  get features() {
    return this.#model.features.length;
  }

  /**
   * Forecasts each series (steps × features raw values, row-major; null or
   * NaN is a gap, filled with the model's feature mean). keys are the
   * series' Monte Carlo keys (default: the row index).
   * @returns {Promise<Forecast[]>}
   */
  async forecast(series, { keys, ...opts } = {}) {
    if (!Array.isArray(series)) throw new TypeError('series must be an array of series');
    if (keys != null && keys.length !== series.length) {
      throw new RangeError(`${keys.length} keys for ${series.length} series`);
    }
    const req = { handle: 0, series: series.map(float32Bin), samples: this.samples, seed: BigInt(this.seed) };
    if (keys != null) req.keys = keys.map((k) => BigInt(k));
    return this.#pt[SESSION](async (ctx) => {
      req.handle = await this.#model[HANDLE](ctx, opts);
      const ans = await ctx.request('forecast', req, opts, { useBigInt64: true });
      for (const f of ans.forecasts) {
        if (typeof f.key === 'bigint' && f.key <= BigInt(Number.MAX_SAFE_INTEGER)) f.key = Number(f.key);
      }
      return ans.forecasts;
    });
  }
}
