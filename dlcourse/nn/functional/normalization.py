"""Batch normalisation, forward and backward, with PyTorch's running-statistics rule.

Per channel ``c`` (axis 1), over the batch and every spatial position::

    x_hat = (x - mean) / sqrt(var + eps)        out = weight * x_hat + bias

* training: ``mean`` and the *biased* ``var`` come from the batch, and the running
  statistics move towards them *in place*, with the *unbiased* variance (as PyTorch does)::

      running_mean <- (1 - momentum) * running_mean + momentum * mean
      running_var  <- (1 - momentum) * running_var  + momentum * var * n / (n - 1)

* evaluation: ``mean = running_mean``, ``var = running_var``, constants for the gradient.

Inputs are ``(N, C)``, ``(N, C, L)`` or ``(N, C, H, W)`` arrays, NumPy or CuPy; the outputs
keep ``x``'s dtype.

:func:`batch_norm_naive` and :func:`batch_norm_naive_backward` are the reference: the
formulas written out with broadcasting, and the backward walked node by node through the
forward's graph.  The fast pair fuses those steps in place; the tests hold both equal.
"""

from __future__ import annotations

import math

from dlcourse._validate import (
    check_array,
    check_non_negative,
    check_probability,
    check_same_shape,
)
from dlcourse.backend import array_module

__all__ = ["batch_norm", "batch_norm_backward", "batch_norm_naive", "batch_norm_naive_backward",
           "batch_norm_with_stats"]


def _check_channels(x, vectors):
    """Raise unless each given (C,) vector in ``{name: vector}`` matches x's channel count."""
    channels = x.shape[1]
    for name, v in vectors.items():
        if v is None:
            continue
        check_array(v, name, ndim=1, floating=True)
        if v.shape[0] != channels:
            raise ValueError(f"x has {channels} channels but {name} has {v.shape[0]}")


def _check_args(x, running_mean, running_var, weight, bias, training, eps):
    """Validate shapes before any work: every per-channel vector must have C entries."""
    check_array(x, "x", ndim=(2, 3, 4), floating=True)
    check_non_negative(eps, "eps")
    _check_channels(x, {"running_mean": running_mean, "running_var": running_var,
                        "weight": weight, "bias": bias})
    if (running_mean is None) != (running_var is None):
        raise ValueError("give both running_mean and running_var, or neither")
    if not training and running_mean is None:
        raise ValueError("running_mean and running_var are required when training=False")
    if training and x.size // x.shape[1] < 2:
        raise ValueError(f"batch norm needs more than 1 value per channel when training, "
                         f"got x of shape {tuple(x.shape)}")


def _count(x) -> int:
    """How many values each channel has: batch times positions."""
    return x.size // x.shape[1]


def _rows(a):
    """``a`` of shape ``(N, C, ...)`` as ``(N, C*L)``, one row per sample (a view if contiguous)."""
    return a.reshape(a.shape[0], -1)


def _stretch(v, x):
    """The ``(C,)`` vector ``v`` repeated over each channel's ``L`` positions: ``(C*L,)``.

    Paired with ``_rows(x)`` it applies ``v`` channel by channel along one long broadcast
    axis, which NumPy runs about twice as fast as broadcasting ``v`` shaped
    ``(1, C, 1, 1)``, whose inner loops are only ``H*W`` values long.
    """
    return array_module(v).repeat(v, math.prod(x.shape[2:]))


def _channel_sum(a, b=None):
    """Per-channel sum of ``a`` (or of ``a * b``) over the batch and all positions: (C,).

    ``einsum`` forms the products on the fly, without a temporary the size of ``x``.
    """
    n, c = a.shape[:2]
    xp = array_module(a)
    if b is None:
        return xp.einsum("ncl->c", a.reshape(n, c, -1))
    return xp.einsum("ncl,ncl->c", a.reshape(n, c, -1), b.reshape(n, c, -1))


