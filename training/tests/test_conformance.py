"""The committed reference vectors agree with the committed demo models, and
a float32 PyTorch run meets the tolerances a target must meet."""

import os

import numpy as np
import torch

from portolan_train import bundle as pb
from portolan_train import td, way

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "testdata")


def test_way_vectors_float32_within_tolerance():
    v = pb.read(os.path.join(ROOT, "conformance", "way-demo.vectors.portolan"))
    model, b = way.load(os.path.join(ROOT, "models", v.config["model"]))
    mean = np.asarray(b.preprocessing["mean"], np.float32)
    std = np.asarray(b.preprocessing["std"], np.float32)
    n = v.array("sub_len")
    x = v.array("sub_x_raw")
    S = x.shape[2]
    x = np.where((np.arange(S)[None, None, :] < n[..., None])[..., None], (x - mean) / std, 0).astype(np.float32)
    with torch.no_grad():
        logits, eta = model(torch.as_tensor(v.array("spacetime")), torch.as_tensor(x), torch.as_tensor(n.astype(np.int64)),
                            torch.as_tensor(v.array("ship").astype(np.int64)),
                            torch.as_tensor(v.array("departure").astype(np.int64)))
    tol = v.config["tolerance"]
    valid = n > 0
    assert np.abs(logits.numpy() - v.array("logits"))[valid].max() <= tol["logits_abs"]
    ref_eta = v.array("eta_hours")[valid]
    assert np.all(np.abs(eta.numpy()[valid] * way.ETA_SCALE - ref_eta) <= tol["eta_rel"] * np.maximum(1, np.abs(ref_eta)))
    last = valid.sum(1) - 1
    final = logits.numpy()[np.arange(len(n)), last]
    assert np.array_equal(np.argsort(-final, 1, kind="stable")[:, :v.config["top"]], v.array("topk"))


def test_td_vectors_float32_within_tolerance():
    v = pb.read(os.path.join(ROOT, "conformance", "td-demo.vectors.portolan"))
    model, scaler, _ = td.load(os.path.join(ROOT, "models", v.config["model"]))
    p = td.mc_predict(model, scaler, v.array("x_raw"), samples=v.config["samples"], seed=v.config["seed"],
                      keys=v.config["keys"])
    tol = v.config["tolerance"]
    for k in ("mean", "epistemic", "aleatoric", "total", "sample_mean", "sample_var"):
        ref = v.array(k).astype(np.float64)
        err = np.abs(p[k] - ref)
        assert np.all(err <= tol["stats_abs"] + tol["stats_rel"] * np.abs(ref)), (k, float(err.max()))
