"""WAY: vessel destination and ETA from nested AIS sequences (Kim et al., IEEE TAES 2023).

The structure follows the official code (github.com/sadPororo/WAY): a
4-channel representation (spherical cell encoding × learnable weight, ship
type embedding, departure port embedding, a GRU over the cell's points),
plus a sinusoidal encoding of time since departure; CASP blocks (channel
attention → causal self-attention → shared FFN, post-norm, LayerNorm eps
1e-6); destination logits and a ReLU ETA head on channel 1 at every step.

Padding uses masks only (no packed sequences), so the graph exports cleanly
and the Go runtime can reproduce it: the GRU runs over all sub_len points
and the output at the cell's last real point is taken — identical, since a
GRU is causal.
"""

import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {
    # the paper's default
    "default": dict(d_model=128, n_blocks=4, n_heads=4, d_k=64, d_ffn=256, gru_layers=2, dropout=0.1),
    # for edge devices and the demo model
    "small": dict(d_model=64, n_blocks=2, n_heads=4, d_k=16, d_ffn=128, gru_layers=2, dropout=0.1),
}

LN_EPS = 1e-6
ETA_SCALE = 24.0  # the ETA head predicts days; bundles carry the factor to hours


class SpaceTimeEncoding(nn.Module):
    """Sinusoidal spherical encoding of (lon, lat) in degrees times a learnable
    weight, and a sinusoidal encoding of time since departure (hours)."""

    def __init__(self, d):
        super().__init__()
        self.d = d
        space = torch.exp(torch.arange(0, d, 4).float() * -(math.log(math.pi * 2) / d ** 2)) * (math.pi / 180)
        tim = torch.exp(torch.arange(0, d, 2).float() * -(math.log(1000.0) / d))
        self.register_buffer("div_space", space)
        self.register_buffer("div_time", tim)
        self.w_space = nn.Parameter(torch.empty(1, 1, d))
        nn.init.xavier_uniform_(self.w_space)

    def forward(self, st):
        lon, lat, hours = st[..., 0:1], st[..., 1:2], st[..., 2:3]
        a, b = lon * self.div_space, lat * self.div_space
        k = math.log(math.pi) ** 2
        space = torch.stack([torch.cos(b) * torch.sin(a), torch.sin(b) / k, torch.cos(b) * torch.cos(a), -torch.sin(b) / k], dim=-1)
        space = space.flatten(-2)  # interleave: index 4i+j
        t = hours * self.div_time
        tenc = torch.stack([torch.sin(t), torch.cos(t)], dim=-1).flatten(-2)
        return space * self.w_space, tenc


class ChannelAttention(nn.Module):
    """Multi-head channel attention over the 4 channels (squeeze-excite per head)."""

    def __init__(self, d, n_heads, d_k, channels=4, reduction=0.5):
        super().__init__()
        self.h, self.dk, self.c = n_heads, d_k, channels
        r = int(channels * reduction)
        self.w_in = nn.Linear(d, n_heads * d_k, bias=False)
        self.w1 = nn.Parameter(torch.empty(n_heads, channels, r))
        self.b1 = nn.Parameter(torch.empty(n_heads, 1, r))
        self.w2 = nn.Parameter(torch.empty(n_heads, r, channels))
        self.b2 = nn.Parameter(torch.empty(n_heads, 1, channels))
        for p in (self.w1, self.b1, self.w2, self.b2):
            nn.init.xavier_uniform_(p)
        self.w_out = nn.Linear(n_heads * d_k, d, bias=False)

    def forward(self, x):  # x: (N, C, d)
        n = x.shape[0]
        x = self.w_in(x).view(n, self.c, self.h, self.dk).transpose(1, 2)  # (N, H, C, dk)
        avg = x.mean(-1).unsqueeze(2)  # (N, H, 1, C)
        mx = x.amax(-1).unsqueeze(2)

        def se(p):
            return torch.matmul(F.relu(torch.matmul(p, self.w1) + self.b1), self.w2) + self.b2

        score = torch.sigmoid(se(avg) + se(mx)).transpose(-1, -2)  # (N, H, C, 1)
        x = x * score
        x = x.transpose(1, 2).reshape(n, self.c, self.h * self.dk).amax(1)  # max over channels
        return self.w_out(x)


