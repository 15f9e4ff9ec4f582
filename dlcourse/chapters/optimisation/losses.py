"""Losses as curves, and as negative log-likelihoods: where MSE, L1 and cross-entropy come from.

Choosing a loss is choosing a noise model.  If the target is the prediction plus noise
with density ``p(t | y)``, then maximising the likelihood of the data is minimising the
mean negative log-likelihood (NLL), and

* Gaussian noise ``N(y, sigma^2)``: NLL = MSE / (2 sigma^2) + log(2 pi sigma^2) / 2,
* Laplace noise with scale ``b``:    NLL = L1 / b + log(2 b),
* a Bernoulli label with ``p(t = 1) = sigmoid(z)``: NLL = binary cross-entropy,
* a categorical label with ``p = softmax(z)``:       NLL = cross-entropy.

The constants do not depend on the prediction, so the minimiser is the same.  The
functions below compute both sides, the loss with the engine's
:mod:`dlcourse.nn.functional` and the NLL from the density, so the identities can be
checked by printing them.

Examples
--------
>>> import numpy as np
>>> y, t = np.array([0.0, 1.0]), np.array([1.0, 1.0])
>>> nll, loss, constant = gaussian_nll(y, t, sigma=1.0)
>>> round(nll, 4), loss, round(constant, 4)      # MSE = 0.5;  0.5 / 2 + 0.9189
(1.1689, 0.5, 0.9189)
"""

from __future__ import annotations

import math

import numpy as np

from dlcourse._validate import check_array, check_positive
from dlcourse.nn import functional as F

__all__ = [
    "bernoulli_nll",
    "best_constant",
    "categorical_nll",
    "classification_loss_curves",
    "gaussian_nll",
    "laplace_nll",
    "regression_loss_curves",
]


def regression_loss_curves(residuals=None) -> dict:
    """Loss of one sample and its derivative as a function of the residual ``r = y - t``.

    Returns
    -------
    dict
        ``r`` and, for ``"MSE (L2)"`` and ``"L1"``, a pair ``(loss, dloss/dr)``.
        L2 pushes back in proportion to the error (outliers dominate); L1 always with
        the same force (robust to outliers).

    >>> curves = regression_loss_curves([-2.0, 0.5])
    >>> curves["MSE (L2)"][1].tolist(), curves["L1"][1].tolist()
    ([-4.0, 1.0], [-1.0, 1.0])
    """
    r = np.linspace(-3.0, 3.0, 241) if residuals is None else np.asarray(residuals, float)
    zero = np.zeros_like(r)
    n = r.size  # the engine's losses are means: scale their gradients back to one sample
    return {
        "r": r,
        "MSE (L2)": (r * r, n * F.mse_loss_backward(np.float64(1.0), r, zero)),
        "L1": (np.abs(r), n * F.l1_loss_backward(np.float64(1.0), r, zero)),
    }


def classification_loss_curves(logits=None) -> dict:
    """Cross-entropy of one sample as a function of its logit ``z`` (two classes).

    For target 1 the loss is ``-log sigmoid(z)``, for target 0 ``-log(1 - sigmoid(z))``;
    a confident wrong answer costs about ``|z|``, a confident right one almost nothing.

    Returns
    -------
    dict
        ``z``, ``p = sigmoid(z)``, and the losses ``"target 1"``, ``"target 0"``.

    >>> c = classification_loss_curves([0.0])
    >>> round(float(c["target 1"][0]), 4)      # a coin flip: log 2
    0.6931
    """
    z = np.linspace(-6.0, 6.0, 241) if logits is None else np.asarray(logits, float)
    per_sample = [
        [float(F.binary_cross_entropy_with_logits(z[i:i + 1], np.array([t], float)))
         for i in range(z.size)] for t in (1.0, 0.0)
    ]
    return {"z": z, "p": F.sigmoid(z), "target 1": np.array(per_sample[0]),
            "target 0": np.array(per_sample[1])}


