"""Time-series data for the temporal-dropout regressor: the LFMC set, CSV
series, and a synthetic vegetation-index generator."""

import csv
import os

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


def load_csv(path):
    """Long-format series: a header with `id`, `step`, feature columns and
    `target`; one row per (id, step). Missing feature cells (empty, NA) are
    imputed with the feature mean (0 after scaling); a series' target is its
    last row's. Returns X (N, T, D), y (N,), feature names."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError("%s: no rows" % path)
    feats = [c for c in rows[0] if c not in ("id", "step", "target")]
    ids = sorted({r["id"] for r in rows})
    steps = sorted({int(r["step"]) for r in rows})
    X = np.full((len(ids), len(steps), len(feats)), np.nan, np.float32)
    y = np.full(len(ids), np.nan, np.float32)
    ii = {v: i for i, v in enumerate(ids)}
    ss = {v: i for i, v in enumerate(steps)}
    for r in rows:
        i, s = ii[r["id"]], ss[int(r["step"])]
        for k, name in enumerate(feats):
            v = r[name].strip()
            if v not in ("", "NA", "nan", "NaN"):
                X[i, s, k] = float(v)
        if r.get("target", "").strip() not in ("", "NA"):
            y[i] = float(r["target"])
    if np.any(np.isnan(y)):
        raise ValueError("%s: %d series without a target" % (path, int(np.isnan(y).sum())))
    return impute(X), y, feats


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
