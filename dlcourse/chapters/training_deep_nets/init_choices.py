"""Two questions about initialisation, computed.

* :func:`xavier_uniform_vs_normal` -- Glorot's uniform ``U(-a, a)``, ``a = sqrt(6 / (n_in +
  n_out))``, and normal ``N(0, 2 / (n_in + n_out))`` have the same variance;
* :func:`gradient_descent_endpoints` -- where gradient descent ends from several starting
  points: one place on a convex function, start-dependent places on a non-convex one.

>>> r = xavier_uniform_vs_normal(256, 128)
>>> round(r["uniform_bound"], 4), round(r["variance"], 6)
(0.125, 0.005208)
"""

from __future__ import annotations

import numpy as np


def xavier_uniform_vs_normal(fan_in: int, fan_out: int, *, samples: int = 200_000,
                             seed: int = 0) -> dict:
    """The two Xavier (Glorot) initialisations of a ``fan_out × fan_in`` layer, compared.

    Returns
    -------
    dict
        ``uniform_bound`` a, ``variance`` 2 / (fan_in + fan_out) = a² / 3 (both formulas),
        ``normal_std``, and the measured variances ``uniform_sample`` and ``normal_sample``
        of ``samples`` weights drawn each way (NumPy generator seeded with ``seed``), plus the
        samples themselves (``uniform``, ``normal``, 1-D float64 arrays) for a histogram.
    """
    if fan_in < 1 or fan_out < 1:
        raise ValueError(f"fan_in and fan_out must be positive, got {fan_in} and {fan_out}")
    variance = 2 / (fan_in + fan_out)
    bound = float(np.sqrt(6 / (fan_in + fan_out)))
    rng = np.random.default_rng(seed)
    uniform = rng.uniform(-bound, bound, samples)
    normal = rng.normal(0.0, np.sqrt(variance), samples)
    return dict(uniform_bound=bound, variance=variance, uniform_variance=bound ** 2 / 3,
                normal_std=float(np.sqrt(variance)), uniform_sample=float(uniform.var()),
                normal_sample=float(normal.var()), uniform=uniform, normal=normal)


CONVEX = (lambda w: (w - 1.0) ** 2, lambda w: 2 * (w - 1.0))
NON_CONVEX = (lambda w: w ** 4 - 3 * w ** 2 + w, lambda w: 4 * w ** 3 - 6 * w + 1)


def gradient_descent_endpoints(gradient, starts, *, lr: float = 0.01,
                               steps: int = 2000) -> np.ndarray:
    """Run plain gradient descent ``w <- w - lr * gradient(w)`` from every start at once.

    Parameters
    ----------
    gradient : callable
        The derivative of a 1-D function, vectorised over a NumPy array.
    starts : (K,) array-like
        Starting points.

    Returns
    -------
    (K,) float64 array
        Where each run is after ``steps`` steps.
    """
    w = np.asarray(starts, dtype=np.float64).copy()
    for _ in range(steps):
        w -= lr * gradient(w)
    return w
