"""Read and write Portolan model bundles (.portolan), as docs/FORMAT.md specifies.

A bundle is a 24-byte header (magic ``PORTOLAN``, major and minor version,
body length, CRC-32C of the body) followed by one msgpack map. This module
needs only the standard library, numpy and msgpack; torch tensors are
accepted wherever arrays are (anything with ``.detach().cpu().numpy()``).

Example::

    b = Bundle(kind="mlp", config={"hidden": 4})
    b.add("fc.weight", np.ones((4, 3), np.float32))
    write(b, "m.portolan", dtype="f16")
    again = read("m.portolan")
    again.array("fc.weight")  # float32, dequantised
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Dict, List, Optional, Union

import msgpack
import numpy as np

from .crc32c import crc32c

MAGIC = b"PORTOLAN"
HEADER_SIZE = 24
VERSION = (1, 1)  # 1.1 added preprocessing port_areas and visit
MAX_BODY_SIZE = 1 << 31
MAX_RANK = 8
MAX_PORT_RADIUS_M = 100000.0
DTYPES = {"f32": 4, "f16": 2, "int8": 1, "i32": 4}


class BundleError(ValueError):
    """A bundle that cannot be read or written; the message says why."""


class UnsupportedVersionError(BundleError):
    def __init__(self, got):
        self.got = got
        super().__init__(
            "bundle format version %d.%d is not supported (this reader supports %d.x, newest %d.%d)"
            % (got[0], got[1], VERSION[0], VERSION[0], VERSION[1]))


def _as_numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


@dataclass
class Tensor:
    name: str
    dtype: str
    shape: tuple
    data: bytes
    scales: Optional[np.ndarray] = None  # int8 only, float32, one per shape[0]

    @staticmethod
    def from_array(name: str, arr, dtype: str = "f32") -> "Tensor":
        if dtype == "i32":
            a = np.array(_as_numpy(arr), order="C")
            if not np.issubdtype(a.dtype, np.integer) or a.size and (a.min() < -2**31 or a.max() >= 2**31):
                raise BundleError("tensor %r: i32 needs integers in int32 range" % name)
            return Tensor(name, "i32", tuple(int(d) for d in a.shape), a.astype("<i4").tobytes())
        a = np.array(_as_numpy(arr), dtype=np.float32, order="C")  # keeps 0-d
        if not np.all(np.isfinite(a)):
            raise BundleError("tensor %r has non-finite values" % name)
        shape = tuple(int(d) for d in a.shape)
        if dtype == "f32":
            return Tensor(name, "f32", shape, a.astype("<f4").tobytes())
        if dtype == "f16":
            with np.errstate(over="ignore"):
                h = a.astype("<f2")  # round to nearest, ties to even
            if not np.all(np.isfinite(h)):
                raise BundleError("tensor %r overflows f16 (|x| > 65504)" % name)
            return Tensor(name, "f16", shape, h.tobytes())
        if dtype == "int8":
            if a.ndim == 0:
                raise BundleError("tensor %r: cannot quantise a scalar to int8" % name)
            q, s = quantize_int8(a.reshape(a.shape[0], -1))
            return Tensor(name, "int8", shape, q.tobytes(), s)
        raise BundleError("unknown dtype %r" % dtype)

    def numel(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    def to_numpy(self) -> np.ndarray:
        """The elements as a float32 array of the tensor's shape (dequantised)."""
        if self.dtype == "f32":
            a = np.frombuffer(self.data, "<f4").astype(np.float32)
        elif self.dtype == "f16":
            a = np.frombuffer(self.data, "<f2").astype(np.float32)
        elif self.dtype == "i32":
            return np.frombuffer(self.data, "<i4").astype(np.int32).reshape(self.shape)
        elif self.dtype == "int8":
            q = np.frombuffer(self.data, np.int8).astype(np.float32)
            q = q.reshape(self.shape[0], -1) * self.scales[:, None]
            a = q.astype(np.float32)
        else:
            raise BundleError("unknown dtype %r" % self.dtype)
        return a.reshape(self.shape)

    def validate(self):
        if not self.name:
            raise BundleError("tensor with empty name")
        if self.dtype not in DTYPES:
            raise BundleError("tensor %r: unknown dtype %r" % (self.name, self.dtype))
        if len(self.shape) > MAX_RANK or any(int(d) <= 0 for d in self.shape):
            raise BundleError("tensor %r: bad shape %r" % (self.name, self.shape))
        want = self.numel() * DTYPES[self.dtype]
        if len(self.data) != want:
            raise BundleError("tensor %r: %d bytes of data for shape %r %s (want %d)"
                              % (self.name, len(self.data), self.shape, self.dtype, want))
        if self.dtype == "int8":
            if not self.shape or self.scales is None or len(self.scales) != self.shape[0]:
                raise BundleError("tensor %r: int8 needs one scale per output channel" % self.name)
            if not np.all(np.isfinite(self.scales)) or np.any(self.scales <= 0):
                raise BundleError("tensor %r: int8 scales must be finite and positive" % self.name)
            if np.any(np.frombuffer(self.data, np.int8) == -128):
                raise BundleError("tensor %r: int8 value -128 (range is -127..127)" % self.name)
        else:
            if self.scales is not None and len(self.scales):
                raise BundleError("tensor %r: scales on a %s tensor" % (self.name, self.dtype))
            if self.dtype != "i32" and not np.all(np.isfinite(self.to_numpy())):
                raise BundleError("tensor %r: non-finite values" % self.name)


