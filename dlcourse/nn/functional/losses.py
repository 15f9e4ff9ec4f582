"""Loss functions (mean reduction, torch semantics) and their gradients.

Each loss returns a scalar.  Its backward ``loss_backward(dout, input, target, ...)`` takes
the upstream gradient ``dout`` (a scalar, 1.0 when the loss is the end of the graph) and
returns the gradient with respect to the *first* argument, the model's output, in that
output's dtype.  Targets are cast to the dtype of the model's output, so float64 labels
never turn a float32 network into a float64 one.
"""

from __future__ import annotations

from dlcourse._validate import check_array, check_same_shape
from dlcourse.backend import array_module
from dlcourse.nn.functional.activations import log_softmax, sigmoid, softmax

__all__ = [
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_backward",
    "cross_entropy",
    "cross_entropy_backward",
    "l1_loss",
    "l1_loss_backward",
    "mse_loss",
    "mse_loss_backward",
]


def _check_pair(input, target, names=("input", "target")):
    """Validate a regression-style pair and return ``target`` in ``input``'s dtype."""
    check_array(input, names[0], floating=True)
    check_array(target, names[1])
    check_same_shape(input, target, names)
    return target.astype(input.dtype, copy=False)


def _check_dout(dout):
    if getattr(dout, "ndim", 0) != 0:
        raise ValueError(f"dout must be a scalar (the loss is one), got shape {dout.shape}")


# --- Regression --------------------------------------------------------------------------

def mse_loss(input, target):
    """Mean squared error, ``mean((input - target)**2)``.

    Parameters
    ----------
    input : ndarray, shape (...), float
    target : ndarray, same shape as ``input``

    Returns
    -------
    scalar of ``input``'s dtype

    Examples
    --------
    >>> import numpy as np
    >>> float(mse_loss(np.array([1.0, 2.0]), np.array([1.0, 4.0])))
    2.0
    """
    target = _check_pair(input, target)
    diff = input - target
    return (diff * diff).mean()


def mse_loss_backward(dout, input, target):
    """Gradient of :func:`mse_loss` with respect to ``input``: ``dout * 2 (input - target) / n``.

    >>> import numpy as np
    >>> mse_loss_backward(1.0, np.array([1.0, 2.0]), np.array([1.0, 4.0])).tolist()
    [0.0, -2.0]
    """
    target = _check_pair(input, target)
    _check_dout(dout)
    grad = 2 * (input - target) / input.size
    return (grad * dout).astype(input.dtype, copy=False)


def l1_loss(input, target):
    """Mean absolute error, ``mean(|input - target|)``.

    >>> import numpy as np
    >>> float(l1_loss(np.array([1.0, 2.0]), np.array([1.0, 4.0])))
    1.0
    """
    target = _check_pair(input, target)
    return array_module(input).abs(input - target).mean()


def l1_loss_backward(dout, input, target):
    """Gradient of :func:`l1_loss`: ``dout * sign(input - target) / n``, taking ``sign(0) = 0``.

    ``|d|`` has no derivative at 0; like torch we use the subgradient 0 there.

    >>> import numpy as np
    >>> l1_loss_backward(1.0, np.array([1.0, 2.0]), np.array([1.0, 4.0])).tolist()
    [0.0, -0.5]
    """
    target = _check_pair(input, target)
    _check_dout(dout)
    grad = array_module(input).sign(input - target) / input.size
    return (grad * dout).astype(input.dtype, copy=False)


# --- Classification ----------------------------------------------------------------------

def _check_classification(logits, target, weight):
    """Validate logits (N, C, *d), class indices (N, *d) and per-class weights (C,)."""
    check_array(logits, "logits", floating=True)
    check_array(target, "target")
    if logits.ndim < 2:
        raise ValueError(
            f"logits must have shape (N, C) or (N, C, d1, ...), got {tuple(logits.shape)}"
        )
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"target must hold integer class indices, got dtype {target.dtype} "
            "(convert labels with target.astype(int), one-hot rows with target.argmax(1))"
        )
    num_classes = logits.shape[1]
    expected = (logits.shape[0],) + tuple(logits.shape[2:])
    if tuple(target.shape) != expected:
        raise ValueError(
            f"logits of shape {tuple(logits.shape)} need a target of shape {expected} "
            f"(one class index per sample), got {tuple(target.shape)}"
        )
    if target.size:
        # one transfer for both numbers: on a GPU each would be a device-to-host sync
        xp = array_module(target)
        low, high = xp.stack((target.min(), target.max())).tolist()
        if high >= num_classes or low < 0:
            bad = high if high >= num_classes else low
            raise ValueError(
                f"target contains class {bad} but logits have {num_classes} classes "
                f"(valid classes are 0..{num_classes - 1})"
            )
    if weight is not None:
        check_array(weight, "weight", floating=True)
        if tuple(weight.shape) != (num_classes,):
            raise ValueError(
                f"weight must have one entry per class, shape ({num_classes},), "
                f"got {tuple(weight.shape)}"
            )


