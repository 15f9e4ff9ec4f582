"""A plain encoder-decoder for segmentation: the tiny U-Net without its skip connections.

Same levels, widths and layers as :class:`dlcourse.zoo.unet.UNet` -- two conv-BN-ReLU
layers per level, 2x2 max pooling down, 2x2 transposed convolutions of stride 2 up -- but
the decoder sees only the upsampled coarse features: nothing carries the encoder's
full-resolution maps across.  Trained side by side with the U-Net it shows what the
concatenated skips are for: the coarse path knows *what* is in the image, the skips tell
the decoder *where* its edges are.
"""

from __future__ import annotations

from torch import Tensor, nn

from dlcourse.zoo.unet import double_conv

__all__ = ["EncoderDecoder"]


class EncoderDecoder(nn.Module):
    """Encoder-decoder with ``depth`` poolings and widths ``base, 2 base, ..., 2**depth base``.

    Input ``(N, in_channels, H, W)`` with ``H`` and ``W`` divisible by ``2**depth``,
    output logits ``(N, num_classes, H, W)``.

    >>> import torch
    >>> EncoderDecoder(num_classes=4)(torch.zeros(2, 1, 32, 32)).shape
    torch.Size([2, 4, 32, 32])
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 2, *, base: int = 8,
                 depth: int = 3):
        super().__init__()
        widths = [base * 2**i for i in range(depth + 1)]
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
            self.decode.append(double_conv(width, width))        # no skip: width channels in
        self.head = nn.Conv2d(base, num_classes, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        factor = 2**self.depth
        if x.shape[-2] % factor or x.shape[-1] % factor:
            raise ValueError(f"input height and width must be divisible by {factor}, "
                             f"got {tuple(x.shape[-2:])}")
        for block in self.down:
            x = self.pool(block(x))               # half the size, nothing kept
        x = self.bottleneck(x)
        for up, block in zip(self.up, self.decode, strict=True):
            x = block(up(x))                      # double the size from coarse features only
        return self.head(x)
