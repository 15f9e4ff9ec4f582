"""The artificial neuron and Rosenblatt's perceptron (1958), the first learning machine.

A *neuron* computes a weighted sum of its inputs plus a bias and passes it through an
activation function: ``a = f(w . x + b)``.  The *perceptron* is the neuron whose
activation is the sign function, trained by Rosenblatt's rule: visit the samples one by
one and, whenever one is misclassified (``y (w . x + b) <= 0`` with labels ``y = +-1``),
move the boundary towards it::

    w <- w + lr * y * x
    b <- b + lr * y

The rule is stochastic gradient descent on the *perceptron criterion*
``E(w, b) = sum over misclassified i of -y_i (w . x_i + b)``, which is zero exactly when
every sample lies on its correct side.  If the classes are linearly separable the rule
stops making mistakes after finitely many updates (Novikoff: at most ``(R / gamma)^2``,
with ``R`` the largest ``|x|`` and ``gamma`` the margin); if they are not -- XOR -- it
never does.

Examples
--------
>>> import numpy as np
>>> X = np.array([[2.0, 1.0], [-1.0, -2.0]]); y = np.array([1.0, -1.0])
>>> result = train_perceptron(X, y, epochs=5)
>>> result.mistakes.tolist(), result.converged_epoch
([1, 0, 0, 0, 0], 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlcourse._validate import check_array, check_positive
from dlcourse.backend import array_module, to_numpy

__all__ = [
    "PerceptronResult",
    "neuron",
    "perceptron_criterion",
    "perceptron_predict",
    "perceptron_step",
    "to_signed",
    "train_perceptron",
]


def neuron(x, w, b=0.0, activation=None):
    """One artificial neuron: the weighted sum ``w . x + b`` passed through ``activation``.

    Parameters
    ----------
    x : ndarray, shape (..., d)
        Inputs (the "dendrites"); leading axes are samples.
    w : ndarray, shape (d,)
        Synaptic weights.
    b : float
        Bias: shifts the threshold at which the neuron switches on.
    activation : callable, optional
        Applied to the weighted sum, e.g. ``F.sigmoid``; None leaves it linear.

    Returns
    -------
    ndarray, shape (...)

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse.nn import functional as F
    >>> float(neuron(np.array([1.0, 2.0]), np.array([0.5, -0.25]), 0.0, F.sigmoid))
    0.5
    """
    check_array(x, "x", floating=True)
    check_array(w, "w", ndim=1)
    if x.shape[-1] != w.shape[0]:
        raise ValueError(f"x has {x.shape[-1]} features but w has {w.shape[0]} weights")
    z = x @ w + b
    return z if activation is None else activation(z)


def to_signed(y):
    """Labels ``{0, 1}`` (or ``{-1, 1}``) as floats ``{-1, +1}``, the perceptron's convention.

    >>> import numpy as np
    >>> to_signed(np.array([0, 1, 1])).tolist()
    [-1.0, 1.0, 1.0]
    """
    check_array(y, "y", ndim=1)
    values = set(np.unique(to_numpy(y)).tolist())
    if not (values <= {0, 1} or values <= {-1, 1}):
        raise ValueError(f"labels must be 0/1 or -1/+1, got the values {sorted(values)}")
    return array_module(y).where(y > 0, 1.0, -1.0)


def _check_signed(y, name="y"):
    if not bool(((y == 1) | (y == -1)).all()):
        raise ValueError(f"{name} must hold labels -1 or +1 (use to_signed for 0/1 labels)")


def perceptron_predict(w, b, X):
    """The perceptron's output ``sign(X w + b)``, with ``sign(0) = +1`` (the threshold unit).

    Parameters
    ----------
    w : ndarray, shape (d,)
    b : float
    X : ndarray, shape (n, d)

    Returns
    -------
    ndarray, shape (n,), values -1.0 or +1.0

    Examples
    --------
    >>> import numpy as np
    >>> perceptron_predict(np.array([1.0, 0.0]), -0.5, np.array([[0.0, 3.0], [1.0, 3.0]]))
    array([-1.,  1.])
    """
    check_array(X, "X", ndim=2, floating=True)
    return array_module(X).where(X @ w + b >= 0, 1.0, -1.0)


def perceptron_criterion(w, b, X, y):
    """Rosenblatt's objective: ``sum over misclassified i of -y_i (w . x_i + b)``.

    Each misclassified sample contributes its distance to the boundary times ``|w|``;
    correctly classified samples contribute nothing.  A sample exactly on the boundary
    counts as misclassified but adds 0, so the criterion alone cannot tell ``w = 0`` apart
    from a solution -- the rule below still updates on it.

    Parameters
    ----------
    w : ndarray, shape (d,)
    b : float
    X : ndarray, shape (n, d)
    y : ndarray, shape (n,), labels -1 or +1

    Returns
    -------
    float, >= 0

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.array([[1.0], [2.0]]), np.array([1.0, -1.0])
    >>> float(perceptron_criterion(np.array([1.0]), 0.0, X, y))  # x=2 is on the wrong side
    2.0
    """
    check_array(X, "X", ndim=2, floating=True)
    _check_signed(y)
    margins = y * (X @ w + b)                                   # > 0 means correct
    return float(array_module(X).maximum(-margins, 0).sum())


def perceptron_step(w, b, x, y, lr=1.0):
    """One step of Rosenblatt's learning rule on one sample ``(x, y)``.

    Parameters
    ----------
    w : ndarray, shape (d,)
    b : float
    x : ndarray, shape (d,)
    y : float, -1 or +1
    lr : float
        Step size; with ``w = 0, b = 0`` at the start it only rescales the boundary.

    Returns
    -------
    w : ndarray, shape (d,)
        New weights (a new array; the input is not changed).
    b : float
    mistake : bool
        Whether ``x`` was misclassified (``y (w . x + b) <= 0``) and an update was made.

    Examples
    --------
    >>> import numpy as np
    >>> w, b, mistake = perceptron_step(np.zeros(2), 0.0, np.array([1.0, 2.0]), -1.0)
    >>> w.tolist(), b, mistake
    ([-1.0, -2.0], -1.0, True)
    """
    check_array(w, "w", ndim=1)
    check_array(x, "x", ndim=1)
    if y not in (-1, 1):
        raise ValueError(f"y must be -1 or +1, got {y!r}")
    if float(y * (x @ w + b)) > 0:
        return w.copy(), b, False
    return w + lr * y * x, b + lr * y, True


@dataclass
class PerceptronResult:
    """What :func:`train_perceptron` returns.

    Attributes
    ----------
    w : ndarray, shape (d,)
        Final weights.
    b : float
        Final bias (0 when trained with ``bias=False``).
    mistakes : ndarray of int, shape (epochs,)
        Number of updates made in each epoch (pass over the data).
    converged_epoch : int or None
        First epoch (1-based) without a single mistake; None if there was none.
    """

    w: np.ndarray
    b: float
    mistakes: np.ndarray
    converged_epoch: int | None


def train_perceptron(X, y, epochs=20, lr=1.0, *, bias=True, shuffle=False, seed=0):
    """Train a perceptron with Rosenblatt's rule, starting from ``w = 0, b = 0``.

    Every epoch visits all samples once (in order, or shuffled by ``seed``) and counts
    the updates.  All epochs are run, so the mistake curves of different data sets have
    the same length; once an epoch is mistake-free, nothing changes any more.

    Parameters
    ----------
    X : ndarray, shape (n, d), float
    y : ndarray, shape (n,), labels -1 or +1
    epochs : int
    lr : float
    bias : bool, keyword-only
        Learn a bias; without one the boundary must pass through the origin.
    shuffle : bool, keyword-only
        Visit the samples in a new random order each epoch.
    seed : int, keyword-only
        Seed of the shuffling.

    Returns
    -------
    PerceptronResult

    Examples
    --------
    >>> from dlcourse.data import xor_truth_table
    >>> X, y01 = xor_truth_table()
    >>> result = train_perceptron(X, to_signed(y01), epochs=50)
    >>> result.converged_epoch is None, int(result.mistakes.min()) > 0   # XOR: never
    (True, True)
    """
    check_array(X, "X", ndim=2, floating=True)
    check_array(y, "y", ndim=1)
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)} labels")
    _check_signed(y)
    check_positive(epochs, "epochs")
    check_positive(lr, "lr")
    xp = array_module(X)
    w, b = xp.zeros(X.shape[1], dtype=X.dtype), 0.0
    order = np.arange(len(X))
    rng = np.random.default_rng(seed)
    signs = [float(v) for v in y.tolist()]      # Python floats: one sample at a time
    mistakes = np.zeros(epochs, dtype=np.int64)
    for epoch in range(epochs):
        if shuffle:
            order = rng.permutation(len(X))
        for i in order:
            w, b_new, mistake = perceptron_step(w, b, X[i], signs[i], lr)
            b = b_new if bias else 0.0
            mistakes[epoch] += mistake
    clean = np.flatnonzero(mistakes == 0)
    converged = int(clean[0]) + 1 if clean.size else None
    return PerceptronResult(w=w, b=float(b), mistakes=mistakes, converged_epoch=converged)