def _sample_weights(logits, target, weight):
    """Weight of each sample (each pixel): ``weight[target]``, or ones; shape of ``target``."""
    xp = array_module(logits)
    if weight is None:
        return xp.ones(target.shape, dtype=logits.dtype)
    return weight.astype(logits.dtype, copy=False)[target]


def cross_entropy(logits, target, weight=None):
    """Cross-entropy between softmax(logits) and integer class targets (torch semantics).

    ``loss = sum_i w_i * -log softmax(logits_i)[target_i] / sum_i w_i`` with
    ``w_i = weight[target_i]`` (1 without ``weight``): the mean over the samples, or
    torch's weighted mean.  For segmentation, every pixel is a sample.

    Parameters
    ----------
    logits : ndarray, shape (N, C) or (N, C, d1, ...), float
        Unnormalised scores; the class axis is axis 1, as in torch.
    target : ndarray of ints, shape (N,) or (N, d1, ...)
        Class index in ``0..C-1`` for each sample.
    weight : ndarray, shape (C,), optional
        Per-class weights, e.g. to up-weight rare classes.

    Returns
    -------
    scalar of ``logits``' dtype

    Examples
    --------
    >>> import numpy as np
    >>> logits = np.zeros((2, 4))                   # uniform guess over 4 classes
    >>> round(float(cross_entropy(logits, np.array([0, 3]))), 4)  # log(4)
    1.3863
    """
    _check_classification(logits, target, weight)
    xp = array_module(logits)
    logp = log_softmax(logits, dim=1)                                     # (N, C, *d)
    picked = xp.take_along_axis(logp, xp.expand_dims(target, 1), axis=1)  # (N, 1, *d)
    w = _sample_weights(logits, target, weight)                            # (N, *d)
    return -(w * picked[:, 0]).sum() / w.sum()


def cross_entropy_backward(dout, logits, target, weight=None):
    """Gradient of :func:`cross_entropy` with respect to ``logits``.

    For each sample ``dL/dlogits_i = w_i (softmax(logits_i) - onehot(target_i)) / sum w``:
    push the true class's score up, every class's score down by its probability.

    Returns
    -------
    ndarray, shape and dtype of ``logits``

    Examples
    --------
    >>> import numpy as np
    >>> cross_entropy_backward(1.0, np.zeros((1, 2)), np.array([0])).tolist()
    [[-0.5, 0.5]]
    """
    _check_classification(logits, target, weight)
    _check_dout(dout)
    xp = array_module(logits)
    num_classes = logits.shape[1]
    classes = xp.arange(num_classes).reshape((1, num_classes) + (1,) * (logits.ndim - 2))
    onehot = xp.expand_dims(target, 1) == classes                          # (N, C, *d)
    w = _sample_weights(logits, target, weight)                            # (N, *d)
    grad = (softmax(logits, dim=1) - onehot) * xp.expand_dims(w / w.sum(), 1)
    return (grad * dout).astype(logits.dtype, copy=False)


def binary_cross_entropy_with_logits(logits, target):
    """Binary cross-entropy of ``sigmoid(logits)`` against targets in [0, 1], mean reduction.

    ``-[t log s + (1 - t) log(1 - s)]`` with ``s = sigmoid(x)`` equals
    ``max(x, 0) - x t + log(1 + exp(-|x|))``, which never overflows and never takes log 0.

    Parameters
    ----------
    logits : ndarray, shape (...), float
    target : ndarray, same shape, values in [0, 1]

    Returns
    -------
    scalar of ``logits``' dtype

    Examples
    --------
    >>> import numpy as np
    >>> round(float(binary_cross_entropy_with_logits(np.zeros(3), np.ones(3))), 4)  # log 2
    0.6931
    """
    target = _check_pair(logits, target, ("logits", "target"))
    xp = array_module(logits)
    losses = xp.maximum(logits, 0) - logits * target + xp.log1p(xp.exp(-xp.abs(logits)))
    return losses.mean()


def binary_cross_entropy_with_logits_backward(dout, logits, target):
    """Gradient with respect to ``logits``: ``dout * (sigmoid(logits) - target) / n``.

    >>> import numpy as np
    >>> binary_cross_entropy_with_logits_backward(1.0, np.zeros(2), np.ones(2)).tolist()
    [-0.25, -0.25]
    """
    target = _check_pair(logits, target, ("logits", "target"))
    _check_dout(dout)
    grad = (sigmoid(logits) - target) / logits.size
    return (grad * dout).astype(logits.dtype, copy=False)
