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
* MC-Dropout (the paper's baseline): the inputs are left alone; standard
  (inverted) dropout with rate α is applied to the backbone's output h and
  to the dense layer's output after its ReLU, in training and at
  inference (docs/MODELS.md).
* none: deterministic.

Backbones: a 2-layer LSTM (128) or a Transformer encoder (post-norm
nn.TransformerEncoderLayer: ReLU FFN of 2·hidden, LayerNorm eps 1e-5, a
learned positional embedding added after the input projection, mean
pooling over the steps); then dense 128 (ReLU), BatchNorm, and heads μ and
log σ² trained with Gaussian NLL. At export the eval-mode BatchNorm is
folded into the heads.

At inference the masks come from the shared generator (docs/RNG.md), keyed
per series: with sk = u64(seed, key, 0, 2), u = f32(sk, sample, step, 0)
for MC-TD, f32(sk, sample, step, 1) for ConcTD and f32(sk, sample, unit,
3) and f32(sk, sample, unit, 4) for MC-Dropout's two sites, so Go
reproduces PyTorch's MC samples exactly, whatever the batch a series is in.
"""

import math
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import rng as prng

TAU = 0.1
KINDS = ("mc-td", "concrete", "mc-dropout", "none")
# the generator's stream counter c of each kind's draws (docs/RNG.md)
STREAM_MCTD, STREAM_CONCRETE, STREAM_DROP_H, STREAM_DROP_DENSE = 0, 1, 3, 4
LN_EPS = 1e-5  # nn.TransformerEncoderLayer's default


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
        if self.kind in ("none", "mc-dropout"):
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


def mc_dropout(h, rate, u=None):
    """Inverted dropout kept on at inference (MC-Dropout): each unit is
    zeroed when its uniform u < rate, the others scaled by 1/(1 − rate);
    u (B, units) from the shared generator, or None to draw it."""
    if u is None:
        u = torch.rand(h.shape, device=h.device)
    return h * (u >= rate).to(h.dtype) / (1 - rate)


class TDRegressor(nn.Module):
    def __init__(self, T, D, backbone="lstm", hidden=128, dense=128, kind="mc-td", alpha=0.1, layers=2,
                 heads=4, dropout=0.0):
        super().__init__()
        if kind not in KINDS:
            raise ValueError("kind %r (want one of %s)" % (kind, ", ".join(KINDS)))
        self.cfg = dict(T=T, D=D, backbone=backbone, hidden=hidden, dense=dense, kind=kind, alpha=alpha,
                        layers=layers, heads=heads)
        if backbone == "transformer":
            if hidden % heads:
                raise ValueError("transformer: hidden %d is not a multiple of heads %d" % (hidden, heads))
            self.cfg.update(ffn=2 * hidden, ln_eps=LN_EPS, norm_first=False)
        self.td = TemporalDropout(T, kind, alpha)
        # training-time regularisation at the dense sites, off at inference; MC-Dropout
        # uses its own rate alpha there instead, in training and at inference
        self.drop = nn.Dropout(dropout if kind != "mc-dropout" else 0.0)
        if backbone == "lstm":
            self.lstm = nn.LSTM(D, hidden, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        elif backbone == "transformer":
            self.inp = nn.Linear(D, hidden)
            self.pos = nn.Parameter(torch.zeros(1, T, hidden))
            nn.init.normal_(self.pos, std=0.02)
            self.enc = nn.TransformerEncoder(
                nn.TransformerEncoderLayer(hidden, heads, 2 * hidden, dropout=dropout, batch_first=True,
                                           layer_norm_eps=LN_EPS), layers)
        else:
            raise ValueError("backbone %r" % backbone)
        self.fc = nn.Linear(hidden, dense)
        self.bn = nn.BatchNorm1d(dense)
        self.mu = nn.Linear(dense, 1)
        self.logvar = nn.Linear(dense, 1)

    def forward(self, x, u=None, du=None):
        """x: (B, T, D) scaled inputs. u: temporal-dropout noise (B, T), or
        None to draw it. du: MC-Dropout noise, a pair (B, hidden) and
        (B, dense), or None to draw it."""
        x = self.td(x, u)
        if self.cfg["backbone"] == "lstm":
            h, _ = self.lstm(x)
            h = h[:, -1]
        else:
            h = self.enc(self.inp(x) + self.pos).mean(1)
        if self.cfg["kind"] == "mc-dropout":
            a = self.cfg["alpha"]
            h = mc_dropout(h, a, None if du is None else du[0])
            h = mc_dropout(F.relu(self.fc(h)), a, None if du is None else du[1])
        else:
            h = self.drop(F.relu(self.fc(self.drop(h))))
        h = self.bn(h)
        return self.mu(h).squeeze(-1), self.logvar(h).squeeze(-1)


def gaussian_nll(mu, logvar, y):
    return (0.5 * (logvar + (y - mu) ** 2 * torch.exp(-logvar))).mean() + 0.5 * math.log(2 * math.pi)


# Concrete dropout's prior length-scale l (Gal et al. 2017, their default):
# the weight term is (l²/N)·||W||²/(1−p) for the weights W that see the
# dropped units.
LENGTH_SCALE = 1e-4


def regulariser(model, length_scale=LENGTH_SCALE):
    """The Concrete-dropout regulariser of a ConcTD model, before the 1/N
    factor: the dropout term K·Σ_t [p_t log p_t + (1−p_t) log(1−p_t)]
    (TemporalDropout.regulariser) plus the weight term
    l²·||W||²·mean_t 1/(1−p_t), W the first layer's input weights (LSTM
    weight_ih_l0 or the transformer's input projection), which every step
    shares, so each step's 1/(1−p_t) is averaged rather than summed (a
    weight decay independent of T). Zero for other kinds."""
    r = model.td.regulariser()
    if model.cfg["kind"] != "concrete" or not length_scale:
        return r
    w = model.lstm.weight_ih_l0 if model.cfg["backbone"] == "lstm" else model.inp.weight
    return r + length_scale ** 2 * w.pow(2).sum() * torch.mean(1 / (1 - model.td.rates()))


def scaler_of(X, y):
    """Scaler statistics of training data with NaN gaps: the feature mean
    over the observed values, then the std after filling gaps with it (a
    gap reads as 0 after scaling); target mean and std."""
    D = X.shape[-1]
    flat = X.reshape(-1, D)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing feature
        mean = np.nanmean(flat, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0).astype(np.float32)
    std = fill(X, mean).reshape(-1, D).std(0).astype(np.float32)
    std[std < 1e-6] = 1
    return dict(x_mean=mean, x_std=std, y_mean=float(np.mean(y)), y_std=float(np.std(y)) or 1.0)


def fill(X, mean):
    """X with NaN gaps replaced by the per-feature mean (a copy when it has gaps)."""
    bad = np.isnan(X)
    if not bad.any():
        return X
    X = X.copy()
    X[bad] = np.broadcast_to(np.asarray(mean, X.dtype), X.shape)[bad]
    return X


def fit(X, y, kind="concrete", alpha=0.1, backbone="lstm", epochs=400, batch_size=32, lr=1e-3, seed=1,
        device="cpu", amp=False, reg_weight=None, patience=0, val=None, log=None, dropout=0.0,
        length_scale=LENGTH_SCALE, log_every=1, label="", size=None):
    """Train on raw X (N, T, D; NaN = gap) and y (N,) in target units, on
    all of it; returns (model, scaler, info).

    val, a pair (X_val, y_val), is scored every epoch (Gaussian NLL, mean of
    3 temporal-dropout draws); with patience > 0 training stops once it has
    not improved for patience epochs and the best epoch's weights are kept
    (the paper stops early on a validation split). log, when given, gets
    one line every log_every epochs (loss, validation, best epoch) and the
    stop reason. size, a dict of TDRegressor arguments (hidden, dense,
    layers, heads), overrides the default network size. info: step_ms,
    epochs (run), best_epoch, best_val, stop, history [(epoch, loss, val)]."""
    import copy

    from . import device as dev
    dev.seed_everything(seed)
    device = torch.device(device) if isinstance(device, str) else device
    scaler = scaler_of(X, y)
    N, T, D = X.shape
    model = TDRegressor(T, D, backbone=backbone, kind=kind, alpha=alpha, dropout=dropout, **(size or {})).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def tensors(Xr, yr):
        Xz = (fill(Xr, scaler["x_mean"]) - scaler["x_mean"]) / scaler["x_std"]
        return (torch.as_tensor(Xz, dtype=torch.float32, device=device),
                torch.as_tensor((yr - scaler["y_mean"]) / scaler["y_std"], dtype=torch.float32, device=device))

    Xt, yt = tensors(X, y)
    Xv, yv = tensors(*val) if val is not None and len(val[0]) else (None, None)
    g = torch.Generator(device="cpu")
    g.manual_seed(seed)
    if reg_weight is None:
        reg_weight = 1.0 / max(1, N)  # a KL term: one per dataset, shared by its samples
    times, history = [], []
    best, best_epoch, best_state, bad, stop = float("inf"), 0, None, 0, ""
    ep = 0
    for ep in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(N, generator=g).to(device)
        tot, nb = 0.0, 0
        for i in range(0, N, batch_size):
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
            loss = gaussian_nll(mu.float(), lv.float(), yt[idx]) + reg_weight * regulariser(model, length_scale)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
            tot, nb = tot + float(loss), nb + 1
        v = None
        if Xv is not None:
            model.eval()
            with torch.no_grad():
                v = float(np.mean([float(gaussian_nll(*model(Xv), yv)) for _ in range(3)]))
            if v < best - 1e-4:
                best, best_epoch, best_state, bad = v, ep, copy.deepcopy(model.state_dict()), 0
            else:
                bad += 1
        history.append((ep, tot / max(1, nb), v))
        if log and (ep % max(1, log_every) == 0 or ep == 1):
            line = "%sepoch %d/%d loss %.4f" % (label, ep, epochs, tot / max(1, nb))
            if v is not None:
                line += " val_nll %.4f best %.4f @ epoch %d" % (v, best, best_epoch)
                if patience:
                    line += " (%d/%d without improvement)" % (bad, patience)
            log(line)
        if Xv is not None and patience and bad >= patience:
            stop = "validation NLL did not improve for %d epochs" % patience
            break
    if not stop:
        stop = "reached --epochs %d" % epochs
    if best_state is not None and patience:
        model.load_state_dict(best_state)
    if Xv is None:
        best_epoch = ep if epochs else 0
    if log:
        msg = "%sstopped after epoch %d: %s" % (label, ep if epochs else 0, stop)
        if Xv is not None:
            msg += "; best epoch %d (val_nll %.4f)%s" % (best_epoch, best, ", its weights kept" if patience else "")
        log(msg)
    return model.eval(), scaler, {"step_ms": 1000 * float(np.median(times)) if times else 0.0,
                                  "epochs": ep if epochs else 0, "best_epoch": best_epoch,
                                  "best_val": best if Xv is not None else None, "stop": stop,
                                  "history": history, "amp": bool(amp and device.type == "cuda")}


def predict(model, scaler, X, samples=20, seed=1):
    """mc_predict on raw X whose gaps (NaN) are filled with the scaler mean,
    as the Go runtime fills them."""
    return mc_predict(model, scaler, fill(X, scaler["x_mean"]), samples, seed)


def mc_noise(keys, samples, steps, seed, kind):
    """The uniform noise (len(keys), samples, steps) of the MC masks: series
    key k draws u = f32(u64(seed, k, 0, 2), s, t, c), c = 0 for MC-TD and 1
    for ConcTD (docs/RNG.md). (For MC-Dropout, see mc_units.)"""
    c = STREAM_CONCRETE if kind == "concrete" else STREAM_MCTD
    return mc_units(keys, samples, steps, seed, c)


def mc_units(keys, samples, units, seed, c):
    """Uniform noise (len(keys), samples, units): u = f32(u64(seed, k, 0, 2),
    s, j, c) for series key k, sample s, index j and stream c (docs/RNG.md)."""
    sk = np.array([int(prng.series_seed(seed, int(k))) for k in keys], dtype=np.uint64)
    s = np.arange(samples, dtype=np.uint64)
    j = np.arange(units, dtype=np.uint64)
    return prng.f32(sk[:, None, None], s[None, :, None], j[None, None, :], c)


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
    kind = model.cfg["kind"]
    noise = mc_noise(keys, samples, T, seed, kind) if kind in ("mc-td", "concrete") else None
    if kind == "mc-dropout":
        unit_noise = (mc_units(keys, samples, model.cfg["hidden"], seed, STREAM_DROP_H),
                      mc_units(keys, samples, model.cfg["dense"], seed, STREAM_DROP_DENSE))
    mus, vars_ = np.zeros((N, samples)), np.zeros((N, samples))

    def t(a):
        return torch.as_tensor(a, device=device, dtype=dtype)
    with torch.no_grad():
        for n in range(N):
            u = None if noise is None else t(noise[n])
            du = (t(unit_noise[0][n]), t(unit_noise[1][n])) if kind == "mc-dropout" else None
            xb = Xz[n:n + 1].expand(samples, T, D)
            mu, lv = model(xb, u, du)
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
    """Rebuild a TD regressor (BatchNorm as identity, heads folded) from a
    bundle (a path or a read Bundle; quantised weights are dequantised)."""
    from . import bundle as pb
    b = path if isinstance(path, pb.Bundle) else pb.read(path)
    c = b.config
    if c["backbone"] == "transformer" and (c.get("ffn", 2 * c["hidden"]) != 2 * c["hidden"] or c.get("norm_first")):
        raise ValueError("transformer bundle with ffn %r, norm_first %r: this trainer builds ffn = 2·hidden, post-norm"
                         % (c.get("ffn"), c.get("norm_first")))
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
