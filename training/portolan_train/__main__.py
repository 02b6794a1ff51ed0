"""Command line: python -m portolan_train way|td|conformance ... (see --help).

Defaults are the settings behind docs/RESULTS.md: for td, MC-ConcTD with
dropout 0.2, early stopping (patience 15, up to 400 epochs), batch 32,
Adam 1e-3; for way, the small config, 40 epochs, batch 32, AdamW 1e-3,
Gradient Dropout.
"""

import argparse
import json
import os
import sys

import numpy as np


def _log(*a):
    print(*a, file=sys.stderr, flush=True)


def _threads(n):
    """Cap torch's CPU threads (0: torch's default, or $PORTOLAN_THREADS)."""
    import torch
    n = n or int(os.environ.get("PORTOLAN_THREADS", "0") or 0)
    if n > 0:
        torch.set_num_threads(n)  # the intra-op pool, where training's arithmetic runs


def _write_json(path, obj):
    if path:
        with open(path, "w") as f:
            json.dump(obj, f, indent=1)


def cmd_way(a):
    from . import way
    if a.cv or a.val or a.test or a.groups:
        raise SystemExit("way: the shards carry the split (portolan prepare way splits by vessel: train, val, test); "
                         "--cv, --val, --test and --groups are for td")
    model, sh, metrics = way.train(a.shards, a.config, a.epochs, a.batch_size, a.lr, a.seed, a.device,
                                   not a.no_gradient_dropout, not a.no_amp, _log, a.max_steps, a.patience, a.bucket,
                                   a.mid_voyage)
    if metrics is None:  # a torchrun worker other than rank 0
        return
    _log(json.dumps(metrics, indent=1))
    if a.out:
        way.export(model, sh, a.out, metrics, a.dtype, str(next(model.parameters()).device))
        _log("wrote", a.out)
    else:
        _log("no --out: the model was not written")
    _write_json(a.metrics_json, metrics)


def _fit_args(a, dev):
    return dict(kind=a.kind, alpha=a.alpha, backbone=a.backbone, batch_size=a.batch_size, lr=a.lr, device=dev,
                amp=not a.no_amp, dropout=a.dropout, length_scale=a.length_scale, log=_log, log_every=a.log_every)


def _score(m, sc, d, a):
    from . import metrics, td
    p = td.predict(m, sc, d["X"], a.samples, a.seed)
    return metrics.all_metrics(d["y"], p["mean"], p["total"])


def cmd_td(a):
    from . import data, device, td
    if not 0 < a.val_frac < 1:
        raise SystemExit("td: --val-frac %g: want a share between 0 and 1" % a.val_frac)
    dev = device.pick(a.device)
    try:
        d = data.load(a.data, a.groups, _log)
        other = dict(groups=a.groups, log=_log, optional_groups=True)  # a group column is not a feature there either
        val = data.align(d, data.load(a.val, **other), "--val " + a.val) if a.val else None
        test = data.align(d, data.load(a.test, **other), "--test " + a.test) if a.test else None
    except (data.DataError, OSError) as e:
        raise SystemExit("td: %s" % e)
    n = len(d["X"])
    _log("data: %d series × %d steps × %d features from %s%s" % (
        n, d["X"].shape[1], d["X"].shape[2], a.data,
        ", %d groups" % len(set(d["groups"])) if d["groups"] is not None else ""))
    if a.cv:
        return _td_cv(a, d, dev)
    fa = _fit_args(a, dev)
    report = {}
    if val is not None:
        _log("training on all %d series; early stopping on --val (%d series)" % (n, len(val["X"])))
        m, sc, info = td.fit(d["X"], d["y"], epochs=a.epochs, seed=a.seed, patience=a.patience,
                             val=(val["X"], val["y"]), **fa)
        report.update({"val_" + k: v for k, v in _score(m, sc, val, a).items()})
    elif a.patience > 0:
        try:
            tr, va = data.holdout(n, a.val_frac, a.seed, d["groups"])
        except data.DataError as e:
            raise SystemExit("td: %s" % e)
        _log("choosing the number of epochs: early stopping on %d of %d series held out %s" % (
            len(va), n, "by group" if d["groups"] is not None else "at random"))
        probe, psc, pinfo = td.fit(d["X"][tr], d["y"][tr], epochs=a.epochs, seed=a.seed, patience=a.patience,
                                   val=(d["X"][va], d["y"][va]), label="[hold-out] ", **fa)
        held = {"X": d["X"][va], "y": d["y"][va]}
        report.update({"holdout_" + k: v for k, v in _score(probe, psc, held, a).items()})
        epochs = max(1, pinfo["best_epoch"])
        _log("training on all %d series for %d epochs (the best epoch on the held-out part)" % (n, epochs))
        m, sc, info = td.fit(d["X"], d["y"], epochs=epochs, seed=a.seed, **fa)
    else:
        _log("training on all %d series for %d epochs (no early stopping: --patience 0)" % (n, a.epochs))
        m, sc, info = td.fit(d["X"], d["y"], epochs=a.epochs, seed=a.seed, **fa)
    if test is not None:
        report.update({"test_" + k: v for k, v in _score(m, sc, test, a).items()})
    report.update(step_ms=info["step_ms"], epochs=float(info["epochs"]), best_epoch=float(info["best_epoch"]))
    _log(json.dumps(report, indent=1))
    if a.out:
        td.export(m.cpu(), sc, a.out, d["features"], report, a.dtype, _extra(a, dev, n))
        _log("wrote", a.out)
    else:
        _log("no --out: the model was not written")
    _write_json(a.metrics_json, report)


