"""Render the tables of docs/RESULTS.md from the runs scripts/results.sh made.

    python -m portolan_train.results DIR > tables.md

DIR holds rows.tsv (table, row name, label, run, flags; one line a row, in
table order) and, per row, <table>/<row>/seed<S>.json: the trainer's
--metrics-json (the CV summary for lfmc, the metrics for way and steps),
plus seed<S>.eval.json from `portolan evaluate --format json` for way.

Every cell is the mean ± sd over the seeds found (sample sd; a single seed
has none). The headline column of each table says whether a row's
difference from the best row is within noise: |Δ| ≤ 2·sqrt(sd_a²/n_a +
sd_b²/n_b) over the seed means.
"""

import glob
import json
import math
import os
import re
import sys

LFMC_COLUMNS = [("r2", "R²", 3), ("rmse", "RMSE", 2), ("mae", "MAE", 2), ("nll", "NLL", 3), ("crps", "CRPS", 2),
                ("mace", "MACE", 3), ("picp90", "PICP 90%", 3), ("ence", "ENCE", 3), ("sharpness", "sharpness (mean σ)", 2),
                ("epochs", "epochs", 0)]
WAY_COLUMNS = [("test_acc_q1", "test 1Q", 3), ("test_acc_q2", "2Q", 3), ("test_acc_q3", "3Q", 3),
               ("test_acc_q4", "4Q", 3), ("test_acc", "test all", 3), ("test_top5", "test top-5", 3),
               ("test_eta_mae_h", "test ETA MAE (h)", 1), ("val_acc", "val all", 3), ("val_eta_mae_h", "val ETA MAE (h)", 1)]
BASELINE_COLUMNS = [("acc_q1", "top-1 1Q", 3), ("acc_q2", "2Q", 3), ("acc_q3", "3Q", 3), ("acc_q4", "4Q", 3),
                    ("acc", "all", 3), ("top5", "top-5 all", 3), ("eta_mae_h", "ETA MAE (h)", 1)]
STEP_COLUMNS = [("step_ms", "step (ms)", 1)]
WAY_EPOCH_COLUMNS = [("epochs", "epochs", 0), ("best_epoch", "best epoch", 1)]


def stats(values):
    """(mean, sample sd or None, n)."""
    n = len(values)
    if n == 0:
        return None, None, 0
    m = sum(values) / n
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1)) if n > 1 else None
    return m, sd, n


def cell(values, digits):
    m, sd, n = stats(values)
    if m is None:
        return "—"
    if sd is None:
        return "%.*f" % (digits, m)
    return "%.*f ± %.*f" % (digits, m, digits, sd)


def noise(a, b, higher_better=True):
    """How row a compares with the best row b on the headline metric."""
    ma, sa, na = stats(a)
    mb, sb, nb = stats(b)
    if ma is None or mb is None:
        return "—"
    if a is b:
        return "best"
    if sa is None or sb is None:
        return "%+.3f (1 seed: noise unknown)" % (ma - mb)
    within = abs(ma - mb) <= 2 * math.sqrt(sa ** 2 / na + sb ** 2 / nb)
    return "%+.3f (%s)" % (ma - mb, "within noise" if within else "beyond noise")


