"""Input checks shared by the public functions: fail early, name the problem.

Every public function validates its arguments here, at the boundary, and then trusts
them; errors are ``ValueError``/``TypeError`` with a sentence a learner can act on.
"""

from __future__ import annotations

import numbers

from array_api_compat import is_cupy_array, is_numpy_array


def check_array(x, name: str = "x", *, ndim: int | tuple[int, ...] | None = None,
                floating: bool = False):
    """Check that ``x`` is a NumPy/CuPy array of the expected rank (and float dtype).

    Examples
    --------
    >>> import numpy as np
    >>> check_array(np.zeros((2, 3)), "x", ndim=2).shape
    (2, 3)
    """
    if not (is_numpy_array(x) or is_cupy_array(x)):
        raise TypeError(f"{name} must be a NumPy or CuPy array, got {type(x).__name__}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            want = " or ".join(str(n) for n in allowed)
            raise ValueError(f"{name} must be {want}-dimensional, got shape {tuple(x.shape)}")
    if floating and x.dtype.kind != "f":
        raise TypeError(f"{name} must have a floating dtype, got {x.dtype}")
    return x


def pair(value, name: str) -> tuple[int, int]:
    """An int or a pair of ints as a ``(height, width)`` tuple of ints.

    >>> pair(3, "kernel_size"), pair((1, 2), "stride")
    ((3, 3), (1, 2))
    """
    if isinstance(value, numbers.Integral):
        return int(value), int(value)
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}") from None
    if not (isinstance(a, numbers.Integral) and isinstance(b, numbers.Integral)):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return int(a), int(b)


def check_positive(value: int | tuple[int, ...], name: str) -> None:
    """Raise unless every entry of ``value`` is > 0 (strides, kernel sizes, dilations)."""
    values = value if isinstance(value, tuple) else (value,)
    if any(v <= 0 for v in values):
        raise ValueError(f"{name} must be positive, got {value!r}")


def check_non_negative(value: int | tuple[int, ...], name: str) -> None:
    """Raise unless every entry of ``value`` is >= 0 (paddings)."""
    values = value if isinstance(value, tuple) else (value,)
    if any(v < 0 for v in values):
        raise ValueError(f"{name} must be non-negative, got {value!r}")


def check_probability(p: float, name: str = "p") -> None:
    """Raise unless ``0 <= p <= 1``."""
    if not (0.0 <= float(p) <= 1.0):
        raise ValueError(f"{name} must lie in [0, 1], got {p!r}")


def check_same_shape(a, b, names: tuple[str, str] = ("input", "target")) -> None:
    """Raise unless two arrays have identical shapes (e.g. a loss's input and target)."""
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"{names[0]} has shape {tuple(a.shape)} but {names[1]} has shape {tuple(b.shape)}"
        )