class SelfAttention(nn.Module):
    def __init__(self, d, n_heads, d_k, dropout):
        super().__init__()
        self.h, self.dk = n_heads, d_k
        self.q = nn.Linear(d, n_heads * d_k, bias=False)
        self.k = nn.Linear(d, n_heads * d_k, bias=False)
        self.v = nn.Linear(d, n_heads * d_k, bias=False)
        self.o = nn.Linear(n_heads * d_k, d, bias=False)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, mask_add):  # x: (B, L, d); mask_add: (B, 1, L, L)
        B, L, _ = x.shape
        q = self.q(x).view(B, L, self.h, self.dk).transpose(1, 2)
        k = self.k(x).view(B, L, self.h, self.dk).transpose(1, 2)
        v = self.v(x).view(B, L, self.h, self.dk).transpose(1, 2)
        s = torch.matmul(q / math.sqrt(self.dk), k.transpose(-2, -1)) + mask_add
        p = self.drop(torch.softmax(s.float(), dim=-1).to(v.dtype))
        return self.o(torch.matmul(p, v).transpose(1, 2).reshape(B, L, self.h * self.dk))


class CASPBlock(nn.Module):
    def __init__(self, d, n_heads, d_k, d_ffn, dropout):
        super().__init__()
        self.chan = ChannelAttention(d, n_heads, d_k)
        self.norm_chan = nn.LayerNorm(d, eps=LN_EPS)
        self.attn = SelfAttention(d, n_heads, d_k, dropout)
        self.norm_attn = nn.LayerNorm(d, eps=LN_EPS)
        self.ffn1 = nn.Linear(d, d_ffn)
        self.ffn2 = nn.Linear(d_ffn, d)
        self.norm_ffn = nn.LayerNorm(d, eps=LN_EPS)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, mask_add):  # x: (B, L, 4, d)
        B, L, C, d = x.shape
        h = self.chan(x.reshape(B * L, C, d)).view(B, L, d)
        h = self.norm_chan(x[:, :, 0] + self.drop(h))
        h = self.norm_attn(h + self.drop(self.attn(h, mask_add)))
        x = torch.cat([h.unsqueeze(2), x[:, :, 1:]], dim=2)
        return self.norm_ffn(x + self.drop(self.ffn2(self.drop(F.relu(self.ffn1(x))))))


class WAY(nn.Module):
    def __init__(self, n_ports, n_ship, sub_len=5, n_features=9, d_model=128, n_blocks=4, n_heads=4, d_k=64,
                 d_ffn=256, gru_layers=2, dropout=0.1):
        super().__init__()
        self.cfg = dict(n_ports=n_ports, n_ship=n_ship, sub_len=sub_len, n_features=n_features, d_model=d_model,
                        n_blocks=n_blocks, n_heads=n_heads, d_k=d_k, d_ffn=d_ffn, gru_layers=gru_layers, dropout=dropout)
        self.st = SpaceTimeEncoding(d_model)
        self.ship = nn.Embedding(n_ship, d_model)
        self.port = nn.Embedding(n_ports, d_model, padding_idx=0)
        self.gru = nn.GRU(n_features, d_model, num_layers=gru_layers, batch_first=True)
        self.blocks = nn.ModuleList([CASPBlock(d_model, n_heads, d_k, d_ffn, dropout) for _ in range(n_blocks)])
        self.dest = nn.Linear(d_model, n_ports)
        self.eta = nn.Linear(d_model, 1)
        nn.init.constant_(self.eta.bias, 1.0)  # keep the ReLU head alive at initialisation

    def forward(self, spacetime, sub_x, sub_len, ship, departure):
        B, L, S, Fn = sub_x.shape
        pad = sub_len == 0  # (B, L)
        causal = torch.ones(L, L, dtype=torch.bool, device=sub_x.device).triu(1)
        blocked = causal.unsqueeze(0) | pad.unsqueeze(1)  # (B, L, L): query i may not see key j
        mask_add = torch.zeros(B, 1, L, L, device=sub_x.device, dtype=sub_x.dtype).masked_fill(blocked.unsqueeze(1), -1e9)

        tkn, tenc = self.st(spacetime)
        shp = self.ship(ship)[:, None, :].expand(B, L, -1)
        dpt = self.port(departure)[:, None, :].expand(B, L, -1)
        out, _ = self.gru(sub_x.reshape(B * L, S, Fn))
        last = (sub_len.reshape(-1) - 1).clamp(min=0)
        ptn = out[torch.arange(B * L, device=sub_x.device), last].view(B, L, -1)
        ptn = ptn * (~pad).unsqueeze(-1).to(ptn.dtype)
        x = torch.stack([tkn, shp, dpt, ptn.to(tkn.dtype)], dim=2) + tenc.unsqueeze(2)
        for blk in self.blocks:
            x = blk(x, mask_add)
        h = x[:, :, 0]
        return self.dest(h), F.relu(self.eta(h)).squeeze(-1)


