"""Weight initialisation: new arrays whose scale keeps signals alive through depth.

Every initialiser takes a ``shape`` and returns a *new* array (PyTorch's ``nn.init``
functions fill a tensor in place instead; the formulas are the same).  Random arrays are
drawn from ``rng`` -- a NumPy or CuPy generator, or None for a fresh one of the active
backend.  Every new array is made on the active backend (:func:`dlcourse.backend.xp`),
whatever the generator's kind: the generator gives numbers, the backend decides where
they live.

The two families differ in what they hold constant:

* Xavier/Glorot (for tanh/sigmoid nets): ``Var(w) = gain^2 * 2 / (fan_in + fan_out)``,
  a compromise between keeping forward activations and backward gradients at unit variance.
* Kaiming/He (for ReLU nets): ``Var(w) = gain^2 / fan``, with ``fan`` either ``fan_in``
  (forward signal preserved) or ``fan_out`` (backward signal preserved).

A uniform distribution on ``[-bound, bound]`` has variance ``bound^2 / 3``, hence the
``sqrt(3)`` in the uniform bounds below.

Examples
--------
>>> import numpy as np
>>> from dlcourse.backend import default_rng
>>> w = kaiming_normal((256, 128), nonlinearity="relu", rng=default_rng(0, like=np.zeros(1)))
>>> w.shape, w.dtype
((256, 128), dtype('float32'))
"""

from __future__ import annotations

import math

from dlcourse.backend import asarray, default_rng, xp

__all__ = [
    "calculate_gain",
    "constant",
    "fan_in_and_fan_out",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "normal",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]

_GAINS = {
    "linear": 1.0,
    "conv1d": 1.0,
    "conv2d": 1.0,
    "conv3d": 1.0,
    "conv_transpose1d": 1.0,
    "conv_transpose2d": 1.0,
    "conv_transpose3d": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4.0,
}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor by which a nonlinearity shrinks the standard deviation, to undo it.

    Same table as ``torch.nn.init.calculate_gain``: 1 for linear/conv/sigmoid, 5/3 for
    tanh, sqrt(2) for relu, sqrt(2 / (1 + a^2)) for leaky_relu with slope ``a``
    (``param``, default 0.01), 3/4 for selu.

    Examples
    --------
    >>> round(calculate_gain("relu"), 6), calculate_gain("tanh")
    (1.414214, 1.6666666666666667)
    >>> calculate_gain("leaky_relu", 0.0) == calculate_gain("relu")
    True
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"negative slope {slope!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity not in _GAINS:
        names = ", ".join(sorted([*_GAINS, "leaky_relu"]))
        raise ValueError(f"unsupported nonlinearity {nonlinearity!r}: choose one of {names}")
    return _GAINS[nonlinearity]


