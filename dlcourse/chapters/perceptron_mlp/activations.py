"""A table of activation functions with their derivatives, and what the derivatives imply.

Each entry pairs ``f`` with ``f'``.  The smooth ones come straight from the engine:
``f`` is ``F.<name>`` and ``f'(x)`` is ``F.<name>_backward(ones, x)`` -- the backward of an
activation multiplies the upstream gradient by ``f'(x)``, so feeding it ones gives ``f'``.
The two historical ones, the threshold (Heaviside step) and the signum, are defined here:
their derivative is 0 everywhere except at 0, where it does not exist, so gradient descent
gets no signal through them -- why the perceptron needs its own learning rule.

Softmax acts on a whole vector, so its derivative is a matrix, :func:`softmax_jacobian`.

Examples
--------
>>> import numpy as np
>>> f, df = activation_curves("sigmoid", np.array([0.0]))
>>> float(f[0]), float(df[0])
(0.5, 0.25)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dlcourse._validate import check_array
from dlcourse.backend import array_module, default_rng, to_numpy
from dlcourse.nn import functional as F

__all__ = [
    "ACTIVATION_FORMULAS",
    "Activation",
    "activation_curves",
    "activation_table",
    "format_activation_table",
    "next_layer_weight_gradients",
    "same_sign_fraction",
    "signum",
    "softmax_jacobian",
    "threshold",
]


def threshold(x):
    """The Heaviside step, the all-or-nothing "firing" of a neuron: 1 if ``x >= 0``, else 0.

    >>> import numpy as np
    >>> threshold(np.array([-1.0, 0.0, 2.0])).tolist()
    [0.0, 1.0, 1.0]
    """
    check_array(x, "x", floating=True)
    return (x >= 0).astype(x.dtype)


def signum(x):
    """The sign function: -1, 0 or +1 (``torch.sign``); the perceptron's output unit.

    >>> import numpy as np
    >>> signum(np.array([-3.0, 0.0, 2.0])).tolist()
    [-1.0, 0.0, 1.0]
    """
    check_array(x, "x", floating=True)
    return array_module(x).sign(x)


def _zero_derivative(x):
    """Derivative of a step: 0 for every ``x != 0`` (and taken as 0 at the jump, as torch)."""
    check_array(x, "x", floating=True)
    return array_module(x).zeros_like(x)


def _from_backward(backward):
    """``f'`` from an engine backward: ``f_backward(ones, x) = 1 * f'(x)``."""
    def derivative(x):
        return backward(array_module(x).ones_like(x), x)
    return derivative


@dataclass(frozen=True)
class Activation:
    """One row of the table: a name, its formula (LaTeX), ``f`` and ``f'``."""

    name: str
    formula: str
    forward: Callable
    derivative: Callable


ACTIVATION_FORMULAS: dict[str, Activation] = {
    a.name: a for a in (
        Activation("threshold", r"H(x) = 1 \text{ if } x \geq 0 \text{ else } 0",
                   threshold, _zero_derivative),
        Activation("signum", r"\mathrm{sign}(x) \in \{-1, 0, 1\}", signum, _zero_derivative),
        Activation("sigmoid", r"\sigma(x) = 1 / (1 + e^{-x})",
                   F.sigmoid, _from_backward(F.sigmoid_backward)),
        Activation("tanh", r"\tanh(x) = 2\sigma(2x) - 1",
                   F.tanh, _from_backward(F.tanh_backward)),
        Activation("relu", r"\max(0, x)", F.relu, _from_backward(F.relu_backward)),
        Activation("leaky_relu", r"\max(0.01x, x)",
                   F.leaky_relu, _from_backward(F.leaky_relu_backward)),
        Activation("elu", r"x \text{ if } x > 0 \text{ else } e^x - 1",
                   F.elu, _from_backward(F.elu_backward)),
        Activation("selu", r"\lambda\,\mathrm{elu}_\alpha(x),\ \lambda \approx 1.0507,\ "
                   r"\alpha \approx 1.6733", F.selu, _from_backward(F.selu_backward)),
    )
}
"""Every elementwise activation of the chapter by name, as mathematics: formula, f and f'.

The layers of the same names are :data:`dlcourse.nn.ACTIVATIONS`; threshold and signum
have no layer (their derivative is 0: nothing to learn through them)."""


def _lookup(name: str) -> Activation:
    if name not in ACTIVATION_FORMULAS:
        raise ValueError(f"unknown activation {name!r}: choose one of "
                         f"{', '.join(ACTIVATION_FORMULAS)}")
    return ACTIVATION_FORMULAS[name]


def activation_curves(name: str, x):
    """Values ``f(x)`` and derivatives ``f'(x)`` of the activation ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`ACTIVATION_FORMULAS`: threshold, signum, sigmoid, tanh, relu, leaky_relu,
        elu, selu.
    x : ndarray, shape (...), float

    Returns
    -------
    f, df : ndarray, shape and dtype of ``x``

    Examples
    --------
    >>> import numpy as np
    >>> f, df = activation_curves("relu", np.array([-1.0, 2.0]))
    >>> f.tolist(), df.tolist()
    ([0.0, 2.0], [0.0, 1.0])
    """
    activation = _lookup(name)
    check_array(x, "x", floating=True)
    return activation.forward(x), activation.derivative(x)


