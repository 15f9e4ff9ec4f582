"""Activation functions, each with its backward right beside it.

Every ``f(x)`` works elementwise (softmax along one axis, ``dim``) and keeps the shape and float
dtype of ``x``.  Its partner ``f_backward(dout, x)`` returns ``dout * f'(x)``, the gradient
of the loss with respect to ``x`` given the gradient ``dout`` with respect to ``f(x)``; so
``f_backward(ones, x)`` is the derivative ``f'(x)`` itself, handy for plots.

The backward of sigmoid, tanh, softmax and log_softmax is cheapest written through the
forward output; a caller that kept it may pass it as ``out=`` to skip recomputing it.
"""

from __future__ import annotations

from dlcourse._validate import check_array, check_same_shape
from dlcourse.backend import array_module

__all__ = [
    "elu",
    "elu_backward",
    "leaky_relu",
    "leaky_relu_backward",
    "log_softmax",
    "log_softmax_backward",
    "relu",
    "relu_backward",
    "selu",
    "selu_backward",
    "sigmoid",
    "sigmoid_backward",
    "softmax",
    "softmax_backward",
    "tanh",
    "tanh_backward",
]

# SELU's constants, as in torch (Klambauer et al. 2017, "Self-Normalizing Neural Networks").
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _check_backward(dout, x):
    """Validate the pair ``(dout, x)`` every backward receives."""
    check_array(x, "x", floating=True)
    check_array(dout, "dout", floating=True)
    check_same_shape(dout, x, ("dout", "x"))


# --- ReLU family -------------------------------------------------------------------------

def relu(x):
    """Rectified linear unit, ``max(x, 0)``.

    Parameters
    ----------
    x : ndarray, shape (...), float

    Returns
    -------
    ndarray, same shape and dtype as ``x``

    Examples
    --------
    >>> import numpy as np
    >>> relu(np.array([-2.0, 0.0, 3.0])).tolist()
    [0.0, 0.0, 3.0]
    """
    check_array(x, "x", floating=True)
    return array_module(x).maximum(x, 0)


def relu_backward(dout, x):
    """Gradient of :func:`relu`: ``dout`` where ``x > 0``, else 0 (also at ``x == 0``, as torch).

    >>> import numpy as np
    >>> relu_backward(np.ones(3), np.array([-2.0, 0.0, 3.0])).tolist()
    [0.0, 0.0, 1.0]
    """
    _check_backward(dout, x)
    return dout * (x > 0)


def leaky_relu(x, negative_slope=0.01):
    """Leaky ReLU: ``x`` for ``x > 0``, ``negative_slope * x`` otherwise.

    Parameters
    ----------
    x : ndarray, shape (...), float
    negative_slope : float
        Slope for negative inputs.

    Returns
    -------
    ndarray, same shape and dtype as ``x``

    Examples
    --------
    >>> import numpy as np
    >>> leaky_relu(np.array([-2.0, 3.0]), 0.1).tolist()
    [-0.2, 3.0]
    """
    check_array(x, "x", floating=True)
    return array_module(x).where(x > 0, x, x * negative_slope)


