"""A tiny U-Net (Ronneberger et al., 2015) for semantic segmentation of small images.

Encoder: at each level two 3x3 conv-BN-ReLU layers, then a 2x2 max pool that halves the
size and the next level doubles the channels.  Decoder: a 2x2 transposed convolution of
stride 2 doubles the size, the encoder's feature map of the same size is *concatenated*
(the skip connection carries the fine detail the pooling threw away), and two more
convolutions mix them.  A final 1x1 convolution gives one score per class and pixel.
Unlike the paper we pad the convolutions, so the output has the input's size.

With ``skips=False`` the same network is a plain encoder-decoder: the decoder sees only the
upsampled coarse features.  Trained side by side with the U-Net it shows what the skips
are for: the coarse path knows *what* is in the image, the skips tell the decoder *where*
its edges are.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["UNet", "double_conv", "unet_tiny"]


def double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    """Two 3x3 conv-BN-ReLU layers that keep the spatial size."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """U-Net with ``depth`` poolings and widths ``base, 2 base, ..., 2**depth base``.

    Input ``(N, in_channels, H, W)`` with ``H`` and ``W`` divisible by ``2**depth``,
    output logits ``(N, num_classes, H, W)``.  ``skips=False``: no skip connections (a
    plain encoder-decoder).
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 2, *, base: int = 8,
                 depth: int = 3, skips: bool = True):
        super().__init__()
        self.skips = skips
        widths = [base * 2**i for i in range(depth + 1)]       # e.g. 8, 16, 32, 64
        self.depth = depth
        self.down = nn.ModuleList()
        for width in widths[:-1]:
            self.down.append(double_conv(in_channels, width))
            in_channels = width
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = double_conv(widths[-2], widths[-1])
        self.up = nn.ModuleList()
        self.decode = nn.ModuleList()
        for width in reversed(widths[:-1]):
            self.up.append(nn.ConvTranspose2d(2 * width, width, kernel_size=2, stride=2))
            # skip + upsampled: 2 * width channels in; upsampled alone: width
            self.decode.append(double_conv(2 * width if skips else width, width))
        self.head = nn.Conv2d(base, num_classes, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        factor = 2**self.depth
        if x.shape[-2] % factor or x.shape[-1] % factor:
            raise ValueError(f"input height and width must be divisible by {factor}, "
                             f"got {tuple(x.shape[-2:])}")
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)                       # kept for the decoder, full resolution
            x = self.pool(x)                      # half the size
        x = self.bottleneck(x)
        for up, block in zip(self.up, self.decode, strict=True):
            x = up(x)                             # double the size, halve the channels
            skip = skips.pop()
            if self.skips:
                x = torch.cat([skip, x], dim=1)
            x = block(x)
        return self.head(x)                       # (N, num_classes, H, W)


def unet_tiny(in_channels: int = 1, num_classes: int = 2, *, base: int = 8,
              depth: int = 3, skips: bool = True) -> UNet:
    """A U-Net small enough to train on 32x32 or 64x64 synthetic shapes on a CPU.

    >>> import torch
    >>> unet_tiny(num_classes=4)(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 4, 32, 32])
    """
    return UNet(in_channels, num_classes, base=base, depth=depth, skips=skips)
