"""The td command line: what it trains on, splits, CV, progress, errors."""

import json
import os

import numpy as np
import pytest
import torch

from portolan_train import __main__ as cli
from portolan_train import bundle as pb
from portolan_train import data, td

TINY = ["--epochs", "2", "--threads", "1", "--samples", "4", "--batch-size", "16"]


def run(capsys, *args):
    cli.main(["td", *args, *TINY])
    return capsys.readouterr().err


def fail(*args):
    with pytest.raises(SystemExit) as e:
        cli.main(["td", *args, *TINY])
    return str(e.value)


def test_trains_on_all_data_by_default(tmp_path, capsys):
    out = str(tmp_path / "m.portolan")
    err = run(capsys, "--data", "synthetic:40", "--patience", "0", "--out", out)
    assert "training on all 40 series for 2 epochs" in err
    b = pb.read(out)
    assert b.producer["extra"]["series"] == "40"
    X, _, _ = data.synthetic_vegetation(n=40)
    assert np.allclose(b.preprocessing["mean"], X.reshape(-1, 5).mean(0), rtol=1e-5)  # the scaler saw every series


def test_progress_every_epoch_and_stop_reason(tmp_path, capsys):
    err = run(capsys, "--data", "synthetic:40", "--val", "synthetic:20", "--patience", "1", "--epochs", "3")
    lines = [l for l in err.splitlines() if l.startswith("epoch ")]
    assert len(lines) >= 2 and "val_nll" in lines[0] and "best" in lines[0] and "without improvement" in lines[0]
    assert "stopped after epoch" in err and "best epoch" in err
    assert "training on all 40 series; early stopping on --val (20 series)" in err
    assert "no --out: the model was not written" in err


def test_early_stopping_without_val_refits_on_all(tmp_path, capsys):
    err = run(capsys, "--data", "synthetic:40", "--patience", "1", "--epochs", "3", "--metrics-json", str(tmp_path / "m.json"))
    assert "early stopping on 4 of 40 series held out at random" in err
    assert "training on all 40 series for" in err
    m = json.load(open(tmp_path / "m.json"))
    assert "holdout_r2" in m and m["epochs"] == m["best_epoch"]


def test_groups_and_grouped_cv_write_the_final_model(tmp_path, capsys):
    groups = tmp_path / "g.txt"
    groups.write_text("\n".join("site%d" % (i % 6) for i in range(40)))
    out, mj = str(tmp_path / "cv.portolan"), str(tmp_path / "cv.json")
    err = run(capsys, "--data", "synthetic:40", "--groups", str(groups), "--cv", "3", "--patience", "1",
              "--out", out, "--metrics-json", mj)
    assert "6 groups" in err and "[fold 3/3]" in err and "final model: all 40 series" in err
    m = json.load(open(mj))
    assert m["grouped"] and m["final"]["path"] == out and len(m["per_fold"]) == 3
    assert sum(r["test_series"] for r in m["per_fold"]) == 40
    b = pb.read(out)
    assert "cv_r2" in b.producer["metrics"] and b.producer["extra"]["cv"] == "3"


def test_cv_without_out_says_so(capsys):
    err = run(capsys, "--data", "synthetic:30", "--cv", "2", "--patience", "0")
    assert "no --out: cross-validation only, no model written" in err


def test_grouped_folds_and_holdout_keep_groups_whole():
    g = ["g%d" % (i % 7) for i in range(50)]
    folds = data.kfold(50, 3, seed=2, groups=g)
    assert sorted(np.concatenate(folds).tolist()) == list(range(50))
    for f in folds:
        inside = {g[i] for i in f}
        assert all(g[i] not in inside for j in folds if j is not f for i in j)
    tr, va = data.holdout(50, 0.2, seed=1, groups=g)
    assert not {g[i] for i in tr} & {g[i] for i in va} and len(va) >= 10
    with pytest.raises(data.DataError, match="needs at least 9 groups"):
        data.kfold(50, 9, groups=g)


def test_csv_group_column_and_val_columns_by_name(tmp_path, capsys):
    rows = ["id,step,a,b,site,target"]
    for i in range(30):
        for t in range(3):
            rows.append("s%02d,%d,%.3f,%.3f,site%d,%.2f" % (i, t, i * 0.1 + t, -i * 0.2, i % 5, 50 + i))
    train = tmp_path / "train.csv"
    train.write_text("\n".join(rows) + "\n")
    swapped = tmp_path / "val.csv"  # columns reordered: matched by name
    swapped.write_text("\n".join(",".join([r.split(",")[k] for k in (0, 1, 3, 2, 4, 5)]) for r in rows) + "\n")
    err = run(capsys, "--data", "csv:%s" % train, "--groups", "site", "--val", "csv:%s" % swapped, "--patience", "1")
    assert "30 series × 3 steps × 2 features" in err and "5 groups" in err
    renamed = tmp_path / "bad.csv"
    renamed.write_text(train.read_text().replace(",b,", ",B,", 1))
    msg = fail("--data", "csv:%s" % train, "--groups", "site", "--val", "csv:%s" % renamed)
    assert "columns do not match the training data: missing b, unknown B" in msg


