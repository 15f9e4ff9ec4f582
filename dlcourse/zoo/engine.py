"""The zoo's small models rebuilt from scratch with :mod:`dlcourse.nn`: same layers, same names.

Each builder here is the twin of a PyTorch builder in :mod:`dlcourse.zoo.small`, and each
class the twin of a torch class: the twin's name is the torch name with ``Engine``
(``BasicBlockEngine`` for :class:`dlcourse.zoo.BasicBlock`) or ``_engine``
(``small_cnn_engine`` for :func:`dlcourse.zoo.small_cnn`) appended.

=========================  ==========================  ==================================
dlcourse engine            PyTorch                     parameter names
=========================  ==========================  ==================================
``small_cnn_engine``       ``small_cnn``               ``0.weight``, ``1.running_mean`` ..
``small_resnet_engine``    ``small_resnet``            ``layer2.0.downsample.0.weight`` ..
``plain_net_engine``       ``plain_net``               ``layer1.0.conv1.weight`` ..
=========================  ==========================  ==================================

Parameters and buffers carry exactly the names of the torch model's ``state_dict``, so
:func:`dlcourse.nn.load_torch_state` copies a trained torch model into its twin, and the
two then compute the same outputs and the same gradients.  That is how the course checks
the engine: same weights in, same numbers out.

A residual block is not a chain -- its input goes down two paths that meet again -- so it
gets its own forward and backward here: the gradient arriving at the sum is sent down both
paths, and what comes back is *added* (a sum in the forward is a fork in the backward).
Like torch's, a block uses its one ReLU twice; the backward calls it in the reverse order.

Examples
--------
>>> import numpy as np
>>> net = small_cnn_engine(rng=0)
>>> net(np.zeros((2, 1, 8, 8), dtype=np.float32)).shape
(2, 10)
>>> [name for name, _ in small_resnet_engine(8, rng=0).named_parameters()][:3]
['conv1.weight', 'bn1.weight', 'bn1.bias']
"""

from __future__ import annotations

from dlcourse import nn
from dlcourse.nn import init
from dlcourse.nn.modules.module import Module, as_rng

__all__ = ["BasicBlockEngine", "PlainBlockEngine", "SmallResNetEngine", "plain_net_engine",
           "small_cnn_engine", "small_resnet_engine"]


def _conv3x3(in_channels, out_channels, stride, rng, dtype):
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False,
                     rng=rng, dtype=dtype)


class BasicBlockEngine(Module):
    """Two 3x3 convolutions and a shortcut: ``y = relu(bn2(conv2(relu(bn1(conv1(x))))) + s(x))``.

    ``s`` is the identity, or ``downsample`` (a 1x1 convolution with stride and batch norm)
    where the block changes the shape.  Input ``(N, in_channels, H, W)``, output
    ``(N, channels, H / stride, W / stride)``.  The twin of :class:`dlcourse.zoo.BasicBlock`,
    with the same names.
    """

    def __init__(self, in_channels: int, channels: int, stride: int = 1,
                 downsample: Module | None = None, *, rng=None, dtype="float32"):
        super().__init__()
        rng = as_rng(rng)
        self.conv1 = _conv3x3(in_channels, channels, stride, rng, dtype)
        self.bn1 = nn.BatchNorm2d(channels, dtype=dtype)
        self.relu = nn.ReLU()    # used twice, as in torch
        self.conv2 = _conv3x3(channels, channels, 1, rng, dtype)
        self.bn2 = nn.BatchNorm2d(channels, dtype=dtype)
        self.downsample = downsample
        self.stride = stride

    def named_children(self):
        children = [("conv1", self.conv1), ("bn1", self.bn1), ("relu", self.relu),
                    ("conv2", self.conv2), ("bn2", self.bn2)]
        return children if self.downsample is None else [*children,
                                                          ("downsample", self.downsample)]

    def residual(self, x):
        """The path through the two convolutions, ``F(x)``, before the sum."""
        return self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))

    def residual_backward(self, dout):
        """Backward through :meth:`residual`: from ``dL/dF`` to its part of ``dL/dx``."""
        dout = self.bn2.backward(dout)
        dout = self.conv2.backward(dout)
        return self.conv1.backward(self.bn1.backward(self.relu.backward(dout)))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.residual(x) + identity)

    def backward(self, dout):              # the reverse order of forward's calls
        dsum = self.relu.backward(dout)        # the same gradient reaches both terms of the sum
        dx = self.residual_backward(dsum)
        return dx + (dsum if self.downsample is None else self.downsample.backward(dsum))


class PlainBlockEngine(BasicBlockEngine):
    """A :class:`BasicBlockEngine` without its shortcut: ``y = relu(F(x))``, same names.

    The twin of :class:`dlcourse.zoo.PlainBlock`.
    """

    def forward(self, x):
        return self.relu(self.residual(x))

    def backward(self, dout):
        return self.residual_backward(self.relu.backward(dout))