def rows(directory):
    out = []
    with open(os.path.join(directory, "rows.tsv")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                table, name, label, run, flags = (line.rstrip("\n").split("\t") + [""] * 5)[:5]
                out.append({"table": table, "name": name, "label": label, "run": run, "flags": flags})
    return out


def seeds(directory, table, name, suffix=".json"):
    """{seed: parsed json} of one row."""
    out = {}
    for path in glob.glob(os.path.join(directory, table, name, "seed*" + suffix)):
        m = re.match(r"seed(\d+)" + re.escape(suffix) + "$", os.path.basename(path))
        if m:
            with open(path) as f:
                out[int(m.group(1))] = json.load(f)
    return out


def _table(header, lines):
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    out += ["| " + " | ".join(line) + " |" for line in lines]
    return "\n".join(out)


def lfmc_table(directory, rs):
    vals = []
    for r in rs:
        runs = seeds(directory, "lfmc", r["name"])
        vals.append({k: [d["mean"][k] for d in runs.values() if k in d["mean"]] for k, _, _ in LFMC_COLUMNS})
        vals[-1]["_n"] = len(runs)
    best = max(range(len(rs)), key=lambda i: stats(vals[i]["r2"])[0] if vals[i]["r2"] else -math.inf)
    lines = []
    for r, v in zip(rs, vals):
        lines.append([r["label"], r["run"], str(v["_n"])] + [cell(v[k], d) for k, _, d in LFMC_COLUMNS]
                     + [noise(v["r2"], vals[best]["r2"])])
    header = ["model", "run", "seeds"] + [c for _, c, _ in LFMC_COLUMNS] + ["R² vs best"]
    return _table(header, lines)


def way_tables(directory, rs):
    vals, evals = [], []
    for r in rs:
        runs = seeds(directory, "way", r["name"])
        vals.append({k: [d[k] for d in runs.values() if k in d] for k, _, _ in WAY_COLUMNS + WAY_EPOCH_COLUMNS})
        vals[-1]["_n"] = len(runs)
        evals.append(seeds(directory, "way", r["name"], ".eval.json"))
    best = max(range(len(rs)), key=lambda i: stats(vals[i]["test_acc"])[0] if vals[i]["test_acc"] else -math.inf)
    cols = WAY_COLUMNS + WAY_EPOCH_COLUMNS
    lines = [[r["label"], str(v["_n"])] + [cell(v[k], d) for k, _, d in cols]
             + [noise(v["test_acc"], vals[best]["test_acc"])] for r, v in zip(rs, vals)]
    out = [_table(["model", "seeds"] + [c for _, c, _ in cols] + ["test all vs best"], lines)]
    # baselines beside the best model, from portolan evaluate on the same test split
    ev = evals[best]
    if ev:
        lines = []
        for name, label in (("model", rs[best]["label"]), ("most_frequent_from_departure", "most frequent destination from the departure port"),
                            ("nearest_port_ahead", "nearest port ahead along the course")):
            per = [next(r["metrics"] for r in e["rows"] if r["name"] == name) for e in ev.values()]
            lines.append([label] + [cell([p[k] for p in per if k in p], d) for k, _, d in BASELINE_COLUMNS])
        out.append(_table(["predictor (portolan evaluate, test split)"] + [c for _, c, _ in BASELINE_COLUMNS], lines))
    return "\n\n".join(out)


def steps_table(directory, rs):
    lines = []
    for r in rs:
        runs = seeds(directory, "steps", r["name"])
        lines.append([r["label"], r["run"]] + [cell([d[k] for d in runs.values() if k in d], dg) for k, _, dg in STEP_COLUMNS])
    return _table(["job", "device"] + [c for _, c, _ in STEP_COLUMNS], lines)


RENDER = {"lfmc": ("Temporal dropout on the LFMC set (%s-fold CV)", lfmc_table),
          "way": ("WAY on the synthetic fleet", way_tables),
          "steps": ("Step times (training step: forward, backward, optimiser)", steps_table)}


def render(directory):
    all_rows = rows(directory)
    out = []
    for table, (title, fn) in RENDER.items():
        rs = [r for r in all_rows if r["table"] == table and seeds(directory, table, r["name"])]
        if rs:
            flags = "\n".join("    %s: %s" % (r["name"], r["flags"]) for r in rs)
            if "%s" in title:  # the folds the runs used
                title %= "/".join(str(f) for f in sorted({d.get("folds") for r in rs
                                                           for d in seeds(directory, table, r["name"]).values()}, key=str))
            out.append("## %s\n\n%s\n\nRows (scripts/results.sh):\n\n%s\n" % (title, fn(directory, rs), flags))
    return "\n".join(out)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.exit("usage: python -m portolan_train.results DIR")
    sys.stdout.write(render(argv[0]))


if __name__ == "__main__":
    main()
