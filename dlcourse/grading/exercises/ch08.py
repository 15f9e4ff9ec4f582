"""Chapter 08 exercises: a residual block, forward and backward.

The block is ResNet's basic block with fully connected layers (so that it needs no
convolution code): ``out = relu(x + relu(x W1ᵀ + b1) W2ᵀ + b2)``.  Its backward pass shows
the point of the skip connection: the gradient reaching ``x`` is the branch's gradient
*plus* the gradient arriving at the sum, unchanged.
"""

from __future__ import annotations

import numpy as np

from dlcourse.grading.exercises.ch01 import DTYPE_HINT, NUMPY_ONLY
from dlcourse.grading.exercises.ch05 import GRADIENT_CHECK
from dlcourse.grading.spec import Case, Exercise, randn

A = np.array
FORBIDDEN = (*NUMPY_ONLY, "dlcourse.autograd", "dlcourse.zoo")


# --- references ----------------------------------------------------------------------------

def residual_block(x, W1, b1, W2, b2):
    """relu(x + F(x)) with the branch F(x) = relu(x W1ᵀ + b1) W2ᵀ + b2; x (N, D), W1 (H, D),
    W2 (D, H) -> (N, D)."""
    hidden = np.maximum(x @ W1.T + b1, 0)
    return np.maximum(x + hidden @ W2.T + b2, 0)


def residual_block_backward(dout, x, W1, b1, W2, b2):
    """Gradients ``(dx, dW1, db1, dW2, db2)`` of :func:`residual_block` given dout (N, D)."""
    z1 = x @ W1.T + b1
    hidden = np.maximum(z1, 0)
    dsum = dout * (x + hidden @ W2.T + b2 > 0)  # through the last ReLU
    dhidden = dsum @ W2
    dz1 = dhidden * (z1 > 0)
    dx = dsum + dz1 @ W1  # the skip connection passes dsum straight through
    return dx, dz1.T @ x, dz1.sum(axis=0), dsum.T @ hidden, dsum.sum(axis=0)


# --- cases ---------------------------------------------------------------------------------

def _weights(d, h, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return tuple(a.round(2).astype(dtype) for a in
                 (rng.normal(size=(h, d)), rng.normal(size=h), rng.normal(size=(d, h)),
                  rng.normal(size=d)))



def _zero_branch(d, h):
    return np.zeros((h, d)), np.zeros(h), np.zeros((d, h)), np.zeros(d)


def _forward_public():
    return [
        Case((A([[1.0, -2.0, 3.0]]), *_zero_branch(3, 2)),
             label="a branch of zeros: the block is relu(x)",
             hint="add x to the branch's output BEFORE the last ReLU"),
        Case((randn(4, 3), *_weights(3, 5, seed=1)), label="N=4, D=3, a hidden width of 5",
             hint="W1 is (H, D) and W2 is (D, H), PyTorch's (out, in) layout: x @ W1.T + b1"),
        Case((randn(2, 6, seed=2), *_weights(6, 2, seed=3)), label="a narrow branch (H=2 < D=6)",
             hint="the branch has two ReLUs' worth of layers: relu inside, relu after the sum"),
        Case((randn(3, 4, seed=4, dtype=np.float32), *_weights(4, 3, seed=5, dtype=np.float32)),
             label="float32 arrays", hint=DTYPE_HINT),
    ]


def _shapes(rng):
    return [(int(rng.integers(1, 7)), int(rng.integers(1, 7)), int(rng.integers(1, 9)))
            for _ in range(5)]


def _forward_hidden(rng, student):
    return [Case((rng.normal(size=(n, d)), rng.normal(size=(h, d)), rng.normal(size=h),
                  rng.normal(size=(d, h)), rng.normal(size=d)),
                 label=f"random N={n}, D={d}, H={h}") for n, d, h in _shapes(rng)]


BACKWARD_HINTS = (
    "with a zero branch dx is dout where x > 0: the skip connection passes the gradient "
    "straight through",
    "dx = dsum + (branch gradient), where dsum = dout * (the sum > 0); forgetting the skip "
    "term is the typical mistake",
    "the inner ReLU's mask is z1 = x @ W1.T + b1 > 0, the outer one is x + branch > 0",
    DTYPE_HINT,
)


def _backward_public():
    cases = []
    for seed, (case, hint) in enumerate(zip(_forward_public(), BACKWARD_HINTS, strict=True)):
        x = case.args[0]
        dout = randn(*x.shape, seed=20 + seed, dtype=x.dtype)
        cases.append(Case((dout, *case.args), label=case.label, hint=hint))
    return cases


def _backward_hidden(rng, student):
    cases = []
    for case in _forward_hidden(rng, student):
        n, d = case.args[0].shape
        cases.append(Case((rng.normal(size=(n, d)), *case.args), label=case.label))
    return cases


EXERCISES = [
    Exercise("ch08.residual_block", "residual_block", 2, residual_block, _forward_public,
             _forward_hidden, forbidden=FORBIDDEN,
             hint="relu(x + relu(x @ W1.T + b1) @ W2.T + b2)"),
    Exercise("ch08.residual_block_backward", "residual_block_backward", 3,
             residual_block_backward, _backward_public, _backward_hidden, forbidden=FORBIDDEN,
             allowed=GRADIENT_CHECK,
             output_names=("dx", "dW1", "db1", "dW2", "db2"),
             hint="backpropagate through the last ReLU, then split: one copy to x directly, "
                  "one through the branch"),
]
