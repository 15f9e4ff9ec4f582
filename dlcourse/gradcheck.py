"""Numerical gradients by central differences, and how far an analytic gradient is off.

The backprop chapter compares the two; the test-suite uses them on every layer.
Use float64: with float32 the rounding error of the difference quotient swamps the signal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlcourse.backend import array_module, to_numpy


def numerical_gradient(f, x, dout=None, *, eps: float = 1e-6):
    """Gradient of ``sum(f(x) * dout)`` with respect to ``x`` by central differences.

    ``x`` is perturbed in place one entry at a time and restored afterwards.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns an array (or scalar) of any shape.
    x : ndarray, shape (...)
        Point at which to differentiate; float64 recommended.
    dout : ndarray, optional
        Upstream gradient, the shape of ``f(x)``; defaults to ones (plain sum).
    eps : float
        Half the step of the difference quotient.

    Returns
    -------
    ndarray, same shape as ``x``

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2.0])
    >>> np.round(numerical_gradient(lambda v: v ** 2, x), 6).tolist()
    [2.0, 4.0]
    """
    xp = array_module(x)
    grad = xp.zeros_like(x, dtype=xp.float64)
    if not x.flags.c_contiguous:
        raise ValueError("x must be C-contiguous so that it can be perturbed in place")
    flat_x, flat_g = x.reshape(-1), grad.reshape(-1)
    for i in range(x.size):
        old = flat_x[i].item()
        flat_x[i] = old + eps
        plus = f(x)
        flat_x[i] = old - eps
        minus = f(x)
        flat_x[i] = old
        diff = plus - minus
        flat_g[i] = (diff if dout is None else diff * dout).sum() / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """Largest elementwise relative error ``|a-b| / max(1e-12, |a|+|b|)``.

    Below 1e-7 in float64: the gradients agree; above 1e-2: a bug.
    """
    a, b = to_numpy(a).astype(np.float64), to_numpy(b).astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-12, np.abs(a) + np.abs(b))))


@dataclass(frozen=True)
class GradCheck:
    """Result of :func:`check_gradient`: the two gradients and their relative error."""

    analytic: np.ndarray
    numeric: np.ndarray
    error: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return self.error < self.tolerance

    def __str__(self) -> str:
        verdict = "OK" if self.ok else "MISMATCH"
        return f"relative error {self.error:.2e} (tolerance {self.tolerance:.0e}): {verdict}"


def check_gradient(f, x, analytic, dout=None, *, eps: float = 1e-6,
                   tolerance: float = 1e-6) -> GradCheck:
    """Compare an analytic gradient with central differences and report the error.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([0.5, -1.0])
    >>> check_gradient(np.tanh, x, 1 - np.tanh(x) ** 2).ok
    True
    """
    numeric = numerical_gradient(f, x, dout, eps=eps)
    return GradCheck(to_numpy(analytic), to_numpy(numeric),
                     relative_error(analytic, numeric), tolerance)
