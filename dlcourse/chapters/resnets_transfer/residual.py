"""Residual networks: why shortcuts let deep nets train, what blocks cost, sum vs concatenation.

Four ideas, each a function or two:

* **Degradation** -- :func:`degradation_experiment` trains the zoo's plain nets and ResNets
  of growing depth (``6n + 2``) on the 8x8 digits and records loss curves, accuracies and
  the gradient norm of every convolution (:func:`conv_gradient_norms`).  Training uses
  PyTorch (the zoo's ``plain_net`` / ``small_resnet``) for speed; the engine twins
  (``plain_net_engine`` / ``small_resnet_engine``) compute the same numbers, which the tests
  check on the same weights.
* **Gradient flow** -- for ``y = F(x) + x`` the chain rule gives
  ``dL/dx = dL/dy (dF/dx + I)``; :func:`residual_gradient_identity` checks it numerically on
  a from-scratch :class:`dlcourse.zoo.engine.BasicBlockEngine`.
* **Block costs** -- :func:`basic_block_params`, :func:`bottleneck_params`,
  :func:`projection_params`.
* **Sum vs concatenation** -- :func:`skip_sum`, :func:`skip_concat` and
  :func:`skip_growth_table` (ResNet keeps the channel count, DenseNet grows it).

>>> basic_block_params(64, batch_norm=False), bottleneck_params(256, batch_norm=False)
(73728, 69632)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from tqdm.auto import tqdm

from dlcourse._validate import check_array, check_positive
from dlcourse.backend import array_module, to_numpy
from dlcourse.gradcheck import numerical_gradient
from dlcourse.sizing import conv_params

__all__ = [
    "DepthRun", "GradientIdentity", "SkipRow", "basic_block_params", "bottleneck_params",
    "conv_gradient_norms", "degradation_experiment", "digits_split", "projection_params",
    "residual_gradient_identity", "skip_concat", "skip_growth_table", "skip_sum", "train_depth",
]


# --------------------------------------------------------------------------- block costs
def _bn(channels: int, batch_norm: bool) -> int:
    return 2 * channels if batch_norm else 0      # gamma and beta per channel


def basic_block_params(channels: int, *, batch_norm: bool = True) -> int:
    """Parameters of a basic block: two 3x3 convolutions ``channels -> channels`` (no bias).

    >>> basic_block_params(256, batch_norm=False)   # 2 * 9 * 256 * 256
    1179648
    """
    check_positive(channels, "channels")
    conv = conv_params(channels, channels, 3, bias=False)
    return 2 * conv + 2 * _bn(channels, batch_norm)


def bottleneck_params(channels: int, width: int | None = None, *,
                      batch_norm: bool = True) -> int:
    """Parameters of a bottleneck block on ``channels``: 1x1 reduce, 3x3, 1x1 expand.

    ``width`` is the narrow middle (``channels // 4`` by default, as in ResNet-50).

    >>> bottleneck_params(256, batch_norm=False)   # 256*64 + 9*64*64 + 64*256
    69632
    """
    check_positive(channels, "channels")
    width = channels // 4 if width is None else width
    check_positive(width, "width")
    convs = (conv_params(channels, width, 1, bias=False) + conv_params(width, width, 3, bias=False)
             + conv_params(width, channels, 1, bias=False))
    return convs + 2 * _bn(width, batch_norm) + _bn(channels, batch_norm)


def projection_params(in_channels: int, out_channels: int, *, batch_norm: bool = True) -> int:
    """Parameters of a projection shortcut: a 1x1 convolution (stride 2, no bias) + batch norm.

    The stride does not change the count: it only skips positions.

    >>> projection_params(64, 128)   # 64 * 128 weights + 2 * 128 for batch norm
    8448
    """
    return conv_params(in_channels, out_channels, 1, bias=False) + _bn(out_channels, batch_norm)


# ---------------------------------------------------------------------- sum vs concat
def skip_sum(x, fx):
    """ResNet's merge: ``x + F(x)``; both ``(N, C, H, W)`` of the same shape.

    >>> skip_sum(np.ones((1, 4, 2, 2)), np.ones((1, 4, 2, 2))).shape
    (1, 4, 2, 2)
    """
    check_array(x, "x", ndim=4)
    check_array(fx, "fx", ndim=4)
    if x.shape != fx.shape:
        raise ValueError(f"a sum needs equal shapes: x is {x.shape} but F(x) is {fx.shape} "
                         "(use a projection shortcut, or concatenate)")
    return x + fx


def skip_concat(x, fx):
    """DenseNet's merge: stack ``x`` and ``F(x)`` along channels, ``(N, C + K, H, W)``.

    >>> skip_concat(np.ones((1, 4, 2, 2)), np.ones((1, 3, 2, 2))).shape
    (1, 7, 2, 2)
    """
    check_array(x, "x", ndim=4)
    check_array(fx, "fx", ndim=4)
    if x.shape[0] != fx.shape[0] or x.shape[2:] != fx.shape[2:]:
        raise ValueError(f"concatenation needs equal batch and spatial sizes: x is {x.shape} "
                         f"but F(x) is {fx.shape}")
    return array_module(x, fx).concatenate([x, fx], axis=1)


class SkipRow(NamedTuple):
    """One layer of a block merged by sum (ResNet) or by concatenation (DenseNet)."""

    layer: int
    sum_channels_in: int
    sum_params: int
    concat_channels_in: int
    concat_params: int


def skip_growth_table(channels: int = 64, growth_rate: int = 32,
                      num_layers: int = 4) -> list[SkipRow]:
    """Channels and 3x3-conv parameters, layer by layer, for a sum block and a dense block.

    With sums every layer maps ``channels -> channels``.  In a dense block layer ``l`` sees
    the block input and all ``l - 1`` earlier outputs, ``channels + (l - 1) * growth_rate``
    channels, and adds ``growth_rate`` new ones; the block outputs
    ``channels + num_layers * growth_rate``.

    >>> [r.concat_channels_in for r in skip_growth_table(64, 32, 3)]
    [64, 96, 128]
    """
    for value, name in [(channels, "channels"), (growth_rate, "growth_rate"),
                        (num_layers, "num_layers")]:
        check_positive(value, name)
    rows = []
    for layer in range(1, num_layers + 1):
        seen = channels + (layer - 1) * growth_rate
        rows.append(SkipRow(layer, channels, conv_params(channels, channels, 3, bias=False),
                            seen, conv_params(seen, growth_rate, 3, bias=False)))
    return rows


# ---------------------------------------------------------------- the gradient identity
class GradientIdentity(NamedTuple):
    """Gradients of ``L = sum(g * (F(x) + x))`` three ways, and how far apart they are."""

    backward: np.ndarray      # engine backward: F's backward plus the shortcut's g
    numerical: np.ndarray     # central differences of L
    formula: np.ndarray       # g (J_F + I) with the Jacobian J_F built numerically
    error_numerical: float    # ||backward - numerical|| / ||numerical||
    error_formula: float      # ||backward - formula|| / ||formula||


def _norm_error(a, b) -> float:
    """Relative error of a whole gradient, ``||a - b|| / ||b||``.

    Entry by entry is too strict here: where ``dF/dx`` nearly cancels ``I`` an entry is tiny
    and its relative error is large although it is right to 1e-9.
    """
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def residual_gradient_identity(channels: int = 2, size: int = 3, batch: int = 2, *,
                               seed: int = 0) -> GradientIdentity:
    """Check ``dL/dx = dL/dy (dF/dx + I)`` on a residual block of the from-scratch engine.

    ``F`` is the residual path of :class:`dlcourse.zoo.engine.BasicBlockEngine`
    (conv-BN-ReLU-conv-BN, float64, training mode) and ``y = F(x) + x`` is taken *before*
    the final ReLU, so the identity holds exactly.  The upstream gradient ``g = dL/dy`` is
    random.

    >>> r = residual_gradient_identity()
    >>> r.error_numerical < 1e-6 and r.error_formula < 1e-6
    True
    """
    from dlcourse.zoo.engine import BasicBlockEngine

    rng = np.random.default_rng(seed)
    block = BasicBlockEngine(channels, channels, rng=seed, dtype="float64").train()
    x, g = block.place(rng.standard_normal((batch, channels, size, size)),
                       rng.standard_normal((batch, channels, size, size)))
    xp = array_module(x)

    def residual_out(v):
        return block.residual(v) + v               # y = F(x) + x

    residual_out(x)
    backward = block.residual_backward(g) + g      # F's path plus the identity path
    numerical = numerical_gradient(residual_out, x, g)
    jacobian = xp.stack([numerical_gradient(block.residual, x, e.reshape(x.shape))
                         for e in xp.eye(x.size)]).reshape(x.size, x.size)   # dF_i / dx_j
    formula = (g.reshape(-1) @ (jacobian + xp.eye(x.size))).reshape(x.shape)
    backward, numerical, formula = (to_numpy(a) for a in (backward, numerical, formula))
    return GradientIdentity(backward, numerical, formula, _norm_error(backward, numerical),
                            _norm_error(backward, formula))


# ------------------------------------------------------------ degradation experiment
def digits_split(n_train: int = 1200, *, seed: int = 0):
    """The 8x8 digits shuffled with ``seed``: torch tensors ``(X_train, y_train, X_test, y_test)``.

    >>> [tuple(t.shape) for t in digits_split()]
    [(1200, 1, 8, 8), (1200,), (597, 1, 8, 8), (597,)]
    """
    import torch

    from dlcourse.data import digits

    X, y = digits(seed=seed)
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def conv_gradient_norms(net, X, y) -> np.ndarray:
    """L2 norm of the loss gradient on each main-path convolution's weight, input to output.

    ``net`` is a torch ``plain_net`` or ``small_resnet``; projection shortcuts are left out so
    both nets list the same ``6n + 1`` convolutions.  One forward/backward of the mean
    cross-entropy on ``(X, y)`` in training mode; the net's ``.grad`` are left cleared.
    """
    import torch

    net.train()
    net.zero_grad()
    torch.nn.functional.cross_entropy(net(X), y).backward()
    norms = [p.grad.norm().item() for name, p in net.named_parameters()
             if "conv" in name and "downsample" not in name]
    net.zero_grad()
    return np.array(norms)


@dataclass
class DepthRun:
    """One plain or residual net of a given depth trained on the digits."""

    depth: int
    residual: bool
    step_losses: np.ndarray     # training loss of every minibatch, (steps,)
    epoch_losses: np.ndarray    # mean training loss of every epoch, (epochs,)
    train_accuracy: float
    test_accuracy: float
    grad_norms_init: np.ndarray     # per convolution, before training, (6n + 1,)
    grad_norms_trained: np.ndarray  # the same after training

    @property
    def name(self) -> str:
        return f"{'ResNet' if self.residual else 'plain'}-{self.depth}"


def _accuracy(net, X, y) -> float:
    import torch

    net.eval()
    with torch.no_grad():
        return (net(X).argmax(1) == y).float().mean().item()


def train_depth(depth: int, *, residual: bool, width: int = 8, epochs: int = 5,
                lr: float = 0.05, momentum: float = 0.9, batch_size: int = 64, seed: int = 0,
                data=None) -> DepthRun:
    """Train ``plain_net(depth)`` or ``small_resnet(depth)`` (PyTorch) on the 8x8 digits.

    SGD with momentum, fixed seeds (weights, minibatch order); the same settings for both
    kinds so that only the shortcuts differ.  ``data`` is :func:`digits_split`'s tuple, or
    any such tuple of images ``(n, C, H, W)`` (CIFAR-10's colour images too) and labels.
    """
    import torch

    from dlcourse import zoo

    check_positive(epochs, "epochs")
    X_train, y_train, X_test, y_test = digits_split() if data is None else data
    torch.manual_seed(seed)
    build = zoo.small_resnet if residual else zoo.plain_net
    net = build(depth, X_train.shape[1], width=width)
    probe = slice(0, 256)       # a fixed batch on which gradient norms are measured
    norms_init = conv_gradient_norms(net, X_train[probe], y_train[probe])
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    order = torch.Generator().manual_seed(seed)
    step_losses = []
    for _ in range(epochs):
        net.train()
        for idx in torch.randperm(len(y_train), generator=order).split(batch_size):
            loss = torch.nn.functional.cross_entropy(net(X_train[idx]), y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step_losses.append(loss.item())
    norms_trained = conv_gradient_norms(net, X_train[probe], y_train[probe])
    steps = np.array(step_losses)
    return DepthRun(depth, residual, steps, steps.reshape(epochs, -1).mean(axis=1),
                    _accuracy(net, X_train, y_train), _accuracy(net, X_test, y_test),
                    norms_init, norms_trained)


def degradation_experiment(depths=(8, 20, 56), *, progress: bool = True,
                           **options) -> dict[int, dict[str, DepthRun]]:
    """Plain and residual nets for each depth: ``runs[depth]["plain" | "residual"]``.

    ``options`` go to :func:`train_depth` (``width``, ``epochs``, ``lr``, ``seed`` ...);
    ``progress`` shows a bar over the networks.
    """
    data = options.pop("data", None) or digits_split()
    runs = {depth: {} for depth in depths}
    jobs = [(depth, kind) for depth in depths for kind in ("plain", "residual")]
    for depth, kind in tqdm(jobs, desc="training", unit="net", disable=not progress):
        runs[depth][kind] = train_depth(depth, residual=kind == "residual", data=data,
                                        **options)
    return runs
