import io
import struct

import numpy as np
import pytest

from portolan_train import bundle as pb
from portolan_train.crc32c import crc32c


def small():
    b = pb.Bundle(kind="mlp", config={"hidden": 4, "nested": {"a": [1, 2]}},
                  preprocessing={"features": ["x", "y"], "mean": [0.0, 1.0], "std": [1.0, 2.0]},
                  producer={"tool": "test", "metrics": {"loss": 0.25}})
    b.add("w", np.arange(12, dtype=np.float32).reshape(4, 3) / 8 - 0.5)
    b.add("b", np.array([0.5, -0.5, 1.0, 0.0], np.float32))
    return b


def test_crc32c_check_value():
    # The CRC-32C check value from the Castagnoli catalogue.
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0
    assert crc32c(b"6789", crc32c(b"12345")) == 0xE3069283


@pytest.mark.parametrize("dtype", ["f32", "f16", "int8"])
def test_round_trip(dtype):
    b = small()
    buf = io.BytesIO()
    pb.write(b, buf, dtype=dtype)
    got = pb.read(io.BytesIO(buf.getvalue()))
    assert got.kind == "mlp" and got.config == {"hidden": 4, "nested": {"a": [1, 2]}}
    assert got.version == pb.VERSION == (1, 1)
    assert got.producer["metrics"] == {"loss": 0.25}
    # int8 applies to matrices only; vectors stay f32
    assert got.tensor("b").dtype == ("f32" if dtype == "int8" else dtype)
    w = got.array("w")
    ref = b.array("w")
    if dtype == "int8":
        scale = np.abs(ref).max(axis=1) / 127
        assert np.all(np.abs(w - ref) <= scale[:, None] / 2 + 1e-7)
    else:
        np.testing.assert_array_equal(w, ref)  # these values are exact in f16
    assert got.num_params() == 16


def test_torch_tensors_accepted():
    torch = pytest.importorskip("torch")
    b = pb.Bundle(kind="t")
    b.add("w", torch.ones(2, 3))
    assert pb.decode(pb.encode(b)).array("w").shape == (2, 3)


def test_errors():
    good = pb.encode(small())
    flipped = bytearray(good)
    flipped[-3] ^= 0x10
    v2 = bytearray(good)
    struct.pack_into("<HH", v2, 8, 2, 0)
    cases = [
        (b"PK\x03\x04" + b"\0" * 30, "bad magic"),
        (good[:10], "truncated"),
        (good[:-1], "truncated"),
        (bytes(flipped), "checksum"),
        (good + b"\0", "after the body"),
    ]
    for data, msg in cases:
        with pytest.raises(pb.BundleError, match=msg):
            pb.decode(data)
    with pytest.raises(pb.UnsupportedVersionError, match="2.0"):
        pb.decode(bytes(v2))


def test_invalid_contents_refused():
    b = small()
    b.tensors[0].shape = (5, 3)
    with pytest.raises(pb.BundleError, match="bytes of data"):
        pb.encode(b)
    with pytest.raises(pb.BundleError, match="non-finite"):
        pb.Bundle(kind="x").add("w", np.array([np.nan], np.float32))
    with pytest.raises(pb.BundleError, match="overflows f16"):
        pb.Tensor.from_array("w", np.array([1e5], np.float32), "f16")
    b = small()
    b.preprocessing["std"] = [1.0, 0.0]
    with pytest.raises(pb.BundleError, match="positive"):
        pb.encode(b)


def test_quantize_matches_hand_values():
    q, s = pb.quantize_int8(np.array([[-1, 0.5, 0.25, 1], [0, 0, 0, 0], [254, -127, 1, 0.5]], np.float32))
    assert s.tolist() == [np.float32(1) / np.float32(127), 1.0, 2.0]
    assert q.tolist() == [[-127, 64, 32, 127], [0, 0, 0, 0], [127, -64, 0, 0]]


def test_i32():
    b = small()
    b.add("ids", np.array([[-1, 0], [2**30, 7]], np.int64), dtype="i32")
    got = pb.decode(pb.encode(b.converted("int8")))
    assert got.tensor("ids").dtype == "i32"
    assert got.array("ids").tolist() == [[-1, 0], [2**30, 7]]
    with pytest.raises(pb.BundleError, match="int32 range"):
        pb.Tensor.from_array("x", np.array([2**31]), "i32")
