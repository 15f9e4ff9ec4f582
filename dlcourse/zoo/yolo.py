"""A tiny YOLOv1-style detector (Redmon et al., 2016) for small synthetic scenes.

The image is divided into an S x S grid.  For every cell the network predicts ``B`` boxes
of ``(x, y, w, h, confidence)`` and **one** vector of ``C`` class scores shared by the
cell's boxes, so the output has ``S * S * (B * 5 + C)`` numbers (YOLOv1).  Later YOLOs
predict classes per anchor box instead: ``S * S * B * (5 + C)``.

Like YOLOv1, a convolutional backbone is followed by two fully connected layers; the last
layer is linear and the output raw (no sigmoid): decoding and the loss decide how to read it.
"""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["TinyYOLO", "yolo_tiny"]


class TinyYOLO(nn.Module):
    """Conv-BN-LeakyReLU-pool stages down to an ``S x S`` map, then two linear layers.

    Input ``(N, in_channels, image_size, image_size)``; output ``(N, S, S, B * 5 + C)`` where
    ``out[n, i, j]`` is grid row ``i``, column ``j``: ``B`` groups of
    ``(x, y, w, h, confidence)`` followed by ``C`` class scores.
    """

    def __init__(self, S: int = 4, B: int = 2, C: int = 3, *, in_channels: int = 1,
                 image_size: int = 32, width: int = 16, hidden: int = 256):
        super().__init__()
        ratio = image_size // S
        if image_size % S or ratio & (ratio - 1):
            raise ValueError(f"image_size / S must be a power of two, got {image_size} / {S}")
        self.S, self.B, self.C, self.image_size = S, B, C, image_size
        layers: list[nn.Module] = []
        channels = width
        while ratio > 1:                                  # one stage halves the size
            layers += [nn.Conv2d(in_channels, channels, kernel_size=3, padding=1, bias=False),
                       nn.BatchNorm2d(channels),
                       nn.LeakyReLU(0.1),
                       nn.MaxPool2d(2)]
            in_channels, channels, ratio = channels, 2 * channels, ratio // 2
        self.features = nn.Sequential(*layers)            # (N, c, S, S)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_channels * S * S, hidden),
            nn.LeakyReLU(0.1),
            nn.Linear(hidden, S * S * (B * 5 + C)),
        )

    def forward(self, x: Tensor) -> Tensor:
        if tuple(x.shape[-2:]) != (self.image_size, self.image_size):
            raise ValueError(f"this detector expects {self.image_size}x{self.image_size} images, "
                             f"got {tuple(x.shape[-2:])}")
        out = self.head(self.features(x))                 # (N, S * S * (B * 5 + C))
        return out.view(-1, self.S, self.S, self.B * 5 + self.C)


def yolo_tiny(S: int = 4, B: int = 2, C: int = 3, in_channels: int = 1,
              image_size: int = 32) -> TinyYOLO:
    """A tiny YOLOv1: output ``(N, S, S, B * 5 + C)`` for ``image_size``-square inputs.

    >>> import torch
    >>> yolo_tiny()(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 4, 4, 13])
    """
    return TinyYOLO(S, B, C, in_channels=in_channels, image_size=image_size)
