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
    if not os.path.isdir(directory):
        raise DataError("lfmc:%s: no such directory (want the folder holding lfmc_X_float32.npy and lfmc_y_float32.npy)"
                        % directory)
    X, y = load_npy(os.path.join(directory, "lfmc_X_float32.npy"), os.path.join(directory, "lfmc_y_float32.npy"))
    if np.isnan(X).any():
        raise DataError("%s: the LFMC set has no gaps, but X holds NaN" % directory)
    return X, y


class DataError(ValueError):
    """Training data that cannot be used as given; the message says why and how to fix it."""


def _load_array(path, what, log=None):
    if not os.path.isfile(path):
        raise DataError("%s: no such file (%s)" % (path, what))
    try:
        a = np.load(path, allow_pickle=False)
    except ValueError as e:
        raise DataError("%s: not a plain NumPy array (%s): %s" % (path, what, e)) from None
    if isinstance(a, np.lib.npyio.NpzFile):
        raise DataError("%s: an .npz archive; save one array per .npy file (np.save)" % path)
    if a.dtype == np.float32:
        return a
    if a.dtype.kind not in "fiu" or a.dtype.kind == "f" and a.dtype.itemsize > 8:
        raise DataError("%s: dtype %s; want float32 (or float64/integers, converted)" % (path, a.dtype))
    with np.errstate(over="ignore", invalid="ignore"):
        b = a.astype(np.float32)
    over = np.isinf(b) & ~np.isinf(a)
    if over.any():
        raise DataError("%s: %s values beyond float32's range (e.g. %r); rescale the data" % (path, a.dtype, a[over][0]))
    if log:
        log("%s: %s %s converted to float32 (the models run in float32)" % (path, a.dtype, tuple(a.shape)))
    return b


def load_npy(x_path, y_path, log=None):
    """X (N, T, D) and y (N,) from .npy files. float64 or integer arrays are
    converted to float32 (noted through log); NaN in X is a gap, filled like
    a CSV gap; anything infinite, NaN targets or mismatched lengths are
    refused with the shapes named."""
    X = _load_array(x_path, "X, shape (N, T, D)", log)
    y = _load_array(y_path, "targets, shape (N,)", log)
    if X.ndim == 2:
        raise DataError("%s: X has shape %s; want (N, T, D). A set of plain feature vectors is T = 1: "
                        "np.save(path, X[:, None, :])" % (x_path, X.shape))
    if X.ndim != 3:
        raise DataError("%s: X has shape %s; want (N, T, D)" % (x_path, X.shape))
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError("%s: targets have shape %s; want (N,)" % (y_path, y.shape))
    if len(X) != len(y):
        raise DataError("X and Y do not match: %s holds %d series, %s %d targets" % (x_path, len(X), y_path, len(y)))
    if np.isinf(X).any():
        raise DataError("%s: X holds infinite values" % x_path)
    if not np.isfinite(y).all():
        raise DataError("%s: %d targets are NaN or infinite" % (y_path, int((~np.isfinite(y)).sum())))
    return X, y


def load_td_shard(path):
    """A td shard written by `portolan prepare td` (docs/SHARDS.md): the
    same dict as read_series_csv."""
    from . import bundle as pb
    if not os.path.isfile(path):
        raise DataError("td:%s: no such file (write one with portolan prepare td)" % path)
    b = pb.read(path)
    if b.kind != "td-shard":
        raise DataError("%s: a %r bundle, not a td shard (portolan prepare td)" % (path, b.kind))
    X = b.array("x").copy()
    if X.ndim != 3:
        raise DataError("%s: x has shape %s" % (path, X.shape))
    names = [t.name for t in b.tensors]
    if "gaps" in names:
        X.reshape(-1)[b.array("gaps").astype(np.int64)] = np.nan
    y = b.array("target").astype(np.float64) if "target" in names else np.full(len(X), np.nan)
    c = b.config
    return {"ids": list(c["ids"]), "steps": list(c["step_values"]), "groups": c.get("groups"),
            "group": c.get("group"), "features": list(b.preprocessing["features"]) or None, "X": X, "y": y}


class SeriesError(DataError):
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


def kfold(n, k, seed=1, groups=None):
    """k folds of range(n). Without groups, random (the paper's 10-fold
    random CV). With groups (one label per series), every group falls in
    one fold: groups are shuffled with seed, then each (largest first) goes
    to the fold with the fewest series so far."""
    if groups is None:
        idx = np.random.default_rng(seed).permutation(n)
        return [idx[i::k] for i in range(k)]
    labels, inv, counts = _groups(groups, n)
    if k > len(labels):
        raise DataError("--cv %d needs at least %d groups; the data have %d" % (k, k, len(labels)))
    order = np.random.default_rng(seed).permutation(len(labels))
    order = order[np.argsort(-counts[order], kind="stable")]
    size, fold_of = np.zeros(k, np.int64), np.zeros(len(labels), np.int64)
    for g in order:
        f = int(np.argmin(size))
        fold_of[g] = f
        size[f] += counts[g]
    return [np.flatnonzero(fold_of[inv] == f) for f in range(k)]


def holdout(n, frac, seed=1, groups=None):
    """Split range(n) into (train, validation) with about frac of the series
    in validation: at random, or by whole groups (groups shuffled with seed,
    taken until frac is reached; at least one group each side)."""
    rng = np.random.default_rng(seed)
    if groups is None:
        idx = rng.permutation(n)
        n_val = max(1, int(round(frac * n)))
        return np.sort(idx[n_val:]), np.sort(idx[:n_val])
    labels, inv, counts = _groups(groups, n)
    if len(labels) < 2:
        raise DataError("a grouped validation split needs at least 2 groups; the data have %d" % len(labels))
    chosen, total = [], 0
    for g in rng.permutation(len(labels)):
        if total >= frac * n or len(chosen) == len(labels) - 1:
            break
        chosen.append(g)
        total += counts[g]
    val = np.isin(inv, chosen)
    return np.flatnonzero(~val), np.flatnonzero(val)