class SmallResNetEngine(nn.NamedSequential):
    """He et al.'s CIFAR ResNet (or plain net): stem, three stages of ``n`` blocks, GAP, linear.

    ``depth = 6n + 2``; the twin of :class:`dlcourse.zoo.SmallResNet` with the same names
    (``conv1``, ``bn1``, ``layer1`` .. ``layer3``, ``fc``) and the same initialisation
    (He-normal with fan-out for the convolutions).  ``(N, C, H, W) -> (N, num_classes)``.
    """

    def __init__(self, depth: int, in_channels: int = 1, num_classes: int = 10, *,
                 width: int = 16, block=BasicBlockEngine, rng=None, dtype="float32"):
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"depth must be 6n + 2 with n >= 1 (8, 14, 20, 32, 56 ...), "
                             f"got {depth}")
        n = (depth - 2) // 6
        rng = as_rng(rng)
        options = {"block": block, "rng": rng, "dtype": dtype}
        super().__init__(
            ("conv1", _conv3x3(in_channels, width, 1, rng, dtype)),
            ("bn1", nn.BatchNorm2d(width, dtype=dtype)),
            ("relu", nn.ReLU()),
            ("layer1", _stage(width, width, n, stride=1, **options)),              # (N, w, H, W)
            ("layer2", _stage(width, 2 * width, n, stride=2, **options)),          # H/2, W/2
            ("layer3", _stage(2 * width, 4 * width, n, stride=2, **options)),      # H/4, W/4
            ("avgpool", nn.GlobalAvgPool2d()),                                     # (N, 4w)
            ("fc", nn.Linear(4 * width, num_classes, rng=rng, dtype=dtype)),
        )
        self.depth = depth
        for module in self.modules():  # torchvision's ResNet initialisation
            if isinstance(module, nn.Conv2d):
                module.weight.data[...] = init.kaiming_normal(
                    module.weight.shape, mode="fan_out", nonlinearity="relu", rng=rng,
                    dtype=module.weight.dtype)


def _stage(in_channels, channels, n, *, stride, block, rng, dtype) -> nn.Sequential:
    """``n`` blocks, the first with ``stride``; residual ones get a projection if shapes change."""
    downsample = None
    if block is BasicBlockEngine and (stride != 1 or in_channels != channels):
        downsample = nn.Sequential(
            nn.Conv2d(in_channels, channels, 1, stride=stride, bias=False, rng=rng, dtype=dtype),
            nn.BatchNorm2d(channels, dtype=dtype))
    first = block(in_channels, channels, stride, downsample, rng=rng, dtype=dtype)
    rest = (block(channels, channels, rng=rng, dtype=dtype) for _ in range(n - 1))
    return nn.Sequential(first, *rest)


def small_cnn_engine(in_channels: int = 1, num_classes: int = 10, *, width: int = 16,
                     rng=None, dtype="float32") -> nn.Sequential:
    """The engine twin of :func:`dlcourse.zoo.small_cnn`: C(w)-B-R-P-C(2w)-B-R-P-GAP-L.

    Input ``(N, in_channels, H, W)`` with ``H, W >= 4``, output ``(N, num_classes)``.
    ``rng`` (a generator or a seed) draws the initial weights, PyTorch's default init.

    >>> import numpy as np
    >>> small_cnn_engine(rng=0)(np.zeros((2, 1, 16, 16), dtype=np.float32)).shape
    (2, 10)
    """
    rng = as_rng(rng)
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 3, padding=1, rng=rng, dtype=dtype),     # (N, w, H, W)
        nn.BatchNorm2d(width, dtype=dtype),
        nn.ReLU(),
        nn.MaxPool2d(2),                                                       # (N, w, H/2, W/2)
        nn.Conv2d(width, 2 * width, 3, padding=1, rng=rng, dtype=dtype),       # (N, 2w, ...)
        nn.BatchNorm2d(2 * width, dtype=dtype),
        nn.ReLU(),
        nn.MaxPool2d(2),                                                       # (N, 2w, H/4, W/4)
        nn.GlobalAvgPool2d(),                                                  # (N, 2w)
        nn.Flatten(),              # already flat; kept so the layer indices match torch's
        nn.Linear(2 * width, num_classes, rng=rng, dtype=dtype),
    )


def small_resnet_engine(depth: int = 20, in_channels: int = 1, num_classes: int = 10, *,
                        width: int = 16, rng=None, dtype="float32") -> SmallResNetEngine:
    """The engine twin of :func:`dlcourse.zoo.small_resnet` (``depth = 6n + 2``).

    >>> import numpy as np
    >>> small_resnet_engine(8, rng=0)(np.zeros((2, 1, 8, 8), dtype=np.float32)).shape
    (2, 10)
    """
    return SmallResNetEngine(depth, in_channels, num_classes, width=width, block=BasicBlockEngine,
                       rng=rng, dtype=dtype)


def plain_net_engine(depth: int = 20, in_channels: int = 1, num_classes: int = 10, *,
                     width: int = 16, rng=None, dtype="float32") -> SmallResNetEngine:
    """The engine twin of :func:`dlcourse.zoo.plain_net`: the same layers, no shortcuts.

    >>> import numpy as np
    >>> plain_net_engine(8, rng=0)(np.zeros((2, 1, 8, 8), dtype=np.float32)).shape
    (2, 10)
    """
    return SmallResNetEngine(depth, in_channels, num_classes, width=width, block=PlainBlockEngine,
                       rng=rng, dtype=dtype)
