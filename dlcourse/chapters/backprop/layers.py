"""Backprop in matrix form through linear, ReLU and softmax + cross-entropy, and checks of it.

For a batch ``X`` of shape ``(N, D)`` and a two-layer net ``X -> linear -> ReLU -> linear ->
softmax + cross-entropy``, the backward pass is five matrix formulas::

    dZ2 = (P - Y) / N                    softmax + CE, Y one-hot: push the true class up
    dW2 = dZ2^T H,  db2 = sum_n dZ2,  dH = dZ2 W2
    dZ1 = dH * [Z1 > 0]                  ReLU lets the gradient through where it was active
    dW1 = dZ1^T X,  db1 = sum_n dZ1,  dX = dZ1 W1

:func:`two_layer_forward` keeps what these formulas need (the *cache*),
:func:`two_layer_backward` applies them, :func:`compare_two_layer_gradients` checks them
against the engine's ``F.*_backward`` and against PyTorch's autograd, and
:func:`gradient_check_table` checks each layer against finite differences.

Examples
--------
>>> params = init_two_layer(4, 5, 3, seed=0)
>>> x, y = example_batch(6, 4, 3, seed=1)
>>> loss, cache = two_layer_forward(x, y, **params)
>>> sorted(two_layer_backward(cache))
['b1', 'b2', 'w1', 'w2', 'x']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlcourse.backend import array_module, to_numpy
from dlcourse.gradcheck import check_gradient, relative_error
from dlcourse.nn import functional as F

__all__ = [
    "GradientRow",
    "compare_two_layer_gradients",
    "example_batch",
    "gradient_check_table",
    "init_two_layer",
    "two_layer_backward",
    "two_layer_forward",
    "verdict",
]

_PARAMS = ("w1", "b1", "w2", "b2")


def verdict(error: float) -> str:
    """A relative error as a rule-of-thumb verdict, stable in the last digits.

    Examples
    --------
    >>> verdict(3e-11), verdict(2e-5), verdict(0.4)
    ('< 1e-7: OK', '< 1e-4: suspicious (kink?)', '>= 1e-2: WRONG')
    """
    if error < 1e-7:
        return "< 1e-7: OK"
    if error < 1e-4:
        return "< 1e-4: suspicious (kink?)"
    if error < 1e-2:
        return "< 1e-2: probably wrong"
    return ">= 1e-2: WRONG"


def init_two_layer(in_features: int, hidden: int, classes: int, *, seed: int = 0,
                   dtype=np.float64) -> dict:
    """Random weights ``w1 (hidden, in)``, ``b1``, ``w2 (classes, hidden)``, ``b2`` (NumPy)."""
    rng = np.random.default_rng(seed)
    shapes = {"w1": (hidden, in_features), "b1": (hidden,),
              "w2": (classes, hidden), "b2": (classes,)}
    return {name: rng.standard_normal(shape).astype(dtype) for name, shape in shapes.items()}


def example_batch(batch: int, in_features: int, classes: int, *, seed: int = 0,
                  dtype=np.float64):
    """A random batch ``x (batch, in_features)`` and integer targets ``y (batch,)``."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((batch, in_features)).astype(dtype),
            rng.integers(0, classes, size=batch))


def two_layer_forward(x, y, w1, b1, w2, b2):
    """Forward pass ``x -> linear -> ReLU -> linear -> softmax-CE`` with a cache for backward.

    Parameters
    ----------
    x : ndarray, shape (N, D)
    y : ndarray of ints, shape (N,)
    w1 : (H, D), b1 : (H,), w2 : (C, H), b2 : (C,)

    Returns
    -------
    loss : scalar
        Mean cross-entropy over the batch.
    cache : dict
        ``x, y, z1, h, p, w1, w2``: the inputs and intermediate values backward needs.
    """
    xp = array_module(x)
    z1 = x @ w1.T + b1                            # (N, H) linear
    h = xp.maximum(z1, 0)                          # (N, H) ReLU
    z2 = h @ w2.T + b2                             # (N, C) linear
    z2 = z2 - z2.max(axis=1, keepdims=True)        # same softmax, no overflow
    p = xp.exp(z2) / xp.exp(z2).sum(axis=1, keepdims=True)
    loss = -xp.log(p[xp.arange(len(y)), y]).mean()
    return loss, {"x": x, "y": y, "z1": z1, "h": h, "p": p, "w1": w1, "w2": w2}


def two_layer_backward(cache) -> dict:
    """Gradients of the mean loss by the five matrix formulas of the module docstring.

    The upstream gradient at the loss is 1, so the first step is the local gradient of
    softmax + cross-entropy alone.

    Returns
    -------
    dict
        ``x, w1, b1, w2, b2``: the gradient of the loss w.r.t. each, the same shapes.
    """
    x, y, z1, h, p, w1, w2 = (cache[k] for k in ("x", "y", "z1", "h", "p", "w1", "w2"))
    xp = array_module(x)
    n = len(y)
    onehot = xp.eye(p.shape[1], dtype=p.dtype)[y]
    dz2 = (p - onehot) / n                        # (N, C)  dL/dz2 = p - onehot, averaged
    dw2, db2, dh = dz2.T @ h, dz2.sum(axis=0), dz2 @ w2
    dz1 = dh * (z1 > 0)                           # (N, H)  ReLU: a 0/1 mask
    dw1, db1, dx = dz1.T @ x, dz1.sum(axis=0), dz1 @ w1
    return {"x": dx, "w1": dw1, "b1": db1, "w2": dw2, "b2": db2}