def _groups(groups, n):
    groups = np.asarray([str(g) for g in groups])
    if len(groups) != n:
        raise DataError("%d group labels for %d series" % (len(groups), n))
    labels, inv, counts = np.unique(groups, return_inverse=True, return_counts=True)
    return labels, inv, counts


def load_groups(path, n):
    """Group labels from a file, one per series: a .npy of shape (N,), or
    text with one label per line."""
    if path.endswith(".npy"):
        g = np.load(path, allow_pickle=False)
        if g.ndim != 1:
            raise DataError("%s: groups have shape %s; want (N,)" % (path, g.shape))
        labels = [str(v) for v in g.tolist()]
    else:
        with open(path) as f:
            labels = [line.strip() for line in f if line.strip()]
    if len(labels) != n:
        raise DataError("%s holds %d group labels for %d series" % (path, len(labels), n))
    return labels


DATA_FORMS = "synthetic, lfmc:DIR, npy:X.npy,Y.npy, csv:FILE or td:FILE.portolan (portolan prepare td)"


def load(spec, groups=None, log=None, need_targets=True, optional_groups=False):
    """Load a --data/--val/--test argument. groups, when set, is a file of
    labels or the name of a CSV column (a td shard's group column); with
    optional_groups (validation and test data), a group column is left out
    of the features when present and not required.

    Returns a dict: X (N, T, D) float32 with NaN gaps, y (N,) float32,
    features (names or None), groups (labels or None), ids."""
    kind, sep, arg = spec.partition(":")
    if kind == "synthetic":
        if arg and not arg.isdigit():
            raise DataError("--data %r: synthetic takes a series count, synthetic:N" % spec)
        n = int(arg) if arg else 2000
        X, y, names = synthetic_vegetation(n=n)
        out = {"X": X, "y": y, "features": names, "groups": None}
    elif kind == "lfmc" and arg:
        X, y = load_lfmc(arg)
        out = {"X": X, "y": y, "features": lfmc_feature_names(), "groups": None}
    elif kind == "npy" and arg:
        parts = arg.split(",")
        if len(parts) != 2 or not all(parts):
            raise DataError("--data %r: npy wants two files, npy:X.npy,Y.npy" % spec)
        X, y = load_npy(parts[0], parts[1], log)
        out = {"X": X, "y": y, "features": None, "groups": None}
    elif kind == "csv" and arg:
        col = groups if groups and not os.path.isfile(groups) else None
        if not os.path.isfile(arg):
            raise DataError("csv:%s: no such file" % arg)
        try:
            s = read_series_csv(arg, col)
        except SeriesError as e:
            if not (optional_groups and col and "no group column" in str(e)):
                raise
            s = read_series_csv(arg)
        out = {"X": s["X"], "y": s["y"], "features": s["features"], "groups": s["groups"], "ids": s["ids"]}
    elif kind == "td" and arg:
        s = load_td_shard(arg)
        if groups and not os.path.isfile(groups) and not optional_groups:
            if s["groups"] is None or s["group"] != groups:
                raise DataError("--groups %s: %s has no such group column (portolan prepare td --group %s)"
                                % (groups, arg, groups))
        out = {"X": s["X"], "y": s["y"], "features": s["features"], "groups": s["groups"], "ids": s["ids"]}
    else:
        hint = ""
        ext = os.path.splitext(spec)[1].lower()
        if ext in (".csv", ".npy", ".portolan") or os.path.isdir(spec):
            hint = "; did you mean %s:%s?" % ({".csv": "csv", ".npy": "npy", ".portolan": "td"}.get(ext, "lfmc"), spec)
        raise DataError("--data %r: want %s%s" % (spec, DATA_FORMS, hint))
    if optional_groups:
        pass
    elif groups and os.path.isfile(groups):
        out["groups"] = load_groups(groups, len(out["X"]))
    elif groups and out["groups"] is None:
        raise DataError("--groups %s: not a file, and %s has no column of that name" % (groups, spec))
    if need_targets:
        missing = np.isnan(out["y"])
        if missing.any():
            raise DataError("%s: %d series without a target" % (spec, int(missing.sum())))
    out["y"] = np.asarray(out["y"], np.float32)
    out.setdefault("ids", [str(i) for i in range(len(out["X"]))])
    return out


def align(ref, other, what):
    """Put other's feature columns in ref's order (by name), refusing
    missing or unknown columns; unnamed data (npy) must match the width."""
    names, X = other["features"], other["X"]
    if ref["features"] is None or names is None:
        if X.shape[1:] != ref["X"].shape[1:]:
            raise DataError("%s has series of shape %s, the training data %s" % (what, X.shape[1:], ref["X"].shape[1:]))
        return other
    missing = [n for n in ref["features"] if n not in names]
    unknown = [n for n in names if n not in ref["features"]]
    if missing or unknown:
        raise DataError("%s: columns do not match the training data: missing %s, unknown %s"
                        % (what, ", ".join(missing) or "none", ", ".join(unknown) or "none"))
    if X.shape[1] != ref["X"].shape[1]:
        raise DataError("%s has %d steps, the training data %d" % (what, X.shape[1], ref["X"].shape[1]))
    perm = [names.index(n) for n in ref["features"]]
    return dict(other, X=X[:, :, perm], features=list(ref["features"]))