def keep_rates(steps):
    """Gradient Dropout keep rate per sample: r = (lmax − l + lmin) / lmax with l = log(steps)."""
    l = torch.log(steps.float().clamp(min=1))
    lmax, lmin = l.max(), l.min()
    if float(lmax) <= 0:
        return torch.ones_like(l)
    return (lmax - l + lmin) / lmax


def way_loss(logits, eta_days, batch, gradient_dropout=True, generator=None, rates=None):
    """Cross-entropy on kept steps and L1 ETA (days) on steps whose destination is right.
    Gradient Dropout keeps each voyage's steps at its rate: given (rates, (B,)),
    else keep_rates over this batch."""
    valid = batch["sub_len"] > 0
    B, L = valid.shape
    target = batch["destination"][:, None].expand(B, L)
    keep = valid
    if gradient_dropout:
        r = keep_rates(valid.sum(1)) if rates is None else rates
        u = torch.rand(B, L, device=valid.device, generator=generator)
        keep = valid & (u < r[:, None])
    ce = F.cross_entropy(logits[keep].float(), target[keep]) if keep.any() else logits.sum() * 0
    right = valid & (logits.argmax(-1) == target)
    eta_t = batch["eta"] / ETA_SCALE
    l1 = (eta_days[right].float() - eta_t[right]).abs().mean() if right.any() else eta_days.sum() * 0
    return ce + l1, ce.detach(), l1.detach()


def to_torch(b, device):
    return {k: torch.as_tensor(v, device=device) for k, v in b.items()}


class Score:
    """WAY metrics over voyage steps, the definitions `portolan evaluate`
    uses (a cross-language test holds Go's to these):

    * a step is correct at k when fewer than k destination classes (class 0,
      "unknown", is never a prediction) have a logit strictly above the true
      class's; top-1 and top-5 accuracy are the shares of correct steps;
    * the progress quarter of a step is min(3, int(4·progress)) with
      progress in float32 (the shards' cell_progress);
    * ETA MAE is the mean |predicted − true| hours over every step;
    * nll is the mean cross-entropy of the true class over every step."""

    def __init__(self):
        self.correct = np.zeros((2, 4))  # top-1, top-5 by quarter
        self.total = np.zeros(4)
        self.eta_err, self.nll, self.n = 0.0, 0.0, 0

    def add(self, logits, eta_hours, destination, progress, eta_true):
        """One voyage's steps: logits (L, P), eta_hours (L,), destination
        (an int), progress (L,) float32, eta_true (L,) hours."""
        logits = np.asarray(logits, np.float64)
        t = logits[:, destination]
        above = (logits[:, 1:] > t[:, None]).sum(1)
        q = np.minimum(3, (np.asarray(progress, np.float32) * np.float32(4)).astype(np.int64))
        for k, top in enumerate((1, 5)):
            np.add.at(self.correct[k], q, (above < top).astype(np.float64))
        np.add.at(self.total, q, 1)
        self.eta_err += float(np.abs(np.asarray(eta_hours, np.float64) - np.asarray(eta_true, np.float64)).sum())
        m = logits.max(1)
        self.nll += float((m + np.log(np.exp(logits - m[:, None]).sum(1)) - t).sum())
        self.n += len(t)

    def result(self):
        out = {}
        for k, name in enumerate(("acc", "top5")):
            acc = self.correct[k] / np.maximum(self.total, 1)
            for i in range(4):
                out["%s_q%d" % (name, i + 1)] = float(acc[i])
            out[name] = float(self.correct[k].sum() / max(1, self.total.sum()))
        out["eta_mae_h"] = self.eta_err / max(1, self.n)
        out["nll"] = self.nll / max(1, self.n)
        out["steps"] = float(self.n)
        return out


def evaluate(model, split, sh, device, batch_size=64):
    """Top-1 and top-5 destination accuracy by trajectory-progress quarter,
    ETA MAE (hours) and cross-entropy over every step of split (Score)."""
    from .shards import batch as make_batch
    model.eval()
    score = Score()
    # voyages of like length batched together: the same scores, far less padding
    order = np.argsort(np.diff(split.voyage_cells), kind="stable")
    with torch.no_grad():
        for i in range(0, len(split), batch_size):
            b = make_batch(split, order[i:i + batch_size].tolist(), sh.sub_len, sh.max_len, sh.mean, sh.std)
            t = to_torch(b, device)
            logits, eta = model(t["spacetime"], t["sub_x"], t["sub_len"], t["ship"], t["departure"])
            logits = logits.float().cpu().numpy()
            eta_h = eta.float().cpu().numpy() * ETA_SCALE
            for j, n in enumerate((b["sub_len"] > 0).sum(1)):
                score.add(logits[j, :n], eta_h[j, :n], int(b["destination"][j]), b["progress"][j, :n], b["eta"][j, :n])
    return score.result()


