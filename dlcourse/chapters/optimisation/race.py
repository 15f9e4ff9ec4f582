"""Optimisers at work on small problems: races on 2-D surfaces, momentum, Adam, schedules.

Everything here runs the from-scratch optimisers of :mod:`dlcourse.optim` and returns
plain numbers and arrays for the plots of :mod:`dlcourse.chapters.optimisation.plots`:

* :func:`race`, :func:`basins`: trajectories of several optimisers on a surface of
  :mod:`dlcourse.chapters.optimisation.surfaces`, and which minimum each start ends in;
* :func:`steps_to_reach`, :func:`fastest_lr`: how many steps each optimiser needs, at its
  best learning rate from a grid;
* :func:`momentum_max_step`, :func:`momentum_step_sizes`: momentum's top speed
  ``lr * |g| / (1 - beta)``, in theory and in a run;
* :func:`gd_steps_formula`, :func:`gd_steps_needed`: how the condition number of a
  quadratic sets the number of gradient-descent steps;
* :func:`adam_first_steps`: Adam's moments and bias correction, step by step;
* :func:`lr_curve`: the learning rate a schedule gives each epoch;
* :func:`gradient_norms_at_init`, :func:`gradient_norms_during_training`: vanishing and
  exploding gradients come from depth, activation and initialisation -- not from the
  learning rate.

Minibatch effects (noise, speed, memory) are in :mod:`dlcourse.chapters.optimisation.minibatch`;
one network trained on the digits by each optimiser, from scratch and by ``torch.optim``, in
:mod:`dlcourse.chapters.optimisation.digits_comparison`.

Examples
--------
>>> paths = race("quadratic", ["SGD", "Adam"], lr=0.1, steps=20)
>>> paths["SGD"].shape
(21, 2)
>>> round(momentum_max_step(lr=0.1, grad_norm=1.0, beta=0.9), 6)    # ten plain steps of 0.1
1.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import partial
from types import SimpleNamespace

import numpy as np

from dlcourse import nn, optim
from dlcourse.backend import asarray, to_numpy
from dlcourse.chapters.optimisation.surfaces import get_surface, quadratic

__all__ = [
    "OPTIMIZERS",
    "adam_first_steps",
    "basins",
    "check_names",
    "fastest_lr",
    "gd_steps_formula",
    "gd_steps_needed",
    "gradient_norms_at_init",
    "gradient_norms_during_training",
    "lr_curve",
    "make_optimizer",
    "momentum_max_step",
    "momentum_step_sizes",
    "race",
    "steps_to_reach",
]

# Each optimiser of the race by name; ``beta`` is the momentum (the first-moment decay
# for the Adam family) and is not used by SGD, AdaGrad and RMSProp.
OPTIMIZERS = {
    "SGD": lambda params, lr, beta: optim.SGD(params, lr=lr),
    "Momentum": lambda params, lr, beta: optim.SGD(params, lr=lr, momentum=beta),
    "Nesterov": lambda params, lr, beta: optim.SGD(params, lr=lr, momentum=beta, nesterov=True),
    "AdaGrad": lambda params, lr, beta: optim.AdaGrad(params, lr=lr),
    "RMSProp": lambda params, lr, beta: optim.RMSProp(params, lr=lr),
    "Adam": lambda params, lr, beta: optim.Adam(params, lr=lr, betas=(beta, 0.999)),
    "AdaMax": lambda params, lr, beta: optim.AdaMax(params, lr=lr, betas=(beta, 0.999)),
    "NAdam": lambda params, lr, beta: optim.NAdam(params, lr=lr, betas=(beta, 0.999)),
}


def check_names(names) -> list[str]:
    """``names`` as a list of keys of :data:`OPTIMIZERS` (a single name is a list of one)."""
    names = [names] if isinstance(names, str) else list(names)
    unknown = [n for n in names if n not in OPTIMIZERS]
    if unknown or not names:
        raise ValueError(f"unknown optimiser(s) {unknown or names}: choose from "
                         f"{', '.join(OPTIMIZERS)}")
    return names


def _lr_for(lr, name: str) -> float:
    """``lr`` itself, or ``lr[name]`` when a learning rate per optimiser is given."""
    value = lr[name] if isinstance(lr, Mapping) else lr
    if not value > 0:
        raise ValueError(f"the learning rate of {name} must be positive, got {value!r}")
    return float(value)


def make_optimizer(name: str, params, *, lr: float, beta: float = 0.9):
    """The optimiser called ``name`` (a key of :data:`OPTIMIZERS`) on ``params``.

    >>> import numpy as np
    >>> make_optimizer("Nesterov", [nn.Parameter(np.zeros(2))], lr=0.1)
    SGD(1 params, lr=0.1, momentum=0.9, dampening=0.0, nesterov=True, weight_decay=0.0)
    """
    (name,) = check_names([name])
    return OPTIMIZERS[name](params, lr, beta)


# --- races on a surface ------------------------------------------------------------------

def race(surface, optimizers, *, lr, beta: float = 0.9, start=None, steps: int = 100) -> dict:
    """Let each optimiser walk ``steps`` steps downhill on ``surface`` from ``start``.

    Parameters
    ----------
    surface : Surface or str
        A surface of :mod:`dlcourse.chapters.optimisation.surfaces` or its name (``"quadratic"``,
        ``"bumps"``).
    optimizers : sequence of str
        Keys of :data:`OPTIMIZERS`.
    lr : float or mapping of str to float, keyword-only
        One learning rate for all, or one per optimiser.
    beta : float
        Momentum / first-moment decay of the optimisers that have one.
    start : (float, float), optional
        Defaults to the surface's ``start``.
    steps : int

    Returns
    -------
    dict of str to ndarray, shape (steps + 1, 2)
        Each optimiser's path; row 0 is ``start``.  A path that diverges holds inf/nan.

    Examples
    --------
    >>> paths = race("quadratic", ["SGD"], lr=0.25, start=(2.0, 0.0), steps=2)
    >>> paths["SGD"][:, 0].tolist()    # x shrinks by 1 - lr each step (curvature 1)
    [2.0, 1.5, 1.125]
    """
    surface = get_surface(surface)
    start = surface.start if start is None else start
    paths = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for name in check_names(optimizers):
            make = partial(make_optimizer, name, lr=_lr_for(lr, name), beta=beta)
            paths[name] = optim.trajectory(surface.gradient, start, make, steps)
    return paths


def steps_to_reach(surface, paths, *, tol: float = 1e-4) -> dict:
    """For each path, the step from which on ``f(p_k) <= min f + tol`` holds (None: never).

    "From which on": a path that swings through the minimum and out again (momentum
    does) has not converged yet.  ``min f`` is the lowest critical point of the surface
    (its global minimum), so a path that settles in a local minimum never counts.

    >>> paths = race("quadratic", ["SGD"], lr=0.25, start=(1.0, 0.0), steps=40)
    >>> steps_to_reach("quadratic", paths, tol=1e-4)    # 0.5 * 0.75^(2k) <= 1e-4
    {'SGD': 15}
    """
    surface = get_surface(surface)
    floor = surface.critical_points[0].value
    result = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for name, path in paths.items():
            outside = ~(surface(path) <= floor + tol)  # nan (diverged) counts as outside
            result[name] = None if outside[-1] else int(np.flatnonzero(outside)[-1] + 1
                                                          if outside.any() else 0)
    return result


def fastest_lr(surface, optimizers, lrs, *, beta: float = 0.9, start=None, steps: int = 300,
               tol: float = 1e-4) -> dict:
    """Each optimiser's learning rate (from ``lrs``) that reaches the global minimum first.

    Runs :func:`race` once per learning rate and :func:`steps_to_reach` on the paths.

    Returns
    -------
    dict of str to (lr, steps)
        The best learning rate and its number of steps; ``(None, None)`` when no rate of
        ``lrs`` gets within ``tol`` of the minimum in ``steps`` steps.

    >>> fastest_lr("quadratic", ["SGD"], [0.1, 0.18, 0.3], steps=100)   # 2 / 11 is the best
    {'SGD': (0.18, 29)}
    """
    best = {name: (None, None) for name in check_names(optimizers)}
    for lr in lrs:
        paths = race(surface, list(best), lr=lr, beta=beta, start=start, steps=steps)
        for name, k in steps_to_reach(surface, paths, tol=tol).items():
            if k is not None and (best[name][1] is None or k < best[name][1]):
                best[name] = (float(lr), k)
    return best


def basins(surface, *, optimizer: str = "SGD", lr: float = 0.1, beta: float = 0.9,
           steps: int = 300, n: int = 60, radius: float = 0.1):
    """Which minimum each start on an ``n x n`` grid ends in, after ``steps`` steps.

    Every optimiser of :data:`OPTIMIZERS` updates each coordinate on its own, so the
    ``n * n`` starts can run as one parameter array of shape ``(n * n, 2)``.

    Returns
    -------
    X, Y : ndarray, shape (n, n)
        The starts.
    label : ndarray of int, shape (n, n)
        Index into ``surface.minima()`` of the minimum within ``radius`` of the end
        point, or -1 if there is none (still on the way, stuck on a plateau, diverged).

    Examples
    --------
    >>> X, Y, label = basins("bumps", n=5)
    >>> sorted(set(label.ravel().tolist()))     # global minimum, local minimum, not there yet
    [-1, 0, 1]
    """
    surface = get_surface(surface)
    x0, x1, y0, y1 = surface.extent
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    points = nn.Parameter(np.stack([X.ravel(), Y.ravel()], axis=-1))   # all starts at once
    opt = make_optimizer(optimizer, [points], lr=lr, beta=beta)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            points.grad = surface.gradient(points.data)
            opt.step()
    p = points.data
    minima = np.array(surface.minima()).reshape(-1, 2)
    distance = np.linalg.norm(p[:, None, :] - minima[None, :, :], axis=-1)  # (n*n, minima)
    nearest = np.argmin(np.nan_to_num(distance, nan=np.inf), axis=1)
    label = np.where(distance[np.arange(len(p)), nearest] <= radius, nearest, -1)
    return X, Y, label.reshape(n, n)


# --- momentum ----------------------------------------------------------------------------

def momentum_max_step(lr: float, grad_norm: float, beta: float) -> float:
    """Largest step of gradient descent with momentum: ``lr * grad_norm / (1 - beta)``.

    Under a constant gradient ``g`` the velocity ``v <- beta v + g`` grows towards the
    geometric series ``g (1 + beta + beta^2 + ...) = g / (1 - beta)``.

    >>> round(momentum_max_step(lr=1.0, grad_norm=1.0, beta=0.99), 6)
    100.0
    """
    if not 0 <= beta < 1:
        raise ValueError(f"beta must be in [0, 1), got {beta!r}")
    return lr * grad_norm / (1 - beta)


def momentum_step_sizes(lr: float, beta: float, *, grad=(1.0, 0.0), steps: int = 60):
    """Lengths of the steps ``dlcourse.optim.SGD(momentum=beta)`` takes under a constant gradient.

    The surface is the plane ``f(p) = g . p``: its gradient is ``grad`` everywhere.

    Returns
    -------
    ndarray, shape (steps,)
        ``|p_k - p_(k-1)|``, growing towards :func:`momentum_max_step`.

    >>> momentum_step_sizes(0.1, 0.5, steps=3).round(6).tolist()    # 0.1 (1, 1.5, 1.75)
    [0.1, 0.15, 0.175]
    """
    g = np.asarray(grad, dtype=float)
    path = optim.trajectory(lambda p: g, np.zeros_like(g),
                            partial(optim.SGD, lr=lr, momentum=beta), steps)
    return np.linalg.norm(np.diff(path, axis=0), axis=1)


# --- gradient descent on a quadratic -----------------------------------------------------

def _contraction(condition_number: float, lr: float) -> float:
    """How much GD shrinks the error per step on the quadratic: ``max |1 - lr * lambda|``."""
    return max(abs(1 - lr), abs(1 - lr * condition_number))


def gd_steps_formula(condition_number: float, *, lr: float | None = None,
                     tol: float = 1e-3) -> float:
    """Steps gradient descent needs on the quadratic to shrink its distance to 0 by ``tol``.

    The quadratic is :func:`~dlcourse.chapters.optimisation.surfaces.quadratic` with this condition
    number.

    Along the Hessian's eigenvector with eigenvalue ``lambda`` one step multiplies the
    error by ``1 - lr * lambda``.  With eigenvalues 1 and ``kappa`` the worse factor is
    ``rho = max(|1 - lr|, |1 - lr kappa|)``, so ``k = ceil(log(tol) / log(rho))`` steps
    suffice.  The best ``lr = 2 / (1 + kappa)`` gives ``rho = (kappa - 1) / (kappa + 1)``:
    about ``kappa / 2 * ln(1 / tol)`` steps.  With ``rho >= 1`` (``lr >= 2 / kappa``,
    the steep axis overshoots) GD never gets there: ``inf``.

    Parameters
    ----------
    condition_number : float
        ``kappa >= 1``, the ratio of the largest to the smallest curvature.
    lr : float, optional
        Defaults to the best constant learning rate ``2 / (1 + kappa)``.
    tol : float
        Target ratio ``|p_k| / |p_0|`` (the minimum is at 0).

    >>> gd_steps_formula(10.0)        # rho = 9/11
    35
    """
    lr = 2 / (1 + condition_number) if lr is None else lr
    rho = _contraction(condition_number, lr)
    if rho == 0:
        return 1
    if rho >= 1:
        return math.inf
    return math.ceil(math.log(tol) / math.log(rho))


def gd_steps_needed(condition_number: float, *, lr: float | None = None, tol: float = 1e-3,
                    start=(1.0, 1.0), max_steps: int = 100_000) -> float:
    """Run ``dlcourse.optim.SGD`` on the quadratic and count steps until ``|p_k| <= tol |p_0|``.

    Returns ``inf`` if ``max_steps`` are not enough (or the run diverges).

    >>> gd_steps_needed(10.0)
    35
    """
    lr = 2 / (1 + condition_number) if lr is None else lr
    surface = quadratic(condition_number)
    p = nn.Parameter(np.array(start, dtype=float))
    opt = optim.SGD([p], lr=lr)
    target = tol * np.linalg.norm(p.data)
    for k in range(1, max_steps + 1):
        p.grad = surface.gradient(p.data)
        opt.step()
        norm = np.linalg.norm(p.data)
        if norm <= target:
            return k
        if not np.isfinite(norm):
            break
    return math.inf


# --- Adam, step by step ------------------------------------------------------------------

def adam_first_steps(grads, *, lr: float = 0.1, betas=(0.9, 0.999), eps: float = 1e-8):
    """Adam's moments, their bias correction and the step, for a scalar parameter.

    Written out from the formulas, and compared with what ``dlcourse.optim.Adam`` does::

        m <- b1 m + (1 - b1) g          m_hat = m / (1 - b1^t)
        v <- b2 v + (1 - b2) g^2        v_hat = v / (1 - b2^t)
        step = lr m_hat / (sqrt(v_hat) + eps)

    Without the correction, ``m`` and ``v`` start near 0 and the first steps are wrong
    (``lr (1 - b1) / sqrt(1 - b2) = 3.16 lr`` at ``t = 1`` with the default betas).

    Parameters
    ----------
    grads : sequence of float
        The gradient seen at step 1, 2, ...

    Returns
    -------
    list of dict
        One row per step: ``t, g, m, v, m_hat, v_hat, step, step_uncorrected`` and
        ``step_optim``, the step ``dlcourse.optim.Adam`` took (equal to ``step``).

    >>> [round(row["step"], 6) for row in adam_first_steps([2.0, 2.0])]
    [0.1, 0.1]
    """
    b1, b2 = betas
    m = v = 0.0
    p = nn.Parameter(np.zeros(1))
    adam = optim.Adam([p], lr=lr, betas=betas, eps=eps)
    rows = []
    for t, grad in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        before = float(p.data[0])
        p.grad = np.array([grad], dtype=float)
        adam.step()
        rows.append({"t": t, "g": float(grad), "m": m, "v": v, "m_hat": m_hat, "v_hat": v_hat,
                     "step": lr * m_hat / (math.sqrt(v_hat) + eps),
                     "step_uncorrected": lr * m / (math.sqrt(v) + eps),
                     "step_optim": before - float(p.data[0])})
    return rows


# --- learning-rate schedules -------------------------------------------------------------

def lr_curve(make_schedule, *, epochs: int, lr: float = 0.1, metrics=None) -> list[float]:
    """The learning rate each epoch gets from a schedule of :mod:`dlcourse.optim.lr_scheduler`.

    Parameters
    ----------
    make_schedule : callable
        ``make_schedule(optimizer) -> schedule``, e.g.
        ``lambda opt: StepLR(opt, step_size=10)``.
    epochs : int
    lr : float
        The starting learning rate.
    metrics : sequence of float, optional
        The validation loss after each epoch, for ``ReduceLROnPlateau``.

    >>> from dlcourse.optim.lr_scheduler import StepLR
    >>> lr_curve(lambda opt: StepLR(opt, step_size=2, gamma=0.5), epochs=5, lr=1.0)
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    opt = SimpleNamespace(lr=lr)  # a schedule only reads and writes .lr
    schedule = make_schedule(opt)
    rates = []
    for epoch in range(epochs):
        rates.append(opt.lr)
        if metrics is None:
            schedule.step()
        else:
            schedule.step(metrics[epoch])
    return rates


