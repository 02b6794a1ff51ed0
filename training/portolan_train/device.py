"""Device selection and mixed precision, the same code on torch 1.13 (CPU) and 2.x (CUDA)."""

import contextlib
import os


def pick(device="auto"):
    import torch
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device is available")
    return torch.device(device)


def autocast(device, enabled=True):
    """bf16 autocast on CUDA when enabled, a no-op on CPU."""
    import torch
    if device.type == "cuda" and enabled:
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def seed_everything(seed):
    import random

    import numpy as np
    import torch
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.manual_seed(seed)


def limit_threads():
    """One thread by default on CPU, as edge training and CI expect (OPENBLAS too)."""
    import torch
    n = int(os.environ.get("PORTOLAN_THREADS", "0") or 0)
    if n > 0:
        torch.set_num_threads(n)


class Progress:
    """A minimal progress bar on stderr (no dependencies)."""

    def __init__(self, total, label, enabled=True):
        import sys
        self.total, self.label, self.n, self.enabled, self.out = total, label, 0, enabled and sys.stderr.isatty(), sys.stderr

    def update(self, k=1, **info):
        self.n += k
        if self.enabled:
            w = 30
            done = int(w * self.n / max(1, self.total))
            extra = " ".join("%s=%.4g" % kv for kv in info.items())
            self.out.write("\r%s [%s%s] %d/%d %s" % (self.label, "#" * done, "." * (w - done), self.n, self.total, extra))
            self.out.flush()

    def close(self):
        if self.enabled:
            self.out.write("\n")
