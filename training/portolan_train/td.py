"""Temporal-dropout regressors (Miranda et al., arXiv 2504.06915).

Input (T steps × D features), z-scored. Temporal dropout zeroes whole time
steps:

* MC-TD: keep step t unless u < α, u uniform; no rescaling.
* MC-ConcTD: a learned drop rate p_t per time step through the Concrete
  relaxation (τ = 0.1): z_t = σ((log p_t − log(1−p_t) + log u − log(1−u)) / τ),
  x_t ← x_t (1 − z_t) / (1 − p_t), and the regulariser
  K·Σ_t [p_t log p_t + (1−p_t) log(1−p_t)] with K = T (per time step, as the
  paper describes; its public code draws noise per feature and drops the
  regulariser).

Backbones: a 2-layer LSTM (128) or a Transformer encoder; then dense 128
(ReLU), BatchNorm, and heads μ and log σ² trained with Gaussian NLL. At
export the eval-mode BatchNorm is folded into the heads.

At inference the masks come from the shared generator (docs/RNG.md), keyed
per series: with sk = u64(seed, key, 0, 2), u = f32(sk, sample, step, 0)
for MC-TD and f32(sk, sample, step, 1) for ConcTD, so Go reproduces
PyTorch's MC samples exactly, whatever the batch a series is in.
"""

import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import rng as prng

TAU = 0.1


class TemporalDropout(nn.Module):
    def __init__(self, T, kind="mc-td", alpha=0.1, init_p=0.1):
        super().__init__()
        self.T, self.kind, self.alpha = T, kind, alpha
        if kind == "concrete":
            self.p_logit = nn.Parameter(torch.full((T,), math.log(init_p) - math.log(1 - init_p)))

    def rates(self):
        if self.kind == "concrete":
            return torch.sigmoid(self.p_logit)
        return torch.full((self.T,), float(self.alpha))

    def forward(self, x, u=None):
        """x: (B, T, D). u: uniform noise (B, T) or None to draw it (training)."""
        if self.kind == "none":
            return x
        if u is None:
            u = torch.rand(x.shape[0], x.shape[1], device=x.device)
        if self.kind == "mc-td":
            keep = (u >= self.alpha).to(x.dtype)
            return x * keep.unsqueeze(-1)
        p = torch.sigmoid(self.p_logit).to(x.dtype)
        eps = 1e-7
        u = u.clamp(eps, 1 - eps)
        z = torch.sigmoid((torch.log(p + eps) - torch.log(1 - p + eps) + torch.log(u) - torch.log(1 - u)) / TAU)
        return x * ((1 - z) / (1 - p)).unsqueeze(-1)

    def regulariser(self):
        """K·Σ_t [p log p + (1−p) log(1−p)], K = T (minimising it pushes p towards 0.5;
        the data term pushes p down)."""
        if self.kind != "concrete":
            return torch.zeros(())
        p = torch.sigmoid(self.p_logit)
        return self.T * torch.sum(p * torch.log(p) + (1 - p) * torch.log(1 - p))


