"""The classic plain CNNs: LeNet-5, AlexNet and VGG-16/19.

Each is a stack of convolution blocks (the *feature-learning* stage) followed by fully
connected layers (the *classification* stage).  AlexNet and VGG follow torchvision's layout
and attribute names, so their ``state_dict`` keys and parameter counts equal torchvision's
(``features.0.weight`` ... ``classifier.6.bias``).  Like torchvision they end the feature
stage with an adaptive average pool (to 6x6 for AlexNet, 7x7 for VGG), so inputs smaller
than 224x224 still run: at least 63x63 for AlexNet, 32x32 for VGG.
"""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["LeNet5", "AlexNet", "VGG", "VGG16", "VGG19", "lenet5", "alexnet", "vgg16", "vgg19",
           "vgg_features"]


class LeNet5(nn.Module):
    """LeNet-5 (LeCun et al., 1998) for 32x32 grey images, e.g. MNIST padded by 2.

    C1 6@5x5 -> S2 -> C3 16@5x5 -> S4 -> C5 120@5x5 -> F6 84 -> output.  The subsampling
    layers S2/S4 are 2x2 average pools without weights, and C3 connects every S2 map to
    every C3 map (the paper's sparse connection table and trainable subsampling are left
    out, as in most modern re-implementations).  That gives 61,706 parameters for 10
    classes: 156 + 2,416 + 48,120 + 10,164 + 850.

    Input ``(N, 1, 32, 32)``, output logits ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5),     # C1: (N, 6, 28, 28)
            nn.Tanh(),
            nn.AvgPool2d(2),                    # S2: (N, 6, 14, 14)
            nn.Conv2d(6, 16, kernel_size=5),    # C3: (N, 16, 10, 10)
            nn.Tanh(),
            nn.AvgPool2d(2),                    # S4: (N, 16, 5, 5)
            nn.Conv2d(16, 120, kernel_size=5),  # C5: (N, 120, 1, 1)
            nn.Tanh(),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),                       # (N, 120)
            nn.Linear(120, 84),                 # F6
            nn.Tanh(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


def lenet5(num_classes: int = 10) -> LeNet5:
    """LeNet-5 for ``(N, 1, 32, 32)`` inputs; 61,706 parameters for 10 classes.

    >>> import torch
    >>> lenet5()(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 10])
    """
    return LeNet5(num_classes)


class AlexNet(nn.Module):
    """AlexNet (Krizhevsky et al., 2012) in torchvision's one-GPU layout.

    Input ``(N, 3, H, W)`` with ``H, W >= 63`` (224 in the paper), output ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 1000, *, dropout: float = 0.5):
        super().__init__()
        self.features = nn.Sequential(                               # for a 224x224 input:
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),   # (N, 64, 55, 55)
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),                   # (N, 64, 27, 27)
            nn.Conv2d(64, 192, kernel_size=5, padding=2),            # (N, 192, 27, 27)
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),                   # (N, 192, 13, 13)
            nn.Conv2d(192, 384, kernel_size=3, padding=1),           # (N, 384, 13, 13)
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),           # (N, 256, 13, 13)
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),           # (N, 256, 13, 13)
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),                   # (N, 256, 6, 6)
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def alexnet(num_classes: int = 1000) -> AlexNet:
    """AlexNet: 61,100,840 parameters for 1000 classes (torchvision's count).

    >>> import torch
    >>> alexnet(num_classes=5)(torch.zeros(1, 3, 64, 64)).shape
    torch.Size([1, 5])
    """
    return AlexNet(num_classes)


# VGG configurations (Simonyan & Zisserman, 2015, Table 1): an int is a 3x3 convolution
# with that many filters (padding 1, so the size is kept), "M" a 2x2 max pool of stride 2.
VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
VGG19 = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
         512, 512, 512, 512, "M", 512, 512, 512, 512, "M")


def vgg_features(config, *, batch_norm: bool = False, in_channels: int = 3) -> nn.Sequential:
    """The convolutional stage of a VGG net from its configuration (``VGG16``, ``VGG19``).

    >>> len(vgg_features((8, "M")))   # conv, ReLU, pool
    3
    """
    layers: list[nn.Module] = []
    for v in config:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """VGG: a VGG feature stage, a 7x7 adaptive pool and three fully connected layers.

    Input ``(N, 3, H, W)`` with ``H, W >= 32`` (224 in the paper), output ``(N, num_classes)``.
    Weights are initialised as in torchvision: He-normal (fan-out) convolutions,
    N(0, 0.01) linear layers, zero biases.
    """

    def __init__(self, features: nn.Sequential, num_classes: int = 1000, *,
                 dropout: float = 0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))   # (N, 512, 7, 7)
        return self.classifier(x.flatten(1))


def vgg16(num_classes: int = 1000, *, batch_norm: bool = False) -> VGG:
    """VGG-16 (configuration D): 138,357,544 parameters (138,365,992 with batch norm).

    >>> import torch
    >>> with torch.device("meta"):   # shapes only, no memory
    ...     vgg16()(torch.zeros(1, 3, 224, 224)).shape
    torch.Size([1, 1000])
    """
    return VGG(vgg_features(VGG16, batch_norm=batch_norm), num_classes)


def vgg19(num_classes: int = 1000, *, batch_norm: bool = False) -> VGG:
    """VGG-19 (configuration E): 143,667,240 parameters (143,678,248 with batch norm).

    >>> import torch
    >>> with torch.device("meta"):
    ...     vgg19(num_classes=10)(torch.zeros(1, 3, 32, 32)).shape
    torch.Size([1, 10])
    """
    return VGG(vgg_features(VGG19, batch_norm=batch_norm), num_classes)
