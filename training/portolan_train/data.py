"""Time-series data for the temporal-dropout regressor: the LFMC set, CSV
series, and a synthetic vegetation-index generator."""

import csv
import math
import os
import re

import numpy as np

LFMC_VIEWS = [("soil", 3), ("DEM", 2), ("LIDAR", 33), ("landcover", 12), ("S1", 2), ("S1Ind", 1), ("S2", 5), ("S2Ind", 3)]


def lfmc_feature_names():
    return ["%s_%d" % (v, i) for v, n in LFMC_VIEWS for i in range(n)]


def load_lfmc(directory):
    """The LFMC set of the temporal-dropout paper: X (2578, 4, 61) raw, y (2578,) in %."""
    X = np.load(os.path.join(directory, "lfmc_X_float32.npy")).astype(np.float32)
    y = np.load(os.path.join(directory, "lfmc_y_float32.npy")).astype(np.float32)
    if X.ndim != 3 or len(X) != len(y) or not np.all(np.isfinite(X)) or not np.all(np.isfinite(y)):
        raise ValueError("%s: want finite X (N, T, D) and y (N,)" % directory)
    return X, y


def load_npy(x_path, y_path):
    X = np.load(x_path).astype(np.float32)
    y = np.load(y_path).astype(np.float32).reshape(-1)
    if X.ndim != 3 or len(X) != len(y):
        raise ValueError("want X (N, T, D) and y (N,), got %s and %s" % (X.shape, y.shape))
    return impute(X), y


class SeriesError(ValueError):
    """Series input that breaks the reading rules; the message says which."""


_DECIMAL = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_MISSING = ("", "na", "n/a", "nan", "null")
_F32_MAX = float(np.finfo(np.float32).max)
MAX_VALUES = 1 << 28


def _cell(v, where):
    v = v.strip()
    if v.lower() in _MISSING:
        return math.nan
    if not _DECIMAL.match(v):
        raise SeriesError("%s: value %r is not a decimal number" % (where, v))
    f = float(v)
    if math.isinf(f) or abs(f) > _F32_MAX:
        raise SeriesError("%s: value %r is out of range" % (where, v))
    return f


def read_series_csv(path, group=None):
    """Read long-format series by the rules Go's timeseries.ReadCSV follows
    (docs/SHARDS.md, "Series"; a cross-language test holds both to them):
    columns found by name (trimmed, BOM dropped): `id`, `step`, optional
    `target` and group column, the rest features in header order; steps are
    integers, the union over series, ascending, a missing row a gap; series
    sorted by id; empty/NA/N/A/NaN/null cells missing, other cells decimal
    numbers rounded once to float32; one target per series.

    Returns a dict: ids, steps, groups (or None), features, X (N, T, D)
    float32 with NaN for missing values, y (N,) float64 with NaN where a
    series has no target."""
    with open(path, newline="", encoding="utf-8") as f:
        rd = csv.reader(f, strict=True)
        try:
            header = next(rd)
        except StopIteration:
            raise SeriesError("%s: no header" % path) from None
        except csv.Error as e:
            raise SeriesError("%s: header: %s" % (path, e)) from None
        names = [h.strip() for h in header]
        if names:
            names[0] = header[0].lstrip("\ufeff").strip()
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise SeriesError("%s: column %r appears twice" % (path, dup[0]))
        col = {n: i for i, n in enumerate(names)}
        feats = [n for n in names if n not in ("id", "step", "target") and n != group]
        if "id" not in col or "step" not in col or not feats:
            raise SeriesError("%s: want columns id, step and at least one feature, found %s" % (path, ", ".join(names)))
        if group and group not in col:
            raise SeriesError("%s: no group column %r (columns: %s)" % (path, group, ", ".join(names)))
        fcols = [col[n] for n in feats]
        ic, sc, tc, gc = col["id"], col["step"], col.get("target"), col.get(group) if group else None
        rows, groups, steps = {}, {}, set()
        line = 1
        try:
            for rec in rd:
                if not rec:
                    continue  # a blank line (Go's csv skips them too)
                line += 1
                where = "%s: line %d" % (path, line)
                if len(rec) != len(header):
                    raise SeriesError("%s has %d fields, the header %d" % (where, len(rec), len(header)))
                st = rec[sc].strip()
                if not _INTEGER.match(st):
                    raise SeriesError("%s: step %r is not an integer" % (where, rec[sc]))
                key = (rec[ic], int(st))
                if key in rows:
                    raise SeriesError("%s: series %r has step %d twice" % (where, key[0], key[1]))
                vals = [_cell(rec[c], "%s column %s" % (where, names[c])) for c in fcols]
                tgt = _cell(rec[tc], where + " target") if tc is not None else math.nan
                if gc is not None:
                    g = rec[gc].strip()
                    if groups.setdefault(key[0], g) != g:
                        raise SeriesError("%s: series %r is in group %r and %r" % (where, key[0], groups[key[0]], g))
                rows[key] = (vals, tgt)
                steps.add(key[1])
                if len(rows) * len(feats) > MAX_VALUES:
                    raise SeriesError("%s: more than %d values" % (path, MAX_VALUES))
        except csv.Error as e:
            raise SeriesError("%s: line %d: %s" % (path, line + 1, e)) from None
    if not rows:
        raise SeriesError("%s: no rows" % path)
    ids = sorted({k[0] for k in rows})
    steps = sorted(steps)
    N, T, D = len(ids), len(steps), len(feats)
    if N * T * D > MAX_VALUES:
        raise SeriesError("%s: %d series × %d steps × %d features is over %d values" % (path, N, T, D, MAX_VALUES))
    X = np.full((N, T, D), np.nan, np.float32)
    y = np.full(N, np.nan, np.float64)
    for i, sid in enumerate(ids):
        for t, st in enumerate(steps):
            r = rows.get((sid, st))
            if r is None:
                continue
            X[i, t] = np.asarray(r[0], np.float64).astype(np.float32)
            if not math.isnan(r[1]):
                if not math.isnan(y[i]) and y[i] != r[1]:
                    raise SeriesError("%s: series %r has targets %r and %r (one target per series)" % (path, sid, y[i], r[1]))
                y[i] = r[1]
    return {"ids": ids, "steps": steps, "groups": [groups[i] for i in ids] if gc is not None else None,
            "features": feats, "X": X, "y": y}


