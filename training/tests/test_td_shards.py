"""Series prepared by Go (portolan prepare td) read by the trainer, and a
model trained on them scored by Go (portolan evaluate)."""

import json
import os
import subprocess

import numpy as np

from portolan_train import __main__ as cli
from portolan_train import data

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SERIES = os.path.join(ROOT, "testdata", "series")


def test_td_shard_reads_as_the_csv(portolan_cli, tmp_path):
    shard = str(tmp_path / "rules.portolan")
    subprocess.run([portolan_cli, "prepare", "td", "--series", os.path.join(SERIES, "rules.csv"), "--group", "site",
                    "--out", shard], check=True, capture_output=True)
    a = data.load_td_shard(shard)
    b = data.read_series_csv(os.path.join(SERIES, "rules.csv"), group="site")
    for k in ("ids", "steps", "groups", "features"):
        assert a[k] == b[k], k
    assert np.array_equal(np.isnan(a["X"]), np.isnan(b["X"]))
    assert np.array_equal(np.nan_to_num(a["X"]), np.nan_to_num(b["X"]))
    assert np.allclose(a["y"], b["y"])
    d = data.load("td:" + shard, groups="site")
    assert d["groups"] == ["south", "north", "north"]


def test_train_on_go_shard_and_evaluate_in_go(portolan_cli, tmp_path, capsys):
    shard, model = str(tmp_path / "s.portolan"), str(tmp_path / "m.portolan")
    subprocess.run([portolan_cli, "prepare", "td", "--series", os.path.join(SERIES, "sample.csv"), "--out", shard],
                   check=True, capture_output=True)
    cli.main(["td", "--data", "td:" + shard, "--test", "td:" + shard, "--epochs", "2", "--patience", "0", "--threads",
              "1", "--samples", "20", "--out", model, "--metrics-json", str(tmp_path / "m.json")])
    trainer = json.load(open(tmp_path / "m.json"))
    r = subprocess.run([portolan_cli, "evaluate", "--model", model, "--series", shard, "--format", "json"],
                       check=True, capture_output=True, text=True)
    go = json.loads(r.stdout)["metrics"]
    # the same model, data, seed and metric definitions: the two runtimes agree to float32 rounding
    for k in ("r2", "rmse", "nll", "crps", "sharpness"):
        assert abs(go[k] - trainer["test_" + k]) <= 1e-4 * max(1, abs(go[k])), k
    assert go["picp90"] == trainer["test_picp90"]