def _engine_gradients(x, y, w1, b1, w2, b2) -> dict:
    """The same gradients by chaining the engine's ``F.*`` and ``F.*_backward``."""
    z1 = F.linear(x, w1, b1)
    h = F.relu(z1)
    z2 = F.linear(h, w2, b2)
    dz2 = F.cross_entropy_backward(1.0, z2, y)
    dh, dw2, db2 = F.linear_backward(dz2, h, w2, b2)
    dz1 = F.relu_backward(dh, z1)
    dx, dw1, db1 = F.linear_backward(dz1, x, w1, b1)
    return {"x": dx, "w1": dw1, "b1": db1, "w2": dw2, "b2": db2}


def _torch_gradients(x, y, w1, b1, w2, b2) -> dict:
    """The same gradients by PyTorch's autograd (float64, on the CPU)."""
    import torch

    leaves = {k: torch.tensor(to_numpy(v), dtype=torch.float64, requires_grad=True)
              for k, v in (("x", x), ("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2))}
    h = torch.relu(leaves["x"] @ leaves["w1"].T + leaves["b1"])
    logits = h @ leaves["w2"].T + leaves["b2"]
    loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(to_numpy(y)))
    loss.backward()
    return {k: v.grad.numpy() for k, v in leaves.items()}


@dataclass(frozen=True)
class GradientRow:
    """One gradient compared two or three ways; ``errors`` maps a reference to a relative error."""

    name: str
    shape: tuple
    errors: dict

    def __str__(self) -> str:
        checks = "   ".join(f"vs {ref}: {verdict(err)}" for ref, err in self.errors.items())
        return f"{self.name:<28}{str(self.shape):<10}{checks}"


def compare_two_layer_gradients(batch: int = 8, in_features: int = 4, hidden: int = 5,
                                classes: int = 3, *, seed: int = 0) -> list[GradientRow]:
    """Hand-written matrix backprop vs the engine's ``F`` backwards vs ``torch.autograd``.

    Returns
    -------
    list of GradientRow
        One per gradient (``dL/dx, dL/dW1, ...``), with the relative errors against the
        engine and against torch; print each row for a verdict.

    Examples
    --------
    >>> all(max(row.errors.values()) < 1e-10 for row in compare_two_layer_gradients())
    True
    """
    params = init_two_layer(in_features, hidden, classes, seed=seed)
    x, y = example_batch(batch, in_features, classes, seed=seed + 1)
    _, cache = two_layer_forward(x, y, **params)
    mine = two_layer_backward(cache)
    engine = _engine_gradients(x, y, **params)
    torch_grads = _torch_gradients(x, y, **params)
    return [GradientRow(f"dL/d{k}", tuple(mine[k].shape),
                        {"dlcourse F": relative_error(mine[k], engine[k]),
                         "torch": relative_error(mine[k], torch_grads[k])})
            for k in ("x", "w1", "b1", "w2", "b2")]


def gradient_check_table(*, seed: int = 0) -> list[GradientRow]:
    """Check each layer's analytic backward against central differences (float64).

    Linear (w.r.t. ``x``, ``w``, ``b``), ReLU, and softmax + cross-entropy, each with a
    random upstream gradient; and, as a warning, a cross-entropy backward with a typical
    bug (the ``1/N`` of the mean forgotten).

    Returns
    -------
    list of GradientRow
        ``errors`` has one entry, ``"numeric"``.

    Examples
    --------
    >>> [verdict(row.errors["numeric"]) for row in gradient_check_table()][-1]
    '>= 1e-2: WRONG'
    """
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((4, 5)), rng.standard_normal((3, 5)), rng.standard_normal(3)
    dout = rng.standard_normal((4, 3))
    z = rng.standard_normal((4, 6))
    z[np.abs(z) < 1e-3] = 0.1                      # keep away from ReLU's kink at 0
    dz = rng.standard_normal((4, 6))
    logits, target = rng.standard_normal((4, 3)), rng.integers(0, 3, size=4)
    dx, dw, db = F.linear_backward(dout, x, w, b)
    checks = [
        ("linear, dL/dx", x, lambda v: F.linear(v, w, b), dx, dout),
        ("linear, dL/dW", w, lambda v: F.linear(x, v, b), dw, dout),
        ("linear, dL/db", b, lambda v: F.linear(x, w, v), db, dout),
        ("ReLU, dL/dz", z, F.relu, F.relu_backward(dz, z), dz),
        ("softmax + CE, dL/dz", logits, lambda v: F.cross_entropy(v, target),
         F.cross_entropy_backward(1.0, logits, target), None),
        ("softmax + CE, no 1/N (bug)", logits, lambda v: F.cross_entropy(v, target),
         F.softmax(logits) - np.eye(3)[target], None),
    ]
    return [GradientRow(name, tuple(at.shape),
                        {"numeric": check_gradient(f, at, grad, upstream).error})
            for name, at, f, grad, upstream in checks]
