"""Numerical gradients: how accurate they are, and what they cost next to backprop.

Accuracy.  A difference quotient makes two errors.  The *truncation* error comes from the
formula itself (Taylor: about ``eps/2 |f''|`` for the forward difference of the notes,
``eps²/6 |f'''|`` for the central one) and shrinks with ``eps``.  The *round-off* error
comes from subtracting two nearly equal floats and dividing by a tiny ``eps``: about
``u |f| / eps`` with ``u`` the float's resolution, so it *grows* as ``eps`` shrinks.  Their
sum is V-shaped in a log-log plot: there is a best ``eps``, and it is far from 0.

Cost.  The forward difference needs ``n + 1`` evaluations of the loss for ``n``
parameters, the central one ``2 n``; backpropagation needs one forward and one backward
pass, whatever ``n`` is.

Examples
--------
>>> import numpy as np
>>> err = finite_difference_error(np.array([1e-1, 1e-5, 1e-13]), scheme="central")
>>> bool(err[1] < err[0] and err[1] < err[2])  # too big, about right, too small
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

import numpy as np

from dlcourse._validate import check_array
from dlcourse.backend import array_module
from dlcourse.gradcheck import numerical_gradient, relative_error
from dlcourse.nn import functional as F

__all__ = [
    "CallCounter",
    "CostRow",
    "SCHEMES",
        "finite_difference_error",
    "finite_difference_error_model",
    "forward_difference_gradient",
    "gradient_cost",
]

SCHEMES = ("forward", "central")
"""``forward``: ``(f(x + eps) - f(x)) / eps``; ``central``: ``(f(x+eps) - f(x-eps)) / 2 eps``."""

_X0 = 1.0  # the demo differentiates sin at x = 1, where f' = cos(1)


def _check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")


def forward_difference_gradient(f, x, *, eps: float = 1e-6):
    """Gradient of the scalar ``f(x)`` by forward differences (the notes' formula).

    ``grad_p = (f(x + eps e_p) - f(x)) / eps``: one evaluation at ``x`` plus one per entry,
    ``n + 1`` in all.  ``x`` is perturbed in place and restored.
    (:func:`dlcourse.gradcheck.numerical_gradient` uses central differences instead.)

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a scalar.
    x : ndarray, shape (...), float64 recommended, C-contiguous
    eps : float

    Returns
    -------
    ndarray, shape of ``x``

    Examples
    --------
    >>> import numpy as np
    >>> g = forward_difference_gradient(lambda v: (v ** 2).sum(), np.array([1.0, 3.0]))
    >>> np.round(g, 4).tolist()
    [2.0, 6.0]
    """
    check_array(x, "x", floating=True)
    if not x.flags.c_contiguous:
        raise ValueError("x must be C-contiguous so that it can be perturbed in place")
    xp = array_module(x)
    grad = xp.zeros(x.shape, dtype=xp.float64)
    flat_x, flat_g = x.reshape(-1), grad.reshape(-1)
    base = f(x)
    for i in range(x.size):
        old = flat_x[i].item()
        flat_x[i] = old + eps
        flat_g[i] = (f(x) - base) / eps
        flat_x[i] = old
    return grad


def finite_difference_error(eps, *, scheme: str = "central", dtype=np.float64) -> np.ndarray:
    """Absolute error of the difference quotient of ``sin`` at ``x = 1`` for each ``eps``.

    Parameters
    ----------
    eps : array_like, shape (k,)
        Step sizes, e.g. ``np.logspace(-15, 0, 61)``.
    scheme : {"forward", "central"}
    dtype : numpy float dtype
        Precision of the arithmetic; float32 shows why gradient checks use float64.

    Returns
    -------
    ndarray, shape (k,), float64
        ``|quotient - cos(1)|``.

    Examples
    --------
    >>> import numpy as np
    >>> err = finite_difference_error([1e-2], scheme="forward")
    >>> round(float(err[0]), 4)   # about eps/2 * sin(1) = 0.0042
    0.0042
    """
    _check_scheme(scheme)
    h = np.asarray(eps, dtype=dtype)
    if h.ndim != 1 or not np.all(h > 0):
        raise ValueError("eps must be a 1-D array of positive step sizes")
    x = dtype(_X0)
    if scheme == "forward":
        quotient = (np.sin(x + h) - np.sin(x)) / h
    else:
        quotient = (np.sin(x + h) - np.sin(x - h)) / (2 * h)
    return np.abs(quotient.astype(np.float64) - np.cos(_X0))


def finite_difference_error_model(eps, *, scheme: str = "central", dtype=np.float64):
    """The two error terms of :func:`finite_difference_error`, as orders of magnitude.

    Returns
    -------
    truncation, round_off : ndarray, shape (k,)
        ``eps/2 |sin''(1)|`` or ``eps²/6 |sin'''(1)|``; and ``u |sin(1)| / eps`` with
        ``u = finfo(dtype).eps`` (halved for the central scheme, which divides by ``2 eps``).

    Examples
    --------
    >>> trunc, roff = finite_difference_error_model([1e-4], scheme="central")
    >>> bool(trunc[0] > roff[0])
    True
    """
    _check_scheme(scheme)
    h = np.asarray(eps, dtype=np.float64)
    u = float(np.finfo(dtype).eps)
    if scheme == "forward":
        return h / 2 * np.sin(_X0), u * np.sin(_X0) / h
    return h**2 / 6 * np.cos(_X0), u * np.sin(_X0) / (2 * h)


class CallCounter:
    """Wrap ``f`` and count how often it is called (``.calls``).

    Examples
    --------
    >>> f = CallCounter(abs)
    >>> f(-2), f(3), f.calls
    (2, 3, 2)
    """

    def __init__(self, f):
        self.f = f
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.f(*args, **kwargs)


def _loss_and_cache(w, x, y):
    """Forward pass of linear regression: the MSE, and the cache (prediction) for backward."""
    z = F.linear(x, w)
    return F.mse_loss(z, y), z


def _loss(w, x, y):
    return _loss_and_cache(w, x, y)[0]


def _loss_backward(z, w, x, y):
    """Backward pass from the cache; the upstream gradient at the loss is 1."""
    return F.linear_backward(F.mse_loss_backward(1.0, z, y), x, w)[1]


@dataclass(frozen=True)
class CostRow:
    """What one gradient of an ``n``-parameter loss costs, three ways (:func:`gradient_cost`)."""

    num_params: int
    forward_difference_evals: int
    central_difference_evals: int
    backprop_forward_passes: int
    backprop_backward_passes: int
    central_ms: float
    backprop_ms: float
    relative_error: float


def gradient_cost(sizes=(10, 100, 1000), *, batch: int = 32, seed: int = 0) -> list[CostRow]:
    """Count loss evaluations (and time) for one gradient of a linear regression's MSE.

    The model has ``n`` weights, ``L(w) = mse(x w^T, y)`` on a batch of ``batch`` samples.
    Every call of the loss (one forward pass) and of its backward pass is counted.

    Parameters
    ----------
    sizes : sequence of int
        Numbers of parameters ``n``.
    batch : int, keyword-only
    seed : int, keyword-only

    Returns
    -------
    list of CostRow
        One per size; ``central_ms``/``backprop_ms`` are wall times (they vary run to run),
        ``relative_error`` compares the central-difference gradient with backprop's.

    Examples
    --------
    >>> row = gradient_cost([5])[0]
    >>> row.forward_difference_evals, row.central_difference_evals, row.backprop_forward_passes
    (6, 10, 1)
    """
    rng = np.random.default_rng(seed)
    rows = []
    for n in sizes:
        if int(n) != n or n < 1:
            raise ValueError(f"sizes must be positive ints, got {n!r}")
        x = rng.standard_normal((batch, int(n)))
        y = rng.standard_normal((batch, 1))
        w = rng.standard_normal((1, int(n)))

        loss = CallCounter(partial(_loss, x=x, y=y))
        forward_difference_gradient(loss, w)
        forward_evals, loss.calls = loss.calls, 0
        start = time.perf_counter()
        numeric = numerical_gradient(loss, w)
        central_ms = 1e3 * (time.perf_counter() - start)

        forward = CallCounter(partial(_loss_and_cache, x=x, y=y))
        backward = CallCounter(partial(_loss_backward, x=x, y=y))
        start = time.perf_counter()
        _, z = forward(w)
        analytic = backward(z, w)
        backprop_ms = 1e3 * (time.perf_counter() - start)
        rows.append(CostRow(int(n), forward_evals, loss.calls, forward.calls, backward.calls,
                            central_ms, backprop_ms, relative_error(numeric, analytic)))
    return rows
