"""Optimisers: turn gradients into parameter updates, sorted in order of increasing complexity.

Each optimiser takes the parameters to train -- :class:`~dlcourse.nn.Parameter` objects,
e.g. ``model.parameters()`` -- and the loop reads as in PyTorch::

    opt = optim.Adam(model.parameters(), lr=1e-3)
    opt.zero_grad()                          # p.grad = None for every parameter
    model.backward(loss_fn.backward())       # the backward pass fills p.grad
    opt.step()                               # p.data -= ... from the p.grad of this moment

:meth:`Optimizer.step` reads each ``p.grad`` when it runs (a parameter without one is left
alone) and updates ``p.data`` *in place*, so the model sees the change without being told.

The update rules are PyTorch's ``torch.optim`` algorithms (``maximize=False``, no
``foreach``), written per parameter in plain math in each docstring, with
``g`` the gradient, ``p`` the parameter, ``t = 1, 2, ...`` the step count and ``lr`` the
learning rate.  Weight decay is the classic L2 form ``g <- g + weight_decay * p``, except in
:class:`AdamW`, which decays the weights directly.

Learning-rate schedules live in :mod:`dlcourse.optim.lr_scheduler`; they change
``optimizer.lr`` between epochs.

Examples
--------
>>> import numpy as np
>>> from dlcourse.nn import Parameter
>>> p = Parameter(np.array([1.0, -2.0]))
>>> opt = SGD([p], lr=0.1)
>>> p.grad = np.array([0.5, 0.5])
>>> opt.step()
>>> p.data.tolist()
[0.95, -2.05]
"""

from __future__ import annotations

import math

import numpy as np

from dlcourse._validate import check_array
from dlcourse.backend import array_module, to_numpy
from dlcourse.nn.parameter import Parameter

__all__ = [
    "SGD",
    "AdaGrad",
    "AdaMax",
    "Adam",
    "AdamW",
    "NAdam",
    "Optimizer",
    "RMSProp",
    "trajectory",
]


def _check_hyper(name: str, value: float, *, low: float = 0.0, high: float | None = None):
    """Raise unless ``low <= value`` (and ``value < high`` when given)."""
    if not value >= low or (high is not None and not value < high):
        interval = f"[{low}, {high})" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")


