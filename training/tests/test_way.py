import os
import subprocess

import numpy as np
import pytest
import torch

from portolan_train import way

TINY = dict(d_model=16, n_blocks=1, n_heads=2, d_k=4, d_ffn=32, gru_layers=2, dropout=0.0)


def fake_batch(B=3, L=6, S=5, ports=7, seed=0):
    g = np.random.default_rng(seed)
    sub_len = g.integers(1, S + 1, (B, L))
    sub_len[0, 4:] = 0  # a shorter voyage, padded
    x = g.normal(0, 1, (B, L, S, 9)).astype(np.float32)
    x[np.arange(S)[None, None, :] >= sub_len[..., None]] = 0
    st = np.stack([g.uniform(-10, 10, (B, L)), g.uniform(40, 60, (B, L)), np.cumsum(g.uniform(1, 5, (B, L)), 1)], -1)
    return {"spacetime": torch.tensor(st, dtype=torch.float32), "sub_x": torch.tensor(x),
            "sub_len": torch.tensor(sub_len), "ship": torch.tensor(g.integers(0, 3, B)),
            "departure": torch.tensor(g.integers(0, ports, B)), "destination": torch.tensor(g.integers(1, ports, B)),
            "eta": torch.tensor(g.uniform(0, 100, (B, L)), dtype=torch.float32)}


def run(model, b):
    return model(b["spacetime"], b["sub_x"], b["sub_len"], b["ship"], b["departure"])


def test_shapes_and_causality():
    torch.manual_seed(0)
    m = way.WAY(7, 3, **TINY).eval()
    b = fake_batch()
    logits, eta = run(m, b)
    assert logits.shape == (3, 6, 7) and eta.shape == (3, 6)
    assert torch.all(eta >= 0)
    # changing the last cell does not change earlier steps (causal attention)
    b2 = {k: v.clone() for k, v in b.items()}
    b2["sub_x"][:, -1] += 1.0
    b2["spacetime"][:, -1, :2] += 3.0
    l2, _ = run(m, b2)
    assert torch.allclose(logits[:, :-1], l2[:, :-1], atol=1e-5)
    assert not torch.allclose(logits[:, -1], l2[:, -1])
    # padding points inside a cell do not matter (GRU output at the last real point)
    b3 = {k: v.clone() for k, v in b.items()}
    b3["sub_x"][b3["sub_len"][..., None].expand(-1, -1, 5) <= torch.arange(5)] = 9.0
    l3, _ = run(m, b3)
    assert torch.allclose(logits, l3, atol=1e-5)


def test_default_config_sizes():
    m = way.WAY(3244, 5, **way.CONFIGS["default"])
    gru = sum(p.numel() for p in m.gru.parameters())
    block = sum(p.numel() for p in m.blocks[0].parameters())
    assert gru == 152448  # 2-layer GRU 9→128: 3·128·(9+128+2) + 3·128·(128+128+2)
    assert 260000 < block < 270000  # the feasibility notes' 264.6k per block


def test_keep_rates_formula():
    steps = torch.tensor([1, 10, 100, 1000])
    r = way.keep_rates(steps)
    l = np.log([1, 10, 100, 1000])
    want = (l.max() - l + l.min()) / l.max()
    assert np.allclose(r.numpy(), want)
    assert r[0] == 1.0 and r[-1] == pytest.approx(0.0)  # the longest keeps lmin/lmax = 0 here
    assert torch.all(way.keep_rates(torch.tensor([5, 5])) == 1.0)


def test_gradient_dropout_masks_labels():
    torch.manual_seed(0)
    b = fake_batch(B=4, L=6)
    m = way.WAY(7, 3, **TINY)
    logits, eta = run(m, b)
    g = torch.Generator().manual_seed(0)
    full, ce_full, _ = way.way_loss(logits, eta, b, gradient_dropout=False)
    dropped, ce_drop, _ = way.way_loss(logits, eta, b, gradient_dropout=True, generator=g)
    assert torch.isfinite(full) and torch.isfinite(dropped)
    assert float(ce_full) != float(ce_drop)