# A matrix is stored int8 when it has at least INT8_MIN_ROWS output channels
# and INT8_MIN_COLS inputs per channel; smaller matrices (a one-row head,
# an input projection of a few features, small embeddings) stay f16, where
# one scale for few values costs the most accuracy and saves the least
# (RATIONALE.md, "Which tensors int8 keeps"). Same rule as Go's
# export.Int8Target.
INT8_MIN_ROWS = 16
INT8_MIN_COLS = 16


def int8_target(shape) -> str:
    """The dtype an int8 conversion stores a float tensor of this shape as:
    int8 for matrices of at least 16 × 16 (rows = shape[0], columns = the
    product of the rest), f16 for smaller matrices, f32 for vectors and
    scalars."""
    if len(shape) < 2:
        return "f32"
    cols = int(np.prod(shape[1:], dtype=np.int64))
    return "int8" if shape[0] >= INT8_MIN_ROWS and cols >= INT8_MIN_COLS else "f16"


def quantize_int8(rows: np.ndarray):
    """Symmetric per-row int8 quantisation, identical to the Go QuantizeInt8.

    scale = max|row| / 127 (1 for an all-zero row), computed in float32;
    q = round_half_even(x / scale) clamped to [-127, 127].
    """
    rows = np.asarray(rows, np.float32)
    m = np.max(np.abs(rows), axis=1).astype(np.float32)
    s = (m / np.float32(127)).astype(np.float32)
    s[s == 0] = np.float32(1)
    q = np.clip(np.round(rows / s[:, None]), -127, 127).astype(np.int8)
    return q, s


