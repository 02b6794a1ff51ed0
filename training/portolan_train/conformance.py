"""Reference vectors for cross-target conformance (testdata/conformance/).

Each vector file is a bundle (docs/FORMAT.md) of kind `conformance-way` or
`conformance-td` holding inputs and the reference outputs, computed with the
model in float64 so that a target's error is measured against the exact
value. Its config names the model bundle and the tolerances.

A vector whose config has `dtype` (f16 or int8) is for the named f32 bundle
converted to that dtype (bundle.Bundle.converted, which Go's
Bundle.Convert reproduces byte for byte): its reference outputs are the
converted model's, with the f32 tolerances, and its `f32_*` tensors are
the f32 model's outputs, which the converted model must stay within the
quantisation bounds of (QUANT_TOL, docs/MODELS.md "Quantised bundles").

`suite` trains the small models of every temporal-dropout kind on both
backbones (testdata/models/td-BACKBONE-KIND.portolan) and writes the
vectors of all of them (`make conformance-vectors`).
"""

import os

import numpy as np
import torch

from . import bundle as pb
from . import data
from . import td as tdm
from . import way as waym
from .shards import Shards, batch

WAY_TOL = {"logits_abs": 1e-4, "eta_rel": 1e-4, "topk_margin": 1e-5}
TD_TOL = {"stats_rel": 1e-5, "stats_abs": 1e-6}

# Quantisation bounds: how far a converted model's outputs may be from the
# f32 model's, measured against its float64 reference (docs/MODELS.md).
# WAY: logits and probabilities absolute, ETA relative to max(1 h, |ETA|).
# TD: each Monte Carlo sample's mean μ and the mean within mu_ystd·y_std;
# each sample's σ² and the aleatoric and total variances within var_rel
# of the f32 value; the epistemic variance (a variance of the μ, whose
# errors it compounds) within epi_rel of the f32 value plus
# epi_ystd2·y_std².
QUANT_TOL = {
    "f16": {"logits_abs": 0.01, "probs_abs": 0.002, "eta_rel": 0.02,
            "mu_ystd": 0.001, "var_rel": 0.002, "epi_rel": 0.05, "epi_ystd2": 1e-5},
    "int8": {"logits_abs": 0.15, "probs_abs": 0.02, "eta_rel": 0.08,
             "mu_ystd": 0.005, "var_rel": 0.02, "epi_rel": 0.5, "epi_ystd2": 1e-4},
}

# The small conformance models: every kind on both backbones.
BACKBONES = ("lstm", "transformer")
SUITE_SIZE = dict(hidden=20, dense=16, layers=2, heads=2)
SUITE_T, SUITE_EPOCHS, SUITE_ALPHA = 6, 4, 0.2


def _converted(path, dtype):
    b = pb.read(path)
    return b if dtype is None else b.converted(dtype)


def _way_outputs(b, bt):
    """Logits and ETA hours of the WAY bundle b (float64) on batch bt."""
    model, _ = waym.load(b)
    model = model.double()
    mean = np.asarray(b.preprocessing["mean"], np.float64)
    std = np.asarray(b.preprocessing["std"], np.float64)
    S = bt["sub_x"].shape[2]
    x = np.where(np.arange(S)[None, None, :, None] < bt["sub_len"][..., None, None],
                 (bt["sub_x"].astype(np.float64) - mean) / std, 0.0)
    with torch.no_grad():
        logits, eta = model(torch.as_tensor(bt["spacetime"], dtype=torch.float64), torch.as_tensor(x),
                            torch.as_tensor(bt["sub_len"]), torch.as_tensor(bt["ship"]), torch.as_tensor(bt["departure"]))
    return logits.numpy(), eta.numpy() * waym.ETA_SCALE


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def way_vectors(model_path, shards_dir, out_path, n=4, split="test", top=5, dtype=None):
    b = _converted(model_path, dtype)
    sh = Shards(shards_dir)
    sp = sh.splits[split] if len(sh.splits[split]) else sh.splits["train"]
    # voyages of at most 24 cells: the logits are cells × ports, and a world model has hundreds of ports
    idx = [v for v in range(len(sp)) if sp.voyage_cells[v + 1] - sp.voyage_cells[v] <= 24][:n]
    # raw features: the runtime scales them with the bundle's statistics
    bt = batch(sp, idx, sh.sub_len, int(b.config["max_len"]), np.zeros(9, np.float32), np.ones(9, np.float32))
    logits, eta_h = _way_outputs(b, bt)
    valid = bt["sub_len"] > 0
    last = valid.sum(1) - 1
    final = logits[np.arange(len(idx)), last]
    topk = np.argsort(-final, axis=1, kind="stable")[:, :top]
    cfg = {"model": os.path.basename(model_path), "tolerance": dict(WAY_TOL), "top": top}
    v = pb.Bundle(kind="conformance-way", config=cfg)
    v.add("spacetime", bt["spacetime"])
    v.add("sub_x_raw", bt["sub_x"])
    v.add("sub_len", bt["sub_len"].astype(np.int32), dtype="i32")
    v.add("ship", bt["ship"].astype(np.int32), dtype="i32")
    v.add("departure", bt["departure"].astype(np.int32), dtype="i32")
    v.add("logits", logits.astype(np.float32))
    v.add("eta_hours", eta_h.astype(np.float32))
    v.add("topk", topk.astype(np.int32), dtype="i32")
    if dtype is not None:
        ref_logits, ref_eta = _way_outputs(pb.read(model_path), bt)
        tol = QUANT_TOL[dtype]
        cfg["dtype"] = dtype
        cfg["tolerance"].update({"f32_" + k: tol[k] for k in ("logits_abs", "probs_abs", "eta_rel")})
        err = {"logits_abs": np.abs(logits - ref_logits)[valid].max(),
               "probs_abs": np.abs(softmax(logits) - softmax(ref_logits))[valid].max(),
               "eta_rel": (np.abs(eta_h - ref_eta) / np.maximum(1, np.abs(ref_eta)))[valid].max()}
        for k, e in err.items():  # the bound must hold for the reference itself
            if not e <= tol[k]:
                raise ValueError("%s %s: %s error %.4g over the bound %g" % (model_path, dtype, k, e, tol[k]))
        v.add("f32_logits", ref_logits.astype(np.float32))
        v.add("f32_eta_hours", ref_eta.astype(np.float32))
    pb.write(v, out_path)
    return v


