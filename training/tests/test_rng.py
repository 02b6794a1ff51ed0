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


def test_series_keys():
    # docs/RNG.md; Go's internal/rng tests the same table
    assert rng.fnv1a64("") == 0xCBF29CE484222325
    assert rng.fnv1a64("a") == 0xAF63DC4C8601EC8C
    assert rng.fnv1a64("foobar") == 0x85944171F73967E8
    assert rng.fnv1a64("site00") == 0x2FDBE201783AE13E
    assert int(rng.series_seed(1, 0)) == 0x6D339D1740130EDD
    assert int(rng.series_seed(42, 7)) == 0xA43CBE33475EFBA3
    sk = int(rng.series_seed(1, rng.fnv1a64("site00")))
    assert sk == 0x548D9B0E665AD634
    assert rng.f32(sk, 0, 0, 0) == np.float32(0.4702075719833374)
    assert rng.f32(sk, 3, 5, 1) == np.float32(0.16536790132522583)
    assert rng.f32(sk, 0, 7, 3) == np.float32(0.20056259632110596)  # MC-Dropout, the backbone's unit 7
    assert rng.f32(sk, 2, 0, 4) == np.float32(0.6410154700279236)  # MC-Dropout, the dense layer's unit 0
