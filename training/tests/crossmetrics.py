"""Cross-language metrics, driven by Go tests (uncertainty/crossmetrics_test.go
and cmd/portolan/evaluate_test.go).

    crossmetrics.py regression FILE   FILE holds JSON {y, mu, var}; prints
                                      all_metrics and the calibration curve
    crossmetrics.py way FILE          FILE holds JSON {voyages: [{logits, eta_hours,
                                      destination, progress, eta_true}]}; prints Score
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from portolan_train import metrics, way  # noqa: E402


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        d = json.load(f)
    if cmd == "regression":
        y, mu, var = (np.asarray(d[k], np.float64) for k in ("y", "mu", "var"))
        out = metrics.all_metrics(y, mu, var)
        out["calibration"] = metrics.calibration_curve(y, mu, var)
    elif cmd == "way":
        s = way.Score()
        for v in d["voyages"]:
            s.add(np.asarray(v["logits"], np.float32), np.asarray(v["eta_hours"], np.float32), v["destination"],
                  np.asarray(v["progress"], np.float32), np.asarray(v["eta_true"], np.float32))
        out = s.result()
    else:
        sys.exit("usage: crossmetrics.py regression|way FILE")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
