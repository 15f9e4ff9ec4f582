"""Relatives of dropout: DropConnect, and alpha-dropout for SELU networks.

* :func:`dropconnect_vs_dropout` -- dropout zeroes *units* (whole columns of the next weight
  matrix), DropConnect zeroes single *weights*; with inverted scaling both keep the mean
  output ``W x``, at different noise;
* :func:`alpha_dropout_statistics` -- ordinary dropout on SELU activations breaks their
  self-normalising mean 0 / variance 1; ``torch.nn.AlphaDropout`` keeps them.

>>> r = dropconnect_vs_dropout(p=0.5, seed=0)
>>> r["dropout_zero_weights"] % r["in_features"] == 0   # whole columns
True
"""

from __future__ import annotations

import numpy as np


def dropconnect_vs_dropout(*, in_features: int = 8, out_features: int = 4, p: float = 0.5,
                           samples: int = 20_000, seed: int = 0) -> dict:
    """Average a linear layer's output over ``samples`` random masks, both ways.

    Returns
    -------
    dict
        ``clean`` W x (out_features,); ``dropout_mean`` and ``dropconnect_mean`` (the outputs
        averaged over the masks, inverted scaling 1 / (1 - p)); ``dropout_std`` and
        ``dropconnect_std`` (their spread per output); ``dropout_zero_weights`` and
        ``dropconnect_zero_weights`` (how many weights one mask silences); ``in_features``.
    """
    if not 0 <= p < 1:
        raise ValueError(f"p must be in [0, 1), got {p}")
    rng = np.random.default_rng(seed)
    W, x = rng.normal(size=(out_features, in_features)), rng.normal(size=in_features)
    unit_masks = rng.random((samples, in_features)) >= p             # keep units
    weight_masks = rng.random((samples, out_features, in_features)) >= p   # keep weights
    dropout = (unit_masks * x) @ W.T / (1 - p)
    dropconnect = np.einsum("soi,i->so", weight_masks * W, x) / (1 - p)
    return dict(clean=W @ x, dropout_mean=dropout.mean(0), dropconnect_mean=dropconnect.mean(0),
                dropout_std=dropout.std(0), dropconnect_std=dropconnect.std(0),
                dropout_zero_weights=int((~unit_masks[0]).sum()) * out_features,
                dropconnect_zero_weights=int((~weight_masks[0]).sum()),
                in_features=in_features)


def alpha_dropout_statistics(p: float = 0.2, *, n: int = 200_000, seed: int = 0) -> dict:
    """Mean and variance of SELU activations of N(0, 1) inputs, before and after dropout.

    Returns
    -------
    dict
        ``{"selu": (mean, var), "dropout": (mean, var), "alpha_dropout": (mean, var)}``
        measured with ``torch.nn.functional.selu``, ``dropout`` and ``alpha_dropout``
        (training mode, generator seeded with ``seed``).
    """
    import torch

    torch.manual_seed(seed)
    a = torch.nn.functional.selu(torch.randn(n, dtype=torch.float64))
    outputs = {"selu": a, "dropout": torch.nn.functional.dropout(a, p, training=True),
               "alpha_dropout": torch.nn.functional.alpha_dropout(a, p, training=True)}
    return {name: (float(v.mean()), float(v.var())) for name, v in outputs.items()}
