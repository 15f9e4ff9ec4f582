"""Residual networks (He et al., 2016) in torchvision's layout: ResNet-18/34/50.

A residual block computes ``y = relu(F(x) + shortcut(x))``.  The shortcut is the identity
when shapes agree, and a *projection* -- a 1x1 convolution of stride 2 plus batch norm --
where a stage halves the size and changes the width.  Because ``dy/dx = dF/dx + 1`` (for
the identity shortcut), the gradient always has a direct path back to the input.

Module and attribute names follow torchvision (``conv1``, ``bn1``, ``layer1.0.conv1``,
``layer2.0.downsample.0``, ``fc``), so ``state_dict`` keys and parameter counts match.
"""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["BasicBlock", "Bottleneck", "PreActBlock", "ResNet", "projection", "resnet18",
           "resnet34", "resnet50"]


def projection(in_channels: int, out_channels: int, stride: int = 2) -> nn.Sequential:
    """Projection shortcut: a 1x1 convolution (no bias) with ``stride``, then batch norm.

    >>> import torch
    >>> projection(64, 128)(torch.zeros(1, 64, 8, 8)).shape
    torch.Size([1, 128, 4, 4])
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
        nn.BatchNorm2d(out_channels),
    )


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut (ResNet-18/34).

    Input ``(N, in_channels, H, W)``, output ``(N, channels, H / stride, W / stride)``.
    ``downsample`` is the shortcut's projection, or ``None`` for the identity.
    """

    expansion = 1   # output width = expansion * channels

    def __init__(self, in_channels: int, channels: int, stride: int = 1,
                 downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class PreActBlock(nn.Module):
    """The pre-activation basic block (He et al., 2016, "Identity mappings in deep residual
    networks"): ``y = x + F(x)`` with ``F = conv(relu(bn(conv(relu(bn(x))))))``.

    Batch norm and ReLU come *before* each convolution and nothing follows the sum, so a stack
    of these blocks has a clean identity path: ``dy/dx = dF/dx + I`` exactly.  Where the shape
    changes, the shortcut is a 1x1 convolution of stride ``stride`` on the normalised input.
    Input ``(N, in_channels, H, W)``, output ``(N, channels, H / stride, W / stride)``.

    >>> import torch
    >>> PreActBlock(16, 32, stride=2)(torch.zeros(2, 16, 8, 8)).shape
    torch.Size([2, 32, 4, 4])
    """

    expansion = 1

    def __init__(self, in_channels: int, channels: int, stride: int = 1):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.relu = nn.ReLU()
        self.shortcut = (nn.Conv2d(in_channels, channels, 1, stride=stride, bias=False)
                         if stride != 1 or in_channels != channels else None)

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(x))
        identity = x if self.shortcut is None else self.shortcut(out)
        out = self.conv2(self.relu(self.bn2(self.conv1(out))))
        return out + identity


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand (x4) and a shortcut (ResNet-50 and deeper).

    Input ``(N, in_channels, H, W)``, output ``(N, 4 * channels, H / stride, W / stride)``.
    The stride sits on the 3x3 convolution, as in torchvision ("ResNet v1.5").
    """

    expansion = 4

    def __init__(self, in_channels: int, channels: int, stride: int = 1,
                 downsample: nn.Module | None = None):
        super().__init__()
        out_channels = channels * self.expansion
        self.conv1 = nn.Conv2d(in_channels, channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv3 = nn.Conv2d(channels, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


def make_stage(block, in_channels: int, channels: int, blocks: int, *,
               stride: int = 1) -> nn.Sequential:
    """``blocks`` residual blocks; the first one applies ``stride`` and, if the shape
    changes, a projection shortcut.

    >>> make_stage(BasicBlock, 64, 128, 2, stride=2)[0].downsample is not None
    True
    """
    out_channels = channels * block.expansion
    downsample = None
    if stride != 1 or in_channels != out_channels:
        downsample = projection(in_channels, out_channels, stride)
    layers = [block(in_channels, channels, stride, downsample)]
    layers += [block(out_channels, channels) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class ResNet(nn.Module):
    """ImageNet ResNet: 7x7 stem, four stages of widths 64-128-256-512, global average pool.

    Input ``(N, 3, H, W)`` with ``H, W >= 32`` (224 in the paper), output ``(N, num_classes)``.
    """

    def __init__(self, block, layers: tuple[int, int, int, int], num_classes: int = 1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        width = 64 * block.expansion
        self.layer1 = make_stage(block, 64, 64, layers[0])
        self.layer2 = make_stage(block, width, 128, layers[1], stride=2)
        self.layer3 = make_stage(block, 2 * width, 256, layers[2], stride=2)
        self.layer4 = make_stage(block, 4 * width, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        init_resnet(self)

    def forward(self, x: Tensor) -> Tensor:                # for a 224x224 input:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # (N, 64, 56, 56)
        x = self.layer1(x)                                  # (N, 64e, 56, 56), e = expansion
        x = self.layer2(x)                                  # (N, 128e, 28, 28)
        x = self.layer3(x)                                  # (N, 256e, 14, 14)
        x = self.layer4(x)                                  # (N, 512e, 7, 7)
        return self.fc(self.avgpool(x).flatten(1))          # (N, num_classes)


def init_resnet(model: nn.Module) -> None:
    """torchvision's ResNet init: He-normal (fan-out) convolutions, BN weight 1 and bias 0."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def resnet18(num_classes: int = 1000) -> ResNet:
    """ResNet-18 (basic blocks 2-2-2-2): 11,689,512 parameters for 1000 classes.

    >>> import torch
    >>> resnet18(num_classes=10).eval()(torch.zeros(1, 3, 32, 32)).shape
    torch.Size([1, 10])
    """
    return ResNet(BasicBlock, (2, 2, 2, 2), num_classes)


def resnet34(num_classes: int = 1000) -> ResNet:
    """ResNet-34 (basic blocks 3-4-6-3): 21,797,672 parameters for 1000 classes."""
    return ResNet(BasicBlock, (3, 4, 6, 3), num_classes)


def resnet50(num_classes: int = 1000) -> ResNet:
    """ResNet-50 (bottleneck blocks 3-4-6-3): 25,557,032 parameters for 1000 classes."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes)