def leaky_relu_backward(dout, x, negative_slope=0.01):
    """Gradient of :func:`leaky_relu`: ``dout`` where ``x > 0``, else ``negative_slope * dout``.

    >>> import numpy as np
    >>> leaky_relu_backward(np.ones(2), np.array([-2.0, 3.0]), 0.1).tolist()
    [0.1, 1.0]
    """
    _check_backward(dout, x)
    return array_module(x).where(x > 0, dout, dout * negative_slope)


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Parameters
    ----------
    x : ndarray, shape (...), float
    alpha : float
        The value ELU tends to for very negative ``x`` is ``-alpha``.

    Returns
    -------
    ndarray, same shape and dtype as ``x``

    Examples
    --------
    >>> import numpy as np
    >>> elu(np.array([0.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    check_array(x, "x", floating=True)
    xp = array_module(x)
    # exp only of the non-positive part, so that large positive x cannot overflow.
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))


def elu_backward(dout, x, alpha=1.0):
    """Gradient of :func:`elu`: ``dout`` where ``x > 0``, else ``dout * alpha * exp(x)``.

    >>> import numpy as np
    >>> elu_backward(np.ones(2), np.array([0.0, 2.0])).tolist()
    [1.0, 1.0]
    """
    _check_backward(dout, x)
    xp = array_module(x)
    return xp.where(x > 0, dout, dout * alpha * xp.exp(xp.minimum(x, 0)))


def selu(x):
    """Scaled ELU, ``SELU_SCALE * elu(x, SELU_ALPHA)``, with torch's constants.

    >>> import numpy as np
    >>> selu(np.array([0.0, 1.0])).round(4).tolist()
    [0.0, 1.0507]
    """
    return SELU_SCALE * elu(x, SELU_ALPHA)


def selu_backward(dout, x):
    """Gradient of :func:`selu`: ``SELU_SCALE * elu_backward(dout, x, SELU_ALPHA)``.

    >>> import numpy as np
    >>> selu_backward(np.ones(1), np.array([1.0])).round(4).tolist()
    [1.0507]
    """
    return SELU_SCALE * elu_backward(dout, x, SELU_ALPHA)


# --- S-shaped ----------------------------------------------------------------------------

def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``, computed without overflow for any ``x``.

    With ``e = exp(-|x|)``, which is never larger than 1, the two exact forms
    ``1 / (1 + e)`` (for ``x >= 0``) and ``e / (1 + e)`` (for ``x < 0``) never overflow.

    Parameters
    ----------
    x : ndarray, shape (...), float

    Returns
    -------
    ndarray, same shape and dtype as ``x``, values in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    check_array(x, "x", floating=True)
    xp = array_module(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_backward(dout, x, *, out=None):
    """Gradient of :func:`sigmoid`: ``dout * s * (1 - s)`` with ``s = sigmoid(x)``.

    ``out``, if given, is ``sigmoid(x)`` already computed.

    >>> import numpy as np
    >>> sigmoid_backward(np.ones(1), np.array([0.0])).tolist()
    [0.25]
    """
    _check_backward(dout, x)
    s = sigmoid(x) if out is None else out
    return dout * s * (1 - s)


def tanh(x):
    """Hyperbolic tangent, ``2 * sigmoid(2x) - 1``.

    >>> import numpy as np
    >>> tanh(np.array([0.0, 1000.0])).tolist()
    [0.0, 1.0]
    """
    check_array(x, "x", floating=True)
    return array_module(x).tanh(x)


def tanh_backward(dout, x, *, out=None):
    """Gradient of :func:`tanh`: ``dout * (1 - t**2)`` with ``t = tanh(x)`` (or ``out``).

    >>> import numpy as np
    >>> tanh_backward(np.ones(1), np.array([0.0])).tolist()
    [1.0]
    """
    _check_backward(dout, x)
    t = tanh(x) if out is None else out
    return dout * (1 - t * t)


# --- Along an axis -----------------------------------------------------------------------

def softmax(x, dim=-1):
    """Softmax along ``dim``: ``exp(x) / sum(exp(x))``, so each slice sums to 1.

    The maximum of each slice is subtracted first; the result is the same (the factor
    ``exp(-max)`` cancels) but ``exp`` never overflows, even for logits like 1000.

    Parameters
    ----------
    x : ndarray, shape (...), float
    dim : int
        The axis whose entries are turned into probabilities.

    Returns
    -------
    ndarray, same shape and dtype as ``x``

    Examples
    --------
    >>> import numpy as np
    >>> softmax(np.array([1000.0, 1000.0])).tolist()
    [0.5, 0.5]
    """
    check_array(x, "x", floating=True)
    xp = array_module(x)
    e = xp.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def softmax_backward(dout, x, dim=-1, *, out=None):
    """Gradient of :func:`softmax`: ``s * (dout - sum(dout * s))`` along ``dim``.

    This is the Jacobian ``diag(s) - s s^T`` applied to ``dout`` without building it.
    ``out``, if given, is ``softmax(x, dim)`` already computed.

    >>> import numpy as np
    >>> softmax_backward(np.ones(2), np.zeros(2)).tolist()
    [0.0, 0.0]
    """
    _check_backward(dout, x)
    s = softmax(x, dim) if out is None else out
    return s * (dout - (dout * s).sum(axis=dim, keepdims=True))


def log_softmax(x, dim=-1):
    """Logarithm of :func:`softmax`, ``x - max - log(sum(exp(x - max)))``, stable and exact.

    Taking ``log(softmax(x))`` instead would give ``-inf`` once a probability underflows.

    Parameters
    ----------
    x : ndarray, shape (...), float
    dim : int

    Returns
    -------
    ndarray, same shape and dtype as ``x``, values <= 0

    Examples
    --------
    >>> import numpy as np
    >>> log_softmax(np.array([0.0, 2000.0])).tolist()
    [-2000.0, 0.0]
    """
    check_array(x, "x", floating=True)
    xp = array_module(x)
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))


def log_softmax_backward(dout, x, dim=-1, *, out=None):
    """Gradient of :func:`log_softmax`: ``dout - softmax(x) * sum(dout)`` along ``dim``.

    ``out``, if given, is ``log_softmax(x, dim)`` already computed.

    >>> import numpy as np
    >>> log_softmax_backward(np.array([1.0, 0.0]), np.zeros(2)).tolist()
    [0.5, -0.5]
    """
    _check_backward(dout, x)
    xp = array_module(x)
    s = softmax(x, dim) if out is None else xp.exp(out)
    return dout - s * dout.sum(axis=dim, keepdims=True)