def best_constant(targets, loss: str, *, step: float = 0.01) -> float:
    """The constant prediction ``c`` with the smallest loss on ``targets`` (a grid search).

    Under MSE it is the mean, under L1 the median -- the centre of a Gaussian and of a
    Laplace distribution fitted to the targets.  The grid runs from ``min(targets)`` to
    ``max(targets)`` in steps of ``step``.

    >>> targets = [1.0, 2.0, 3.0, 4.0, 20.0]
    >>> best_constant(targets, "mse"), best_constant(targets, "l1")
    (6.0, 3.0)
    """
    losses = {"mse": F.mse_loss, "l1": F.l1_loss}
    if loss not in losses:
        raise ValueError(f"loss must be 'mse' or 'l1', got {loss!r}")
    t = np.asarray(targets, dtype=float)
    check_array(t, "targets", ndim=1)
    check_positive(step, "step")
    grid = t.min() + step * np.arange(math.floor((t.max() - t.min()) / step) + 1)
    values = [float(losses[loss](np.full_like(t, c), t)) for c in grid]
    return round(float(grid[int(np.argmin(values))]), 10)


def gaussian_nll(prediction, target, *, sigma: float = 1.0):
    """Mean NLL of ``target`` under ``N(prediction, sigma^2)``, the MSE, and the constant.

    Returns
    -------
    (nll, mse, constant) : floats with ``nll = mse / (2 sigma^2) + constant``.
    """
    check_positive(sigma, "sigma")
    y, t = np.asarray(prediction, float), np.asarray(target, float)
    density = np.exp(-((t - y) ** 2) / (2 * sigma**2)) / math.sqrt(2 * math.pi * sigma**2)
    return (float(-np.mean(np.log(density))), float(F.mse_loss(y, t)),
            0.5 * math.log(2 * math.pi * sigma**2))


def laplace_nll(prediction, target, *, b: float = 1.0):
    """Mean NLL under the Laplace density ``exp(-|t - y| / b) / (2 b)``, the L1 loss, the constant.

    Returns
    -------
    (nll, l1, constant) : floats with ``nll = l1 / b + constant``.

    >>> nll, l1, constant = laplace_nll([0.0], [2.0])
    >>> round(nll, 4), l1, round(constant, 4)
    (2.6931, 2.0, 0.6931)
    """
    check_positive(b, "b")
    y, t = np.asarray(prediction, float), np.asarray(target, float)
    density = np.exp(-np.abs(t - y) / b) / (2 * b)
    return float(-np.mean(np.log(density))), float(F.l1_loss(y, t)), math.log(2 * b)


def bernoulli_nll(logits, target):
    """Mean NLL of 0/1 targets under ``p(t = 1) = sigmoid(logit)``, and the engine's BCE.

    Returns
    -------
    (nll, bce) : equal floats.

    >>> nll, bce = bernoulli_nll([0.0, 3.0], [1.0, 0.0])
    >>> round(nll, 4), round(bce, 4)
    (1.8709, 1.8709)
    """
    z, t = np.asarray(logits, float), np.asarray(target, float)
    p = 1 / (1 + np.exp(-z))
    likelihood = np.where(t == 1, p, 1 - p)
    return float(-np.mean(np.log(likelihood))), float(F.binary_cross_entropy_with_logits(z, t))


def categorical_nll(logits, target):
    """Mean NLL of class labels under ``p = softmax(logits)``, and the engine's cross-entropy.

    Returns
    -------
    (nll, cross_entropy) : equal floats.

    >>> nll, ce = categorical_nll([[1.0, 0.0, 4.0]], [2])
    >>> round(nll, 4), round(ce, 4)
    (0.0659, 0.0659)
    """
    z, t = np.asarray(logits, float), np.asarray(target)
    p = F.softmax(z, dim=1)
    return float(-np.mean(np.log(p[np.arange(len(t)), t]))), float(F.cross_entropy(z, t))
