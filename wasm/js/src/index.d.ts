// Types of the Portolan ES module (index.js). Answer fields are the
// snake_case names of docs/SCHEMA.md; times are RFC 3339 strings in UTC.

/** Where a call can be stopped from: per-call options. */
export interface CallOptions {
  /** Stop the call (and its instance) after this many milliseconds; 0: never. Default: the client's timeoutMs. */
  timeoutMs?: number;
  /** Stop the call (and its instance) when this signal aborts. */
  signal?: AbortSignal;
}

export interface CreateOptions {
  /** portolan.wasm (`make wasm`): a path (Node), a URL, its bytes, or a compiled module. */
  wasm: string | URL | ArrayBuffer | ArrayBufferView | WebAssembly.Module;
  /**
   * The SIMD128 kernel module portolan_accel.wasm (`make wasm`), linked where the engine has WebAssembly
   * SIMD128: a path (Node), a URL, its bytes or a compiled module; false for none. Default 'auto': the one
   * beside a wasm path or URL when it is there. Results are the same with and without it.
   */
  kernels?: string | URL | ArrayBuffer | ArrayBufferView | WebAssembly.Module | false | 'auto';
  /** Run the guest in a Worker so that calls can be stopped (default true). */
  worker?: boolean;
  /** The worker script (default: worker.js beside index.js). */
  workerURL?: string | URL;
  /** Default timeout of every call in milliseconds (default 0: none). */
  timeoutMs?: number;
}

/** Status names of failed calls: the guest's, then this module's. */
export type ErrorStatus =
  | 'bad_request' | 'bad_bundle' | 'not_found' | 'wrong_kind' | 'bad_input' | 'limit' | 'unsupported' | 'internal'
  | 'timeout' | 'aborted' | 'terminated' | 'crashed' | 'lost' | 'closed' | 'bad_module';

export class PortolanError extends Error {
  readonly name: 'PortolanError';
  readonly status: ErrorStatus;
  /** The guest's numeric status (docs/WASM.md), when the guest gave one. */
  readonly code?: number;
}

/** An AIS position (docs/SCHEMA.md, Position). */
export interface Position {
  mmsi: number;
  /** RFC 3339, or seconds since the Unix epoch in requests. */
  time?: string | number;
  lat: number;
  lon: number;
  sog?: number;
  cog?: number;
  heading?: number;
  rot?: number;
  nav_status?: number;
  class_b?: boolean;
  name?: string;
  ship_type?: number;
  draught?: number;
  destination?: string;
  /** The vessel's reported ETA resolved to a full time. */
  eta?: string | number;
}

export interface Port {
  locode: string;
  name: string;
  lat: number;
  lon: number;
}

export interface PortProb extends Port {
  prob: number;
}

export interface Prediction {
  mmsi: number;
  /** LOCODE of the departure port ("" when unknown). */
  departure: string;
  departed: string;
  /** Time of the last position used. */
  at: string;
  lat: number;
  lon: number;
  cells: number;
  /** Candidate destinations, most probable first. */
  destinations: PortProb[];
  eta_hours: number;
  eta: string;
}

/** One vessel's outcome: a prediction, or a status and an error. */
export interface VesselResult {
  mmsi: number;
  name: string;
  prediction?: Prediction;
  /** "no_voyage" (in port, or too little data) or "failed". */
  status?: 'no_voyage' | 'failed';
  error?: string;
}

export interface StreamResult {
  mmsi: number;
  prediction?: Prediction;
  status?: 'no_voyage' | 'failed';
  error?: string;
  /** Positions cleaning has dropped so far. */
  dropped: number;
}

export interface Forecast {
  /** The series' Monte Carlo key (a bigint beyond 2^53). */
  key: number | bigint;
  mean: number;
  std: number;
  /** Total predictive variance: epistemic + aleatoric. */
  total: number;
  epistemic: number;
  aleatoric: number;
  lo90: number;
  hi90: number;
  /** Each Monte Carlo sample's mean. */
  samples: number[];
  /** Each Monte Carlo sample's variance. */
  sample_var: number[];
}

/** A series: steps × features raw values, row-major; null or NaN is a gap. */
export type Series = Float32Array | ArrayLike<number | null>;

export class Portolan {
  /** Compiles the guest; instances start on the first call. */
  static create(opts: CreateOptions): Promise<Portolan>;
  /** How many instances have been started so far. */
  readonly generation: number;
  /** The guest's kernels: 'simd128' when the kernel module is linked, else 'none'. */
  readonly kernels: 'simd128' | 'none';
  /** Loads a .portolan bundle; a corrupt one is refused with a PortolanError. */
  open(bundle: ArrayBuffer | ArrayBufferView | string, opts?: CallOptions): Promise<Model>;
  /** Decodes AIS text (NMEA, MarineCadastre or DMA CSV) into positions. */
  decodeAIS(text: string | ArrayBuffer | ArrayBufferView, opts?: CallOptions): Promise<Position[]>;
  /** Sends a raw msgpack request to a call export and returns the raw answer. */
  call(name: string, request?: Uint8Array, opts?: CallOptions): Promise<Uint8Array>;
  /** Stops the call in progress and the instance; the next call starts a new one. */
  terminate(): void;
  /** Stops the instance for good. */
  close(): void;
}

export class Model {
  readonly kind: 'way' | 'td';
  readonly features: string[];
  /** td: time steps per series. */
  readonly steps: number;
  /** way: the destinations the model knows. */
  readonly ports: Port[];
  destinations(cfg?: { topK?: number }): Destinations;
  forecaster(cfg?: { samples?: number; seed?: number | bigint }): Forecaster;
  close(opts?: CallOptions): Promise<void>;
}

export class Destinations {
  readonly topK: number;
  /** Every vessel's voyage in progress, in MMSI order. */
  predict(input: string | ArrayBuffer | ArrayBufferView | Position[], opts?: CallOptions): Promise<VesselResult[]>;
  openStream(mmsi: number, vessel?: { shipType?: number }, opts?: CallOptions): Promise<Stream>;
}

export class Stream {
  readonly mmsi: number;
  /** Pushes positions in time order; the answer is the prediction after the last. */
  push(positions: Position | Position[], opts?: CallOptions): Promise<StreamResult>;
  close(opts?: CallOptions): Promise<void>;
}

export class Forecaster {
  readonly samples: number;
  readonly seed: number | bigint;
  readonly steps: number;
  readonly features: number;
  forecast(series: Series[], opts?: CallOptions & { keys?: Array<number | bigint> }): Promise<Forecast[]>;
}