class Optimizer:
    """Base class: holds the ``params``, the learning rate ``lr`` and the step count.

    Subclasses implement :meth:`update`, the rule for one parameter's array.

    Parameters
    ----------
    params : iterable of :class:`~dlcourse.nn.Parameter`
        What to optimise, e.g. ``model.parameters()``: ``p.data`` is changed in place from
        ``p.grad`` at every step.
    lr : float
        Learning rate; schedules change it between epochs.
    """

    def __init__(self, params, *, lr: float):
        params = list(params)
        if not params:
            raise ValueError("the optimiser got an empty list of parameters")
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise TypeError(f"params[{i}] must be a dlcourse.nn.Parameter (e.g. from "
                                f"model.parameters()), got {type(p).__name__}")
            check_array(p.data, f"params[{i}].data", floating=True)
        _check_hyper("lr", lr)
        self.params, self.lr = params, lr
        self.steps = 0  # t in the formulas: how many times step() has run

    def zero_grad(self) -> None:
        """Forget every gradient (``p.grad = None``): gradients accumulate until you do."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Update every parameter's ``data`` in place from its ``grad`` of this moment."""
        self.steps += 1
        for i, p in enumerate(self.params):
            if p.grad is not None:
                self.update(i, p.data, p.grad)

    def update(self, i: int, p, g) -> None:
        """Update the array ``p`` of parameter number ``i`` in place from its gradient ``g``."""
        raise NotImplementedError

    def _zeros(self, value: float = 0.0):
        """One state array per parameter, filled with ``value`` (momenta, running averages)."""
        return [array_module(p.data).full_like(p.data, value) for p in self.params]

    def _decayed(self, p, g, weight_decay: float):
        """The gradient with L2 weight decay added: ``g + weight_decay * p`` (a new array)."""
        return g + weight_decay * p if weight_decay != 0 else g

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({len(self.params)} params, {hyper})"

    def hyperparameters(self) -> dict:
        """The constructor's keyword arguments and their current values."""
        return {"lr": self.lr}


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    Update rule, per parameter::

        g <- g + weight_decay * p
        if momentum != 0:
            b <- g                                    at t = 1
            b <- momentum * b + (1 - dampening) * g   at t > 1
            g <- g + momentum * b    if nesterov else    g <- b
        p <- p - lr * g

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse.nn import Parameter
    >>> p = Parameter(np.array([1.0]))
    >>> opt = SGD([p], lr=0.1, momentum=0.9)
    >>> p.grad = np.array([1.0])
    >>> opt.step(); opt.step()   # velocity 1, then 0.9 * 1 + 1 = 1.9
    >>> p.data.round(6).tolist()
    [0.71]
    """

    def __init__(self, params, *, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(params, lr=lr)
        _check_hyper("momentum", momentum)
        _check_hyper("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening")
        self.momentum, self.dampening, self.nesterov = momentum, dampening, nesterov
        self.weight_decay = weight_decay
        self.velocity = self._zeros()  # b in the formula

    def update(self, i, p, g):
        g = self._decayed(p, g, self.weight_decay)
        if self.momentum != 0:
            b = self.velocity[i]
            if self.steps == 1:
                b[...] = g
            else:
                b *= self.momentum
                b += (1 - self.dampening) * g
            g = g + self.momentum * b if self.nesterov else b
        p -= self.lr * g

    def hyperparameters(self):
        return {"lr": self.lr, "momentum": self.momentum, "dampening": self.dampening,
                "nesterov": self.nesterov, "weight_decay": self.weight_decay}


class AdaGrad(Optimizer):
    """AdaGrad: divide each coordinate's step by the root of its summed squared gradients.

    Coordinates that have seen large gradients slow down for good.  Update rule::

        g <- g + weight_decay * p
        s <- s + g * g                     (s starts at initial_accumulator_value)
        p <- p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse.nn import Parameter
    >>> p = Parameter(np.array([1.0]))
    >>> opt = AdaGrad([p], lr=0.5)
    >>> p.grad = np.array([4.0])
    >>> opt.step()   # the first step has size lr in every coordinate: 4 / sqrt(16) = 1
    >>> p.data.round(6).tolist()
    [0.5]
    """

    def __init__(self, params, *, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10):
        super().__init__(params, lr=lr)
        _check_hyper("lr_decay", lr_decay)
        _check_hyper("weight_decay", weight_decay)
        _check_hyper("initial_accumulator_value", initial_accumulator_value)
        _check_hyper("eps", eps)
        self.lr_decay, self.weight_decay, self.eps = lr_decay, weight_decay, eps
        self.initial_accumulator_value = initial_accumulator_value
        self.sum_sq = self._zeros(initial_accumulator_value)  # s in the formula

    def update(self, i, p, g):
        g = self._decayed(p, g, self.weight_decay)
        s = self.sum_sq[i]
        s += g * g
        clr = self.lr / (1 + (self.steps - 1) * self.lr_decay)
        p -= clr * (g / (array_module(s).sqrt(s) + self.eps))

    def hyperparameters(self):
        return {"lr": self.lr, "lr_decay": self.lr_decay, "weight_decay": self.weight_decay,
                "initial_accumulator_value": self.initial_accumulator_value, "eps": self.eps}


class RMSProp(Optimizer):
    """RMSProp: like AdaGrad, but the squared gradients are a moving average, not a sum.

    So old gradients are forgotten and the step size does not decay to zero.  Update rule::

        g <- g + weight_decay * p
        v <- alpha * v + (1 - alpha) * g * g
        if centered:                           subtract the squared mean gradient
            m <- alpha * m + (1 - alpha) * g
            d <- sqrt(v - m * m) + eps
        else:
            d <- sqrt(v) + eps
        if momentum > 0:
            b <- momentum * b + g / d
            p <- p - lr * b
        else:
            p <- p - lr * g / d

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse.nn import Parameter
    >>> p = Parameter(np.array([1.0]))
    >>> opt = RMSProp([p], lr=0.01, alpha=0.75, eps=0.0)
    >>> p.grad = np.array([2.0])
    >>> opt.step()   # v = 0.25 * 4 = 1, step = 0.01 * 2 / 1
    >>> p.data.round(6).tolist()
    [0.98]
    """

    def __init__(self, params, *, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False):
        super().__init__(params, lr=lr)
        _check_hyper("alpha", alpha)
        _check_hyper("eps", eps)
        _check_hyper("weight_decay", weight_decay)
        _check_hyper("momentum", momentum)
        self.alpha, self.eps, self.weight_decay = alpha, eps, weight_decay
        self.momentum, self.centered = momentum, centered
        self.square_avg = self._zeros()  # v
        self.grad_avg = self._zeros()  # m, used when centered
        self.velocity = self._zeros()  # b, used when momentum > 0

    def update(self, i, p, g):
        xp = array_module(p)
        g = self._decayed(p, g, self.weight_decay)
        v = self.square_avg[i]
        v *= self.alpha
        v += (1 - self.alpha) * g * g
        if self.centered:
            m = self.grad_avg[i]
            m *= self.alpha
            m += (1 - self.alpha) * g
            d = xp.sqrt(v - m * m) + self.eps
        else:
            d = xp.sqrt(v) + self.eps
        if self.momentum > 0:
            b = self.velocity[i]
            b *= self.momentum
            b += g / d
            p -= self.lr * b
        else:
            p -= self.lr * (g / d)

    def hyperparameters(self):
        return {"lr": self.lr, "alpha": self.alpha, "eps": self.eps,
                "weight_decay": self.weight_decay, "momentum": self.momentum,
                "centered": self.centered}


class Adam(Optimizer):
    """Adam: momentum (first moment) divided by an RMSProp scale (second moment).

    Both moving averages start at zero, so early on they are too small; dividing by
    ``1 - beta^t`` removes that bias.  Update rule::

        g <- g + weight_decay * p
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        if amsgrad:  v_max <- max(v_max, v)  and use v_max instead of v below
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse.nn import Parameter
    >>> p = Parameter(np.array([1.0]))
    >>> opt = Adam([p], lr=0.1, eps=0.0)
    >>> p.grad = np.array([-3.0])
    >>> opt.step()   # after bias correction m/sqrt(v) = g/|g|: the first step is lr
    >>> p.data.round(6).tolist()
    [1.1]
    """

    def __init__(self, params, *, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False):
        super().__init__(params, lr=lr)
        self.beta1, self.beta2 = _check_betas(betas)
        _check_hyper("eps", eps)
        _check_hyper("weight_decay", weight_decay)
        self.eps, self.weight_decay, self.amsgrad = eps, weight_decay, amsgrad
        self.exp_avg = self._zeros()  # m
        self.exp_avg_sq = self._zeros()  # v
        self.max_exp_avg_sq = self._zeros()  # v_max, used when amsgrad

    def update(self, i, p, g):
        self._adam_step(i, p, self._decayed(p, g, self.weight_decay))

    def _adam_step(self, i, p, g):
        """Moments, bias correction and the step, from the gradient ``g`` as given."""
        xp = array_module(p)
        m, v = self.exp_avg[i], self.exp_avg_sq[i]
        m += (1 - self.beta1) * (g - m)  # = beta1 * m + (1 - beta1) * g, rounded as torch does
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        if self.amsgrad:
            xp.maximum(self.max_exp_avg_sq[i], v, out=self.max_exp_avg_sq[i])
            v = self.max_exp_avg_sq[i]
        bias_correction1 = 1 - self.beta1**self.steps
        bias_correction2 = 1 - self.beta2**self.steps
        denom = xp.sqrt(v) / math.sqrt(bias_correction2) + self.eps
        p -= self.lr / bias_correction1 * (m / denom)

    def hyperparameters(self):
        return {"lr": self.lr, "betas": (self.beta1, self.beta2), "eps": self.eps,
                "weight_decay": self.weight_decay, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with *decoupled* weight decay (Loshchilov and Hutter, 2019).

    :class:`Adam`'s ``weight_decay`` adds ``weight_decay * p`` to the gradient, so the decay
    is divided by ``sqrt(v)`` like the rest of it: a weight with large gradients is hardly
    decayed, one with small gradients strongly.  AdamW shrinks the weight itself, outside the
    adaptive scaling, by the same fraction ``lr * weight_decay`` for every weight::

        p <- p - lr * weight_decay * p
        then Adam's update with the plain gradient g (no decay term)

    For plain SGD the two forms are one and the same update; for Adam they differ.

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse.nn import Parameter
    >>> p = Parameter(np.array([2.0]))
    >>> opt = AdamW([p], lr=0.1, eps=0.0, weight_decay=0.5)
    >>> p.grad = np.array([-3.0])
    >>> opt.step()   # shrink by lr * wd = 5 % to 1.9, then Adam's first step of lr
    >>> p.data.round(6).tolist()
    [2.0]
    """

    def __init__(self, params, *, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)

    def update(self, i, p, g):
        p *= 1 - self.lr * self.weight_decay
        self._adam_step(i, p, g)


