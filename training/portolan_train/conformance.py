"""Reference vectors for cross-target conformance (testdata/conformance/).

Each vector file is a bundle (docs/FORMAT.md) of kind `conformance-way` or
`conformance-td` holding inputs and the reference outputs, computed with the
model in float64 so that a target's error is measured against the exact
value. Its config names the model bundle and the tolerances.
"""

import os

import numpy as np
import torch

from . import bundle as pb
from . import td as tdm
from . import way as waym
from .shards import Shards, batch

WAY_TOL = {"logits_abs": 1e-4, "eta_rel": 1e-4, "topk_margin": 1e-5}
TD_TOL = {"stats_rel": 1e-5, "stats_abs": 1e-6}


def way_vectors(model_path, shards_dir, out_path, n=4, split="test", top=5):
    model, mb = waym.load(model_path)
    model = model.double()
    sh = Shards(shards_dir)
    sp = sh.splits[split] if len(sh.splits[split]) else sh.splits["train"]
    # voyages of at most 24 cells: the logits are cells × ports, and a world model has hundreds of ports
    idx = [v for v in range(len(sp)) if sp.voyage_cells[v + 1] - sp.voyage_cells[v] <= 24][:n]
    # raw features: the runtime scales them with the bundle's statistics
    b = batch(sp, idx, sh.sub_len, int(mb.config["max_len"]), np.zeros(9, np.float32), np.ones(9, np.float32))
    mean = np.asarray(mb.preprocessing["mean"], np.float64)
    std = np.asarray(mb.preprocessing["std"], np.float64)
    valid = b["sub_len"] > 0
    x = np.where(np.arange(sh.sub_len)[None, None, :, None] < b["sub_len"][..., None, None],
                 (b["sub_x"].astype(np.float64) - mean) / std, 0.0)
    with torch.no_grad():
        logits, eta = model(torch.as_tensor(b["spacetime"], dtype=torch.float64), torch.as_tensor(x),
                            torch.as_tensor(b["sub_len"]), torch.as_tensor(b["ship"]), torch.as_tensor(b["departure"]))
    logits = logits.numpy()
    eta_h = eta.numpy() * waym.ETA_SCALE
    last = valid.sum(1) - 1
    final = logits[np.arange(len(idx)), last]
    topk = np.argsort(-final, axis=1, kind="stable")[:, :top]
    v = pb.Bundle(kind="conformance-way", config={"model": os.path.basename(model_path), "tolerance": WAY_TOL, "top": top})
    v.add("spacetime", b["spacetime"])
    v.add("sub_x_raw", b["sub_x"])
    v.add("sub_len", b["sub_len"].astype(np.int32), dtype="i32")
    v.add("ship", b["ship"].astype(np.int32), dtype="i32")
    v.add("departure", b["departure"].astype(np.int32), dtype="i32")
    v.add("logits", logits.astype(np.float32))
    v.add("eta_hours", eta_h.astype(np.float32))
    v.add("topk", topk.astype(np.int32), dtype="i32")
    pb.write(v, out_path)
    return v


def td_vectors(model_path, X, out_path, samples=20, seed=1, ids=None):
    """MC statistics of series X (N, T, D) under the per-series keys of ids
    (default site00, site01, …): each key is the FNV-1a 64 hash of its id,
    as the runtime derives it for CSV series (docs/RNG.md). The config
    records the ids and keys."""
    from . import rng as prng
    model, scaler, _ = tdm.load(model_path)
    model = model.double()
    if ids is None:
        ids = ["site%02d" % i for i in range(len(X))]
    keys = [prng.fnv1a64(i) for i in ids]
    p = tdm.mc_predict(model, scaler, X.astype(np.float64), samples=samples, seed=seed, keys=keys)
    v = pb.Bundle(kind="conformance-td", config={"model": os.path.basename(model_path), "tolerance": TD_TOL,
                                                 "samples": samples, "seed": seed, "ids": list(ids),
                                                 "keys": keys})
    v.add("x_raw", X.astype(np.float32))
    for k in ("mean", "epistemic", "aleatoric", "total", "sample_mean", "sample_var"):
        v.add(k, p[k].astype(np.float32))
    pb.write(v, out_path)
    return v
