// Types of series.js: long-format series CSV by the project's series rules.

export class SeriesError extends Error {
  readonly name: 'SeriesError';
}

/** Bound on series × steps × features of one set. */
export const MAX_VALUES: number;

/** N series of T steps × D features, row-major, NaN where missing. */
export class SeriesSet {
  /** Series ids, in byte order. */
  readonly ids: string[];
  /** The union of the series' steps, ascending. */
  readonly steps: number[];
  /** Feature names, in column order. */
  readonly features: string[];
  /** Each series' group, when read with a group column. */
  readonly groups: string[] | null;
  /** N × T × D values. */
  readonly x: Float32Array;
  /** One target per series, NaN when absent. */
  readonly target: Float64Array;
  readonly T: number;
  readonly D: number;
  /** Series i (a view of x). */
  series(i: number): Float32Array;
  /** Every series, as Forecaster.forecast takes them. */
  all(): Float32Array[];
  /** Every series' Monte Carlo key (seriesKey of its id), for Forecaster.forecast's keys option. */
  keys(): bigint[];
  /** The set with columns in the order of names (a model's features); throws SeriesError for missing or unknown columns. */
  match(names: string[]): SeriesSet;
}

/** Reads long-format series (id, step, features…, [target]); group names an optional group column. */
export function readSeriesCSV(text: string | ArrayBuffer | ArrayBufferView, opts?: { group?: string }): SeriesSet;

/** The Monte Carlo key of a series named id: FNV-1a 64 of its UTF-8 bytes (docs/RNG.md), as Go's sdk.SeriesKey. */
export function seriesKey(id: string): bigint;