def activation_table(*, seed=0) -> list[dict]:
    """Key numbers of every activation, one dict per row.

    Columns: ``f(0)``, ``f'(0)``, ``max f'`` (over ``[-10, 10]``), ``f'(-5)`` and
    ``f'(5)`` (tiny values mean saturation, vanishing gradients), and ``mean f(z)`` for
    ``z ~ N(0, 1)`` (far from 0 means the outputs are not zero-centred).

    Examples
    --------
    >>> rows = {row["name"]: row for row in activation_table()}
    >>> rows["sigmoid"]["max f'"], rows["tanh"]["f'(0)"]
    (0.25, 1.0)
    """
    grid = np.linspace(-10.0, 10.0, 20001)
    grid = np.concatenate([grid, [0.0]])          # make sure x = 0 itself is on the grid
    z = np.random.default_rng(seed).standard_normal(100_000)
    zero = np.zeros(1)
    rows = []
    for name, act in ACTIVATION_FORMULAS.items():
        rows.append({
            "name": name,
            "f(0)": float(act.forward(zero)[0]),
            "f'(0)": float(act.derivative(zero)[0]),
            "max f'": float(act.derivative(grid).max()),
            "f'(-5)": float(act.derivative(np.array([-5.0]))[0]),
            "f'(5)": float(act.derivative(np.array([5.0]))[0]),
            "mean f(z)": float(act.forward(z).mean()),
        })
    return rows


def format_activation_table(rows=None, *, decimals=4) -> str:
    """:func:`activation_table` as aligned text, one line per activation.

    >>> print(format_activation_table().splitlines()[0])
    activation    f(0)   f'(0)  max f'  f'(-5)   f'(5)  mean f(z)
    """
    rows = activation_table() if rows is None else rows
    columns = [key for key in rows[0] if key != "name"]
    widths = {key: max(8, len(key) + 2) for key in columns}
    lines = ["activation" + "".join(f"{key:>{widths[key]}s}" for key in columns)]
    for row in rows:
        cells = "".join(f"{row[key]:{widths[key]}.{decimals}f}" for key in columns)
        lines.append(f"{row['name']:<10s}{cells}")
    return "\n".join(lines)


def softmax_jacobian(z):
    """The matrix of partial derivatives ``J[i, j] = d softmax(z)_i / d z_j = s_i (δ_ij - s_j)``.

    Built from the engine's backward: ``F.softmax_backward(e_i, z)`` is ``J^T e_i``, row
    ``i`` of the (symmetric) Jacobian.  Every row sums to 0: raising all scores by the same
    amount does not change the probabilities.

    Parameters
    ----------
    z : ndarray, shape (C,), float
        Class scores (logits).

    Returns
    -------
    ndarray, shape (C, C)

    Examples
    --------
    >>> import numpy as np
    >>> softmax_jacobian(np.zeros(2)).tolist()
    [[0.25, -0.25], [-0.25, 0.25]]
    """
    check_array(z, "z", ndim=1, floating=True)
    xp = array_module(z)
    eye = xp.eye(z.shape[0], dtype=z.dtype)
    return F.softmax_backward(eye, xp.broadcast_to(z, eye.shape), dim=-1)


def next_layer_weight_gradients(activation: str, *, n_samples=500, n_inputs=2, seed=0):
    """Per-sample gradients on the weights of a neuron fed by ``activation`` outputs.

    A neuron ``v = w . h + b`` in the next layer receives ``h = f(z)`` with ``z ~ N(0, 1)``.
    For one sample, ``dL/dw = delta * h``, where ``delta = dL/dv`` is a single number
    (here drawn from ``N(0, 1)``).  If every ``h_i >= 0`` (sigmoid, ReLU), all components of
    ``dL/dw`` share the sign of ``delta``: the weights can only all grow or all shrink in
    one step -- the *zero-centering problem*, which forces zig-zag paths.

    Parameters
    ----------
    activation : str
        A key of :data:`ACTIVATION_FORMULAS`.
    n_samples, n_inputs : int, keyword-only
    seed : int, keyword-only

    Returns
    -------
    ndarray, shape (n_samples, n_inputs)
        Row ``n`` is ``dL/dw`` for sample ``n``.

    Examples
    --------
    >>> g = next_layer_weight_gradients("sigmoid", n_samples=100)
    >>> same_sign_fraction(g)
    1.0
    """
    act = _lookup(activation)
    rng = default_rng(seed)
    h = act.forward(rng.standard_normal((n_samples, n_inputs)))       # (n, d) inputs
    delta = rng.standard_normal((n_samples, 1))                        # (n, 1) dL/dv
    return delta * h


def same_sign_fraction(grads) -> float:
    """Fraction of rows whose entries are all ``>= 0`` or all ``<= 0``.

    For gradients of a neuron's weights (rows = samples) this is how often a step can only
    move every weight in the same direction.

    >>> import numpy as np
    >>> round(same_sign_fraction(np.array([[1.0, 2.0], [-1.0, 0.0], [1.0, -1.0]])), 4)
    0.6667
    """
    check_array(grads, "grads", ndim=2)
    grads = to_numpy(grads)
    same = (grads >= 0).all(axis=1) | (grads <= 0).all(axis=1)
    return float(same.mean())
