"""Chapter 02 exercises: the perceptron rule, activation derivatives, an MLP for XOR."""

from __future__ import annotations

import numpy as np

from dlcourse.grading.exercises.ch01 import DTYPE_HINT, NUMPY_ONLY
from dlcourse.grading.spec import Case, Exercise

A = np.array


# --- references ----------------------------------------------------------------------------

def perceptron_step(w, b, x, y, lr=1.0):
    """Rosenblatt's rule for one example ``x`` with label ``y`` in {-1, +1}.

    A point with ``y * (w @ x + b) <= 0`` (wrong side, or on the boundary) moves the
    boundary: ``w + lr*y*x``, ``b + lr*y``.  Returns the new ``(w, b)``.
    """
    if y * (w @ x + b) <= 0:
        return w + lr * y * x, b + lr * y
    return w.copy(), b


def sigmoid(x):
    """Logistic function without overflow: exp is only taken of non-positive numbers."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(x):
    """Derivative of the sigmoid: s (1 - s)."""
    s = sigmoid(x)
    return s * (1 - s)


def relu_grad(x):
    """Derivative of ReLU: 1 where x > 0, else 0 (0 at x == 0, as in PyTorch)."""
    return (x > 0).astype(x.dtype)


def xor_mlp_forward(x, W1, b1, W2, b2):
    """Two sigmoid layers: ``sigmoid(sigmoid(x @ W1.T + b1) @ W2.T + b2)``; (N, 2) -> (N, out)."""
    hidden = sigmoid(x @ W1.T + b1)
    return sigmoid(hidden @ W2.T + b2)


# --- cases ---------------------------------------------------------------------------------

def _perceptron_public():
    return [
        Case((np.zeros(2), 0.0, A([1.0, 2.0]), 1), label="zero weights: every point is a mistake",
             hint="update when y * (w @ x + b) <= 0; a point on the boundary counts as a mistake"),
        Case((A([1.0, -1.0]), 0.0, A([2.0, 1.0]), 1), label="correctly classified: no change",
             hint="return w and b unchanged when y * (w @ x + b) > 0"),
        Case((A([1.0, -1.0]), 0.5, A([1.0, 2.0]), 1), label="positive point on the wrong side"),
        Case((A([1.0, 1.0]), 0.0, A([1.0, 1.0]), -1), label="negative point on the wrong side",
             hint="the update adds y * x, so a negative label subtracts x"),
        Case((A([1.0, -1.0]), 0.0, A([1.0, 1.0]), -1), {"lr": 0.1},
             label="on the boundary, learning rate 0.1"),
    ]


def _perceptron_hidden(rng, student):
    cases = []
    for _ in range(8):
        d = int(rng.integers(1, 6))
        lr = float(rng.choice([1.0, 0.5, 0.01]))
        cases.append(Case((rng.normal(size=d), float(rng.normal()), rng.normal(size=d),
                           int(rng.choice([-1, 1]))), {"lr": lr}, label=f"random D={d}"))
    return cases


def _sigmoid_grad_public():
    return [
        Case((A([0.0]),), label="at 0 the slope is 1/4"),
        Case((A([-2.0, 0.0, 2.0]),), label="symmetric around 0"),
        Case((A([[-1000.0, 1000.0]]),), label="saturation: large |x|",
             hint="far from 0 the sigmoid is flat, so the derivative is 0, not nan; write it "
                  "as s * (1 - s) with s = sigmoid(x)"),
        Case((A([0.5, -3.0], dtype=np.float32),), label="float32 input", hint=DTYPE_HINT),
    ]


def _elementwise_hidden(rng, student):
    return [Case((rng.normal(0, scale, size=(int(rng.integers(1, 5)), int(rng.integers(1, 6)))),),
                 label=f"random values, scale {scale}") for scale in (1.0, 5.0, 50.0)]


def _relu_grad_public():
    return [
        Case((A([-1.0, 0.0, 2.0]),), label="negative, zero, positive",
             hint="use 0 at exactly x == 0, as PyTorch does"),
        Case((A([[3.0, -0.5], [0.25, -7.0]]),), label="a 2-D array"),
        Case((A([1.5, -1.5], dtype=np.float32),), label="float32 input", hint=DTYPE_HINT),
    ]


XOR_X = A([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_WEIGHTS = (A([[20.0, 20.0], [-20.0, -20.0]]), A([-10.0, 30.0]), A([[20.0, 20.0]]), A([-30.0]))


def _xor_public():
    rng = np.random.default_rng(2)
    return [
        Case((XOR_X, *XOR_WEIGHTS), label="hand-set weights that compute XOR",
             hint="W1 has PyTorch's (out, in) layout, so the first layer is x @ W1.T + b1"),
        Case((XOR_X[:1], *XOR_WEIGHTS), label="a single input row: output shape (1, 1)"),
        Case((XOR_X, rng.normal(size=(3, 2)), rng.normal(size=3), rng.normal(size=(2, 3)),
              rng.normal(size=2)), label="3 hidden units, 2 outputs"),
    ]


def _xor_hidden(rng, student):
    cases = []
    for _ in range(4):
        n, h, o = int(rng.integers(1, 6)), int(rng.integers(1, 6)), int(rng.integers(1, 3))
        cases.append(Case((rng.normal(size=(n, 2)), rng.normal(0, 3, size=(h, 2)),
                           rng.normal(size=h), rng.normal(0, 3, size=(o, h)),
                           rng.normal(size=o)), label=f"random N={n}, hidden={h}, out={o}"))
    return cases


EXERCISES = [
    Exercise("ch02.perceptron_step", "perceptron_step", 2, perceptron_step, _perceptron_public,
             _perceptron_hidden, forbidden=NUMPY_ONLY, output_names=("w", "b"),
             hint="on a mistake: w + lr * y * x and b + lr * y"),
    Exercise("ch02.sigmoid_grad", "sigmoid_grad", 1, sigmoid_grad, _sigmoid_grad_public,
             _elementwise_hidden, forbidden=NUMPY_ONLY, hint="sigmoid'(x) = s (1 - s)"),
    Exercise("ch02.relu_grad", "relu_grad", 1, relu_grad, _relu_grad_public,
             _elementwise_hidden, forbidden=NUMPY_ONLY, hint="1 where x > 0, else 0"),
    Exercise("ch02.xor_mlp_forward", "xor_mlp_forward", 2, xor_mlp_forward, _xor_public,
             _xor_hidden, forbidden=NUMPY_ONLY,
             hint="hidden = sigmoid(x @ W1.T + b1); output = sigmoid(hidden @ W2.T + b2)"),
]