class AdaMax(Optimizer):
    """AdaMax: Adam with the root-mean-square replaced by a decaying maximum of ``|g|``.

    The maximum needs no bias correction.  Update rule::

        g <- g + weight_decay * p
        m <- beta1 * m + (1 - beta1) * g
        u <- max(beta2 * u, |g| + eps)
        p <- p - lr / (1 - beta1^t) * m / u

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse.nn import Parameter
    >>> p = Parameter(np.array([1.0]))
    >>> opt = AdaMax([p], lr=0.1, eps=0.0)
    >>> p.grad = np.array([5.0])
    >>> opt.step()
    >>> p.data.round(6).tolist()
    [0.9]
    """

    def __init__(self, params, *, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(params, lr=lr)
        self.beta1, self.beta2 = _check_betas(betas)
        _check_hyper("eps", eps)
        _check_hyper("weight_decay", weight_decay)
        self.eps, self.weight_decay = eps, weight_decay
        self.exp_avg = self._zeros()  # m
        self.exp_inf = self._zeros()  # u

    def update(self, i, p, g):
        xp = array_module(p)
        g = self._decayed(p, g, self.weight_decay)
        m, u = self.exp_avg[i], self.exp_inf[i]
        m += (1 - self.beta1) * (g - m)  # = beta1 * m + (1 - beta1) * g, rounded as torch does
        xp.maximum(self.beta2 * u, xp.abs(g) + self.eps, out=u)
        p -= self.lr / (1 - self.beta1**self.steps) * (m / u)

    def hyperparameters(self):
        return {"lr": self.lr, "betas": (self.beta1, self.beta2), "eps": self.eps,
                "weight_decay": self.weight_decay}


class NAdam(Optimizer):
    """NAdam: Adam with Nesterov momentum -- the step already looks one momentum step ahead.

    The momentum coefficient warms up over time (Dozat, 2016):
    ``mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))``.  Update rule::

        g <- g + weight_decay * p
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        d <- sqrt(v / (1 - beta2^t)) + eps
        p <- p - lr * (1 - mu_t) / (1 - mu_1 * ... * mu_t) * g / d
               - lr * mu_{t+1} / (1 - mu_1 * ... * mu_{t+1}) * m / d

    Examples
    --------
    >>> import numpy as np
    >>> from dlcourse.nn import Parameter
    >>> p = Parameter(np.array([1.0]))
    >>> opt = NAdam([p], lr=0.1)
    >>> p.grad = np.array([1.0])
    >>> opt.step()
    >>> bool(0.8 < p.data[0] < 0.95)
    True
    """

    def __init__(self, params, *, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3):
        super().__init__(params, lr=lr)
        self.beta1, self.beta2 = _check_betas(betas)
        _check_hyper("eps", eps)
        _check_hyper("weight_decay", weight_decay)
        _check_hyper("momentum_decay", momentum_decay)
        self.eps, self.weight_decay, self.momentum_decay = eps, weight_decay, momentum_decay
        self.exp_avg = self._zeros()  # m
        self.exp_avg_sq = self._zeros()  # v
        self.mu_product = 1.0  # mu_1 * ... * mu_t, the same for every parameter

    def step(self) -> None:
        self.mu_product *= self._momentum_at(self.steps + 1)
        super().step()

    def _momentum_at(self, t: int) -> float:
        return self.beta1 * (1.0 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def update(self, i, p, g):
        self._adam_step(i, p, self._decayed(p, g, self.weight_decay))

    def _adam_step(self, i, p, g):
        """Moments, bias correction and the step, from the gradient ``g`` as given."""
        xp = array_module(p)
        m, v = self.exp_avg[i], self.exp_avg_sq[i]
        m += (1 - self.beta1) * (g - m)  # = beta1 * m + (1 - beta1) * g, rounded as torch does
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        d = xp.sqrt(v / (1 - self.beta2**self.steps)) + self.eps
        mu, mu_next = self._momentum_at(self.steps), self._momentum_at(self.steps + 1)
        p -= self.lr * (1 - mu) / (1 - self.mu_product) * (g / d)
        p -= self.lr * mu_next / (1 - self.mu_product * mu_next) * (m / d)

    def hyperparameters(self):
        return {"lr": self.lr, "betas": (self.beta1, self.beta2), "eps": self.eps,
                "weight_decay": self.weight_decay, "momentum_decay": self.momentum_decay}


def _check_betas(betas) -> tuple[float, float]:
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair of floats, got {betas!r}") from None
    _check_hyper("betas[0]", beta1, high=1.0)
    _check_hyper("betas[1]", beta2, high=1.0)
    return float(beta1), float(beta2)


def trajectory(grad_fn, start, make_optimizer, steps: int) -> np.ndarray:
    """The points an optimiser visits on a small surface, for plotting an optimiser race.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(x)`` returns the gradient of the surface at ``x``, shape (dim,).
    start : array_like, shape (dim,)
        Starting point.
    make_optimizer : callable
        ``make_optimizer(params)`` returns an optimiser of those parameters, e.g.
        ``functools.partial(Adam, lr=0.1)`` or ``lambda params: SGD(params, lr=0.01)``.
    steps : int
        Number of optimiser steps.

    Returns
    -------
    ndarray, shape (steps + 1, dim), float64
        Row 0 is ``start``; row k the point after k steps.

    Examples
    --------
    >>> from functools import partial
    >>> path = trajectory(lambda x: 2 * x, [1.0, -1.0], partial(SGD, lr=0.25), steps=2)
    >>> path.tolist()    # gradient descent on |x|^2 halves x each step
    [[1.0, -1.0], [0.5, -0.5], [0.25, -0.25]]
    """
    if int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    x = Parameter(np.array(to_numpy(start), dtype=np.float64).reshape(-1))
    optimizer = make_optimizer([x])
    path = np.empty((int(steps) + 1, x.size))
    path[0] = x.data
    for k in range(1, int(steps) + 1):
        x.grad = np.asarray(to_numpy(grad_fn(x.data.copy())), dtype=np.float64)
        optimizer.step()
        path[k] = x.data
    return path
