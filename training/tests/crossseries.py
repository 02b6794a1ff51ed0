"""Cross-language series reading, driven by timeseries/crossseries_test.go.

    crossseries.py GROUP FILE...   print one JSON line per file: what
                                   read_series_csv(FILE, GROUP or None) gives

Values are printed exactly (float32 widened to float64, repr); NaN as null.
A file the reader refuses prints {"error": message}.
"""

import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from portolan_train import data  # noqa: E402


def exact(v):
    return None if math.isnan(v) else float(v)


def main():
    group, files = sys.argv[1] or None, sys.argv[2:]
    for path in files:
        try:
            s = data.read_series_csv(path, group)
        except data.SeriesError as e:
            print(json.dumps({"file": path, "error": str(e)}))
            continue
        print(json.dumps({"file": path, "ids": s["ids"], "steps": s["steps"], "groups": s["groups"],
                          "features": s["features"], "shape": list(s["X"].shape),
                          "x": [exact(v) for v in s["X"].reshape(-1).tolist()],
                          "y": [exact(v) for v in s["y"].tolist()]}))


if __name__ == "__main__":
    main()
