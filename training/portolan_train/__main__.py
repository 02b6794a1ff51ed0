"""Command line: python -m portolan_train way|td|conformance ... (see --help)."""

import argparse
import json
import os
import sys

import numpy as np


def _log(*a):
    print(*a, file=sys.stderr, flush=True)


def _td_data(spec):
    from . import data
    if spec == "synthetic":
        return data.synthetic_vegetation()
    kind, _, arg = spec.partition(":")
    if kind == "lfmc":
        X, y = data.load_lfmc(arg)
        return X, y, data.lfmc_feature_names()
    if kind == "npy":
        xp, yp = arg.split(",")
        X, y = data.load_npy(xp, yp)
        return X, y, None
    if kind == "csv":
        X, y, names, _ = data.load_csv(arg)
        return data.impute(X), y, names
    raise SystemExit("--data %r: want synthetic, lfmc:DIR, npy:X.npy,Y.npy or csv:FILE" % spec)


def cmd_way(a):
    from . import way
    model, sh, metrics = way.train(a.shards, a.config, a.epochs, a.batch_size, a.lr, a.seed, a.device,
                                   not a.no_gradient_dropout, not a.no_amp, _log, a.max_steps)
    if metrics is None:  # a torchrun worker other than rank 0
        return
    _log(json.dumps(metrics, indent=1))
    if a.out:
        way.export(model, sh, a.out, metrics, a.dtype, str(next(model.parameters()).device))
        _log("wrote", a.out)
    if a.metrics_json:
        with open(a.metrics_json, "w") as f:
            json.dump(metrics, f, indent=1)


def cmd_td(a):
    from . import data, device, metrics, td
    X, y, names = _td_data(a.data)
    dev = device.pick(a.device)
    if a.cv:
        folds = data.kfold(len(X), a.cv, a.seed)
        rows = []
        for k, te in enumerate(folds):
            tr = np.setdiff1d(np.arange(len(X)), te)
            m, sc, info = td.fit(X[tr], y[tr], a.kind, a.alpha, a.backbone, a.epochs, a.batch_size, a.lr,
                                 a.seed + k, dev, not a.no_amp, patience=a.patience, dropout=a.dropout)
            p = td.mc_predict(m, sc, X[te], a.samples, a.seed)
            r = metrics.all_metrics(y[te], p["mean"], p["total"])
            r["step_ms"], r["epochs"] = info["step_ms"], info["epochs"]
            rows.append(r)
            _log("fold %d: %s" % (k + 1, " ".join("%s=%.4g" % kv for kv in r.items())))
        out = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
        out.update({k + "_sd": float(np.std([r[k] for r in rows])) for k in ("r2", "rmse")})
        _log(json.dumps(out, indent=1))
        if a.metrics_json:
            with open(a.metrics_json, "w") as f:
                json.dump({"kind": a.kind, "alpha": a.alpha, "backbone": a.backbone, "folds": a.cv, "dropout": a.dropout,
                       "lr": a.lr, "patience": a.patience, "batch_size": a.batch_size, "mean": out,
                           "per_fold": rows}, f, indent=1)
        return
    n = len(X)
    te = data.kfold(n, 5, a.seed)[0]
    tr = np.setdiff1d(np.arange(n), te)
    m, sc, info = td.fit(X[tr], y[tr], a.kind, a.alpha, a.backbone, a.epochs, a.batch_size, a.lr, a.seed, dev,
                         not a.no_amp, patience=a.patience, log=_log, dropout=a.dropout)
    p = td.mc_predict(m, sc, X[te], a.samples, a.seed)
    r = metrics.all_metrics(y[te], p["mean"], p["total"])
    r["step_ms"] = info["step_ms"]
    _log(json.dumps(r, indent=1))
    if a.out:
        td.export(m.cpu(), sc, a.out, names, r, a.dtype, {"data": a.data, "device": str(dev)})
        _log("wrote", a.out)
    if a.metrics_json:
        with open(a.metrics_json, "w") as f:
            json.dump(r, f, indent=1)


def cmd_conformance(a):
    from . import conformance, data
    os.makedirs(a.out, exist_ok=True)
    if a.way:
        conformance.way_vectors(a.way, a.shards, os.path.join(a.out, "way-demo.vectors.portolan"))
    if a.td:
        X, _, _ = data.synthetic_vegetation(n=8, seed=99)
        conformance.td_vectors(a.td, X, os.path.join(a.out, "td-demo.vectors.portolan"))
    _log("wrote vectors to", a.out)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m portolan_train")
    sub = p.add_subparsers(dest="cmd", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--device", default="auto", help="auto, cpu or cuda")
    common.add_argument("--seed", type=int, default=1)
    common.add_argument("--epochs", type=int, default=20)
    common.add_argument("--lr", type=float, default=1e-3)
    common.add_argument("--out", help="bundle to write (.portolan)")
    common.add_argument("--dtype", choices=["f32", "f16", "int8"], help="weight storage in the bundle")
    common.add_argument("--metrics-json", help="write the metrics here")
    common.add_argument("--no-amp", action="store_true", help="no bf16 mixed precision on CUDA")

    w = sub.add_parser("way", parents=[common], help="train WAY on shards from `portolan prepare way`")
    w.add_argument("--shards", required=True)
    w.add_argument("--config", default="small", choices=["small", "default"])
    w.add_argument("--batch-size", type=int, default=32)
    w.add_argument("--max-steps", type=int, default=None)
    w.add_argument("--no-gradient-dropout", action="store_true")
    w.set_defaults(fn=cmd_way)

    t = sub.add_parser("td", parents=[common], help="train a temporal-dropout regressor")
    t.add_argument("--data", default="synthetic", help="synthetic, lfmc:DIR, npy:X.npy,Y.npy or csv:FILE")
    t.add_argument("--kind", default="mc-td", choices=["mc-td", "concrete", "none"])
    t.add_argument("--alpha", type=float, default=0.1, help="MC-TD drop rate")
    t.add_argument("--backbone", default="lstm", choices=["lstm", "transformer"])
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--samples", type=int, default=20, help="MC samples at evaluation")
    t.add_argument("--cv", type=int, default=0, help="k-fold cross-validation instead of one split")
    t.add_argument("--dropout", type=float, default=0.0, help="dropout between LSTM layers and around the dense layer (training only)")
    t.add_argument("--patience", type=int, default=0, help="early stopping on a 10%% validation split (0: off)")
    t.set_defaults(fn=cmd_td)

    c = sub.add_parser("conformance", help="write reference vectors for demo bundles")
    c.add_argument("--way")
    c.add_argument("--td")
    c.add_argument("--shards")
    c.add_argument("--out", default="testdata/conformance")
    c.set_defaults(fn=cmd_conformance)

    a = p.parse_args(argv)
    a.fn(a)


if __name__ == "__main__":
    main()