def random_batch_rates(order, lengths, batch_size):
    """Gradient Dropout keep rates (keep_rates) of the voyages as the random
    batches of order would give them, indexed by voyage: with batches of
    like length (bucket > 0) a batch's ℓmin and ℓmax are nearly equal and the
    rate would be 1 for all, so the rates come from the random batches the
    permutation cuts before it is bucketed."""
    rates = np.ones(int(order.max()) + 1 if len(order) else 0, np.float32)
    for i in range(0, len(order), batch_size):
        part = order[i:i + batch_size]
        rates[part] = keep_rates(torch.as_tensor(lengths[part])).numpy()
    return rates


def batches(order, lengths, batch_size, bucket, rng):
    """Split a permutation of voyages into batches. With bucket > 0, each run
    of bucket·batch_size voyages is sorted by length before it is cut, and
    the batches are shuffled: batches of like lengths pad far less (on CPU
    the step time follows the padded length), while every voyage is still
    seen once per epoch."""
    if bucket <= 0:
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    out = []
    pool = bucket * batch_size
    for i in range(0, len(order), pool):
        part = order[i:i + pool]
        part = part[np.argsort(lengths[part], kind="stable")]
        out.extend(part[j:j + batch_size] for j in range(0, len(part), batch_size))
    return [out[k] for k in rng.permutation(len(out))]