@dataclass
class Bundle:
    kind: str
    config: Dict[str, Any] = field(default_factory=dict)
    # features, mean, std, grid {system, resolution_deg}, ship_types, ports [{locode, name, lat, lon}],
    # port_areas [{locode, name, lat, lon, radius_m}], visit {max_speed_knots, min_dwell_s} or None
    preprocessing: Dict[str, Any] = field(default_factory=dict)
    tensors: List[Tensor] = field(default_factory=list)
    # tool, version, framework, created (RFC 3339), metrics {str: float}, extra {str: str}
    producer: Dict[str, Any] = field(default_factory=dict)
    version: tuple = VERSION

    def add(self, name: str, arr, dtype: str = "f32") -> Tensor:
        t = Tensor.from_array(name, arr, dtype)
        self.tensors.append(t)
        return t

    def tensor(self, name: str) -> Tensor:
        for t in self.tensors:
            if t.name == name:
                return t
        raise KeyError(name)

    def array(self, name: str) -> np.ndarray:
        return self.tensor(name).to_numpy()

    def arrays(self) -> Dict[str, np.ndarray]:
        return {t.name: t.to_numpy() for t in self.tensors}

    def num_params(self) -> int:
        return sum(t.numel() for t in self.tensors)

    def converted(self, dtype: str) -> "Bundle":
        """A copy with weights stored as dtype; for int8, each tensor as
        int8_target says (as Go's Bundle.Convert)."""
        out = Bundle(self.kind, dict(self.config), dict(self.preprocessing), [], dict(self.producer))
        for t in self.tensors:
            if t.dtype == "i32":  # ids and offsets are not weights
                out.tensors.append(t)
                continue
            target = int8_target(t.shape) if dtype == "int8" else dtype
            out.tensors.append(Tensor.from_array(t.name, t.to_numpy(), target))
        return out

    def validate(self):
        if not self.kind:
            raise BundleError("model kind is empty")
        names = set()
        for t in self.tensors:
            if t.name in names:
                raise BundleError("duplicate tensor name %r" % t.name)
            names.add(t.name)
            t.validate()
        p = self.preprocessing
        feats = p.get("features") or []
        for key in ("mean", "std"):
            v = p.get(key)
            if v is not None and len(v) and len(v) != len(feats):
                raise BundleError("preprocessing %s has %d values for %d features" % (key, len(v), len(feats)))
            if v is not None and len(v) and not np.all(np.isfinite(np.asarray(v, np.float64))):
                raise BundleError("preprocessing %s is not finite" % key)
        if p.get("std") is not None and len(p["std"]) and np.any(np.asarray(p["std"]) <= 0):
            raise BundleError("preprocessing std must be positive")
        for i, port in enumerate(p.get("ports") or []):
            if not (-90 <= port.get("lat", 0) <= 90 and -180 <= port.get("lon", 0) <= 180):
                raise BundleError("port %d off the globe" % i)
        for i, a in enumerate(p.get("port_areas") or []):
            if not (-90 <= a["lat"] <= 90 and -180 <= a["lon"] <= 180 and 0 < a["radius_m"] < MAX_PORT_RADIUS_M):
                raise BundleError("port area %d (%s %s) at %r, %r radius %r m" % (
                    i, a.get("locode", ""), a.get("name", ""), a["lat"], a["lon"], a["radius_m"]))
        v = p.get("visit")
        if v is not None and not (0 < v["max_speed_knots"] < 100 and 0 <= v["min_dwell_s"] <= 30 * 24 * 3600):
            raise BundleError("visit rules max_speed_knots %r (0..100), min_dwell_s %r (0..30 days)"
                              % (v["max_speed_knots"], v["min_dwell_s"]))


def _f32list(v) -> list:
    if v is None:
        return []
    return [float(np.float32(x)) for x in _as_numpy(v).reshape(-1)]


