"""The CUDA path: the same training code on a GPU with bf16 mixed precision.
Runs where torch sees a GPU (scripts/gpu-check.sh on a GPU machine); CI has none."""

import numpy as np
import pytest
import torch

from portolan_train import data, td, way

from .test_way import TINY, fake_batch, overfit, run

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@cuda
def test_way_amp_training_reduces_loss():
    losses = overfit("cuda", lambda: torch.autocast(device_type="cuda", dtype=torch.bfloat16))
    assert losses[-1] < 0.5 * losses[0]


@cuda
def test_way_cpu_and_cuda_agree():
    torch.manual_seed(0)
    m = way.WAY(7, 3, **TINY).eval()
    b = fake_batch()
    with torch.no_grad():
        a, e = run(m, b)
        a2, e2 = run(m.cuda(), {k: v.cuda() for k, v in b.items()})
    assert torch.allclose(a, a2.cpu(), atol=1e-4) and torch.allclose(e, e2.cpu(), atol=1e-4)


@cuda
def test_td_cuda_fit_and_mc():
    X, y, _ = data.synthetic_vegetation(n=200, T=6, seed=3)
    m, sc, info = td.fit(X, y, kind="concrete", epochs=5, batch_size=32, device="cuda", amp=True)
    p = td.mc_predict(m, sc, X[:4], samples=8, seed=1)
    q = td.mc_predict(m.cpu(), sc, X[:4], samples=8, seed=1)
    assert np.allclose(p["mean"], q["mean"], rtol=1e-4)  # the shared generator: same masks on both devices
