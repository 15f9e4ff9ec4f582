"""What the minibatch size changes: gradient noise, progress per epoch, time and memory.

A minibatch gradient is an average over ``B`` random samples, an estimate of the gradient
over the whole training set.  Like any average of ``B`` draws, its variance falls like
``1 / B`` (a little faster, since the draws are without replacement)::

    E |g_B - g|^2 = (N - B) / (N - 1) * sigma^2 / B

with ``sigma^2`` the mean squared distance of a single sample's gradient from ``g``.
``B = N`` is *batch* gradient descent (no noise, one step per epoch), ``B = 1`` is
*stochastic* gradient descent (the noisiest, ``N`` steps per epoch), and everything in
between is *minibatch* gradient descent.

The model is logistic regression, ``p(y = 1 | x) = sigmoid(w . x)``, written in plain
NumPy so that even ``B = 1`` runs fast enough for a slider.

Examples
--------
>>> X, y = logistic_problem(256, 5)
>>> noise = minibatch_noise([1, 16, 256], X=X, y=y, timing=False)
>>> float(noise.predicted[-1])      # the full batch is the exact gradient: no noise at all
0.0
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from dlcourse._validate import check_array, check_positive

__all__ = [
    "MinibatchNoise",
    "activation_bytes",
    "logistic_loss",
    "logistic_problem",
    "minibatch_noise",
    "minibatch_run",
    "per_sample_gradients",
]


def logistic_problem(n_samples: int = 1024, n_features: int = 20, *, seed: int = 0):
    """A binary classification problem: Gaussian inputs, labels drawn from a true logistic model.

    Returns
    -------
    X : ndarray, shape (n_samples, n_features), float64
    y : ndarray, shape (n_samples,), float64 in {0, 1}
    """
    check_positive(n_samples, "n_samples")
    check_positive(n_features, "n_features")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    w_true = rng.standard_normal(n_features) * 2 / math.sqrt(n_features)
    y = (rng.random(n_samples) < 1 / (1 + np.exp(-X @ w_true))).astype(np.float64)
    return X, y


def logistic_loss(X, y, w) -> float:
    """Mean binary cross-entropy of ``sigmoid(X @ w)`` against ``y``."""
    z = X @ w
    return float(np.mean(np.logaddexp(0.0, z) - y * z))  # -log sigmoid, computed stably


def per_sample_gradients(X, y, w):
    """Gradient of each sample's loss with respect to ``w``: ``(sigmoid(x . w) - y) x``, (N, D)."""
    return (1 / (1 + np.exp(-(X @ w))) - y)[:, None] * X


@dataclass
class MinibatchNoise:
    """Gradient noise (and time) per batch size; see :func:`minibatch_noise`."""

    batch_sizes: np.ndarray
    variance: np.ndarray           # measured E|g_B - g|^2 over random minibatches
    predicted: np.ndarray          # the formula (N - B) / (N - 1) * sigma^2 / B
    gradient_norm: float           # |g|, the full-batch gradient
    seconds_per_epoch: np.ndarray | None  # one epoch of SGD steps, best of 3 (None: not timed)

    @property
    def relative_noise(self) -> np.ndarray:
        """Typical error of a minibatch gradient relative to the gradient: ``sqrt(var) / |g|``."""
        return np.sqrt(self.variance) / self.gradient_norm


def _check_data(X, y):
    check_array(X, "X", ndim=2, floating=True)
    check_array(y, "y", ndim=1)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")


def minibatch_noise(batch_sizes, *, X=None, y=None, w=None, repeats: int = 200, seed: int = 0,
                    timing: bool = True) -> MinibatchNoise:
    """How far minibatch gradients scatter around the full gradient, for each batch size.

    Parameters
    ----------
    batch_sizes : sequence of int
        Between 1 and ``N``.
    X, y : arrays, optional
        The data; :func:`logistic_problem` by default.
    w : ndarray, optional
        Where to take the gradients; zeros (the usual start) by default.
    repeats : int
        Random minibatches per batch size.
    seed : int
        Seed of the minibatch draws.
    timing : bool
        Also time one epoch of SGD steps per batch size (wall clock: varies run to run).
    """
    if X is None or y is None:
        X, y = logistic_problem()
    _check_data(X, y)
    n = len(X)
    sizes = np.array([int(b) for b in batch_sizes])
    if sizes.min() < 1 or sizes.max() > n:
        raise ValueError(f"batch sizes must lie between 1 and the {n} samples, got {sizes}")
    w = np.zeros(X.shape[1]) if w is None else w
    G = per_sample_gradients(X, y, w)
    g = G.mean(axis=0)
    sigma2 = float(np.mean(np.sum((G - g) ** 2, axis=1)))
    rng = np.random.default_rng(seed)
    variance = []
    for b in sizes:
        draws = np.array([rng.permutation(n)[:b] for _ in range(repeats)])  # (repeats, b)
        g_b = G[draws].mean(axis=1)
        variance.append(float(np.mean(np.sum((g_b - g) ** 2, axis=1))))
    predicted = (n - sizes) / (n - 1) * sigma2 / sizes
    seconds = None
    if timing:
        seconds = np.array([min(_time_epoch(X, y, int(b)) for _ in range(3)) for b in sizes])
    return MinibatchNoise(sizes, np.array(variance), predicted, float(np.linalg.norm(g)), seconds)


