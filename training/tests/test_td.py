import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from portolan_train import data, rng, td

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def test_shapes_both_backbones():
    x = torch.randn(5, 4, 7)
    for bb in ("lstm", "transformer"):
        m = td.TDRegressor(4, 7, backbone=bb, hidden=16, dense=8).eval()
        mu, lv = m(x)
        assert mu.shape == (5,) and lv.shape == (5,)


def test_mc_td_drops_whole_steps_without_rescale():
    d = td.TemporalDropout(6, "mc-td", alpha=0.5)
    x = torch.ones(2, 6, 3)
    u = torch.tensor([[0.1, 0.6, 0.4, 0.9, 0.5, 0.0]] * 2)
    y = d(x, u)
    assert y[0, :, 0].tolist() == [0, 1, 0, 1, 1, 0]  # dropped where u < α
    assert torch.all(y[:, :, 0] == y[:, :, 2])  # whole steps


def test_concrete_regulariser_gradient_sign():
    d = td.TemporalDropout(4, "concrete", init_p=0.1)
    d.regulariser().backward()
    # below 0.5 the regulariser decreases as p grows: gradient w.r.t. the logit is negative
    assert torch.all(d.p_logit.grad < 0)
    d2 = td.TemporalDropout(4, "concrete", init_p=0.9)
    d2.regulariser().backward()
    assert torch.all(d2.p_logit.grad > 0)
    # K = T scales it
    assert float(d.regulariser()) == pytest.approx(4 * 4 * (0.1 * np.log(0.1) + 0.9 * np.log(0.9)), rel=1e-5)


def test_concrete_mask_rescales():
    d = td.TemporalDropout(3, "concrete", init_p=0.2)
    x = torch.ones(1, 3, 2)
    # u near 0 keeps the step (z → 0): value 1/(1−p)
    y = d(x, torch.full((1, 3), 1e-6))
    assert torch.allclose(y, torch.full_like(y, 1 / 0.8), atol=1e-4)
    y = d(x, torch.full((1, 3), 1 - 1e-6))
    assert torch.allclose(y, torch.zeros_like(y), atol=1e-4)


def test_fit_reduces_loss_and_export_round_trip(tmp_path):
    X, y, names = data.synthetic_vegetation(n=120, T=6, seed=3)
    m0, sc, _ = td.fit(X, y, kind="concrete", epochs=0, device="cpu")  # the initial model
    m, sc, info = td.fit(X, y, kind="concrete", epochs=10, batch_size=32, device="cpu")
    Xz = torch.as_tensor((X - sc["x_mean"]) / sc["x_std"], dtype=torch.float32)
    yz = torch.as_tensor((y - sc["y_mean"]) / sc["y_std"])
    with torch.no_grad():
        before = float(td.gaussian_nll(*m0(Xz, torch.zeros(120, 6)), yz))
        trained = float(td.gaussian_nll(*m(Xz, torch.zeros(120, 6)), yz))
    assert trained < before - 0.1

    p1 = td.mc_predict(m, sc, X[:5], samples=10, seed=3)
    p2 = td.mc_predict(m, sc, X[:5], samples=10, seed=3)
    assert np.array_equal(p1["mean"], p2["mean"])  # seeded
    p3 = td.mc_predict(m, sc, X[:5], samples=10, seed=4)
    assert not np.array_equal(p1["mean"], p3["mean"])
    assert np.allclose(p1["total"], p1["epistemic"] + p1["aleatoric"])

    path = str(tmp_path / "td.portolan")
    td.export(m, sc, path, names)
    m2, sc2, b = td.load(path)
    q = td.mc_predict(m2, sc2, X[:5], samples=10, seed=3)
    assert np.allclose(q["mean"], p1["mean"], rtol=1e-5)  # BatchNorm folded into the heads
    assert b.tensor("td.rate").shape == (6,)
    assert "bn.weight" not in [t.name for t in b.tensors]


