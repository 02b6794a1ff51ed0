"""Models and inputs of `make bench-ort` (docs/BENCHMARKS.md, "Against ONNX Runtime").

Exports, with the trainer's PyTorch modules, the demo WAY model ("small"), a
random-initialised WAY of the default config and the demo temporal-dropout
model to ONNX (torch.onnx, opset 17, dynamic batch and sequence axes), writes
the random WAY as a .portolan bundle too, and writes each benchmark case's
inputs as raw little-endian arrays with a manifest.json, plus the outputs the
PyTorch reference computes for them in float64, which every runner's outputs
are checked against.

    /usr/bin/python3 scripts/bench-ort/export.py OUT_DIR
"""

import json
import os
import sys
import types

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # Debian's OpenBLAS ignores torch.set_num_threads

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "training"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from portolan_train import data, rng, td, way  # noqa: E402

OPSET = 17
SEED = 1
TD_SAMPLES = 20
WAY_CASES = [("way-small", 1, 128), ("way-small", 1, 512), ("way-small", 32, 128),
             ("way-default", 1, 128), ("way-default", 1, 512)]


def export_way_onnx(model, path):
    B, L, S = 3, 16, model.cfg["sub_len"]
    g = torch.Generator().manual_seed(0)
    args = (torch.rand(B, L, 3, generator=g) * 10, torch.randn(B, L, S, model.cfg["n_features"], generator=g),
            torch.full((B, L), S, dtype=torch.int64), torch.zeros(B, dtype=torch.int64), torch.zeros(B, dtype=torch.int64))
    torch.onnx.export(model, args, path, opset_version=OPSET,
                      input_names=["spacetime", "sub_x", "sub_len", "ship", "departure"], output_names=["logits", "eta"],
                      dynamic_axes={"spacetime": {0: "B", 1: "L"}, "sub_x": {0: "B", 1: "L"}, "sub_len": {0: "B", 1: "L"},
                                    "ship": {0: "B"}, "departure": {0: "B"}, "logits": {0: "B", 1: "L"},
                                    "eta": {0: "B", 1: "L"}})


def export_td_onnx(model, path):
    T, D = model.cfg["T"], model.cfg["D"]
    torch.onnx.export(model, (torch.randn(3, T, D), torch.rand(3, T)), path, opset_version=OPSET,
                      input_names=["x", "u"], output_names=["mu", "logvar"],
                      dynamic_axes={"x": {0: "B"}, "u": {0: "B"}, "mu": {0: "B"}, "logvar": {0: "B"}})


def check_onnx(path):
    try:
        import onnx
    except ImportError:  # python3-onnx is optional: ORT loads the file anyway
        return
    onnx.checker.check_model(onnx.load(path))


def save(case_dir, name, a, dtype):
    a = np.ascontiguousarray(a, dtype=dtype)
    a.tofile(os.path.join(case_dir, name + ".bin"))
    return {"file": name + ".bin", "dtype": {np.float32: "float32", np.int64: "int64", np.float64: "float64"}[dtype],
            "shape": list(a.shape)}


def way_inputs(model, B, L, seed):
    """B voyages of L cells along plausible tracks, 1..sub_len points per cell
    (standard-normal scaled features, zero past each cell's points)."""
    r = np.random.default_rng(seed)
    S, F = model.cfg["sub_len"], model.cfg["n_features"]
    i = np.arange(L)[None, :]
    lon = -10 + 0.1 * i + r.normal(0, 0.02, (B, L)) + r.uniform(-5, 5, (B, 1))
    lat = 45 + 0.05 * i + r.normal(0, 0.02, (B, L)) + r.uniform(-5, 5, (B, 1))
    hours = 2.0 * i + r.uniform(0, 1, (B, L))
    st = np.stack([lon, lat, hours], -1).astype(np.float32)
    n = r.integers(1, S + 1, (B, L))
    x = r.normal(0, 1, (B, L, S, F)).astype(np.float32)
    x[np.arange(S)[None, None, :] >= n[..., None]] = 0
    ship = r.integers(0, model.cfg["n_ship"], B)
    dep = r.integers(0, model.cfg["n_ports"], B)
    return st, x, n.astype(np.int64), ship.astype(np.int64), dep.astype(np.int64)