@pytest.mark.parametrize("spec,want", [
    ("foo.csv", "did you mean csv:foo.csv?"),
    ("bogus:1", "want synthetic, lfmc:DIR, npy:X.npy,Y.npy, csv:FILE or td:FILE.portolan"),
    ("npy:x.npy", "npy wants two files"),
    ("lfmc:/nonexistent", "no such directory"),
    ("csv:/nonexistent.csv", "no such file"),
    ("synthetic:many", "synthetic takes a series count"),
])
def test_friendly_data_errors(spec, want):
    assert want in fail("--data", spec)


def test_npy_float64_converted_and_mismatch_explained(tmp_path, capsys):
    x, y, y2 = tmp_path / "x.npy", tmp_path / "y.npy", tmp_path / "y2.npy"
    rng = np.random.default_rng(0)
    np.save(x, rng.normal(size=(20, 3, 2)))  # float64
    np.save(y, rng.normal(size=20))
    np.save(y2, rng.normal(size=19).astype(np.float32))
    err = run(capsys, "--data", "npy:%s,%s" % (x, y), "--patience", "0")
    assert "float64 (20, 3, 2) converted to float32" in err
    assert "X and Y do not match: %s holds 20 series, %s 19 targets" % (x, y2) in fail("--data", "npy:%s,%s" % (x, y2))
    np.save(x, np.full((2, 1, 1), 1e300))
    np.save(y, np.zeros(2))
    assert "beyond float32's range" in fail("--data", "npy:%s,%s" % (x, y))


def test_cv_refuses_val_and_way_refuses_td_splits():
    assert "drop --val and --test" in fail("--data", "synthetic:20", "--cv", "2", "--val", "synthetic:10")
    assert "--val-frac 1.5" in fail("--data", "synthetic:20", "--val-frac", "1.5")
    with pytest.raises(SystemExit) as e:
        cli.main(["way", "--shards", "x", "--cv", "3"])
    assert "are for td" in str(e.value)


def test_threads_flag_caps_torch():
    before = torch.get_num_threads()
    try:
        cli._threads(1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_concrete_regulariser_has_the_weight_term():
    torch.manual_seed(0)
    for backbone, weight in (("lstm", "lstm.weight_ih_l0"), ("transformer", "inp.weight")):
        m = td.TDRegressor(4, 3, backbone=backbone, hidden=8, dense=4, kind="concrete")
        w = dict(m.named_parameters())[weight]
        p = m.td.rates()
        want = float(m.td.regulariser()) + 0.5 ** 2 * float((w ** 2).sum()) * float(torch.mean(1 / (1 - p)))
        r = td.regulariser(m, length_scale=0.5)
        assert float(r) == pytest.approx(want, rel=1e-6)
        r.backward()
        assert w.grad is not None and float(w.grad.abs().sum()) > 0  # a weight decay on the first layer
        assert float(td.regulariser(m, length_scale=0)) == pytest.approx(float(m.td.regulariser()))
    mc = td.TDRegressor(4, 3, hidden=8, dense=4, kind="mc-td")
    assert float(td.regulariser(mc)) == 0.0


def test_mc_dropout_kind(tmp_path, capsys):
    """--kind mc-dropout trains the paper's baseline on either backbone and
    writes a bundle the runtime builds (its vectors: testdata/conformance)."""
    for backbone in ("lstm", "transformer"):
        out = str(tmp_path / ("m-%s.portolan" % backbone))
        run(capsys, "--data", "synthetic:40", "--patience", "0", "--kind", "mc-dropout", "--alpha", "0.25",
            "--backbone", backbone, "--out", out)
        b = pb.read(out)
        assert b.config["kind"] == "mc-dropout" and b.config["alpha"] == 0.25 and b.config["backbone"] == backbone
        m, sc, _ = td.load(out)
        X, _, _ = data.synthetic_vegetation(n=3)
        p = td.mc_predict(m, sc, X, samples=6, seed=2)
        assert np.all(p["epistemic"] > 0)  # dropout kept on: the samples differ
        assert "td.rate" not in [t.name for t in b.tensors]