def _statistics(x, running_mean, running_var, training, eps):
    """``x - mean`` (a new array) and the per-channel ``mean``, ``var`` and ``inv_std``.

    The variance is the mean square of the centred values -- two passes over ``x``, but
    exact where the one-pass ``E[x^2] - mean^2`` would cancel catastrophically.
    """
    xp = array_module(x)
    mean = (_channel_sum(x) / _count(x) if training
            else running_mean.astype(x.dtype, copy=False))
    centred = _centre(x, mean)
    var = _channel_sum(centred, centred) / _count(x) if training else running_var  # biased
    inv_std = (1 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
    return centred, mean, var, inv_std


def _centre(x, mean):
    """``x - mean``, channel by channel: a new array shaped like ``x``."""
    return (_rows(x) - _stretch(mean, x)).reshape(x.shape)


def batch_norm_with_stats(x, running_mean, running_var, weight=None, bias=None,
                          training=False, momentum=0.1, eps=1e-5):
    """:func:`batch_norm`, also returning the per-channel ``mean`` and ``inv_std`` it used.

    Pass them to :func:`batch_norm_backward` to save it recomputing them from ``x``.

    Returns
    -------
    out : ndarray, shape of ``x``
    mean, inv_std : ndarray, shape (C,)
        The statistics that normalised ``x``: the batch's in training, else the running ones
        (``inv_std = 1 / sqrt(var + eps)``).
    """
    _check_args(x, running_mean, running_var, weight, bias, training, eps)
    check_probability(momentum, "momentum")
    centred, mean, var, inv_std = _statistics(x, running_mean, running_var, training, eps)
    n = _count(x)
    if training and running_mean is not None:
        running_mean *= 1 - momentum  # in place: the caller's arrays are the state
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += momentum * var * (n / (n - 1))  # the unbiased variance is tracked
    # weight * x_hat + bias, with x_hat = centred * inv_std: one scaling, both factors at once
    out = centred  # scaled and shifted in place, through a view of its rows
    rows = _rows(out)
    rows *= _stretch(inv_std if weight is None else weight * inv_std, x)
    if bias is not None:
        rows += _stretch(bias, x)
    return out, mean, inv_std


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel to zero mean and unit variance, then scale and shift.

    Parameters
    ----------
    x : ndarray, shape (N, C) or (N, C, L) or (N, C, H, W)
    running_mean, running_var : ndarray, shape (C,), or None
        Running statistics.  Used in evaluation; in training they are *updated in place*
        (they may be None in training, then nothing is tracked).
    weight, bias : ndarray, shape (C,), optional
        Per-channel scale ``gamma`` and shift ``beta``; omitted means 1 and 0.
    training : bool
        Normalise with the batch's statistics (True) or the running ones (False).
    momentum : float
        Weight of the new batch in the running statistics (PyTorch's convention).
    eps : float
        Added to the variance before the square root.

    Returns
    -------
    ndarray, shape of ``x``

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0], [3.0]])
    >>> mean, var = np.zeros(1), np.ones(1)
    >>> batch_norm(x, mean, var, training=True, eps=0.0).ravel().tolist()
    [-1.0, 1.0]
    >>> mean.tolist(), var.tolist()  # moved 10% towards the batch's 2.0 and unbiased 2.0
    ([0.2], [1.1])
    """
    return batch_norm_with_stats(x, running_mean, running_var, weight, bias, training,
                                 momentum, eps)[0]


def batch_norm_backward(dout, x, running_mean, running_var, weight=None, bias=None, *,
                        training=False, momentum=0.1, eps=1e-5, mean=None, inv_std=None):
    """Gradients of :func:`batch_norm` with respect to ``x``, ``weight`` and ``bias``.

    Has no side effects: the running statistics are read (in evaluation) but never updated
    again.  In training the batch's ``mean`` and ``inv_std`` are recomputed from ``x``
    unless given (from :func:`batch_norm_with_stats`).  ``momentum`` is ignored; it is
    accepted so that the forward's keyword arguments can be passed unchanged.

    With ``g = dout * weight`` and ``x_hat`` the normalised input, per channel over its
    ``n`` values:

    * evaluation (statistics are constants): ``dx = g * inv_std``;
    * training (statistics depend on x): ``dx = inv_std * (g - mean(g) - x_hat * mean(g * x_hat))``.

    Parameters
    ----------
    dout : ndarray, shape of ``x``
    x, running_mean, running_var, weight, bias, training, momentum, eps
        As given to :func:`batch_norm`.
    mean, inv_std : ndarray, shape (C,), optional
        The statistics the forward used, to skip recomputing them.

    Returns
    -------
    dx : ndarray, shape of ``x``
    dweight, dbias : ndarray, shape (C,), or None when ``weight``/``bias`` is None

    Examples
    --------
    >>> import numpy as np
    >>> x, dout = np.array([[1.0], [3.0]]), np.array([[1.0], [1.0]])
    >>> dx, dw, db = batch_norm_backward(dout, x, None, None, np.ones(1), np.zeros(1),
    ...                                  training=True, eps=0.0)
    >>> dx.ravel().tolist(), dw.tolist(), db.tolist()  # a constant shift changes nothing
    ([0.0, 0.0], [0.0], [2.0])
    """
    _check_args(x, running_mean, running_var, weight, bias, training, eps)
    check_same_shape(dout, x, ("dout", "x"))
    if (mean is None) != (inv_std is None):
        raise ValueError("give both mean and inv_std, or neither")
    _check_channels(x, {"mean": mean, "inv_std": inv_std})
    xp, n = array_module(x, dout), _count(x)
    if mean is None:
        centred, mean, _, inv_std = _statistics(x, running_mean, running_var, training, eps)
    else:
        centred = _centre(x, mean)
    dbias = _channel_sum(dout)
    dweight = _channel_sum(dout, centred) * inv_std  # sum of dout * x_hat
    scale = inv_std if weight is None else weight * inv_std  # d out / d x, stats held fixed
    if training:
        # dx = scale * (dout - mean(dout) - x_hat * mean(dout * x_hat)), where per channel
        # mean(dout) = dbias / n, mean(dout * x_hat) = dweight / n and x_hat = centred *
        # inv_std.  Built in place in centred's buffer, which is ours: no temporaries the
        # size of x.
        dx = centred
        rows = _rows(dx)
        rows *= _stretch(inv_std * dweight / n, x)
        rows += _stretch(dbias / n, x)
        xp.subtract(_rows(dout), rows, out=rows)
        rows *= _stretch(scale, x)
    else:
        dx = (_rows(dout) * _stretch(scale, x)).reshape(x.shape)
    return (dx.astype(x.dtype, copy=False),
            None if weight is None else dweight.astype(x.dtype, copy=False),
            None if bias is None else dbias.astype(x.dtype, copy=False))


# --- the reference, for reading and checking ----------------------------------------------

def _per_channel(v, x):
    """The ``(C,)`` vector ``v`` shaped to broadcast against ``x``: ``(1, C, 1, ...)``."""
    return v.reshape(1, -1, *([1] * (x.ndim - 2)))


def _naive_statistics(x, running_mean, running_var, training):
    """Per-channel mean and biased variance: of the batch in training, else the running ones."""
    if not training:
        return running_mean, running_var
    axes = (0, *range(2, x.ndim))                       # every axis but the channels
    mean = x.mean(axis=axes)
    var = ((x - _per_channel(mean, x)) ** 2).mean(axis=axes)
    return mean, var


def batch_norm_naive(x, running_mean, running_var, weight=None, bias=None, training=False,
                     momentum=0.1, eps=1e-5):
    """:func:`batch_norm` written out formula by formula; same arguments, same result.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
    >>> batch_norm_naive(x, None, None, training=True, eps=0.0).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    """
    _check_args(x, running_mean, running_var, weight, bias, training, eps)
    check_probability(momentum, "momentum")
    mean, var = _naive_statistics(x, running_mean, running_var, training)
    if training and running_mean is not None:
        n = _count(x)
        running_mean[...] = (1 - momentum) * running_mean + momentum * mean
        running_var[...] = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    x_hat = (x - _per_channel(mean, x)) / array_module(x).sqrt(_per_channel(var, x) + eps)
    out = x_hat if weight is None else x_hat * _per_channel(weight, x)
    out = out if bias is None else out + _per_channel(bias, x)
    return out.astype(x.dtype, copy=False)


def batch_norm_naive_backward(dout, x, running_mean, running_var, weight=None, bias=None, *,
                              training=False, momentum=0.1, eps=1e-5):
    """:func:`batch_norm_backward` by the chain rule, one node of the forward at a time.

    The forward graph, per channel over its ``n`` values (in training)::

        mu = mean(x)    xc = x - mu    var = mean(xc^2)    std = sqrt(var + eps)
        x_hat = xc / std    out = weight * x_hat + bias

    Walked backwards, each line below is the local gradient of one node times what
    arrives from above; ``xc`` and ``var`` feed two nodes each, so their gradients are
    sums.  In evaluation ``mu`` and ``var`` are constants and only ``x_hat`` depends on x.

    Examples
    --------
    >>> import numpy as np
    >>> x, dout = np.array([[1.0], [3.0]]), np.array([[1.0], [1.0]])
    >>> dx, dw, db = batch_norm_naive_backward(dout, x, None, None, np.ones(1), np.zeros(1),
    ...                                        training=True, eps=0.0)
    >>> dx.ravel().tolist(), dw.tolist(), db.tolist()
    ([0.0, 0.0], [0.0], [2.0])
    """
    _check_args(x, running_mean, running_var, weight, bias, training, eps)
    check_same_shape(dout, x, ("dout", "x"))
    xp, n, axes = array_module(x, dout), _count(x), (0, *range(2, x.ndim))
    mean, var = _naive_statistics(x, running_mean, running_var, training)
    xc = x - _per_channel(mean, x)
    std = xp.sqrt(_per_channel(var, x) + eps)
    x_hat = xc / std
    dbias = dout.sum(axis=axes)                                   # out = ... + bias
    dweight = (dout * x_hat).sum(axis=axes)                       # out = weight * x_hat
    dx_hat = dout if weight is None else dout * _per_channel(weight, x)
    dxc = dx_hat / std                                            # x_hat = xc / std
    if training:
        dstd = -(dx_hat * xc / std**2).sum(axis=axes, keepdims=True)   # ... and std
        dvar = dstd / (2 * std)                                   # std = sqrt(var + eps)
        dxc = dxc + 2 * xc / n * dvar                             # var = mean(xc^2)
        dmu = -dxc.sum(axis=axes, keepdims=True)                  # xc = x - mu
        dx = dxc + dmu / n                                        # mu = mean(x)
    else:
        dx = dxc
    return (dx.astype(x.dtype, copy=False),
            None if weight is None else dweight.astype(x.dtype, copy=False),
            None if bias is None else dbias.astype(x.dtype, copy=False))