def train(shards_dir, config="small", epochs=40, batch_size=32, lr=1e-3, seed=1, device="auto",
          gradient_dropout=True, amp=True, log=print, max_steps=None, patience=0, bucket=0, mid_voyage=0.0):
    """Train WAY on the shards' train split; returns (model, shards, metrics).

    Every epoch logs the training loss and, when the shards have a val
    split, its cross-entropy, accuracy and ETA error and the best epoch so
    far (by validation cross-entropy). With patience > 0 training stops once
    that has not improved for patience epochs and the best weights are kept.
    With bucket > 0, batches hold voyages of like length (see batches), and
    Gradient Dropout keeps the rates random batches would give (see
    random_batch_rates); with
    mid_voyage > 0, that share of the training voyages is seen from a random
    cell on, without its departure (shards.batch)."""
    import copy

    from . import device as dev
    from .shards import Shards, batch as make_batch
    dev.seed_everything(seed)
    device = dev.pick(device)
    rank, world = 0, 1
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # launched by torchrun: DistributedDataParallel
        import torch.distributed as dist
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
    sh = Shards(shards_dir)
    tr = sh.splits["train"]
    if len(tr) == 0:
        raise SystemExit("%s: the train split is empty" % shards_dir)
    val = sh.splits["val"] if len(sh.splits["val"]) else None
    if patience and val is None:
        raise SystemExit("--patience needs a val split in %s (portolan prepare way splits by vessel)" % shards_dir)
    model = WAY(sh.n_ports, sh.n_ship, sub_len=sh.sub_len, **CONFIGS[config]).to(device)  # same init on every rank
    net = model
    if world > 1:
        net = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    rng = np.random.default_rng(seed)  # the same permutation on every rank; each takes its share
    lengths = np.minimum(np.diff(tr.voyage_cells), sh.max_len)
    gen = torch.Generator(device=device)
    gen.manual_seed(seed + rank)
    step_times = []
    steps, ep, stop = 0, 0, ""
    best, best_epoch, best_state, bad = float("inf"), 0, None, 0
    for ep in range(1, epochs + 1):
        model.train()
        order = rng.permutation(len(tr))
        order = order[: len(order) // world * world][rank::world]  # equal shares keep the all-reduces in step
        parts = batches(order, lengths, batch_size, bucket, rng)
        rates = random_batch_rates(order, lengths, batch_size) if bucket > 0 else None
        prog = dev.Progress(len(parts), "way epoch %d" % ep)
        tot, nb = 0.0, 0
        for part in parts:
            b = to_torch(make_batch(tr, part.tolist(), sh.sub_len, sh.max_len, sh.mean, sh.std, rng, mid_voyage), device)
            t0 = time.perf_counter()
            try:
                with dev.autocast(device, amp):
                    logits, eta = net(b["spacetime"], b["sub_x"], b["sub_len"], b["ship"], b["departure"])
            except RuntimeError as e:  # an op without bf16 support on this build
                if not amp:
                    raise
                amp = False
                log("bf16 autocast failed (%s); training in float32" % str(e).splitlines()[0])
                logits, eta = net(b["spacetime"], b["sub_x"], b["sub_len"], b["ship"], b["departure"])
            r = None if rates is None else torch.as_tensor(rates[part], device=device)
            loss, ce, l1 = way_loss(logits, eta, b, gradient_dropout, gen, r)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            step_times.append(time.perf_counter() - t0)
            tot, nb = tot + float(loss), nb + 1
            steps += 1
            prog.update(loss=float(loss))
            if max_steps and steps >= max_steps:
                break
        prog.close()
        line = "epoch %d/%d loss %.4f" % (ep, epochs, tot / max(1, nb))
        if val is not None:  # every rank scores the same model: the same stop decision everywhere
            v = evaluate(model, val, sh, device)
            if v["nll"] < best - 1e-4:
                best, best_epoch, bad = v["nll"], ep, 0
                if patience:
                    best_state = copy.deepcopy(model.state_dict())
            else:
                bad += 1
            line += " val_nll %.4f val_acc %.3f val_top5 %.3f val_eta_mae_h %.1f best %.4f @ epoch %d" % (
                v["nll"], v["acc"], v["top5"], v["eta_mae_h"], best, best_epoch)
            if patience:
                line += " (%d/%d without improvement)" % (bad, patience)
        if rank == 0:
            log(line)
        if max_steps and steps >= max_steps:
            stop = "reached --max-steps %d" % max_steps
            break
        if patience and bad >= patience:
            stop = "validation cross-entropy did not improve for %d epochs" % patience
            break
    stop = stop or "reached --epochs %d" % epochs
    if best_state is not None:
        model.load_state_dict(best_state)
    if rank == 0:
        msg = "stopped after epoch %d: %s" % (ep, stop)
        if val is not None:
            msg += "; best epoch %d (val_nll %.4f)%s" % (best_epoch, best, ", its weights kept" if patience else "")
        log(msg)
    metrics = {"step_ms": 1000 * float(np.median(step_times)) if step_times else 0.0,
               "amp": float(amp and device.type == "cuda"), "gradient_dropout": float(gradient_dropout),
               "world_size": float(world), "epochs": float(ep), "best_epoch": float(best_epoch),
               "bucket": float(bucket), "mid_voyage": float(mid_voyage)}
    if world > 1:
        import torch.distributed as dist
        dist.barrier()
        if rank != 0:
            dist.destroy_process_group()
            return model, sh, None  # rank 0 evaluates and exports
        dist.destroy_process_group()
    for split in ("val", "test"):
        if len(sh.splits[split]):
            for k, v in evaluate(model, sh.splits[split], sh, device).items():
                metrics["%s_%s" % (split, k)] = float(v)
    return model, sh, metrics


def export(model, sh, path, metrics=None, dtype=None, device_name="cpu"):
    """Write a WAY bundle: config, the shards' preprocessing, weights (docs/MODELS.md)."""
    import datetime

    from . import __version__
    from . import bundle as pb
    cfg = dict(model.cfg)
    cfg.update(max_len=sh.max_len, eta_scale=ETA_SCALE, ln_eps=LN_EPS, mask_value=-1e9)
    b = pb.Bundle(kind="way", config=cfg, preprocessing=dict(sh.preprocessing),
                  producer={"tool": "portolan_train", "version": __version__, "framework": "torch " + torch.__version__,
                            "created": datetime.datetime.now(datetime.timezone.utc), "metrics": metrics or {},
                            "extra": {"device": device_name}})
    for name, t in model.state_dict().items():
        if name.startswith("st.div_"):
            continue  # derived from d_model
        b.add(name, t.detach().float().cpu())
    pb.write(b, path, dtype=dtype)
    return b


def load(path, device="cpu"):
    """Rebuild a WAY model from a bundle (a path or a read Bundle; quantised
    weights are dequantised), for reference vectors and tests."""
    from . import bundle as pb
    b = path if isinstance(path, pb.Bundle) else pb.read(path)
    c = b.config
    model = WAY(**{k: c[k] for k in ("n_ports", "n_ship", "sub_len", "n_features", "d_model", "n_blocks", "n_heads",
                                     "d_k", "d_ffn", "gru_layers")}, dropout=0.0)
    sd = model.state_dict()
    for name in sd:
        if name.startswith("st.div_"):
            continue
        sd[name] = torch.as_tensor(b.array(name)).reshape(sd[name].shape)
    model.load_state_dict(sd)
    return model.to(device).eval(), b
