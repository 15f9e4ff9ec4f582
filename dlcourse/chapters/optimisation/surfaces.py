"""Two-parameter loss surfaces: small enough to draw, hard enough to fool an optimiser.

A real network has millions of parameters, but the troubles of gradient descent already
show with two: a long narrow valley (an *ill-conditioned* quadratic) makes it zig-zag,
and a bumpy surface has several minima, a saddle point between them and a flat plateau.

Each :class:`Surface` knows its value and its gradient (written by hand, checked against
finite differences in the tests), where to draw it, and its critical points.

Examples
--------
>>> s = quadratic(condition_number=10.0)
>>> float(s([1.0, 1.0])), s.gradient([1.0, 1.0]).tolist()     # 0.5 * (1 + 10)
(5.5, [1.0, 10.0])
>>> [p.kind for p in bumps().critical_points]
['minimum', 'minimum', 'saddle']
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import NamedTuple

import numpy as np

from dlcourse._validate import check_positive
from dlcourse.backend import array_module, to_numpy

__all__ = ["SURFACES", "CriticalPoint", "Surface", "bumps", "get_surface", "grid", "quadratic"]


class CriticalPoint(NamedTuple):
    """A point where the gradient vanishes, and what kind it is (by the Hessian's signs)."""

    point: tuple[float, float]
    value: float
    kind: str  # "minimum", "saddle" or "maximum"


class Surface:
    """A function of two parameters with its gradient, ready for contour plots and races.

    Parameters
    ----------
    name : str
        Short title for plots.
    value : callable
        ``value(x, y)`` for arrays ``x``, ``y`` of one shape (broadcasts like NumPy).
    gradient : callable
        ``gradient(x, y) -> (df/dx, df/dy)``, arrays of that shape.
    extent : (x_min, x_max, y_min, y_max)
        The window worth drawing.
    start : (float, float)
        A starting point that makes a good race.
    log_levels : bool
        Draw contours at logarithmically spaced heights (for bowls that get steep).

    Calling a surface on points ``p`` of shape ``(..., 2)`` gives the values, shape
    ``(...)``; :meth:`gradient` gives the gradients, shape ``(..., 2)``.
    """

    def __init__(self, name, value, gradient, *, extent, start, log_levels=False):
        self.name, self._value, self._gradient = name, value, gradient
        self.extent = tuple(float(v) for v in extent)
        self.start = (float(start[0]), float(start[1]))
        self.log_levels = log_levels

    def __call__(self, p):
        p = _points(p)
        return self._value(p[..., 0], p[..., 1])

    def gradient(self, p):
        """The gradient ``(df/dx, df/dy)`` at points ``p`` of shape ``(..., 2)``."""
        p = _points(p)
        gx, gy = self._gradient(p[..., 0], p[..., 1])
        return array_module(p).stack([gx, gy], axis=-1)

    def hessian(self, p, *, eps: float = 1e-5):
        """Second derivatives at ``p``, shape ``(..., 2, 2)``, by differences of the gradient."""
        p = _points(p)
        xp = array_module(p)
        columns = []
        for axis in range(2):
            step = xp.zeros(2)
            step[axis] = eps
            columns.append((self.gradient(p + step) - self.gradient(p - step)) / (2 * eps))
        return xp.stack(columns, axis=-1)

    @cached_property
    def critical_points(self) -> list[CriticalPoint]:
        """Minima, saddles and maxima inside :attr:`extent`, found by Newton's method.

        Newton steps ``p <- p - H^-1 grad`` jump to the nearest point where the gradient
        vanishes -- of any kind, which is what we want here -- from a grid of starts;
        the signs of the Hessian's eigenvalues then name the kind.  Sorted by value.
        """
        x0, x1, y0, y1 = self.extent
        gx, gy = np.meshgrid(np.linspace(x0, x1, 15), np.linspace(y0, y1, 15))
        p = np.stack([gx.ravel(), gy.ravel()], axis=-1)
        for _ in range(60):
            h, g = self.hessian(p), self.gradient(p)
            det = h[:, 0, 0] * h[:, 1, 1] - h[:, 0, 1] * h[:, 1, 0]
            det = np.where(np.abs(det) < 1e-12, np.nan, det)  # flat: give up on this start
            p = p - np.stack([h[:, 1, 1] * g[:, 0] - h[:, 0, 1] * g[:, 1],
                              h[:, 0, 0] * g[:, 1] - h[:, 1, 0] * g[:, 0]], axis=-1) / det[:, None]
        inside = (np.isfinite(p).all(axis=1) & (p[:, 0] >= x0) & (p[:, 0] <= x1)
                  & (p[:, 1] >= y0) & (p[:, 1] <= y1))
        found = {}
        for q in p[inside]:
            if np.linalg.norm(self.gradient(q)) < 1e-8:
                found.setdefault(tuple(np.round(q, 5)), q)
        points = []
        for q in found.values():
            low, high = np.linalg.eigvalsh(self.hessian(q))
            kind = "minimum" if low > 0 else "maximum" if high < 0 else "saddle"
            points.append(CriticalPoint((float(q[0]), float(q[1])), float(self(q)), kind))
        return sorted(points, key=lambda c: c.value)

    def minima(self) -> list[tuple[float, float]]:
        """The local minima, lowest (the global minimum) first."""
        return [c.point for c in self.critical_points if c.kind == "minimum"]

    def __repr__(self) -> str:
        return f"Surface({self.name!r}, extent={self.extent})"


def _points(p):
    """``p`` as a float array (lists become NumPy arrays), checked to be ``(..., 2)``."""
    p = p if hasattr(p, "dtype") else np.asarray(p, dtype=float)
    if p.dtype.kind != "f":
        p = p.astype(float)
    if p.shape[-1:] != (2,):
        raise ValueError(f"points must have shape (..., 2), got {tuple(p.shape)}")
    return p


def quadratic(condition_number: float = 10.0, *, angle: float = 0.0) -> Surface:
    """The bowl ``f(p) = p^T H p / 2``, where ``H`` has eigenvalues 1 and ``condition_number``.

    The larger the condition number, the narrower the valley: gradient descent must use a
    learning rate below ``2 / condition_number`` (or it diverges along the steep axis),
    and then crawls along the flat one.  ``angle`` (degrees) turns the valley away from
    the axes -- which takes away the edge of per-coordinate methods such as Adam.

    Examples
    --------
    >>> s = quadratic(4.0)
    >>> s.hessian([0.0, 0.0]).round(6).tolist()
    [[1.0, 0.0], [0.0, 4.0]]
    """
    check_positive(condition_number, "condition_number")
    if condition_number < 1:
        raise ValueError(f"condition_number must be >= 1, got {condition_number!r}")
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    # H = R diag(1, k) R^T with R the rotation by `angle`
    k = float(condition_number)
    hxx, hxy, hyy = c * c + k * s * s, (1 - k) * c * s, s * s + k * c * c

    def value(x, y):
        return 0.5 * (hxx * x * x + 2 * hxy * x * y + hyy * y * y)

    def gradient(x, y):
        return hxx * x + hxy * y, hxy * x + hyy * y

    name = f"quadratic, condition number {k:g}" + (f", turned {angle:g}°" if angle else "")
    return Surface(name, value, gradient, extent=(-3, 3, -3, 3), start=(-2.5, 2.0),
                   log_levels=True)


# Two Gaussian wells: (centre x, centre y, depth, width).  The right one is deeper.
_WELLS = ((1.3, 1.0, 2.0, 0.7), (-1.5, 0.8, 1.3, 0.6))
_BOWL = 0.01  # a faint bowl around (0, 0.8) keeps far-away points from wandering off


def bumps() -> Surface:
    """A non-convex surface: two minima, a saddle between them, a plateau below.

    ``f(x, y) = 0.01 (x^2 + (y - 0.8)^2) - sum_i d_i exp(-|p - c_i|^2 / (2 w_i^2))``:
    a deep well (the global minimum, near (1.3, 1.0)) and a shallower one (a local
    minimum, near (-1.5, 0.8)) in a faint bowl.  Between the wells sits a saddle point;
    far below them the wells' tails have faded and the slope is almost zero: a plateau.

    Examples
    --------
    >>> s = bumps()
    >>> [round(v, 1) for v in s.critical_points[0].point]     # the global minimum
    [1.3, 1.0]
    """

    def value(x, y):
        xp = array_module(x)
        out = _BOWL * (x * x + (y - 0.8) ** 2)
        for cx, cy, depth, width in _WELLS:
            out = out - depth * xp.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * width**2))
        return out

    def gradient(x, y):
        xp = array_module(x)
        gx, gy = 2 * _BOWL * x, 2 * _BOWL * (y - 0.8)
        for cx, cy, depth, width in _WELLS:
            bump = depth * xp.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * width**2)) / width**2
            gx, gy = gx + bump * (x - cx), gy + bump * (y - cy)
        return gx, gy

    return Surface("two wells, a saddle and a plateau", value, gradient,
                   extent=(-3, 3, -3, 3), start=(-0.5, -2.5))


SURFACES = {"quadratic": quadratic, "bumps": bumps}
"""The surfaces by name, as offered in the optimiser-race panel."""


def get_surface(surface) -> Surface:
    """``surface`` itself if it is a :class:`Surface`, else ``SURFACES[surface]()``."""
    if isinstance(surface, Surface):
        return surface
    if surface not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}: choose one of {', '.join(SURFACES)}")
    return SURFACES[surface]()


def grid(surface, extent=None, n: int = 200):
    """Values of ``surface`` on an ``n x n`` grid, for ``contour(X, Y, Z)``.

    Parameters
    ----------
    surface : Surface or str
    extent : (x_min, x_max, y_min, y_max), optional
        Defaults to the surface's own.
    n : int
        Points per axis.

    Returns
    -------
    X, Y, Z : ndarray, shape (n, n), NumPy (for matplotlib)

    Examples
    --------
    >>> X, Y, Z = grid("quadratic", n=3)
    >>> Z.tolist()[1]
    [4.5, 0.0, 4.5]
    """
    surface = get_surface(surface)
    check_positive(n, "n")
    x0, x1, y0, y1 = surface.extent if extent is None else extent
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    Z = to_numpy(surface(np.stack([X, Y], axis=-1)))
    return X, Y, Z