def overfit(device="cpu", autocast=None):
    """Losses of 30 Adam steps of a tiny WAY on one fixed batch."""
    import contextlib
    torch.manual_seed(0)
    b = {k: v.to(device) for k, v in fake_batch(B=4, L=6).items()}
    m = way.WAY(7, 3, **TINY).to(device)
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        with (autocast or contextlib.nullcontext)():
            logits, eta = run(m, b)
        loss, _, _ = way.way_loss(logits, eta, b, gradient_dropout=False)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses


def test_training_reduces_loss():
    losses = overfit()
    assert losses[-1] < 0.5 * losses[0]


def test_train_export_inspect(sample_shards, portolan_cli, tmp_path):
    lines = []
    model, sh, metrics = way.train(sample_shards, "small", epochs=3, batch_size=8, device="cpu", max_steps=2,
                                   log=lambda *a: lines.append(" ".join(map(str, a))))
    assert "step_ms" in metrics and "val_top5" in metrics and metrics["epochs"] == 1
    assert lines[0].startswith("epoch 1/3 loss") and "val_nll" in lines[0] and "best" in lines[0]
    assert lines[-1].startswith("stopped after epoch 1: reached --max-steps 2; best epoch 1")
    out = str(tmp_path / "way.portolan")
    way.export(model, sh, out, metrics)
    # Go reads what Python wrote
    r = subprocess.run([portolan_cli, "inspect", out], capture_output=True, text=True, check=True)
    assert "kind        way" in r.stdout and "blocks.0.chan.w1" in r.stdout
    # and the model rebuilt from the bundle computes the same outputs
    m2, b = way.load(out)
    from portolan_train.shards import batch
    sp = sh.splits["train"]
    bb = way.to_torch(batch(sp, [0, 1], sh.sub_len, sh.max_len, sh.mean, sh.std), "cpu")
    model.eval()
    with torch.no_grad():
        a1, e1 = run(model, bb)
        a2, e2 = run(m2, bb)
    assert torch.allclose(a1, a2, atol=1e-6) and torch.allclose(e1, e2, atol=1e-6)
    assert b.config["n_ports"] == sh.n_ports and len(b.preprocessing["ports"]) == sh.n_ports
    # the bundle carries what prediction needs to cut voyages as prepare did
    assert b.preprocessing["port_areas"] == sh.preprocessing["port_areas"] and len(b.preprocessing["port_areas"]) == 18
    assert b.preprocessing["visit"] == {"max_speed_knots": 1.0, "min_dwell_s": 1800.0}
    assert len(b.preprocessing["features"]) == 9


def test_score_definitions():
    s = way.Score()
    logits = np.array([[9.0, 1.0, 3.0, 2.0], [0.0, 5.0, 5.0, 1.0], [0.0, 1.0, 2.0, 3.0]])
    # step 0: class 0 ("unknown") is never a prediction, so destination 2 is top-1;
    # step 1: a tie with the true class counts as correct; step 2: rank 3
    s.add(logits, [10.0, 20.0, 30.0], 2, np.array([0.1, 0.5, 0.99], np.float32), [12.0, 20.0, 25.0])
    r = s.result()
    assert (r["acc_q1"], r["acc_q3"], r["acc_q4"], r["acc"]) == (1.0, 1.0, 0.0, pytest.approx(2 / 3))
    assert r["top5"] == 1.0 and r["eta_mae_h"] == pytest.approx(7 / 3) and r["steps"] == 3


