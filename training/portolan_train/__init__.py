"""portolan_train: training, export and reference code for Portolan models.

The bundle format lives in :mod:`portolan_train.bundle` (standard library,
numpy and msgpack only); model code imports torch lazily so that bundle
tooling works without it.
"""

__version__ = "0.1.0"