def _plain(v):
    """Config values as msgpack-friendly Python types."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()]
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and not math.isfinite(v):
        raise BundleError("config holds a non-finite number")
    return v


def encode(bundle: Bundle) -> bytes:
    """The bytes of a bundle: header and body."""
    bundle.validate()
    p = bundle.preprocessing
    grid = p.get("grid")
    pr = bundle.producer
    created = pr.get("created") or ""
    if isinstance(created, _dt.datetime):
        created = created.astimezone(_dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "kind": bundle.kind,
        "config": _plain(bundle.config or {}),
        "preprocessing": {
            "features": list(p.get("features") or []),
            "mean": _f32list(p.get("mean")),
            "std": _f32list(p.get("std")),
            "grid": None if grid is None else {"system": grid.get("system", ""),
                                               "resolution_deg": float(grid["resolution_deg"])},
            "ship_types": list(p.get("ship_types") or []),
            "ports": [{"locode": x.get("locode", ""), "name": x.get("name", ""),
                       "lat": float(x["lat"]), "lon": float(x["lon"])} for x in (p.get("ports") or [])],
            "port_areas": [{"locode": x.get("locode", ""), "name": x.get("name", ""), "lat": float(x["lat"]),
                            "lon": float(x["lon"]), "radius_m": float(x["radius_m"])}
                           for x in (p.get("port_areas") or [])],
            "visit": None if p.get("visit") is None else {
                "max_speed_knots": float(p["visit"]["max_speed_knots"]),
                "min_dwell_s": float(p["visit"]["min_dwell_s"])},
        },
        "tensors": [{
            "name": t.name, "dtype": t.dtype, "shape": [int(d) for d in t.shape], "data": bytes(t.data),
            "scales": b"" if t.scales is None else np.asarray(t.scales, "<f4").tobytes(),
        } for t in bundle.tensors],
        "producer": {
            "tool": pr.get("tool", "portolan_train"),
            "version": pr.get("version", ""),
            "framework": pr.get("framework", ""),
            "created": created,
            "metrics": {str(k): float(v) for k, v in (pr.get("metrics") or {}).items()},
            "extra": {str(k): str(v) for k, v in (pr.get("extra") or {}).items()},
        },
    }
    raw = msgpack.packb(body, use_bin_type=True)
    if len(raw) > MAX_BODY_SIZE:
        raise BundleError("body of %d bytes over the limit" % len(raw))
    header = MAGIC + struct.pack("<HHQI", VERSION[0], VERSION[1], len(raw), crc32c(raw))
    return header + raw


def write(bundle: Bundle, path_or_file: Union[str, os.PathLike, BinaryIO], dtype: Optional[str] = None):
    """Write a bundle; with dtype, convert its weights first (f32, f16 or int8)."""
    if dtype is not None:
        bundle = bundle.converted(dtype)
    data = encode(bundle)
    if hasattr(path_or_file, "write"):
        path_or_file.write(data)
        return
    tmp = str(path_or_file) + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path_or_file)


def decode(data: bytes) -> Bundle:
    """Parse and validate a bundle from bytes."""
    data = bytes(data)
    if len(data) < HEADER_SIZE:
        if not MAGIC.startswith(data[:len(MAGIC)]):
            raise BundleError("not a portolan bundle (bad magic)")
        raise BundleError("truncated bundle: header is %d of %d bytes" % (len(data), HEADER_SIZE))
    if data[:8] != MAGIC:
        raise BundleError("not a portolan bundle (bad magic)")
    major, minor, size, crc = struct.unpack_from("<HHQI", data, 8)
    if major != VERSION[0]:
        raise UnsupportedVersionError((major, minor))
    if size > MAX_BODY_SIZE:
        raise BundleError("body of %d bytes over the limit" % size)
    body = data[HEADER_SIZE:]
    if len(body) < size:
        raise BundleError("truncated bundle: body is %d of %d bytes" % (len(body), size))
    if len(body) > size:
        raise BundleError("malformed bundle: %d bytes after the body" % (len(body) - size))
    got = crc32c(body)
    if got != crc:
        raise BundleError("checksum mismatch: body CRC-32C is %08x, header says %08x" % (got, crc))
    try:
        m = msgpack.unpackb(body, raw=False, strict_map_key=True)
    except Exception as e:  # msgpack raises several types
        raise BundleError("malformed body: %s" % e) from None
    if not isinstance(m, dict) or not isinstance(m.get("kind"), str) or not isinstance(m.get("tensors"), list):
        raise BundleError("malformed body: want a map with kind and tensors")
    p = m.get("preprocessing") or {}
    b = Bundle(kind=m["kind"], config=m.get("config") or {}, version=(major, minor),
               preprocessing={
                   "features": p.get("features") or [],
                   "mean": np.asarray(p.get("mean") or [], np.float32),
                   "std": np.asarray(p.get("std") or [], np.float32),
                   "grid": p.get("grid"),
                   "ship_types": p.get("ship_types") or [],
                   "ports": p.get("ports") or [],
                   "port_areas": p.get("port_areas") or [],
                   "visit": p.get("visit"),
               },
               producer=m.get("producer") or {})
    for i, t in enumerate(m["tensors"]):
        if not isinstance(t, dict):
            raise BundleError("malformed body: tensor %d is not a map" % i)
        scales = t.get("scales") or b""
        if len(scales) % 4:
            raise BundleError("malformed body: tensor %d scales are not float32" % i)
        b.tensors.append(Tensor(
            name=t.get("name", ""), dtype=t.get("dtype", ""), shape=tuple(t.get("shape") or ()),
            data=bytes(t.get("data") or b""),
            scales=np.frombuffer(scales, "<f4").astype(np.float32) if scales else None))
    b.validate()
    return b


def read(path_or_file: Union[str, os.PathLike, BinaryIO]) -> Bundle:
    """Read and validate a bundle from a path or a binary file object."""
    if hasattr(path_or_file, "read"):
        return decode(path_or_file.read())
    with open(path_or_file, "rb") as f:
        return decode(f.read())