def test_torchrun_ddp(sample_shards, tmp_path):
    """Two processes with the environment torchrun sets (gloo on CPU) train
    together and rank 0 exports. (Debian's torch 1.13 launcher itself fails on
    Python 3.11 — `to_map` on a None redirect — so the test sets the variables.)"""
    import socket
    import sys
    dist = pytest.importorskip("torch.distributed")
    if not dist.is_available():
        pytest.skip("torch.distributed is not built in")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = str(tmp_path / "ddp.portolan")
    procs = []
    for rank in range(2):
        env = dict(os.environ, OMP_NUM_THREADS="1", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port),
                   RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "portolan_train", "way", "--shards", sample_shards, "--epochs", "1",
             "--max-steps", "2", "--batch-size", "4", "--device", "cpu", "--out", out],
            cwd=os.path.join(os.path.dirname(__file__), ".."), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
            text=True))
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
    assert '"world_size": 2.0' in outs[0][1]
    from portolan_train import bundle as pb
    assert pb.read(out).kind == "way"


def test_mid_voyage_batches(sample_shards):
    """mid_voyage: voyages seen from a random cell on, with no departure and
    hours from the first cell kept; 0 leaves the batch as it was."""
    from portolan_train.shards import Shards, batch
    sh = Shards(sample_shards)
    sp = sh.splits["train"]
    idx = [v for v in range(len(sp)) if sp.voyage_cells[v + 1] - sp.voyage_cells[v] > 3][:6]
    assert len(idx) == 6
    plain = batch(sp, idx, sh.sub_len, 1000, sh.mean, sh.std, np.random.default_rng(1))
    same = batch(sp, idx, sh.sub_len, 1000, sh.mean, sh.std, np.random.default_rng(1), 0.0)
    for k in plain:
        assert np.array_equal(plain[k], same[k]), k
    mid = batch(sp, idx, sh.sub_len, 1000, sh.mean, sh.std, np.random.default_rng(1), 1.0)
    assert (mid["departure"] == 0).all() and (plain["departure"] > 0).any()
    n_plain, n_mid = (plain["sub_len"] > 0).sum(1), (mid["sub_len"] > 0).sum(1)
    assert (n_mid < n_plain).all() and (n_mid >= 1).all()
    assert (mid["spacetime"][:, 0, 2] == 0).all()
    for i in range(len(idx)):  # the kept cells are the voyage's last ones, hours rebased
        k = n_plain[i] - n_mid[i]
        assert np.array_equal(mid["sub_x"][i, :n_mid[i]], plain["sub_x"][i, k:n_plain[i]])
        assert np.allclose(mid["spacetime"][i, :n_mid[i], 2],
                           plain["spacetime"][i, k:n_plain[i], 2] - plain["spacetime"][i, k, 2])
        assert np.array_equal(mid["eta"][i, :n_mid[i]], plain["eta"][i, k:n_plain[i]])


def test_length_buckets():
    """bucket: every voyage once per epoch, batches of like lengths."""
    rng = np.random.default_rng(3)
    lengths = rng.integers(1, 300, size=1000)
    order = rng.permutation(1000)
    parts = way.batches(order, lengths, 32, 10, np.random.default_rng(4))
    assert sorted(np.concatenate(parts).tolist()) == list(range(1000))
    spread = np.mean([lengths[p].max() - lengths[p].min() for p in parts])
    plain = way.batches(order, lengths, 32, 0, None)
    assert [p.tolist() for p in plain] == [order[i:i + 32].tolist() for i in range(0, 1000, 32)]
    assert spread < 0.2 * np.mean([lengths[p].max() - lengths[p].min() for p in plain])


def test_random_batch_rates():
    """With bucketed batches, Gradient Dropout keeps the rates of the random batches."""
    lengths = np.array([1, 10, 100, 5, 50, 7, 3])
    order = np.array([2, 0, 5, 1, 3, 6, 4])
    r = way.random_batch_rates(order, lengths, 3)
    for part in ([2, 0, 5], [1, 3, 6], [4]):
        want = way.keep_rates(torch.as_tensor(lengths[part])).numpy()
        assert np.allclose(r[part], want)
    # the longest of a batch keeps ℓmin/ℓmax of its steps, the shortest all
    assert r[1] == pytest.approx(np.log(3) / np.log(10)) and r[6] == pytest.approx(1.0) and r[4] == 1.0
