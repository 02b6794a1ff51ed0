"""Write the committed sample series (testdata/series/sample.csv): 12
synthetic vegetation series (seed 99) in the long CSV format, with gaps."""

import csv
import sys

import numpy as np

from .data import synthetic_vegetation


def main(path):
    X, y, names = synthetic_vegetation(n=12, T=12, seed=99)
    # put some cloud gaps back (the generator imputes them)
    rng = np.random.default_rng(99)
    gaps = rng.random(X.shape[:2]) < 0.1
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "step"] + names + ["target"])
        for i in range(len(X)):
            for t in range(X.shape[1]):
                vals = ["%.5f" % v for v in X[i, t]]
                if gaps[i, t]:
                    vals[0] = vals[1] = ""
                w.writerow(["site%02d" % i, t] + vals + ["%.3f" % y[i]])


if __name__ == "__main__":
    main(sys.argv[1])