def test_csv_and_gaps(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("id,step,ndvi,vv,target\na,0,0.5,-10,100\na,1,,-11,100\nb,0,0.3,-9,80\nb,1,0.4,NA,80\n")
    X, y, names, groups = data.load_csv(str(p))
    assert X.shape == (2, 2, 2) and names == ["ndvi", "vv"] and groups is None
    assert np.isnan(X[0, 1, 0]) and np.isnan(X[1, 1, 1])  # gaps stay NaN until the training mean fills them
    X = data.impute(X)
    assert X[0, 1, 0] == pytest.approx((0.5 + 0.3 + 0.4) / 3)  # gap filled with the feature mean
    assert y.tolist() == [100, 80]
    p.write_text("id,step,ndvi,target\na,0,0.5,100\nb,0,0.3,\n")
    with pytest.raises(data.SeriesError, match="1 series without a target"):
        data.load_csv(str(p))


def test_series_rules_fixture():
    """testdata/series/rules.csv read by the rules Go follows (the Go test
    TestSeriesCrossLanguage compares both readers value by value)."""
    s = data.read_series_csv(os.path.join(ROOT, "testdata", "series", "rules.csv"), group="site")
    assert s["ids"] == ["a", "b", "c"] and s["steps"] == [-1, 0, 1, 2]
    assert s["features"] == ["ndvi", "vv"] and s["groups"] == ["south", "north", "north"]
    assert s["y"].tolist() == [100.5, 80, 7]
    assert s["X"][0, 0].tolist() == [np.float32(0.123456789012), -150.0]
    assert np.isnan(s["X"][1, 0]).all() and np.isnan(s["X"][2, 1:]).all()
    for name in sorted(os.listdir(os.path.join(ROOT, "testdata", "series", "invalid"))):
        with pytest.raises(data.SeriesError):
            data.read_series_csv(os.path.join(ROOT, "testdata", "series", "invalid", name), group="site")


def test_kfold_partitions():
    folds = data.kfold(23, 10, seed=1)
    allidx = np.sort(np.concatenate(folds))
    assert np.array_equal(allidx, np.arange(23))


def test_mc_keyed_per_series():
    # docs/RNG.md: a series' masks come from its own key, so it gives the same
    # samples alone, inside a batch and at any position; the key, not the row,
    # matters
    X, y, _ = data.synthetic_vegetation(n=40, T=6, seed=5)
    m, sc, _ = td.fit(X, y, kind="concrete", epochs=1, batch_size=32, device="cpu")
    keys = [1000 + i for i in range(6)]
    batch = td.mc_predict(m, sc, X[:6], samples=8, seed=3, keys=keys)
    alone = td.mc_predict(m, sc, X[4:5], samples=8, seed=3, keys=[keys[4]])
    assert np.array_equal(batch["sample_mean"][4], alone["sample_mean"][0])
    moved = td.mc_predict(m, sc, X[[4, 0]], samples=8, seed=3, keys=[keys[4], keys[0]])
    assert np.array_equal(batch["sample_mean"][4], moved["sample_mean"][0])
    other = td.mc_predict(m, sc, X[4:5], samples=8, seed=3, keys=[keys[4] + 1])
    assert not np.array_equal(batch["sample_mean"][4], other["sample_mean"][0])
    u = td.mc_noise([keys[4]], 8, 6, 3, "concrete")
    sk = int(rng.series_seed(3, keys[4]))
    assert u[0, 2, 5] == rng.f32(sk, 2, 5, 1)


def test_mc_dropout_masks_units_with_their_own_streams():
    # docs/MODELS.md, docs/RNG.md: MC-Dropout zeroes unit j of sample s when
    # f32(sk, s, j, 3) < α (the backbone's output) or f32(sk, s, j, 4) < α
    # (the dense layer's), scaling the others by 1/(1 − α); the inputs are
    # left alone
    h = torch.ones(2, 5, dtype=torch.float64)
    u = torch.tensor([[0.1, 0.3, 0.19, 0.2, 0.9]] * 2, dtype=torch.float64)
    y = td.mc_dropout(h, 0.2, u)
    assert y[0].tolist() == pytest.approx([0, 1.25, 0, 1.25, 1.25])
    m = td.TDRegressor(4, 3, hidden=8, dense=6, kind="mc-dropout", alpha=0.3).double().eval()
    x = torch.randn(1, 4, 3, dtype=torch.float64)
    assert torch.equal(m.td(x), x)
    ones = (torch.ones(1, 8, dtype=torch.float64), torch.ones(1, 6, dtype=torch.float64))
    zeros = (torch.zeros(1, 8, dtype=torch.float64), torch.zeros(1, 6, dtype=torch.float64))
    keep, drop = m(x, None, ones), m(x, None, zeros)  # u = 1 keeps every unit, u = 0 drops every unit
    assert float(drop[0]) == pytest.approx(float(m.mu.bias + m.mu.weight @ ((0 - m.bn.running_mean) /
                                                    torch.sqrt(m.bn.running_var + m.bn.eps) * m.bn.weight + m.bn.bias)))
    assert float(keep[0]) != float(drop[0])
    sk = int(rng.series_seed(5, 42))
    assert td.mc_units([42], 3, 8, 5, td.STREAM_DROP_H)[0, 2, 7] == rng.f32(sk, 2, 7, 3)
    assert td.mc_units([42], 3, 6, 5, td.STREAM_DROP_DENSE)[0, 1, 4] == rng.f32(sk, 1, 4, 4)


def test_unknown_kind_refused():
    with pytest.raises(ValueError, match="kind"):
        td.TDRegressor(4, 3, kind="mc-gaussian")


def test_transformer_is_post_norm_relu_mean_pooled():
    # what the Go encoder implements (models/encoder.go, docs/MODELS.md)
    m = td.TDRegressor(5, 3, backbone="transformer", hidden=8, dense=4, heads=2, layers=1).double().eval()
    layer = m.enc.layers[0]
    assert not layer.norm_first
    assert layer.activation is F.relu
    assert layer.norm1.eps == td.LN_EPS == 1e-5 and layer.linear1.out_features == 16
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    e = m.inp(x) + m.pos
    with torch.no_grad():
        a, _ = layer.self_attn(e, e, e, need_weights=False)
        e = layer.norm1(e + a)
        e = layer.norm2(e + layer.linear2(F.relu(layer.linear1(e))))
        assert torch.allclose(m.enc(m.inp(x) + m.pos).mean(1), e.mean(1), atol=1e-12)
    assert m.cfg["ffn"] == 16 and m.cfg["ln_eps"] == 1e-5 and m.cfg["norm_first"] is False