def _extra(a, dev, n):
    return {"data": a.data, "device": str(dev), "series": n, "val": a.val or "", "test": a.test or "",
            "groups": a.groups or "", "cv": a.cv, "seed": a.seed}


def _td_cv(a, d, dev):
    """K-fold (grouped with --groups) cross-validation; with --out, the
    final model is trained on all the data for the median best epoch of the
    folds."""
    from . import data, td
    if a.val or a.test:
        raise SystemExit("td: --cv K scores every fold on held-out data itself; drop --val and --test, or drop --cv")
    if a.cv < 2:
        raise SystemExit("td: --cv %d: want at least 2 folds" % a.cv)
    n = len(d["X"])
    try:
        folds = data.kfold(n, a.cv, a.seed, d["groups"])
    except data.DataError as e:
        raise SystemExit("td: %s" % e)
    fa = _fit_args(a, dev)
    rows = []
    for k, te in enumerate(folds):
        tr = np.setdiff1d(np.arange(n), te)
        label = "[fold %d/%d] " % (k + 1, a.cv)
        val = None
        if a.patience > 0:
            g = None if d["groups"] is None else [d["groups"][i] for i in tr]
            itr, iva = data.holdout(len(tr), a.val_frac, a.seed + k, g)
            tr, va = tr[itr], tr[iva]
            val = (d["X"][va], d["y"][va])
        m, sc, info = td.fit(d["X"][tr], d["y"][tr], epochs=a.epochs, seed=a.seed + k, patience=a.patience,
                             val=val, label=label, **fa)
        r = _score(m, sc, {"X": d["X"][te], "y": d["y"][te]}, a)
        r.update(step_ms=info["step_ms"], epochs=float(info["epochs"]), best_epoch=float(info["best_epoch"]),
                 test_series=float(len(te)))
        rows.append(r)
        _log("%s%s" % (label, " ".join("%s=%.4g" % kv for kv in r.items())))
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    sd = {k: float(np.std([r[k] for r in rows])) for k in rows[0]}
    out = dict(mean)
    out.update({k + "_sd": sd[k] for k in ("r2", "rmse")})
    _log(json.dumps(out, indent=1))
    final = None
    if a.out:
        epochs = int(np.median([r["best_epoch"] for r in rows])) if a.patience > 0 else a.epochs
        epochs = max(1, epochs)
        _log("final model: all %d series for %d epochs (%s)" % (
            n, epochs, "the median best epoch of the folds" if a.patience > 0 else "--epochs"))
        m, sc, info = td.fit(d["X"], d["y"], epochs=epochs, seed=a.seed, **fa)
        metrics = {"cv_" + k: v for k, v in mean.items()}
        metrics.update({"cv_%s_sd" % k: v for k, v in sd.items()})
        metrics.update(epochs=float(epochs))
        td.export(m.cpu(), sc, a.out, d["features"], metrics, a.dtype, _extra(a, dev, n))
        _log("wrote", a.out)
        final = {"epochs": epochs, "path": a.out}
    else:
        _log("no --out: cross-validation only, no model written")
    _write_json(a.metrics_json, {"kind": a.kind, "alpha": a.alpha, "backbone": a.backbone, "folds": a.cv,
                                 "grouped": d["groups"] is not None, "dropout": a.dropout, "lr": a.lr,
                                 "patience": a.patience, "batch_size": a.batch_size, "seed": a.seed,
                                 "mean": out, "sd": sd, "per_fold": rows, "final": final})


def cmd_conformance(a):
    from . import conformance, data
    os.makedirs(a.out, exist_ok=True)
    if a.way:
        conformance.way_vectors(a.way, a.shards, os.path.join(a.out, "way-demo.vectors.portolan"))
        for dt in ("f16", "int8"):
            conformance.way_vectors(a.way, a.shards, os.path.join(a.out, "way-demo-%s.vectors.portolan" % dt), n=3,
                                    dtype=dt)
    if a.td:
        X, _, _ = data.synthetic_vegetation(n=8, seed=99)
        conformance.td_vectors(a.td, X, os.path.join(a.out, "td-demo.vectors.portolan"))
        for dt in ("f16", "int8"):
            conformance.td_vectors(a.td, X, os.path.join(a.out, "td-demo-%s.vectors.portolan" % dt), dtype=dt)
    if a.suite:
        conformance.suite(a.suite, a.out, _log)
    _log("wrote vectors to", a.out)