class TDRegressor(nn.Module):
    def __init__(self, T, D, backbone="lstm", hidden=128, dense=128, kind="mc-td", alpha=0.1, layers=2,
                 heads=4, dropout=0.0):
        super().__init__()
        self.cfg = dict(T=T, D=D, backbone=backbone, hidden=hidden, dense=dense, kind=kind, alpha=alpha,
                        layers=layers, heads=heads)
        self.td = TemporalDropout(T, kind, alpha)
        self.drop = nn.Dropout(dropout)  # training-time regularisation only; off at inference
        if backbone == "lstm":
            self.lstm = nn.LSTM(D, hidden, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        elif backbone == "transformer":
            self.inp = nn.Linear(D, hidden)
            self.pos = nn.Parameter(torch.zeros(1, T, hidden))
            nn.init.normal_(self.pos, std=0.02)
            self.enc = nn.TransformerEncoder(
                nn.TransformerEncoderLayer(hidden, heads, 2 * hidden, dropout=dropout, batch_first=True), layers)
        else:
            raise ValueError("backbone %r" % backbone)
        self.fc = nn.Linear(hidden, dense)
        self.bn = nn.BatchNorm1d(dense)
        self.mu = nn.Linear(dense, 1)
        self.logvar = nn.Linear(dense, 1)

    def forward(self, x, u=None):
        x = self.td(x, u)
        if self.cfg["backbone"] == "lstm":
            h, _ = self.lstm(x)
            h = h[:, -1]
        else:
            h = self.enc(self.inp(x) + self.pos).mean(1)
        h = self.bn(self.drop(F.relu(self.fc(self.drop(h)))))
        return self.mu(h).squeeze(-1), self.logvar(h).squeeze(-1)


def gaussian_nll(mu, logvar, y):
    return (0.5 * (logvar + (y - mu) ** 2 * torch.exp(-logvar))).mean() + 0.5 * math.log(2 * math.pi)


def fit(X, y, kind="mc-td", alpha=0.1, backbone="lstm", epochs=100, batch_size=64, lr=1e-3, seed=1,
        device="cpu", amp=False, reg_weight=None, patience=0, val_frac=0.1, log=None, dropout=0.0):
    """Train on raw X (N, T, D) and y (N,) in target units; returns (model, scaler, info).

    With patience > 0, val_frac of the data is held out and training stops
    once its NLL (averaged over 3 dropout draws) has not improved for
    `patience` epochs; the best weights are kept (the paper trains with
    early stopping on a validation split)."""
    import copy

    from . import device as dev
    dev.seed_everything(seed)
    device = torch.device(device) if isinstance(device, str) else device
    x_mean = X.reshape(-1, X.shape[-1]).mean(0)
    x_std = X.reshape(-1, X.shape[-1]).std(0)
    x_std[x_std < 1e-6] = 1
    y_mean, y_std = float(y.mean()), float(y.std()) or 1.0
    N, T, D = X.shape
    model = TDRegressor(T, D, backbone=backbone, kind=kind, alpha=alpha, dropout=dropout).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    Xt = torch.as_tensor((X - x_mean) / x_std, dtype=torch.float32, device=device)
    yt = torch.as_tensor((y - y_mean) / y_std, dtype=torch.float32, device=device)
    g = torch.Generator(device="cpu")
    g.manual_seed(seed)
    idx_all = torch.randperm(N, generator=g)
    n_val = int(round(val_frac * N)) if patience > 0 else 0
    val_idx, tr_idx = idx_all[:n_val].to(device), idx_all[n_val:].to(device)
    n_tr = len(tr_idx)
    if reg_weight is None:
        reg_weight = 1.0 / max(1, n_tr)  # a KL term: one per dataset, shared by its samples
    times = []
    best, best_state, bad = float("inf"), None, 0
    for ep in range(epochs):
        model.train()
        perm = tr_idx[torch.randperm(n_tr, generator=g).to(device)]
        for i in range(0, n_tr, batch_size):
            idx = perm[i:i + batch_size]
            if len(idx) < 2:
                continue
            t0 = time.perf_counter()
            try:
                with dev.autocast(device, amp):
                    mu, lv = model(Xt[idx])
            except RuntimeError as e:  # an op without bf16 support on this build
                if not amp:
                    raise
                amp = False
                if log:
                    log("bf16 autocast failed (%s); training in float32" % str(e).splitlines()[0])
                mu, lv = model(Xt[idx])
            loss = gaussian_nll(mu.float(), lv.float(), yt[idx]) + reg_weight * model.td.regulariser()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
        if n_val:
            model.eval()
            with torch.no_grad():
                v = float(np.mean([float(gaussian_nll(*model(Xt[val_idx]), yt[val_idx])) for _ in range(3)]))
            if v < best - 1e-4:
                best, best_state, bad = v, copy.deepcopy(model.state_dict()), 0
            else:
                bad += 1
                if bad >= patience:
                    break
        if log and (ep + 1) % max(1, epochs // 5) == 0:
            log("epoch %d loss %.4f" % (ep + 1, float(loss)))
    if best_state is not None:
        model.load_state_dict(best_state)
    scaler = dict(x_mean=x_mean.astype(np.float32), x_std=x_std.astype(np.float32), y_mean=y_mean, y_std=y_std)
    return model.eval(), scaler, {"step_ms": 1000 * float(np.median(times)) if times else 0.0,
                                  "epochs": ep + 1 if epochs else 0, "amp": bool(amp and device.type == "cuda")}


def mc_noise(keys, samples, steps, seed, kind):
    """The uniform noise (len(keys), samples, steps) of the MC masks: series
    key k draws u = f32(u64(seed, k, 0, 2), s, t, c), c = 0 for MC-TD and 1
    for ConcTD (docs/RNG.md)."""
    c = 1 if kind == "concrete" else 0
    sk = np.array([int(prng.series_seed(seed, int(k))) for k in keys], dtype=np.uint64)
    s = np.arange(samples, dtype=np.uint64)
    t = np.arange(steps, dtype=np.uint64)
    return prng.f32(sk[:, None, None], s[None, :, None], t[None, None, :], c)


def mc_predict(model, scaler, X, samples=20, seed=1, keys=None):
    """MC temporal-dropout prediction with the shared generator. Returns a dict
    with mean, epistemic, aleatoric, total variance and the raw samples, in
    target units. Series n's masks are keyed by keys[n] (default: the row
    index n, the key of a row of an .npy input), so a series' result does not
    depend on the batch it is in."""
    param = next(model.parameters())
    device, dtype = param.device, param.dtype
    N, T, D = X.shape
    if keys is None:
        keys = range(N)
    keys = [int(k) for k in keys]
    assert len(keys) == N
    Xz = torch.as_tensor((X - scaler["x_mean"]) / scaler["x_std"], dtype=dtype, device=device)
    noise = mc_noise(keys, samples, T, seed, model.cfg["kind"])
    mus, vars_ = np.zeros((N, samples)), np.zeros((N, samples))
    with torch.no_grad():
        for n in range(N):
            u = torch.as_tensor(noise[n], device=device, dtype=dtype)
            xb = Xz[n:n + 1].expand(samples, T, D)
            if model.cfg["kind"] == "none":
                u = None
            mu, lv = model(xb, u)
            mus[n] = mu.double().cpu().numpy() * scaler["y_std"] + scaler["y_mean"]
            vars_[n] = np.exp(lv.double().cpu().numpy()) * scaler["y_std"] ** 2
    mean = mus.mean(1)
    epi = mus.var(1)
    ale = vars_.mean(1)
    return {"mean": mean, "epistemic": epi, "aleatoric": ale, "total": epi + ale, "sample_mean": mus, "sample_var": vars_}


def fold_bn(model):
    """Fold eval-mode BatchNorm (after dense+ReLU) into the μ and log σ² heads.
    Returns {name: array} of the folded head weights."""
    bn = model.bn
    s = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach()
    t = (bn.bias - bn.running_mean * s).detach()
    out = {}
    for name in ("mu", "logvar"):
        lin = getattr(model, name)
        out[name + ".weight"] = (lin.weight * s[None, :]).detach()
        out[name + ".bias"] = (lin.bias + lin.weight @ t).detach()
    return out


def export(model, scaler, path, feature_names=None, metrics=None, dtype=None, extra=None):
    import datetime

    from . import __version__
    from . import bundle as pb
    cfg = dict(model.cfg)
    cfg.update(tau=TAU, y_mean=scaler["y_mean"], y_std=scaler["y_std"], bn_folded=True)
    D = cfg["D"]
    names = feature_names or ["f%d" % i for i in range(D)]
    b = pb.Bundle(kind="td", config=cfg,
                  preprocessing={"features": list(names), "mean": scaler["x_mean"], "std": scaler["x_std"]},
                  producer={"tool": "portolan_train", "version": __version__, "framework": "torch " + torch.__version__,
                            "created": datetime.datetime.now(datetime.timezone.utc), "metrics": metrics or {},
                            "extra": extra or {}})
    folded = fold_bn(model)
    for name, t in model.state_dict().items():
        if name.startswith("bn.") or name.startswith("mu.") or name.startswith("logvar."):
            continue
        if name == "td.p_logit":
            b.add("td.rate", torch.sigmoid(t).detach().cpu())  # the learned drop rate per step
            continue
        b.add(name, t.detach().float().cpu())
    for name, t in folded.items():
        b.add(name, t.float().cpu())
    pb.write(b, path, dtype=dtype)
    return b


def load(path):
    """Rebuild a TD regressor (BatchNorm as identity, heads folded) from a bundle."""
    from . import bundle as pb
    b = pb.read(path)
    c = b.config
    model = TDRegressor(c["T"], c["D"], backbone=c["backbone"], hidden=c["hidden"], dense=c["dense"], kind=c["kind"],
                        alpha=c["alpha"], layers=c["layers"], heads=c["heads"])
    sd = model.state_dict()
    for name in list(sd):
        if name.startswith("bn."):
            continue
        if name == "td.p_logit":
            r = torch.as_tensor(b.array("td.rate"))
            sd[name] = torch.log(r) - torch.log1p(-r)
            continue
        sd[name] = torch.as_tensor(b.array(name)).reshape(sd[name].shape)
    d = c["dense"]
    sd["bn.weight"], sd["bn.bias"] = torch.ones(d), torch.zeros(d)
    sd["bn.running_mean"], sd["bn.running_var"] = torch.zeros(d), torch.ones(d) - model.bn.eps
    model.load_state_dict(sd)
    p = b.preprocessing
    scaler = dict(x_mean=np.asarray(p["mean"], np.float32), x_std=np.asarray(p["std"], np.float32),
                  y_mean=c["y_mean"], y_std=c["y_std"])
    return model.eval(), scaler, b