# --- vanishing and exploding gradients: not the learning rate ----------------------------

def _deep_net(depth, activation, init_scale, width, seed):
    """``depth`` x (Linear(width, width) + activation), then Linear(width, 10); a batch."""
    if int(depth) != depth or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}")
    hidden = nn.mlp(width, [width] * int(depth), None, activation=activation, dtype="float64")
    rng = np.random.default_rng(seed)
    for linear in hidden.layers[::2]:
        linear.weight.data[...] = asarray(rng.standard_normal((width, width)) * init_scale
                                          / math.sqrt(width))
        linear.bias.data[...] = 0
    net = nn.Sequential(*hidden, nn.Linear(width, 10, rng=seed, dtype="float64"))
    return net, asarray(rng.standard_normal((64, width))), asarray(rng.integers(0, 10, 64))


def _hidden_grad_norms(net, loss_fn, x, target):
    """Forward, backward; the Frobenius norm of each hidden layer's weight gradient."""
    loss_fn(net(x), target)
    net.zero_grad()
    net.backward(loss_fn.backward())
    return [float(np.linalg.norm(to_numpy(layer.weight.grad))) for layer in net.layers[:-1:2]]


def gradient_norms_at_init(depth: int, *, activation: str = "tanh", init_scale: float = 1.0,
                           width: int = 64, seed: int = 0) -> np.ndarray:
    """The size of ``dL/dW`` in each hidden layer of a freshly initialised deep MLP.

    ``depth`` layers ``Linear(width, width)`` + activation, then ``Linear(width, 10)`` and
    the cross-entropy on 64 random inputs and labels.  Hidden weights are drawn from
    ``N(0, init_scale^2 / width)``, biases are 0.  One forward and one backward pass: no
    optimiser step, so no learning rate exists yet.  Whatever these norms do -- shrink
    towards the input (vanishing) or grow (exploding) -- comes from the product of the
    layers' local gradients: depth, activation and initialisation.

    Returns
    -------
    ndarray, shape (depth,)
        Frobenius norm of each hidden layer's weight gradient, the layer next to the
        input first.

    >>> norms = gradient_norms_at_init(10, activation="sigmoid")
    >>> bool(norms[0] < norms[-1] / 100)      # sigmoid: f' <= 1/4 per layer, it vanishes
    True
    """
    net, x, target = _deep_net(depth, activation, init_scale, width, seed)
    return np.array(_hidden_grad_norms(net, nn.CrossEntropyLoss(), x, target))


