// Long-format series CSV (id, step, features…, [target]) read in
// JavaScript by the series rules of the Go timeseries package and the
// trainer (package doc of timeseries; docs/SHARDS.md): columns by name,
// the union of steps with gaps, series ordered by id, strict numbers, one
// target per series. The guest's forecast export takes raw arrays, so a
// page or program that starts from a CSV reads it here; a cross-language
// test (test/series.test.js) holds this reader to the trainer's on every
// fixture in testdata/series.

/** The error of a file that breaks the series rules. */
export class SeriesError extends Error {
  constructor(message) {
    super(message);
    this.name = 'SeriesError';
  }
}

/** Bound on series × steps × features of one set (timeseries.MaxValues). */
export const MAX_VALUES = 2 ** 28;

const MAX_FLOAT32 = 3.4028234663852886e38;
const DECIMAL = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
const INTEGER = /^[+-]?[0-9]+$/;
const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null']);

// records splits CSV text as Go's encoding/csv does with its defaults:
// comma-separated, "quoted" fields with "" for a quote (and newlines
// inside), \r\n read as \n, blank lines skipped, and a quote inside an
// unquoted field refused.
function* records(text) {
  const s = text.replace(/\r\n/g, '\n');
  let i = 0;
  let line = 1;
  while (i < s.length) {
    if (s[i] === '\n') {
      i++;
      line++;
      continue; // a blank line
    }
    const rec = [];
    const start = line;
    for (;;) {
      let field = '';
      if (s[i] === '"') {
        i++;
        for (;;) {
          const q = s.indexOf('"', i);
          if (q < 0) throw new SeriesError(`line ${start}: a quoted field is not closed`);
          field += s.slice(i, q);
          for (let k = i; k < q; k++) if (s[k] === '\n') line++;
          i = q + 1;
          if (s[i] === '"') {
            field += '"';
            i++;
            continue;
          }
          break;
        }
        if (i < s.length && s[i] !== ',' && s[i] !== '\n') {
          throw new SeriesError(`line ${line}: extraneous or missing " in a quoted field`);
        }
      } else {
        let j = i;
        while (j < s.length && s[j] !== ',' && s[j] !== '\n') j++;
        field = s.slice(i, j);
        if (field.includes('"')) throw new SeriesError(`line ${line}: bare " in a field without quotes`);
        i = j;
      }
      rec.push(field);
      if (s[i] === ',') {
        i++;
        continue;
      }
      if (s[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    yield [start, rec];
  }
}

// cell parses a value: NaN when missing.
function cell(v) {
  const t = v.trim();
  if (MISSING.has(t.toLowerCase())) return NaN;
  if (!DECIMAL.test(t)) throw new Error(`value ${JSON.stringify(t)} is not a decimal number`);
  const f = Number(t);
  if (!Number.isFinite(f) || Math.abs(f) > MAX_FLOAT32) throw new Error(`value ${JSON.stringify(t)} is out of range`);
  return f;
}

// byCodePoint orders strings as Go's sort.Strings does (UTF-8 bytes, that
// is code points; JavaScript's < compares UTF-16 units).
function byCodePoint(a, b) {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return (x.done ? 0 : 1) - (y.done ? 0 : 1);
    const d = x.value.codePointAt(0) - y.value.codePointAt(0);
    if (d !== 0) return d;
  }
}

/**
 * Reads long-format series. group names an optional column labelling each
 * series' group (not a feature).
 * @returns {SeriesSet}
 */
export function readSeriesCSV(text, { group = '' } = {}) {
  const it = records(typeof text === 'string' ? text : new TextDecoder().decode(text));
  const first = it.next();
  if (first.done) throw new SeriesError('no header');
  const names = first.value[1].map((h, i) => (i === 0 ? h.replace(/^\ufeff/, '') : h).trim());
  let idCol = -1;
  let stepCol = -1;
  let targetCol = -1;
  let groupCol = -1;
  const featCols = [];
  const seen = new Set();
  for (const [i, h] of names.entries()) {
    if (seen.has(h)) throw new SeriesError(`column ${JSON.stringify(h)} appears twice`);
    seen.add(h);
    if (h === 'id') idCol = i;
    else if (h === 'step') stepCol = i;
    else if (h === 'target') targetCol = i;
    else if (group !== '' && h === group) groupCol = i;
    else featCols.push(i);
  }
  if (idCol < 0 || stepCol < 0 || featCols.length === 0) {
    throw new SeriesError(`want columns id, step and at least one feature, found ${names.join(', ')}`);
  }
  if (group !== '' && groupCol < 0) throw new SeriesError(`no group column ${JSON.stringify(group)} (columns: ${names.join(', ')})`);

  const rows = new Map(); // id → Map(step → {vals, tgt})
  const groups = new Map();
  const stepSet = new Set();
  let count = 0;
  for (const [line, rec] of it) {
    if (rec.length !== names.length) throw new SeriesError(`line ${line} has ${rec.length} fields, the header ${names.length}`);
    const st = rec[stepCol].trim();
    const step = Number(st);
    if (!INTEGER.test(st) || !Number.isSafeInteger(step)) {
      throw new SeriesError(`line ${line}: step ${JSON.stringify(rec[stepCol])} is not an integer`);
    }
    const id = rec[idCol];
    if (!rows.has(id)) rows.set(id, new Map());
    const byStep = rows.get(id);
    if (byStep.has(step)) throw new SeriesError(`line ${line}: series ${JSON.stringify(id)} has step ${step} twice`);
    const vals = new Float32Array(featCols.length);
    let tgt = NaN;
    try {
      featCols.forEach((c, k) => {
        try {
          vals[k] = cell(rec[c]);
        } catch (e) {
          throw new Error(`column ${names[c]}: ${e.message}`);
        }
      });
      if (targetCol >= 0) {
        try {
          tgt = cell(rec[targetCol]);
        } catch (e) {
          throw new Error(`target: ${e.message}`);
        }
      }
    } catch (e) {
      throw new SeriesError(`line ${line} ${e.message}`);
    }
    if (groupCol >= 0) {
      const g = rec[groupCol].trim();
      if (groups.has(id) && groups.get(id) !== g) {
        throw new SeriesError(`line ${line}: series ${JSON.stringify(id)} is in group ${JSON.stringify(groups.get(id))} and ${JSON.stringify(g)}`);
      }
      groups.set(id, g);
    }
    byStep.set(step, { vals, tgt });
    stepSet.add(step);
    if (++count * featCols.length > MAX_VALUES) throw new SeriesError(`more than ${MAX_VALUES} values`);
  }
  if (count === 0) throw new SeriesError('no rows');

  const ids = [...rows.keys()].sort(byCodePoint);
  const steps = [...stepSet].sort((a, b) => a - b);
  const T = steps.length;
  const D = featCols.length;
  if (ids.length * T * D > MAX_VALUES) {
    throw new SeriesError(`${ids.length} series × ${T} steps × ${D} features is over ${MAX_VALUES} values`);
  }
  const x = new Float32Array(ids.length * T * D).fill(NaN);
  const target = new Float64Array(ids.length);
  ids.forEach((id, i) => {
    let tgt = NaN;
    const byStep = rows.get(id);
    steps.forEach((st, t) => {
      const rw = byStep.get(st);
      if (!rw) return;
      x.set(rw.vals, (i * T + t) * D);
      if (!Number.isNaN(rw.tgt)) {
        if (!Number.isNaN(tgt) && tgt !== rw.tgt) {
          throw new SeriesError(`series ${JSON.stringify(id)} has targets ${tgt} and ${rw.tgt} (one target per series)`);
        }
        tgt = rw.tgt;
      }
    });
    target[i] = tgt;
  });
  return new SeriesSet({
    ids, steps, features: featCols.map((c) => names[c]), groups: groupCol >= 0 ? ids.map((id) => groups.get(id)) : null, x, target,
  });
}

/** N series of T steps × D features, row-major, NaN where missing. */
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const U64 = (1n << 64n) - 1n;

/**
 * The Monte Carlo key of a series named id (docs/RNG.md): the FNV-1a 64-bit
 * hash of the id's UTF-8 bytes, as a BigInt. Go's sdk.SeriesKey and the
 * trainer compute the same, so a series keyed this way gets the same
 * samples here as in the CLI.
 */
export function seriesKey(id) {
  let h = FNV_OFFSET;
  for (const b of new TextEncoder().encode(id)) {
    h ^= BigInt(b);
    h = (h * FNV_PRIME) & U64;
  }
  return h;
}

export class SeriesSet {
  constructor({ ids, steps, features, groups, x, target }) {
    this.ids = ids;
    this.steps = steps;
    this.features = features;
    this.groups = groups;
    this.x = x;
    this.target = target;
    this.T = steps.length;
    this.D = features.length;
  }

  /** Series i (T × D values, a view). */
  series(i) {
    const n = this.T * this.D;
    return this.x.subarray(i * n, (i + 1) * n);
  }

  /** Every series, as forecast() takes them. */
  all() {
    return this.ids.map((_, i) => this.series(i));
  }

  /** Every series' Monte Carlo key (seriesKey of its id), as forecast()'s keys option takes them. */
  keys() {
    return this.ids.map(seriesKey);
  }

  /**
   * Returns the set with its feature columns in the order of names (a
   * model's features), refusing missing or unknown columns, as Go's
   * Set.Match does.
   */
  match(names) {
    const col = new Map(this.features.map((f, i) => [f, i]));
    const missing = names.filter((n) => !col.has(n));
    const unknown = this.features.filter((f) => !names.includes(f));
    if (missing.length || unknown.length) {
      const parts = [];
      if (missing.length) parts.push(`no column for feature(s) ${missing.join(', ')}`);
      if (unknown.length) parts.push(`column(s) ${unknown.join(', ')} are not features of the model`);
      throw new SeriesError(`${parts.join('; ')} (the model takes ${names.join(', ')})`);
    }
    const perm = names.map((n) => col.get(n));
    if (perm.every((p, k) => p === k)) return this;
    const D = this.D;
    const x = new Float32Array(this.x.length);
    for (let r = 0; r < this.x.length / D; r++) {
      for (let k = 0; k < D; k++) x[r * D + k] = this.x[r * D + perm[k]];
    }
    return new SeriesSet({ ...this, features: [...names], x });
  }
}