def load_csv(path, group=None):
    """Long-format series for training (read_series_csv): X (N, T, D) with
    NaN gaps, y (N,) float32, feature names, groups (or None). Every series
    needs a target."""
    s = read_series_csv(path, group)
    missing = [i for i, v in zip(s["ids"], s["y"]) if math.isnan(v)]
    if missing:
        raise SeriesError("%s: %d series without a target (e.g. %s)" % (path, len(missing), ", ".join(missing[:3])))
    return s["X"], s["y"].astype(np.float32), s["features"], s["groups"]


def impute(X):
    """Replace non-finite values by the feature's mean over all series and steps."""
    X = X.copy()
    bad = ~np.isfinite(X)
    if bad.any():
        m = np.nanmean(np.where(bad, np.nan, X).reshape(-1, X.shape[-1]), axis=0)
        m = np.where(np.isfinite(m), m, 0)
        X[bad] = np.broadcast_to(m, X.shape)[bad]
    return X


def synthetic_vegetation(n=2000, T=12, seed=1):
    """A vegetation-index regression task with known structure.

    Each site has a seasonal NDVI curve (amplitude, phase, base level), noise,
    and cloud gaps (steps whose optical features are missing, imputed like real
    gaps); static features (elevation, soil moisture). The target is a moisture
    index driven by the last months' greenness and the soil, with noise that
    grows with elevation (heteroscedastic, so the aleatoric head has work).
    Features per step: ndvi, ndwi, sar_vv, elevation, soil.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(T)
    amp = rng.uniform(0.1, 0.4, n)
    phase = rng.uniform(0, 2 * np.pi, n)
    base = rng.uniform(0.2, 0.5, n)
    elev = rng.normal(0, 1, n)
    soil = rng.uniform(0, 1, n)
    ndvi = base[:, None] + amp[:, None] * np.sin(2 * np.pi * t[None, :] / 12 + phase[:, None]) + rng.normal(0, 0.03, (n, T))
    ndwi = 0.6 * ndvi - 0.1 + 0.2 * soil[:, None] + rng.normal(0, 0.03, (n, T))
    vv = -12 + 5 * soil[:, None] + 3 * ndvi + rng.normal(0, 0.5, (n, T))
    X = np.stack([ndvi, ndwi, vv, np.repeat(elev[:, None], T, 1), np.repeat(soil[:, None], T, 1)], -1).astype(np.float32)
    clouds = rng.random((n, T)) < 0.15
    X[..., 0][clouds] = np.nan
    X[..., 1][clouds] = np.nan
    y = 80 + 120 * ndvi[:, -3:].mean(1) + 40 * soil + rng.normal(0, 1, n) * (5 + 4 * np.abs(elev))
    return impute(X), y.astype(np.float32), ["ndvi", "ndwi", "sar_vv", "elevation", "soil"]


def kfold(n, k, seed=1):
    """k random folds of range(n) (the paper's 10-fold random CV)."""
    idx = np.random.default_rng(seed).permutation(n)
    return [idx[i::k] for i in range(k)]
