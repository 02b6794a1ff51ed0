import numpy as np

from portolan_train import rng


def test_published_vectors():
    # docs/RNG.md; Go's internal/rng tests the same table
    assert int(rng.u64(0, 0, 0, 0)) == 0x238275BC38FCBE91
    assert int(rng.u64(1, 2, 3, 4)) == 0x721ECF4652971CFC
    assert int(rng.u64(42, 7, 0, 0)) == 0x4D4945192FCB2A6B
    assert int(rng.u64(2 ** 64 - 1, 2 ** 32, 5, 0)) == 0x5E501F930B6349A3
    assert rng.f32(0, 0, 0, 0) == np.float32(0.13870936632156372)
    assert rng.f32(1, 2, 3, 4) == np.float32(0.4457826018333435)


def test_vectorised_matches_scalar():
    g = rng.uniform_grid(7, 4, 5, 0)
    for a in range(4):
        for b in range(5):
            assert g[a, b] == rng.f32(7, a, b, 0)
    assert g.dtype == np.float32 and np.all((g >= 0) & (g < 1))
