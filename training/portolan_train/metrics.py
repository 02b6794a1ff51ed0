"""Regression and uncertainty metrics (the same definitions as Go's uncertainty/).

All take numpy arrays: y (targets), mu (predictive means), var (predictive
variances, > 0).
"""

import math

import numpy as np

_SQRT2 = math.sqrt(2.0)


def _phi(z):
    return np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def _Phi(z):
    from math import erf
    return 0.5 * (1 + np.vectorize(erf)(z / _SQRT2))


def _Phi_inv(p):
    # Acklam's rational approximation refined by one Newton step (|err| < 1e-12)
    from statistics import NormalDist
    return np.array([NormalDist().inv_cdf(float(x)) for x in np.atleast_1d(p)])


# the central-interval levels calibration is measured at, computed as Go's
# uncertainty.Levels computes them (0.05·(i+1), bit for bit)
LEVELS = [0.05 * (i + 1) for i in range(19)]


def rmse(y, mu):
    return float(np.sqrt(np.mean((y - mu) ** 2)))


def mae(y, mu):
    return float(np.mean(np.abs(y - mu)))


def r2(y, mu):
    return float(1 - np.sum((y - mu) ** 2) / np.sum((y - np.mean(y)) ** 2))


def gaussian_nll(y, mu, var):
    """Mean negative log-likelihood: 0.5 log(2π var) + (y−mu)²/(2 var)."""
    return float(np.mean(0.5 * np.log(2 * np.pi * var) + (y - mu) ** 2 / (2 * var)))


def crps_gaussian(y, mu, var):
    """Mean CRPS of N(mu, var): σ [z(2Φ(z)−1) + 2φ(z) − 1/√π], z = (y−mu)/σ."""
    s = np.sqrt(var)
    z = (y - mu) / s
    return float(np.mean(s * (z * (2 * _Phi(z) - 1) + 2 * _phi(z) - 1 / math.sqrt(math.pi))))


def picp(y, mu, var, level=0.9):
    """Share of targets inside the central Gaussian interval at level."""
    k = _Phi_inv(0.5 + level / 2)[0]
    s = np.sqrt(var)
    return float(np.mean((y >= mu - k * s) & (y <= mu + k * s)))


def mace(y, mu, var, levels=None):
    """Mean absolute calibration error over central-interval levels 0.05..0.95."""
    if levels is None:
        levels = LEVELS
    return float(np.mean([abs(picp(y, mu, var, p) - p) for p in levels]))


def calibration_curve(y, mu, var, levels=None):
    """(level, observed coverage) of the central Gaussian intervals at
    levels 0.05..0.95: the points of a reliability diagram."""
    if levels is None:
        levels = LEVELS
    return [(float(p), picp(y, mu, var, p)) for p in levels]


def ence(y, mu, var, bins=10):
    """Expected normalised calibration error (Levi et al. 2019): rows sorted
    by predicted variance (stable) into equal-count bins (bin b holds rows
    b·n//k to (b+1)·n//k), (1/k) Σ_b |RMV_b − RMSE_b| / RMV_b."""
    idx = np.argsort(var, kind="stable")
    n = len(idx)
    k = max(1, min(bins, n))
    s = 0.0
    for b in range(k):
        sel = idx[b * n // k:(b + 1) * n // k]
        rmv = math.sqrt(np.mean(var[sel]))
        s += abs(rmv - math.sqrt(np.mean((y[sel] - mu[sel]) ** 2))) / rmv
    return s / k


def sharpness(var):
    """Mean predictive standard deviation."""
    return float(np.mean(np.sqrt(var)))


def all_metrics(y, mu, var):
    y, mu, var = (np.asarray(a, np.float64) for a in (y, mu, var))
    return {
        "r2": r2(y, mu), "rmse": rmse(y, mu), "mae": mae(y, mu), "nll": gaussian_nll(y, mu, var),
        "crps": crps_gaussian(y, mu, var), "mace": mace(y, mu, var), "picp90": picp(y, mu, var, 0.9),
        "ence": ence(y, mu, var), "sharpness": sharpness(var),
    }