def gradient_norms_during_training(depth: int, *, lr: float, steps: int = 10,
                                   activation: str = "sigmoid", init_scale: float = 1.0,
                                   width: int = 64, seed: int = 0) -> np.ndarray:
    """Hidden-layer gradient norms before each of ``steps`` SGD steps with learning rate ``lr``.

    The network and batch are those of :func:`gradient_norms_at_init`.  Row 0 is taken
    before the first step, so it cannot depend on ``lr``; the later rows show that a
    different learning rate does not cure the vanishing either: the ratio of the first
    layer's gradient to the last one's stays tiny.

    Returns
    -------
    ndarray, shape (steps + 1, depth)

    >>> a = gradient_norms_during_training(6, lr=0.01, steps=2)
    >>> b = gradient_norms_during_training(6, lr=1.0, steps=2)
    >>> bool((a[0] == b[0]).all()), bool((a[1] != b[1]).any())
    (True, True)
    """
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    net, x, target = _deep_net(depth, activation, init_scale, width, seed)
    loss_fn, opt = nn.CrossEntropyLoss(), optim.SGD(net.parameters(), lr=lr)
    rows = []
    for _ in range(steps + 1):
        rows.append(_hidden_grad_norms(net, loss_fn, x, target))
        opt.step()  # the last step is never looked at
    return np.array(rows)
