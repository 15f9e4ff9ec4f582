"""Pooling layers: summarise each window of a feature map (NCHW) by its maximum or mean.

Pooling has no parameters; ``stride`` defaults to ``kernel_size`` (non-overlapping windows).

Examples
--------
>>> import numpy as np
>>> x = np.arange(16.0).reshape(1, 1, 4, 4)
>>> MaxPool2d(2)(x)[0, 0].tolist()
[[5.0, 7.0], [13.0, 15.0]]
>>> GlobalAvgPool2d()(x).tolist()
[[7.5]]
"""

from __future__ import annotations

from dlcourse._validate import check_non_negative, check_positive, pair
from dlcourse.nn import functional as F
from dlcourse.nn.modules.module import Module

__all__ = ["AvgPool2d", "GlobalAvgPool2d", "MaxPool2d"]


class _Pool2d(Module):
    """Shared constructor: kernel size, stride (default: the kernel size) and padding."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else pair(stride, "stride")
        self.padding = pair(padding, "padding")
        check_positive(self.kernel_size, "kernel_size")
        check_positive(self.stride, "stride")
        check_non_negative(self.padding, "padding")

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Maximum of each window; the backward routes each gradient to its window's maximum.

    Shape: ``(N, C, H, W) -> (N, C, H_out, W_out)``,
    ``H_out = (H + 2 * padding - kernel_size) // stride + 1``.
    """

    def forward(self, x):
        out, indices = F.max_pool2d_with_indices(x, self.kernel_size, self.stride, self.padding)
        self.save_for_backward(x, indices)
        return out

    def backward(self, dout):
        x, indices = self.pop_saved()
        return F.max_pool2d_backward(dout, x, self.kernel_size, self.stride, self.padding,
                                     indices=indices)


class AvgPool2d(_Pool2d):
    """Mean of each window (zero padding counts, as torch's ``count_include_pad=True``)."""

    def forward(self, x):
        self.save_for_backward(x)
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)

    def backward(self, dout):
        (x,) = self.pop_saved()
        return F.avg_pool2d_backward(dout, x, self.kernel_size, self.stride, self.padding)


class GlobalAvgPool2d(Module):
    """Mean over all positions of each channel: ``(N, C, H, W) -> (N, C)``.

    The usual bridge from a convolutional body to a classifier head; like
    ``torch.nn.AdaptiveAvgPool2d(1)`` followed by ``Flatten()``.
    """

    def forward(self, x):
        self.save_for_backward(x)
        return F.global_avg_pool2d(x)

    def backward(self, dout):
        (x,) = self.pop_saved()
        return F.global_avg_pool2d_backward(dout, x)
