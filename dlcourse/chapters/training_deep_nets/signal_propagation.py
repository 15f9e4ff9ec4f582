"""How signals and gradients travel through a deep MLP: the effect of depth, activation and init.

A deep network multiplies.  Forward, every layer multiplies the signal by its weights and
squashes it by the activation; backward, the chain rule multiplies the gradient by the same
weights (transposed) and by the activation's derivative.  After ``L`` layers the spread of
both is roughly a *product of L factors*: below 1 they vanish, above 1 they explode.  The
learning rate plays no part in this -- it only scales the step taken *after* the gradient
has been computed.

:func:`propagate` builds a ``depth``-layer MLP from :mod:`dlcourse.nn` with one of the
initialisations of :data:`INITS`, sends a batch of standard-normal inputs through it, sends
a standard-normal gradient back, and records every layer's activations and gradients.

Examples
--------
>>> stats = propagate(depth=4, width=64, activation="tanh", init="small", seed=0)
>>> [f"{s:.0e}" for s in stats.act_std]   # each layer: x 0.01 * sqrt(64) = 0.08
['8e-02', '7e-03', '5e-04', '4e-05']
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from dlcourse import nn, optim
from dlcourse._validate import check_positive
from dlcourse.backend import array_module, asarray, default_rng, to_numpy
from dlcourse.nn import functional as F
from dlcourse.nn import init as nn_init

__all__ = [
    "ACTIVATION_CHOICES",
    "INITS",
    "SignalProbe",
    "SignalStats",
    "covariate_shift",
    "deep_mlp",
    "init_std",
    "init_weight",
    "propagate",
]

#: The activations the chapter compares, names of :data:`dlcourse.nn.ACTIVATIONS`.
ACTIVATION_CHOICES = ("tanh", "relu", "sigmoid", "selu")

#: Initialisations by name, with the standard deviation of the weights they draw.
INITS = {
    "zero": "all weights 0",
    "small": "N(0, 0.01²)",
    "large": "N(0, 1)",
    "xavier": "N(0, 2 / (fan_in + fan_out))  (Glorot)",
    "he": "N(0, 2 / fan_in)  (Kaiming, for ReLU)",
    "lecun": "N(0, 1 / fan_in)  (for SELU)",
}


def init_std(init: str, fan_in: int, fan_out: int) -> float:
    """Standard deviation of the weights drawn by ``init`` for a layer of this fan in/out.

    >>> init_std("xavier", 100, 100), round(init_std("he", 100, 100), 4)
    (0.1, 0.1414)
    """
    stds = {"zero": 0.0, "small": 0.01, "large": 1.0,
            "xavier": math.sqrt(2.0 / (fan_in + fan_out)),
            "he": math.sqrt(2.0 / fan_in), "lecun": math.sqrt(1.0 / fan_in)}
    if init not in stds:
        raise ValueError(f"unknown init {init!r}: choose one of {', '.join(INITS)}")
    return stds[init]


def init_weight(shape, init: str, *, rng, dtype="float32"):
    """A new dense weight ``(out, in)`` drawn by ``init``, using :mod:`dlcourse.nn.init`.

    >>> init_weight((3, 2), "zero", rng=None).tolist()
    [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]
    """
    fan_in, fan_out = nn_init.fan_in_and_fan_out(shape)
    std = init_std(init, fan_in, fan_out)          # validates the name first
    if init == "zero":
        return nn_init.zeros(shape, dtype=dtype)
    if init == "xavier":
        return nn_init.xavier_normal(shape, rng=rng, dtype=dtype)
    if init == "he":
        return nn_init.kaiming_normal(shape, nonlinearity="relu", rng=rng, dtype=dtype)
    return nn_init.normal(shape, 0.0, std, rng=rng, dtype=dtype)


def deep_mlp(depth: int, width: int, activation: str = "tanh", init: str = "xavier", *,
             bias_init: float = 0.0, seed=0, dtype="float32") -> nn.Sequential:
    """``depth`` blocks ``Linear(width, width) -> activation``, weights drawn by ``init``.

    Biases are set to the constant ``bias_init`` (0, or e.g. 0.1 for ReLU units).  The
    weights are drawn on the host from ``seed`` and moved to the active backend, so the
    same seed gives the same network on CPU and GPU.  They are drawn block by block, so
    block ``i`` is the same whatever the depth (:class:`SignalProbe` relies on it).

    >>> net = deep_mlp(3, 8, "relu", "he")
    >>> len(list(net.parameters())), net.num_params()
    (6, 216)
    """
    _check_depth(depth)
    blocks = _blocks(width, activation, init, bias_init=bias_init, seed=seed, dtype=dtype)
    return nn.Sequential(*itertools.chain.from_iterable(itertools.islice(blocks, int(depth))))


def _check_depth(depth) -> None:
    if int(depth) != depth or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}")


def _blocks(width: int, activation: str, init: str, *, bias_init: float, seed, dtype):
    """:func:`deep_mlp`'s blocks ``(Linear, activation)``, one after another without end:
    block ``i`` is the same whatever the depth."""
    host_rng = np.random.default_rng(seed)    # drawn on the host: same net on CPU and GPU
    while True:
        act = nn.activation(activation)       # an unknown name fails before any weight
        linear = nn.Linear(width, width, dtype=dtype)
        weight = init_weight(linear.weight.shape, init, rng=host_rng, dtype=dtype)
        linear.weight.data[...] = asarray(weight)
        linear.bias.data[...] = bias_init
        yield linear, act


@dataclass
class SignalStats:
    """Per-layer statistics of one forward and backward pass (index 0 = first layer).

    Attributes
    ----------
    activations : list of ndarray
        A sample of each layer's outputs (after the activation), for histograms.
    gradients : list of ndarray
        A sample of the gradient of the loss with respect to each layer's output.
    act_mean, act_std : list of float
        Mean and standard deviation of each layer's outputs.
    grad_std : list of float
        Standard deviation of the gradient with respect to each layer's output.
    weight_grad_norm : list of float
        Norm of the gradient of each layer's weight matrix.
    active_fraction : list of float
        Fraction of outputs that are positive (for ReLU: units that pass a gradient).
    """

    activations: list
    gradients: list
    act_mean: list
    act_std: list
    grad_std: list
    weight_grad_norm: list
    active_fraction: list


class SignalProbe:
    """A deep MLP with one batch sent forward through it, grown as deep as asked: the
    statistics of any depth.

    Block ``i`` of :func:`deep_mlp` is the same whatever the depth (the weights are drawn
    block by block), and its outputs do not depend on the blocks after it.  So one forward
    pass, extended block by block, serves every depth: :meth:`stats` sends the gradient
    back from block ``depth``.  :func:`propagate` probes one depth; the chapter's panel keeps
    a probe per setting and drags the depth through it.

    Parameters
    ----------
    width, activation, init, bias_init
        The network, see :func:`deep_mlp`.
    batch : int
        Number of input vectors.
    seed : int
        Seeds the weights, the inputs and the output gradient (drawn on the host, so the
        numbers are the same on every backend).
    dtype : default float32

    Examples
    --------
    >>> probe = SignalProbe(64, "relu", "he")
    >>> probe.stats(5).act_std == propagate(5, 64, "relu", "he").act_std
    True
    """

    def __init__(self, width: int, activation: str = "tanh", init: str = "xavier", *,
                 batch: int = 256, bias_init: float = 0.0, seed=0, dtype="float32"):
        check_positive(width, "width")
        check_positive(batch, "batch")
        self._new_blocks = _blocks(width, activation, init, bias_init=bias_init, seed=seed,
                                   dtype=dtype)
        rng = np.random.default_rng(seed + 1)   # host random numbers, moved to the backend
        self._signal = asarray(rng.standard_normal((batch, width)), dtype=dtype)
        self._output_grad = asarray(rng.standard_normal((batch, width)), dtype=dtype)
        self._blocks = []                       # (linear, activation, input, pre-activation)
        self._outputs = []                      # each block's, on the host
        self._seed = seed
        self._grow(1)                           # checks the activation and init names

    def _grow(self, depth: int) -> None:
        """Send the signal on through new blocks until there are ``depth``."""
        while len(self._blocks) < depth:
            linear, act = next(self._new_blocks)
            z = linear(self._signal)
            self._blocks.append((linear, act, self._signal, z))
            self._signal = act(z)
            self._outputs.append(to_numpy(self._signal))

    def stats(self, depth: int, *, sample: int = 2000) -> SignalStats:
        """The statistics of the first ``depth`` blocks, with an ``N(0, 1)`` gradient sent
        back from the last of them.

        Parameters
        ----------
        depth : int
        sample : int
            How many values per layer to keep for the histograms.
        """
        _check_depth(depth)
        self._grow(int(depth))
        outputs = self._outputs[:int(depth)]
        grad = self._output_grad
        grads, weight_norms = [], []
        for linear, act, x, z in reversed(self._blocks[:int(depth)]):
            grads.append(to_numpy(grad))
            act(z)             # cheap to run again; it saves what its backward needs
            grad, weight_grad, _ = F.linear_backward(act.backward(grad), x,
                                                     linear.weight.data, linear.bias.data)
            weight_norms.append(float(np.linalg.norm(to_numpy(weight_grad))))
        grads.reverse()
        weight_norms.reverse()
        keep = np.random.default_rng(self._seed).permutation(outputs[0].size)[:sample]
        return SignalStats(
            activations=[a.ravel()[keep] for a in outputs],
            gradients=[g.ravel()[keep] for g in grads],
            act_mean=[float(a.mean()) for a in outputs],
            act_std=[float(a.std()) for a in outputs],
            grad_std=[float(g.std()) for g in grads],
            weight_grad_norm=weight_norms,
            active_fraction=[float((a > 0).mean()) for a in outputs],
        )


def propagate(depth: int = 10, width: int = 256, activation: str = "tanh",
              init: str = "xavier", *, batch: int = 256, bias_init: float = 0.0,
              sample: int = 2000, seed=0, dtype="float32") -> SignalStats:
    """Send ``N(0, 1)`` inputs forward and an ``N(0, 1)`` output gradient backward; measure.

    Parameters
    ----------
    depth, width, activation, init, bias_init
        The network, see :func:`deep_mlp`.
    batch : int
        Number of input vectors.
    sample : int
        How many values per layer to keep for the histograms.
    seed : int
        Seeds the weights, the inputs and the output gradient (drawn on the host, so the
        numbers are the same on every backend).

    Returns
    -------
    SignalStats

    Examples
    --------
    >>> stats = propagate(depth=20, width=128, activation="selu", init="lecun", seed=0)
    >>> round(stats.act_std[-1], 1)                  # self-normalising: still about 1
    1.0
    """
    _check_depth(depth)
    probe = SignalProbe(width, activation, init, batch=batch, bias_init=bias_init, seed=seed,
                        dtype=dtype)
    return probe.stats(depth, sample=sample)


def covariate_shift(X, y, *, batchnorm: bool, hidden: int = 64, depth: int = 4,
                    steps: int = 60, lr: float = 0.5, batch_size: int = 64, seed=0) -> dict:
    """Track the inputs of the last hidden layer while the layers below keep learning.

    Trains a ``depth``-layer sigmoid MLP (optionally with :class:`~dlcourse.nn.BatchNorm1d`
    after every linear layer) with plain SGD, and after every step records the mean and
    standard deviation of what the output layer receives, on a fixed probe batch.
    Without batch norm those statistics drift as the earlier layers change ("internal
    covariate shift"); with it they stay where ``gamma`` and ``beta`` put them.

    Returns
    -------
    dict
        ``mean``, ``std`` (arrays of ``steps + 1`` values, the first before training) and
        ``loss`` (``steps`` minibatch losses).
    """
    rng = default_rng(seed)
    n_classes = int(to_numpy(y).max()) + 1
    sizes = [X.shape[1]] + [hidden] * (depth - 1)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers.append(nn.Linear(fan_in, fan_out, rng=rng))
        if batchnorm:
            layers.append(nn.BatchNorm1d(fan_out))
        layers.append(nn.Sigmoid())
    trunk = nn.Sequential(*layers)
    head = nn.Linear(hidden, n_classes, rng=rng)
    net = nn.Sequential(trunk, head)
    X, y = net.place(X, y)                      # the data go where the weights were made
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(net.parameters(), lr=lr)
    probe = X[:256]
    order = np.random.default_rng(seed)
    means, stds, losses = [], [], []

    def record():  # in training mode, as the next layer sees it while learning
        h = to_numpy(trunk(probe))
        means.append(float(h.mean()))
        stds.append(float(h.std()))

    record()
    for _ in range(steps):
        idx = array_module(X).asarray(order.choice(len(X), size=batch_size, replace=False))
        losses.append(float(loss_fn(net(X[idx]), y[idx])))
        opt.zero_grad()
        net.backward(loss_fn.backward())
        opt.step()
        record()
    return {"mean": np.array(means), "std": np.array(stds), "loss": np.array(losses)}