def main(out):
    os.makedirs(os.path.join(out, "cases"), exist_ok=True)
    models = {}
    small, _ = way.load(os.path.join(ROOT, "testdata", "models", "way-demo.portolan"))
    models["way-small"] = (small, os.path.join(ROOT, "testdata", "models", "way-demo.portolan"))
    # the default config, randomly initialised (seeded), with the demo's vocabularies
    demo = way.load(os.path.join(ROOT, "testdata", "models", "way-demo.portolan"))[1]
    torch.manual_seed(SEED)
    c = dict(way.CONFIGS["default"], dropout=0.0)
    default = way.WAY(demo.config["n_ports"], demo.config["n_ship"], sub_len=demo.config["sub_len"], **c).eval()
    dpath = os.path.join(out, "way-default.portolan")
    way.export(default, types.SimpleNamespace(max_len=demo.config["max_len"], preprocessing=demo.preprocessing), dpath,
               metrics={}, device_name="cpu")
    models["way-default"] = (default, dpath)
    for name, (m, _) in models.items():
        export_way_onnx(m, os.path.join(out, name + ".onnx"))
        check_onnx(os.path.join(out, name + ".onnx"))
    tdpath = os.path.join(ROOT, "testdata", "models", "td-demo.portolan")
    tdm, scaler, tdb = td.load(tdpath)
    export_td_onnx(tdm, os.path.join(out, "td-demo.onnx"))
    check_onnx(os.path.join(out, "td-demo.onnx"))

    cases = []
    for k, (mname, B, L) in enumerate(WAY_CASES):
        model, bundle = models[mname]
        cname = "%s-B%d-L%d" % (mname, B, L)
        d = os.path.join(out, "cases", cname)
        os.makedirs(d, exist_ok=True)
        st, x, n, ship, dep = way_inputs(model, B, L, 100 + k)
        with torch.no_grad():
            logits, eta = model.double()(torch.as_tensor(st, dtype=torch.float64), torch.as_tensor(x, dtype=torch.float64),
                                         torch.as_tensor(n), torch.as_tensor(ship), torch.as_tensor(dep))
        model.float()
        # the compared outputs: every voyage's logits after its last cell and
        # its ETA (hours) after every cell
        expect = np.concatenate([logits[:, -1].numpy().ravel(), eta.numpy().ravel() * way.ETA_SCALE])
        assert (eta.numpy() > 0).mean() > 0.1, "degenerate ETA output"
        man = {"name": cname, "kind": "way", "model": mname, "B": B, "L": L, "bundle": os.path.abspath(bundle),
               "onnx": os.path.abspath(os.path.join(out, mname + ".onnx")), "eta_scale": way.ETA_SCALE,
               "inputs": {"spacetime": save(d, "spacetime", st, np.float32), "sub_x": save(d, "sub_x", x, np.float32),
                          "sub_len": save(d, "sub_len", n, np.int64), "ship": save(d, "ship", ship, np.int64),
                          "departure": save(d, "departure", dep, np.int64)},
               "expected": save(d, "expected", expect, np.float64)}
        with open(os.path.join(d, "manifest.json"), "w") as f:
            json.dump(man, f, indent=1)
        cases.append(cname)

    # TD: one series (the first reference series) under 20 Monte Carlo samples
    X, _, _ = data.synthetic_vegetation(n=1, seed=99)
    key, T = rng.fnv1a64("site00"), tdm.cfg["T"]
    cname = "td-demo-S%d" % TD_SAMPLES
    d = os.path.join(out, "cases", cname)
    os.makedirs(d, exist_ok=True)
    xz = ((X[0] - scaler["x_mean"]) / scaler["x_std"]).astype(np.float32)
    u = td.mc_noise([key], TD_SAMPLES, T, SEED, tdm.cfg["kind"])[0]
    p = td.mc_predict(tdm.double(), scaler, X.astype(np.float64), samples=TD_SAMPLES, seed=SEED, keys=[key])
    expect = np.concatenate([p["sample_mean"][0], p["sample_var"][0]])
    man = {"name": cname, "kind": "td", "model": "td-demo", "samples": TD_SAMPLES, "seed": SEED, "key": str(key),
           "bundle": tdpath, "onnx": os.path.abspath(os.path.join(out, "td-demo.onnx")),
           "y_mean": scaler["y_mean"], "y_std": scaler["y_std"],
           "inputs": {"x_raw": save(d, "x_raw", X[0], np.float32),
                      "x": save(d, "x", np.repeat(xz[None], TD_SAMPLES, 0), np.float32),
                      "u": save(d, "u", u, np.float32)},
           "expected": save(d, "expected", expect, np.float64)}
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(man, f, indent=1)
    cases.append(cname)
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump({"cases": cases, "torch": torch.__version__, "opset": OPSET}, f, indent=1)
    print("wrote", len(cases), "cases to", os.path.join(out, "cases"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "bench-ort"))