def main(argv=None):
    from .td import LENGTH_SCALE
    p = argparse.ArgumentParser(prog="python -m portolan_train")
    sub = p.add_subparsers(dest="cmd", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--device", default="auto", help="auto, cpu or cuda")
    common.add_argument("--seed", type=int, default=1)
    common.add_argument("--lr", type=float, default=1e-3)
    common.add_argument("--batch-size", type=int, default=32)
    common.add_argument("--patience", type=int, default=None,
                        help="early stopping: stop after this many epochs without a better validation loss, keep the best "
                             "(td default 15, way default 0 = off)")
    common.add_argument("--threads", type=int, default=0, help="cap torch's CPU threads (0: torch's default or $PORTOLAN_THREADS)")
    common.add_argument("--out", help="bundle to write (.portolan)")
    common.add_argument("--dtype", choices=["f32", "f16", "int8"], help="weight storage in the bundle")
    common.add_argument("--metrics-json", help="write the metrics here")
    common.add_argument("--no-amp", action="store_true", help="no bf16 mixed precision on CUDA")

    w = sub.add_parser("way", parents=[common], help="train WAY on shards from `portolan prepare way`")
    w.add_argument("--shards", required=True, help="directory written by portolan prepare way (train/val/test by vessel)")
    w.add_argument("--config", default="small", choices=["small", "default"])
    w.add_argument("--epochs", type=int, default=40)
    w.add_argument("--max-steps", type=int, default=None, help="stop after this many optimiser steps (timing runs)")
    w.add_argument("--no-gradient-dropout", action="store_true")
    w.add_argument("--bucket", type=int, default=0, metavar="N",
                   help="batch voyages of like length: sort each run of N batches' voyages by length, then shuffle "
                        "the batches (0: random batches); far less padding, so much faster steps on CPU")
    w.add_argument("--mid-voyage", type=float, default=0.0, metavar="P",
                   help="share of training voyages seen from a random cell on, without departure port or time "
                        "since departure, as a feed that starts mid-voyage shows them (0: none)")
    for flag in ("--val", "--test", "--groups", "--cv"):  # td's split flags, refused with an explanation
        w.add_argument(flag, help=argparse.SUPPRESS)
    w.set_defaults(fn=cmd_way, default_patience=0)

    t = sub.add_parser("td", parents=[common], help="train a temporal-dropout regressor")
    t.add_argument("--data", default="synthetic",
                   help="training data: synthetic[:N], lfmc:DIR, npy:X.npy,Y.npy, csv:FILE or td:FILE.portolan "
                        "(portolan prepare td); the model is trained on all of it")
    t.add_argument("--val", help="validation data (same forms as --data) for early stopping; without it, --patience "
                                 "holds out --val-frac of --data to choose the epoch count, then trains on all of it")
    t.add_argument("--test", help="test data (same forms) scored after training")
    t.add_argument("--groups", help="group labels for grouped hold-out and --cv: a file (.npy or one label per line) "
                                    "or the name of a CSV column (a td shard's --group column)")
    t.add_argument("--cv", type=int, default=0,
                   help="K-fold cross-validation (grouped with --groups); with --out also writes the final model, "
                        "trained on all the data for the median best epoch")
    t.add_argument("--val-frac", type=float, default=0.1, help="share held out for early stopping without --val")
    t.add_argument("--kind", default="concrete", choices=["mc-td", "concrete", "mc-dropout", "none"],
                   help="temporal dropout: mc-td (Bernoulli steps), concrete (learned rate per step), mc-dropout "
                        "(the paper's baseline: dropout on the dense layers kept on at inference), none "
                        "(deterministic); docs/MODELS.md")
    t.add_argument("--alpha", type=float, default=0.1, help="drop rate of mc-td (steps) and mc-dropout (units)")
    t.add_argument("--backbone", default="lstm", choices=["lstm", "transformer"])
    t.add_argument("--epochs", type=int, default=400, help="most epochs (early stopping usually ends sooner)")
    t.add_argument("--samples", type=int, default=20, help="MC samples at evaluation")
    t.add_argument("--dropout", type=float, default=0.2,
                   help="dropout between LSTM layers, inside the Transformer's layers and (except for mc-dropout, "
                        "which uses --alpha there) around the dense layer; training only")
    t.add_argument("--length-scale", type=float, default=LENGTH_SCALE,
                   help="Concrete dropout's prior length-scale l of the weight term l²/N·||W||²/(1−p) (0: no weight term)")
    t.add_argument("--log-every", type=int, default=1, help="log every this many epochs")
    t.set_defaults(fn=cmd_td, default_patience=15)

    c = sub.add_parser("conformance", help="write reference vectors for demo bundles")
    c.add_argument("--way")
    c.add_argument("--td")
    c.add_argument("--shards")
    c.add_argument("--suite", metavar="MODELS_DIR",
                   help="also train the small model of every td kind on both backbones into MODELS_DIR "
                        "(td-BACKBONE-KIND.portolan) and write their vectors")
    c.add_argument("--out", default="testdata/conformance")
    c.set_defaults(fn=cmd_conformance)

    a = p.parse_args(argv)
    if getattr(a, "patience", 0) is None:
        a.patience = a.default_patience
    if hasattr(a, "threads"):
        _threads(a.threads)
    a.fn(a)


if __name__ == "__main__":
    main()
