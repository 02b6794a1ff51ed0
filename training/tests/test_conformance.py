"""The committed reference vectors agree with the committed demo models, and
a float32 PyTorch run meets the tolerances a target must meet."""

import os

import numpy as np
import pytest
import torch

from portolan_train import bundle as pb
from portolan_train import conformance, td, way

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


def td_vector_files():
    d = os.path.join(ROOT, "conformance")
    return sorted(f for f in os.listdir(d) if f.startswith("td-") and f.endswith(".vectors.portolan"))


def test_td_vectors_cover_every_kind_and_backbone():
    seen = set()
    for f in td_vector_files():
        v = pb.read(os.path.join(ROOT, "conformance", f))
        c = pb.read(os.path.join(ROOT, "models", v.config["model"])).config
        seen.add((c["backbone"], c["kind"], v.config.get("dtype", "f32")))
    for bb in conformance.BACKBONES:
        for kind in td.KINDS:
            assert (bb, kind, "f32") in seen
    assert {("lstm", "concrete", "int8"), ("lstm", "concrete", "f16"), ("transformer", "mc-td", "int8"),
            ("transformer", "mc-td", "f16")} <= seen


def test_td_vectors_float32_within_tolerance():
    """Every td vector (each kind, both backbones, f16 and int8 conversions):
    PyTorch in float32 on the (converted) bundle meets the tolerances; a
    converted model's f32_* outputs are the f32 model's, within the
    quantisation bounds."""
    for f in td_vector_files():
        v = pb.read(os.path.join(ROOT, "conformance", f))
        b = pb.read(os.path.join(ROOT, "models", v.config["model"]))
        dt = v.config.get("dtype")
        model, scaler, _ = td.load(b.converted(dt) if dt else b)
        p = td.mc_predict(model, scaler, v.array("x_raw"), samples=v.config["samples"], seed=v.config["seed"],
                          keys=v.config["keys"])
        tol = v.config["tolerance"]
        for k in conformance.TD_STATS:
            ref = v.array(k).astype(np.float64)
            err = np.abs(p[k] - ref)
            assert np.all(err <= tol["stats_abs"] + tol["stats_rel"] * np.abs(ref)), (f, k, float(err.max()))
        if dt:
            f32 = {k: v.array("f32_" + k).astype(np.float64) for k in conformance.TD_STATS}
            bounds = {k[4:]: tol[k] for k in tol if k.startswith("f32_")}
            errs = conformance.td_quant_errors(p, f32, b.config["y_std"], bounds)
            assert all(e <= 1 for e in errs.values()), (f, errs)


def test_way_quantised_vectors():
    """The f16 and int8 WAY vectors: their references are the converted
    model's, within the stated bounds of the f32 model's outputs."""
    for dt in ("f16", "int8"):
        v = pb.read(os.path.join(ROOT, "conformance", "way-demo-%s.vectors.portolan" % dt))
        assert v.config["dtype"] == dt
        tol = v.config["tolerance"]
        assert tol["f32_logits_abs"] == conformance.QUANT_TOL[dt]["logits_abs"]
        n = v.array("sub_len")
        valid = n > 0
        lg, f32 = v.array("logits")[valid], v.array("f32_logits")[valid]
        assert 0 < np.abs(lg - f32).max() <= tol["f32_logits_abs"]
        assert np.abs(conformance.softmax(lg) - conformance.softmax(f32)).max() <= tol["f32_probs_abs"]


def test_quantised_reference_refuses_a_broken_bound(tmp_path, monkeypatch):
    """The generator checks its own references against the bounds."""
    src = os.path.join(ROOT, "models", "td-transformer-mc-td.portolan")
    X = pb.read(os.path.join(ROOT, "conformance", "td-transformer-mc-td.vectors.portolan")).array("x_raw")
    tight = {k: dict(v) for k, v in conformance.QUANT_TOL.items()}
    tight["int8"]["mu_ystd"] = 1e-9
    monkeypatch.setattr(conformance, "QUANT_TOL", tight)
    with pytest.raises(ValueError, match="sample_mean"):
        conformance.td_vectors(src, X, str(tmp_path / "v.portolan"), samples=4, dtype="int8")