TD_STATS = ("mean", "epistemic", "aleatoric", "total", "sample_mean", "sample_var")


def td_quant_errors(p, ref, y_std, tol):
    """The quantisation error of each TD output in units of its bound
    (1 = at the bound): see QUANT_TOL."""
    mu = tol["mu_ystd"] * y_std
    out = {}
    for k in ("sample_mean", "mean"):
        out[k] = np.max(np.abs(p[k] - ref[k])) / mu
    for k in ("sample_var", "aleatoric", "total"):
        out[k] = np.max(np.abs(p[k] - ref[k]) / (tol["var_rel"] * np.abs(ref[k])))
    out["epistemic"] = np.max(np.abs(p["epistemic"] - ref["epistemic"]) /
                              (tol["epi_rel"] * np.abs(ref["epistemic"]) + tol["epi_ystd2"] * y_std ** 2))
    return out


def td_vectors(model_path, X, out_path, samples=20, seed=1, ids=None, dtype=None):
    """MC statistics of series X (N, T, D) under the per-series keys of ids
    (default site00, site01, …): each key is the FNV-1a 64 hash of its id,
    as the runtime derives it for CSV series (docs/RNG.md). The config
    records the ids and keys."""
    from . import rng as prng
    b = _converted(model_path, dtype)

    def run(bundle):
        model, scaler, _ = tdm.load(bundle)
        return tdm.mc_predict(model.double(), scaler, X.astype(np.float64), samples=samples, seed=seed, keys=keys)
    if ids is None:
        ids = ["site%02d" % i for i in range(len(X))]
    keys = [prng.fnv1a64(i) for i in ids]
    p = run(b)
    cfg = {"model": os.path.basename(model_path), "tolerance": dict(TD_TOL), "samples": samples, "seed": seed,
           "ids": list(ids), "keys": keys}
    v = pb.Bundle(kind="conformance-td", config=cfg)
    v.add("x_raw", X.astype(np.float32))
    for k in TD_STATS:
        v.add(k, p[k].astype(np.float32))
    if dtype is not None:
        ref = run(pb.read(model_path))
        tol = QUANT_TOL[dtype]
        cfg["dtype"] = dtype
        cfg["tolerance"].update({"f32_" + k: tol[k] for k in ("mu_ystd", "var_rel", "epi_rel", "epi_ystd2")})
        for k, e in td_quant_errors(p, ref, b.config["y_std"], tol).items():
            if not e <= 1:
                raise ValueError("%s %s: %s error %.3g × the bound" % (model_path, dtype, k, e))
        for k in TD_STATS:
            v.add("f32_" + k, ref[k].astype(np.float32))
    pb.write(v, out_path)
    return v


def suite_data():
    """Training data and vector inputs of the small conformance models."""
    X, y, names = data.synthetic_vegetation(n=256, T=SUITE_T, seed=7)
    Xv, _, _ = data.synthetic_vegetation(n=4, T=SUITE_T, seed=99)
    return X, y, names, Xv


def suite(models_dir, out_dir, log=None):
    """Train the small model of every kind on both backbones (a few
    epochs on CPU), write each bundle to models_dir/td-BACKBONE-KIND.portolan
    and its vectors (4 series, 8 samples) to out_dir; the transformer MC-TD
    model also gets f16 and int8 vectors. Returns the bundle paths."""
    from . import device as dev
    X, y, names, Xv = suite_data()
    paths = []
    torch.set_num_threads(1)  # the same bits on every machine that runs this torch
    for bb in BACKBONES:
        for kind in tdm.KINDS:
            name = "td-%s-%s" % (bb, kind)
            dev.seed_everything(1)
            m, sc, info = tdm.fit(X, y, kind=kind, alpha=SUITE_ALPHA, backbone=bb, epochs=SUITE_EPOCHS, batch_size=32,
                                  seed=1, device="cpu", dropout=0.1, size=SUITE_SIZE)
            path = os.path.join(models_dir, name + ".portolan")
            tdm.export(m, sc, path, names, metrics={"epochs": float(info["epochs"])},
                       extra={"purpose": "conformance vectors (make conformance-vectors)"})
            td_vectors(path, Xv, os.path.join(out_dir, name + ".vectors.portolan"), samples=8, seed=1)
            paths.append(path)
            if log:
                log("wrote", path)
    tr = os.path.join(models_dir, "td-transformer-mc-td.portolan")
    for dt in ("f16", "int8"):
        td_vectors(tr, Xv, os.path.join(out_dir, "td-transformer-mc-td-%s.vectors.portolan" % dt), samples=8, seed=1,
                   dtype=dt)
    return paths
