"""The RESULTS.md renderer: mean ± sd over seeds, and the noise verdict."""

import json
import os

from portolan_train import results


def write(d, table, row, seed, obj, suffix=".json"):
    os.makedirs(os.path.join(d, table, row), exist_ok=True)
    with open(os.path.join(d, table, row, "seed%d%s" % (seed, suffix)), "w") as f:
        json.dump(obj, f)


def test_render(tmp_path):
    d = str(tmp_path)
    with open(os.path.join(d, "rows.tsv"), "w") as f:
        f.write("lfmc\ta\tMC-TD\tA\t--kind mc-td\nlfmc\tb\tMC-ConcTD\tB\t--kind concrete\nlfmc\tc\tnone\tA\t--kind none\n"
                "way\tsmall\tsmall\t-\t--config small\n")
    for s, (ra, rb, rc) in enumerate([(0.70, 0.72, 0.60), (0.71, 0.74, 0.61), (0.69, 0.73, 0.62)], 1):
        for row, r2 in (("a", ra), ("b", rb), ("c", rc)):
            write(d, "lfmc", row, s, {"folds": 5, "mean": {"r2": r2, "rmse": 20.0 + s, "epochs": 30}})
    os.makedirs(os.path.join(d, "lfmc", "d"))  # a row without runs is left out
    write(d, "way", "small", 1, {"test_acc": 0.5, "test_acc_q1": 0.4, "epochs": 12, "best_epoch": 11})
    rows = [{"name": n, "metrics": {"acc": a, "top5": 0.9, "eta_mae_h": 9.0}}
            for n, a in (("model", 0.5), ("most_frequent_from_departure", 0.3), ("nearest_port_ahead", 0.2))]
    write(d, "way", "small", 1, {"rows": rows}, ".eval.json")
    md = results.render(d)
    assert "## Temporal dropout on the LFMC set (5-fold CV)" in md and "## WAY on the synthetic fleet" in md
    assert "MC-Dropout" not in md and "mc-dropout" not in md
    lines = {l.split(" | ")[0].strip("| "): l for l in md.splitlines() if l.startswith("| ")}
    assert "0.730 ± 0.010" in lines["MC-ConcTD"] and "best" in lines["MC-ConcTD"]
    # 0.70 vs 0.73 (sd 0.01 each, 3 seeds): |Δ| 0.03 > 2·sqrt(2·0.01²/3) = 0.016
    assert "-0.030 (beyond noise)" in lines["MC-TD"]
    assert "22.00 ± 1.00" in lines["MC-TD"]  # RMSE 21, 22, 23
    assert "1 seed: noise unknown" not in md.split("## WAY")[0]
    assert "| small | 1 | 0.400 | — |" in md and "| 12 | 11.0 | best |" in md
    assert "most frequent destination from the departure port" in md and "0.300" in md
    assert "--kind concrete" in md  # the flags of every row are listed


def test_noise_verdicts():
    assert results.noise([1.0, 1.1], [1.0, 1.1]) == "+0.000 (within noise)"
    a = [0.5]
    assert results.noise(a, a) == "best"
    assert "1 seed" in results.noise([0.4], [0.5])
