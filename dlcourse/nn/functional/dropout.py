"""Inverted dropout: zero each entry with probability ``p`` while training, rescale the rest.

Survivors are multiplied by ``1 / (1 - p)`` so that the expected output equals the input;
at evaluation time dropout is then simply the identity, nothing to rescale.

Dropout is random, so its backward cannot recompute what the forward did: it needs the
forward's *mask*.  Here the mask is stored already scaled, ``mask = keep / (1 - p)``, so
that both directions are one multiplication::

    out, mask = dropout(x, p, training, rng=rng, return_mask=True)
    out == x * mask
    dx  == dropout_backward(dout, mask) == dout * mask
"""

from __future__ import annotations

from dlcourse._validate import check_array, check_probability, check_same_shape
from dlcourse.backend import array_module, default_rng, like

__all__ = ["dropout", "dropout_backward"]


def dropout(x, p=0.5, training=True, *, rng=None, return_mask=False):
    """Zero each entry of ``x`` with probability ``p`` and scale the others by ``1/(1-p)``.

    Parameters
    ----------
    x : ndarray, shape (...), float
    p : float in [0, 1]
        Probability of *dropping* an entry, as in torch (``p=1`` gives all zeros).
    training : bool
        If False (evaluation), or if ``p == 0``, return ``x`` unchanged.
    rng : numpy or cupy ``Generator``, optional, keyword-only
        Source of the random mask; pass one for reproducible runs.  Without it a fresh,
        unseeded generator is used.  Either kind works: the mask is made where ``x`` lives.
    return_mask : bool, keyword-only
        Also return the scaled mask that :func:`dropout_backward` needs.

    Returns
    -------
    out : ndarray, same shape and dtype as ``x``
    mask : ndarray, same shape and dtype as ``x``; only if ``return_mask``
        ``0`` for dropped entries, ``1/(1-p)`` for kept ones (all ones when dropout is off),
        so that ``out == x * mask``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones(8)
    >>> out = dropout(x, 0.5, True, rng=np.random.default_rng(0))
    >>> sorted(set(out.tolist()))               # dropped, or kept and doubled
    [0.0, 2.0]
    >>> dropout(x, 0.5, training=False) is x
    True
    """
    check_array(x, "x", floating=True)
    check_probability(p, "p")
    xp = array_module(x)
    if not training or p == 0:
        return (x, xp.ones_like(x)) if return_mask else x
    if p == 1:
        mask = xp.zeros_like(x)
    else:
        rng = default_rng(like=x) if rng is None else rng
        keep = like(rng.random(x.shape), x) >= p         # True with probability 1 - p
        mask = keep.astype(x.dtype) / (1 - p)
    out = x * mask
    return (out, mask) if return_mask else out


def dropout_backward(dout, mask):
    """Gradient of :func:`dropout`: ``dout * mask``, the same mask the forward used.

    Parameters
    ----------
    dout : ndarray, shape (...)
        Gradient of the loss with respect to ``dropout``'s output.
    mask : ndarray, same shape
        The scaled mask returned by ``dropout(..., return_mask=True)``.

    Returns
    -------
    ndarray, same shape as ``dout``

    Examples
    --------
    >>> import numpy as np
    >>> dropout_backward(np.ones(3), np.array([0.0, 2.0, 2.0])).tolist()
    [0.0, 2.0, 2.0]
    """
    check_array(dout, "dout", floating=True)
    check_array(mask, "mask", floating=True)
    check_same_shape(dout, mask, ("dout", "mask"))
    return dout * mask