def _time_epoch(X, y, batch_size: int) -> float:
    w = np.zeros(X.shape[1])
    start = time.perf_counter()
    for i in range(0, len(X), batch_size):
        w -= 0.1 * per_sample_gradients(X[i:i + batch_size], y[i:i + batch_size], w).mean(axis=0)
    return time.perf_counter() - start


def minibatch_run(batch_size: int, *, epochs: float = 3, lr: float = 0.5, seed: int = 0,
                  X=None, y=None, points: int = 200) -> dict:
    """Train logistic regression with minibatch SGD; the full-data loss along the way.

    Parameters
    ----------
    batch_size : int
        ``N`` for batch gradient descent, 1 for stochastic gradient descent.
    epochs : float
        Passes over the data (the data is reshuffled every epoch).
    lr : float
        Learning rate.
    seed : int
        Seed of the shuffling.
    X, y : arrays, optional
        The data; :func:`logistic_problem` by default.
    points : int
        About how many times to record the loss (for long runs with small batches).

    Returns
    -------
    dict
        ``epoch`` and ``loss``: arrays of the epochs done and the loss on all the data at
        each record, starting at epoch 0; ``steps``: the number of SGD steps taken.

    Examples
    --------
    >>> run = minibatch_run(1024, epochs=2)      # full batch: one step per epoch
    >>> run["steps"], run["epoch"].tolist()
    (2, [0.0, 1.0, 2.0])
    """
    if X is None or y is None:
        X, y = logistic_problem()
    _check_data(X, y)
    n = len(X)
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must lie between 1 and the {n} samples, got {batch_size}")
    steps_per_epoch = math.ceil(n / batch_size)
    total = max(1, round(epochs * steps_per_epoch))
    every = max(1, total // points)
    rng = np.random.default_rng(seed)
    w = np.zeros(X.shape[1])
    seen, losses = [0.0], [logistic_loss(X, y, w)]
    for step in range(total):
        i = step % steps_per_epoch
        if i == 0:
            order = rng.permutation(n)
        idx = order[i * batch_size:(i + 1) * batch_size]
        w -= lr * per_sample_gradients(X[idx], y[idx], w).mean(axis=0)
        if (step + 1) % every == 0 or step + 1 == total:
            seen.append((step // steps_per_epoch) + min(n, (i + 1) * batch_size) / n)
            losses.append(logistic_loss(X, y, w))
    return {"epoch": np.array(seen), "loss": np.array(losses), "steps": total}


def activation_bytes(model, sample_shape, batch_size: int, *, itemsize: int = 4) -> int:
    """Bytes of the layer outputs a forward pass keeps for the backward pass, per batch.

    Every layer's output is remembered until the backward pass has used it, so this
    memory grows linearly with the batch size (the parameters' memory does not).

    Parameters
    ----------
    model : dlcourse.nn.Module or torch.nn.Module
    sample_shape : tuple of int
        Shape of one input sample, e.g. ``(64,)`` or ``(1, 28, 28)``.
    batch_size : int
    itemsize : int
        Bytes per number (4 for float32).

    Examples
    --------
    >>> from dlcourse import nn
    >>> net = nn.Sequential(nn.Linear(64, 32, rng=0), nn.ReLU(), nn.Linear(32, 10, rng=0))
    >>> activation_bytes(net, (64,), batch_size=100)    # (32 + 32 + 10) floats x 4 bytes x 100
    29600
    """
    from dlcourse.sizing import summary

    check_positive(batch_size, "batch_size")
    rows = summary(model, (1, *sample_shape)).rows
    per_sample = sum(math.prod(row.output_shape[1:]) for row in rows)
    return int(batch_size * per_sample * itemsize)
