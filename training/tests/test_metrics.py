import math

import numpy as np
import pytest

from portolan_train import metrics as m


def test_hand_values():
    y = np.array([0.0])
    # CRPS of N(0, 1) at its mean: 2φ(0) − 1/√π
    assert m.crps_gaussian(y, np.zeros(1), np.ones(1)) == pytest.approx(2 / math.sqrt(2 * math.pi) - 1 / math.sqrt(math.pi))
    assert m.gaussian_nll(y, np.zeros(1), np.ones(1)) == pytest.approx(0.5 * math.log(2 * math.pi))
    yy = np.array([1.0, 2.0, 3.0])
    assert m.rmse(yy, yy + 1) == 1.0 and m.mae(yy, yy - 2) == 2.0
    assert m.r2(yy, yy) == 1.0
    # 90% interval ±1.6449σ: 0.5 and -1.7 are in, 1.7 out
    assert m.picp(np.array([0.5, -1.6, 1.7]), np.zeros(3), np.ones(3), 0.9) == pytest.approx(2 / 3)


def test_calibrated_gaussian_has_small_mace():
    rng = np.random.default_rng(0)
    y = rng.normal(0, 2, 20000)
    assert m.mace(y, np.zeros_like(y), np.full_like(y, 4.0)) < 0.01
    assert m.mace(y, np.zeros_like(y), np.full_like(y, 1.0)) > 0.1  # overconfident