def fan_in_and_fan_out(shape) -> tuple[int, int]:
    """How many inputs feed one output unit (fan_in) and how many outputs one input feeds.

    For a dense weight ``(out, in)``: ``(in, out)``.  For a conv weight
    ``(C_out, C_in, kh, kw)``: ``(C_in*kh*kw, C_out*kh*kw)``.  Like PyTorch, dimension 1
    is read as "in" and dimension 0 as "out" -- so for a transposed-conv weight
    ``(C_in, C_out, kh, kw)`` fan_in is ``C_out*kh*kw``.

    Examples
    --------
    >>> fan_in_and_fan_out((10, 784)), fan_in_and_fan_out((64, 3, 3, 3))
    ((784, 10), (27, 576))
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2:
        raise ValueError(
            f"fan in and fan out need a weight with at least 2 dimensions, got shape {shape}"
        )
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _check_shape(shape) -> None:
    if any(int(s) < 0 for s in shape):
        raise ValueError(f"shape must have non-negative sizes, got {tuple(shape)}")


def _generator(rng, shape):
    _check_shape(shape)
    return default_rng() if rng is None else rng


def zeros(shape, *, dtype="float32"):
    """An array of zeros on the active backend (biases, batch-norm shift).

    >>> zeros((2,)).tolist()
    [0.0, 0.0]
    """
    return constant(shape, 0.0, dtype=dtype)


def constant(shape, val: float, *, dtype="float32"):
    """An array filled with ``val`` on the active backend (e.g. batch-norm scale 1).

    >>> constant((2,), 0.5).tolist()
    [0.5, 0.5]
    """
    _check_shape(shape)
    return xp().full(shape, val, dtype=dtype)


def uniform(shape, a: float = 0.0, b: float = 1.0, *, dtype="float32", rng=None):
    """Samples of the uniform distribution on ``[a, b)``.

    >>> from dlcourse.backend import default_rng
    >>> w = uniform((1000,), -1.0, 1.0, rng=default_rng(0))
    >>> bool(w.min() >= -1 and w.max() < 1)
    True
    """
    if not a <= b:
        raise ValueError(f"uniform needs a <= b, got a={a!r}, b={b!r}")
    rng = _generator(rng, shape)
    return asarray(rng.uniform(a, b, size=shape), dtype=dtype)


def normal(shape, mean: float = 0.0, std: float = 1.0, *, dtype="float32", rng=None):
    """Samples of the normal distribution with the given mean and standard deviation.

    >>> from dlcourse.backend import default_rng
    >>> w = normal((10000,), std=0.01, rng=default_rng(0))
    >>> bool(abs(w.std() - 0.01) < 0.001)
    True
    """
    if std < 0:
        raise ValueError(f"std must be non-negative, got {std!r}")
    rng = _generator(rng, shape)
    return asarray(mean + std * rng.standard_normal(shape), dtype=dtype)


def xavier_uniform(shape, gain: float = 1.0, *, dtype="float32", rng=None):
    """Glorot uniform: ``U(-bound, bound)`` with ``bound = gain * sqrt(6 / (fan_in + fan_out))``.

    >>> w = xavier_uniform((30, 20))
    >>> bool(abs(w).max() <= (6 / 50) ** 0.5)
    True
    """
    fan_in, fan_out = fan_in_and_fan_out(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(shape, -bound, bound, dtype=dtype, rng=rng)


def xavier_normal(shape, gain: float = 1.0, *, dtype="float32", rng=None):
    """Glorot normal: ``N(0, std^2)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    >>> xavier_normal((30, 20)).shape
    (30, 20)
    """
    fan_in, fan_out = fan_in_and_fan_out(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal(shape, 0.0, std, dtype=dtype, rng=rng)


def _kaiming_std(shape, a, mode, nonlinearity) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fan_in_and_fan_out(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(f"cannot initialise a weight with {mode} = 0 (shape {tuple(shape)})")
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform(shape, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", *, dtype="float32", rng=None):
    """He uniform: ``U(-bound, bound)`` with ``bound = gain * sqrt(3 / fan)``.

    ``fan`` is fan_in or fan_out (``mode``); ``gain = calculate_gain(nonlinearity, a)``,
    where ``a`` is the negative slope used by ``"leaky_relu"`` (the default, which with
    ``a=0`` is plain ReLU's sqrt(2)).  ``torch.nn.Linear`` uses ``a=sqrt(5)``, which gives
    ``bound = 1 / sqrt(fan_in)``.

    >>> w = kaiming_uniform((10, 25), a=5 ** 0.5)
    >>> bool(abs(w).max() <= 1 / 25 ** 0.5)
    True
    """
    bound = math.sqrt(3.0) * _kaiming_std(shape, a, mode, nonlinearity)
    return uniform(shape, -bound, bound, dtype=dtype, rng=rng)


def kaiming_normal(shape, a: float = 0.0, mode: str = "fan_in",
                   nonlinearity: str = "leaky_relu", *, dtype="float32", rng=None):
    """He normal: ``N(0, std^2)`` with ``std = gain / sqrt(fan)``; arguments as in kaiming_uniform.

    >>> kaiming_normal((64, 3, 3, 3), mode="fan_out", nonlinearity="relu").shape
    (64, 3, 3, 3)
    """
    std = _kaiming_std(shape, a, mode, nonlinearity)
    return normal(shape, 0.0, std, dtype=dtype, rng=rng)


he_uniform = kaiming_uniform  # the same initialiser under its other name
he_normal = kaiming_normal
