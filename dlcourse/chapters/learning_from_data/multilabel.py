"""One label or several: a softmax output with cross-entropy, or sigmoids with binary ones.

*Multi-class* (each image has exactly one of C labels): softmax turns the C scores into a
distribution that sums to 1, and the loss is the categorical cross-entropy
``-log softmax(z)[y]``.  *Multi-label* (any subset of the C labels may be present): a sigmoid
per score gives C independent probabilities, and the loss is one binary cross-entropy per
class, ``-[t log s + (1 - t) log(1 - s)]``, averaged.  :func:`fit_logits` shows by gradient
descent why softmax cannot learn two labels at once: its outputs must share a total of 1.

>>> z = np.array([[2.0, 2.0, -2.0]])
>>> heads = output_heads(z)
>>> heads.softmax.round(3).tolist(), heads.sigmoid.round(3).tolist()
([[0.495, 0.495, 0.009]], [[0.881, 0.881, 0.119]])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlcourse._validate import check_array, check_positive
from dlcourse.backend import array_module
from dlcourse.nn import functional as F

__all__ = ["Fit", "OutputHeads", "binary_cross_entropies", "categorical_cross_entropy",
           "fit_logits", "output_heads", "predict_labels"]


class OutputHeads(NamedTuple):
    """The two readings of the same scores, shape ``(N, C)`` each."""

    softmax: object   # rows sum to 1: one distribution over the classes
    sigmoid: object   # every entry in (0, 1) on its own: one probability per label


def _check_logits(logits):
    check_array(logits, "logits", ndim=2, floating=True)
    return logits


def _check_targets(logits, targets):
    check_array(targets, "targets", ndim=2)
    if targets.shape != logits.shape:
        raise ValueError(f"targets must have the shape of logits, {tuple(logits.shape)}, "
                         f"got {tuple(targets.shape)}")
    if bool(((targets < 0) | (targets > 1)).any()):
        raise ValueError("targets must lie in [0, 1]: 1 where a label is present")
    return targets.astype(logits.dtype, copy=False)


def output_heads(logits) -> OutputHeads:
    """Softmax over the classes and a sigmoid per class, of the same ``(N, C)`` scores."""
    _check_logits(logits)
    return OutputHeads(F.softmax(logits, dim=1), F.sigmoid(logits))


def categorical_cross_entropy(logits, targets):
    """Mean over the samples of ``-sum_c t_c log softmax(z)_c`` (a softmax output's loss).

    ``targets`` is ``(N, C)``: one-hot rows (then it equals ``F.cross_entropy`` with the class
    indices) or any distributions.  A row with several labels must be divided by their
    number first: softmax's loss compares two distributions, and a multi-hot row is none.

    >>> round(float(categorical_cross_entropy(np.array([[1.0, 0.0, 4.0]]),
    ...                                       np.array([[0.0, 0.0, 1.0]]))), 4)
    0.0659
    """
    _check_logits(logits)
    targets = _check_targets(logits, targets)
    xp = array_module(logits)
    sums = targets.sum(axis=1)
    bad = xp.abs(sums - 1) > 1e-6
    if bool(bad.any()):
        row = int(xp.argmax(bad))
        raise ValueError(
            f"row {row} of targets sums to {float(sums[row]):g}, not 1: softmax's "
            "cross-entropy needs exactly one label per sample (or a distribution); for "
            "several labels use binary_cross_entropies with a sigmoid per class")
    return -(targets * F.log_softmax(logits, dim=1)).sum(axis=1).mean()


def binary_cross_entropies(logits, targets):
    """One binary cross-entropy per sample and class, ``(N, C)`` (a sigmoid output's loss).

    Their mean is ``F.binary_cross_entropy_with_logits`` (torch's default reduction).

    >>> binary_cross_entropies(np.zeros((1, 2)), np.array([[1.0, 0.0]])).round(4).tolist()
    [[0.6931, 0.6931]]
    """
    _check_logits(logits)
    targets = _check_targets(logits, targets)
    xp = array_module(logits)
    # -[t log s + (1 - t) log(1 - s)] with s = sigmoid(z), written so that exp never overflows
    return xp.maximum(logits, 0) - logits * targets + xp.log1p(xp.exp(-xp.abs(logits)))


def predict_labels(probabilities, threshold: float = 0.5):
    """The labels a multi-label reader would report: every probability above ``threshold``."""
    return probabilities > threshold


class Fit(NamedTuple):
    """Gradient descent on free scores: probabilities and loss after every step."""

    probabilities: np.ndarray   # (steps + 1, C)
    losses: np.ndarray          # (steps + 1,)


def fit_logits(targets, head: str, *, steps: int = 100, lr: float = 1.0) -> Fit:
    """Fit one free score vector ``z`` (``C`` numbers, from 0) to a multi-hot target.

    The best a model could do if it could output any scores at all.  ``head="softmax"``
    minimises the categorical cross-entropy against the target divided by its number of
    labels (gradient ``softmax(z) - t / sum t``); ``head="sigmoid"`` minimises the sum of
    the binary cross-entropies (gradient ``sigmoid(z) - t``).

    Parameters
    ----------
    targets : ndarray, shape (C,)
        1 for each label present, 0 otherwise; at least one label.
    head : {"softmax", "sigmoid"}
    steps : int
    lr : float

    Returns
    -------
    Fit

    Examples
    --------
    >>> fit = fit_logits(np.array([1.0, 1.0, 0.0]), "softmax", steps=200)
    >>> fit.probabilities[-1].round(2).tolist()        # two labels share the total of 1
    [0.5, 0.5, 0.0]
    """
    targets = np.asarray(targets, dtype=np.float64)
    if targets.ndim != 1 or not np.isin(targets, (0.0, 1.0)).all() or targets.sum() < 1:
        raise ValueError(f"targets must be a 1-D multi-hot vector with at least one 1, "
                         f"got {targets.tolist()}")
    if head not in ("softmax", "sigmoid"):
        raise ValueError(f"head must be 'softmax' or 'sigmoid', got {head!r}")
    check_positive(steps, "steps")
    z = np.zeros((1, targets.size))
    t = targets[None]
    probabilities, losses = [], []
    for _ in range(steps + 1):
        if head == "softmax":
            p = F.softmax(z, dim=1)
            loss = categorical_cross_entropy(z, t / t.sum())
            grad = p - t / t.sum()
        else:
            p = F.sigmoid(z)
            loss = binary_cross_entropies(z, t).sum()
            grad = p - t
        probabilities.append(p[0])
        losses.append(float(loss))
        z = z - lr * grad
    return Fit(np.array(probabilities), np.array(losses))
