"""The fully connected (affine) layer ``y = x w^T + b`` and its backward.

The weight is stored as ``(out_features, in_features)``, as in torch, so row ``j`` of ``w``
holds the weights of output unit ``j``.  Any leading axes of ``x`` are batch axes.
"""

from __future__ import annotations

from dlcourse._validate import check_array

__all__ = ["linear", "linear_backward"]


def _check_linear(x, w, b):
    check_array(x, "x", floating=True)
    check_array(w, "w", ndim=2, floating=True)
    if x.ndim == 0:
        raise ValueError("x must have at least one axis (its last axis holds the features)")
    out_features, in_features = w.shape
    if x.shape[-1] != in_features:
        raise ValueError(
            f"x has {x.shape[-1]} features but w expects {in_features} "
            f"(x has shape {tuple(x.shape)}, w has shape {tuple(w.shape)})"
        )
    if b is not None:
        check_array(b, "b", floating=True)
        if tuple(b.shape) != (out_features,):
            raise ValueError(
                f"b must have shape ({out_features},) to match w's {out_features} outputs, "
                f"got {tuple(b.shape)}"
            )


def linear(x, w, b=None):
    """Affine map ``x @ w.T + b`` over the last axis of ``x``.

    Parameters
    ----------
    x : ndarray, shape (..., in_features), float
    w : ndarray, shape (out_features, in_features)
    b : ndarray, shape (out_features,), optional

    Returns
    -------
    ndarray, shape (..., out_features)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0]])                  # one sample, 2 features
    >>> w = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]])  # 3 outputs
    >>> linear(x, w, b=np.array([0.0, 0.0, 10.0])).tolist()
    [[1.0, 3.0, 8.0]]
    """
    _check_linear(x, w, b)
    out = x @ w.T
    return out if b is None else out + b


def linear_backward(dout, x, w, b=None):
    """Gradients of :func:`linear` with respect to ``x``, ``w`` and ``b``.

    With all batch axes flattened into one of length ``M`` (``X`` is ``(M, in)``,
    ``D`` is ``(M, out)``): ``dx = D w``, ``dw = D^T X`` (summed over the batch, because
    every sample used the same ``w``), ``db = D`` summed over the batch.

    Parameters
    ----------
    dout : ndarray, shape (..., out_features)
        Gradient of the loss with respect to ``linear(x, w, b)``.
    x, w, b : the forward's inputs.

    Returns
    -------
    dx : ndarray, shape of ``x``
    dw : ndarray, shape of ``w``
    db : ndarray, shape (out_features,), or None when ``b`` is None

    Examples
    --------
    >>> import numpy as np
    >>> x, w = np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])
    >>> dx, dw, db = linear_backward(np.array([[1.0]]), x, w)
    >>> dx.tolist(), dw.tolist(), db
    ([[3.0, 4.0]], [[1.0, 2.0]], None)
    """
    _check_linear(x, w, b)
    check_array(dout, "dout", floating=True)
    expected = tuple(x.shape[:-1]) + (w.shape[0],)
    if tuple(dout.shape) != expected:
        raise ValueError(f"dout must have the output's shape {expected}, got {tuple(dout.shape)}")
    d2 = dout.reshape(-1, w.shape[0])      # (M, out)
    x2 = x.reshape(-1, w.shape[1])         # (M, in)
    dx = dout @ w                          # (..., in)
    dw = d2.T @ x2                         # (out, in)
    db = None if b is None else d2.sum(axis=0)
    return dx, dw, db
