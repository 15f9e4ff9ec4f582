"""Small CNNs that train in seconds on 8x8, 16x16 or 28x28 digits.

``small_resnet`` and ``plain_net`` reproduce the CIFAR experiment of He et al. (2016,
Section 4.2) that exposed the *degradation problem*: a 3x3 convolution stem, three stages
of ``n`` blocks with widths ``w, 2w, 4w`` (the second and third halve the size), global
average pooling and one linear layer.  ``depth = 6n + 2`` counts the weighted layers along
the main path: the stem, ``2`` convolutions per block times ``3n`` blocks, and the linear
layer (projection shortcuts are not counted, as in the paper).  So depth 20 means ``n = 3``
and 56 means ``n = 9``.  The plain net has exactly the same layers without the shortcuts.
"""

from __future__ import annotations

from torch import Tensor, nn

from dlcourse.zoo.resnet import BasicBlock, init_resnet, make_stage

__all__ = ["PlainBlock", "SmallResNet", "plain_net", "small_cnn", "small_resnet"]


def small_cnn(in_channels: int = 1, num_classes: int = 10, *, width: int = 16) -> nn.Sequential:
    """Two conv-BN-ReLU-pool blocks, global average pooling and a linear layer.

    Input ``(N, in_channels, H, W)`` with ``H, W >= 4`` (8, 16, 28 ...), output
    ``(N, num_classes)``.  In C/L/R/P notation: C(w)-B-R-P-C(2w)-B-R-P-GAP-L.

    >>> import torch
    >>> small_cnn()(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 10])
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, width, kernel_size=3, padding=1),   # (N, w, H, W)
        nn.BatchNorm2d(width),
        nn.ReLU(),
        nn.MaxPool2d(2),                                           # (N, w, H/2, W/2)
        nn.Conv2d(width, 2 * width, kernel_size=3, padding=1),     # (N, 2w, H/2, W/2)
        nn.BatchNorm2d(2 * width),
        nn.ReLU(),
        nn.MaxPool2d(2),                                           # (N, 2w, H/4, W/4)
        nn.AdaptiveAvgPool2d(1),                                   # (N, 2w, 1, 1)
        nn.Flatten(),                                              # (N, 2w)
        nn.Linear(2 * width, num_classes),
    )


class PlainBlock(BasicBlock):
    """A :class:`BasicBlock` that ignores its shortcut: ``y = relu(F(x))``.

    Same layers and parameters as a ``BasicBlock`` built without a projection.
    """

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out)


class SmallResNet(nn.Module):
    """He et al.'s CIFAR ResNet: stem, three stages of ``n`` blocks, GAP, linear.

    Input ``(N, in_channels, H, W)`` with ``H, W >= 4``, output ``(N, num_classes)``.
    With ``block=PlainBlock`` it is the plain baseline of the same depth.
    """

    def __init__(self, depth: int, in_channels: int = 1, num_classes: int = 10, *,
                 width: int = 16, block=BasicBlock):
        super().__init__()
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"depth must be 6n + 2 with n >= 1 (8, 14, 20, 32, 56 ...), "
                             f"got {depth}")
        n = (depth - 2) // 6
        self.depth = depth
        self.conv1 = nn.Conv2d(in_channels, width, kernel_size=3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = _stage(block, width, width, n, stride=1)             # (N, w, H, W)
        self.layer2 = _stage(block, width, 2 * width, n, stride=2)         # (N, 2w, H/2, W/2)
        self.layer3 = _stage(block, 2 * width, 4 * width, n, stride=2)     # (N, 4w, H/4, W/4)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(4 * width, num_classes)
        init_resnet(self)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))


def _stage(block, in_channels: int, channels: int, n: int, *, stride: int) -> nn.Sequential:
    """A residual stage, or for plain blocks the same convolutions with no shortcut at all."""
    if block is PlainBlock:
        first = PlainBlock(in_channels, channels, stride)
        return nn.Sequential(first, *(PlainBlock(channels, channels) for _ in range(n - 1)))
    return make_stage(block, in_channels, channels, n, stride=stride)


def small_resnet(depth: int = 20, in_channels: int = 1, num_classes: int = 10, *,
                 width: int = 16) -> SmallResNet:
    """A CIFAR-style ResNet with ``depth = 6n + 2`` weighted layers and projection shortcuts.

    >>> import torch
    >>> small_resnet(8)(torch.zeros(2, 1, 16, 16)).shape
    torch.Size([2, 10])
    """
    return SmallResNet(depth, in_channels, num_classes, width=width, block=BasicBlock)


def plain_net(depth: int = 20, in_channels: int = 1, num_classes: int = 10, *,
              width: int = 16) -> SmallResNet:
    """The plain counterpart of :func:`small_resnet`: same layers, no shortcuts.

    >>> import torch
    >>> plain_net(14)(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 10])
    """
    return SmallResNet(depth, in_channels, num_classes, width=width, block=PlainBlock)
