"""GoogLeNet / Inception v1 (Szegedy et al., 2015) in torchvision's layout, without aux heads.

An Inception module runs four branches side by side on the same input and concatenates
their outputs along the channels: a 1x1 convolution; 1x1 then 3x3; 1x1 then "5x5";
3x3 max pool then 1x1.  The 1x1 convolutions in front are *bottlenecks* that cut the
channels (and so the cost) before the wide convolutions.

Two facts to know when comparing with torchvision:

* torchvision's third branch uses a 3x3 convolution where the paper has 5x5 (a known
  quirk kept for its pretrained weights, pytorch/vision#906).  We keep it too, so the
  parameter count and ``state_dict`` keys match.
* The published count, 6,624,904 parameters, is for the model *without* the two auxiliary
  classifiers: torchvision's pretrained ``googlenet`` sets ``aux_logits=False`` and drops
  them (they would add about 6.4 M more).  We never build them.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["BasicConv2d", "GoogLeNet", "Inception", "googlenet"]


class BasicConv2d(nn.Module):
    """Convolution (no bias) -> batch norm (eps 1e-3) -> ReLU; ``kwargs`` go to ``Conv2d``."""

    def __init__(self, in_channels: int, out_channels: int, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    """The Inception module: four parallel branches concatenated along channels.

    Input ``(N, in_channels, H, W)``, output ``(N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W)``.

    >>> import torch
    >>> block = Inception(192, 64, 96, 128, 16, 32, 32)   # GoogLeNet's inception (3a)
    >>> block(torch.zeros(1, 192, 28, 28)).shape
    torch.Size([1, 256, 28, 28])
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int,
                 ch5x5red: int, ch5x5: int, pool_proj: int):
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, ch3x3red, kernel_size=1),
            BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1),
        )
        self.branch3 = nn.Sequential(
            BasicConv2d(in_channels, ch5x5red, kernel_size=1),
            BasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1),  # 3x3, as torchvision
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            BasicConv2d(in_channels, pool_proj, kernel_size=1),
        )

    def forward(self, x: Tensor) -> Tensor:
        branches = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
        return torch.cat(branches, dim=1)


class GoogLeNet(nn.Module):
    """GoogLeNet without auxiliary classifiers.

    Input ``(N, 3, H, W)`` with ``H, W >= 15`` (224 in the paper), output ``(N, num_classes)``.
    Weights use PyTorch's default initialisation (torchvision uses a truncated normal).
    """

    def __init__(self, num_classes: int = 1000, *, dropout: float = 0.2):
        super().__init__()                                        # for a 224x224 input:
        self.conv1 = BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3)   # (N, 64, 112, 112)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)            # (N, 64, 56, 56)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)          # (N, 192, 56, 56)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)            # (N, 192, 28, 28)
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)           # (N, 256, 28, 28)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)         # (N, 480, 28, 28)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)            # (N, 480, 14, 14)
        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)          # (N, 512, 14, 14)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)         # (N, 528, 14, 14)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)       # (N, 832, 14, 14)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)            # (N, 832, 7, 7)
        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)       # (N, 1024, 7, 7)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4c(self.inception4b(self.inception4a(x)))
        x = self.maxpool4(self.inception4e(self.inception4d(x)))
        x = self.inception5b(self.inception5a(x))
        x = self.avgpool(x).flatten(1)                                       # (N, 1024)
        return self.fc(self.dropout(x))


def googlenet(num_classes: int = 1000) -> GoogLeNet:
    """GoogLeNet (no aux heads): 6,624,904 parameters for 1000 classes, as torchvision.

    >>> import torch
    >>> googlenet(num_classes=10).eval()(torch.zeros(1, 3, 32, 32)).shape
    torch.Size([1, 10])
    """
    return GoogLeNet(num_classes)
