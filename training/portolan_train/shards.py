"""Read WAY training shards written by `portolan prepare way` (docs/SHARDS.md)."""

import glob
import json
import os

import numpy as np

from . import bundle as pb


class Split:
    """One split's voyages, ragged, as numpy arrays."""

    def __init__(self, bundles):
        parts = {k: [] for k in ("points", "cell_centre", "cell_hours", "cell_eta_hours", "cell_progress",
                                 "ship_type", "departure", "destination", "mmsi")}
        self.voyage_cells = [0]
        self.cell_points = [0]
        for b in bundles:
            vc = b.array("voyage_cells")
            cp = b.array("cell_points")
            self.voyage_cells.extend((vc[1:] + self.voyage_cells[-1]).tolist())
            self.cell_points.extend((cp[1:] + self.cell_points[-1]).tolist())
            for k in parts:
                parts[k].append(b.array(k))
        self.voyage_cells = np.asarray(self.voyage_cells, np.int64)
        self.cell_points = np.asarray(self.cell_points, np.int64)
        for k, v in parts.items():
            setattr(self, k, np.concatenate(v) if v else np.zeros((0,), np.float32))
        if len(self.points) == 0:
            self.points = np.zeros((0, 9), np.float32)

    def __len__(self):
        return len(self.voyage_cells) - 1


class Shards:
    """All splits of a shard directory, with the preprocessing block."""

    def __init__(self, directory):
        with open(os.path.join(directory, "manifest.json")) as f:
            self.manifest = json.load(f)
        self.splits = {}
        self.preprocessing = None
        self.config = None
        for split in ("train", "val", "test"):
            bundles = [pb.read(p) for p in sorted(glob.glob(os.path.join(directory, "way-%s-*.portolan" % split)))]
            for b in bundles:
                if b.kind != "way-shard":
                    raise pb.BundleError("%s: kind %r, want way-shard" % (directory, b.kind))
                self.preprocessing = self.preprocessing or b.preprocessing
                self.config = self.config or b.config
            self.splits[split] = Split(bundles)
        if self.preprocessing is None:
            raise pb.BundleError("%s: no shards" % directory)
        p = self.preprocessing
        width = self.splits["train"].points.shape[1]
        if len(p["features"]) != width or len(p["mean"]) != width:
            raise pb.BundleError("%s: %d feature names and %d means for points of %d features"
                                 % (directory, len(p["features"]), len(p["mean"]), width))
        self.mean = np.asarray(p["mean"], np.float32)
        self.std = np.asarray(p["std"], np.float32)
        self.n_ports = len(p["ports"])
        self.n_ship = len(p["ship_types"])
        self.sub_len = int(self.config["sub_len"])
        self.max_len = int(self.config["max_len"])


def batch(split, idx, sub_len, max_len, mean, std, rng=None, mid_voyage=0.0):
    """Pad voyages idx into model inputs. Voyages longer than max_len are
    cropped: a random window in training (rng given), the last max_len cells
    otherwise (what inference sees).

    With mid_voyage > 0 (training only), each voyage is, with that
    probability, seen as a receiver that came in mid-voyage sees it: its
    cells before a random one are dropped, its departure becomes unknown
    (0) and its hours count from the first cell kept. Real feeds start so
    (a coverage gap, a stream switched on at sea), and inference then has
    no departure port and no time since departure either."""
    starts, ends = [], []
    unknown = np.zeros(len(idx), bool)
    for i, v in enumerate(idx):
        a, b = int(split.voyage_cells[v]), int(split.voyage_cells[v + 1])
        if mid_voyage > 0 and b - a > 1 and rng.random() < mid_voyage:
            a, unknown[i] = int(rng.integers(a + 1, b)), True
        if b - a > max_len:
            a = b - max_len if rng is None else int(rng.integers(a, b - max_len + 1))
            b = a + max_len
        starts.append(a)
        ends.append(b)
    L = max(e - s for s, e in zip(starts, ends))
    B = len(idx)
    spacetime = np.zeros((B, L, 3), np.float32)
    sub_x = np.zeros((B, L, sub_len, 9), np.float32)
    sub_n = np.zeros((B, L), np.int64)
    eta = np.zeros((B, L), np.float32)
    progress = np.zeros((B, L), np.float32)
    for i, (a, b) in enumerate(zip(starts, ends)):
        n = b - a
        centre = split.cell_centre[a:b]
        spacetime[i, :n, 0] = centre[:, 1]  # lon
        spacetime[i, :n, 1] = centre[:, 0]  # lat
        spacetime[i, :n, 2] = split.cell_hours[a:b] - (split.cell_hours[a] if unknown[i] else 0)
        eta[i, :n] = split.cell_eta_hours[a:b]
        progress[i, :n] = split.cell_progress[a:b]
        for j, c in enumerate(range(a, b)):
            p0, p1 = split.cell_points[c], split.cell_points[c + 1]
            sub_x[i, j, : p1 - p0] = (split.points[p0:p1] - mean) / std
            sub_n[i, j] = p1 - p0
    idx = np.asarray(idx)
    return {
        "spacetime": spacetime, "sub_x": sub_x, "sub_len": sub_n,
        "ship": split.ship_type[idx].astype(np.int64), "departure": np.where(unknown, 0, split.departure[idx]).astype(np.int64),
        "destination": split.destination[idx].astype(np.int64), "eta": eta, "progress": progress,
    }
