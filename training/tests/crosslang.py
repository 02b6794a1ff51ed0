"""Cross-language bundle check, driven by export/crosslang_test.go.

    crosslang.py write DIR   write py_{f32,f16,int8}.portolan into DIR
    crosslang.py check FILE  verify a bundle the Go writer made

Both sides build the same source values (see source_values and the Go
crossValues) and convert them with their own f16 and int8 code, so a match
proves the two implementations agree bit for bit.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from portolan_train import bundle as pb  # noqa: E402


AREAS = [{"locode": "NLRTM", "name": "Rotterdam", "lat": 51.95, "lon": 4.14, "radius_m": 10000.0},
         {"locode": "", "name": "Anchorage B", "lat": 51.99, "lon": 3.5, "radius_m": 3000.0}]


def source_values(n):
    # ((i*37) % 1000 - 500) / 3 in float64, rounded once to float32, plus
    # edge values: -0, an f16 subnormal, the largest f16, a tie case.
    v = np.array([((i * 37) % 1000 - 500) / 3.0 for i in range(n)], np.float64).astype(np.float32)
    edge = np.array([-0.0, 1e-7, 65504.0, 1 + 2.0 ** -11, 3e-5], np.float32)
    v[: min(n, len(edge))] = edge[:n]
    return v


def make(dtype):
    b = pb.Bundle(kind="crosslang",
                  config={"hidden": 7, "rate": 0.5, "name": "x", "list": [1, 2.5, "z"]},
                  preprocessing={"features": ["a", "b"], "mean": [1.5, -2.0], "std": [0.25, 3.0],
                                 "grid": {"system": "georef", "resolution_deg": 0.5},
                                 "ship_types": ["unknown", "cargo"],
                                 "ports": [{"locode": "NLRTM", "name": "Rotterdam", "lat": 51.95, "lon": 4.14}],
                                 "port_areas": AREAS, "visit": {"max_speed_knots": 1.5, "min_dwell_s": 1800.0}},
                  producer={"tool": "crosslang", "version": "1", "framework": "numpy",
                            "created": "2026-01-02T03:04:05Z", "metrics": {"loss": 0.5}, "extra": {"k": "v"}})
    b.add("w", source_values(35).reshape(5, 7))  # int8 conversion: f16 (too small)
    b.add("big", source_values(16 * 20)[::-1].reshape(16, 4, 5))  # int8 conversion: int8
    b.add("bias", source_values(3))
    b.add("s", np.float32(2.5))
    b.add("ids", np.array([-5, 0, 123456789]), dtype="i32")
    return b.converted(dtype)


def check(path):
    got = pb.read(path)
    dtype = os.path.basename(path).split("_")[1].split(".")[0]
    want = make(dtype)
    assert got.kind == want.kind, got.kind
    assert got.config == {"hidden": 7, "rate": 0.5, "name": "x", "list": [1, 2.5, "z"]}, got.config
    p = got.preprocessing
    assert p["features"] == ["a", "b"] and list(p["mean"]) == [1.5, -2.0] and list(p["std"]) == [0.25, 3.0], p
    assert p["grid"] == {"system": "georef", "resolution_deg": 0.5}, p["grid"]
    assert p["ports"] == [{"locode": "NLRTM", "name": "Rotterdam", "lat": 51.95, "lon": 4.14}], p["ports"]
    assert p["port_areas"] == AREAS, p["port_areas"]
    assert p["visit"] == {"max_speed_knots": 1.5, "min_dwell_s": 1800.0}, p["visit"]
    assert got.version == pb.VERSION, got.version
    assert got.producer["metrics"] == {"loss": 0.5} and got.producer["created"] == "2026-01-02T03:04:05Z"
    assert [t.name for t in got.tensors] == ["w", "big", "bias", "s", "ids"]
    for g, w in zip(got.tensors, want.tensors):
        assert (g.dtype, tuple(g.shape)) == (w.dtype, tuple(w.shape)), (g.name, g.dtype, g.shape, w.dtype, w.shape)
        assert g.data == w.data, "tensor %s bytes differ" % g.name
        if w.scales is not None:
            assert g.scales.tobytes() == w.scales.tobytes(), "tensor %s scales differ" % g.name
    print("ok", path)


def main():
    cmd, arg = sys.argv[1], sys.argv[2]
    if cmd == "write":
        for dt in ("f32", "f16", "int8"):
            pb.write(make(dt), os.path.join(arg, "py_%s.portolan" % dt))
    elif cmd == "check":
        check(arg)
    else:
        sys.exit("usage: crosslang.py write DIR | check FILE")


if __name__ == "__main__":
    main()
