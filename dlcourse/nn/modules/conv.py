"""Convolution layers: ``Conv2d`` and its transpose, ``ConvTranspose2d`` (NCHW).

Examples
--------
>>> import numpy as np
>>> conv = Conv2d(3, 8, kernel_size=3, padding=1, rng=0)
>>> conv(np.zeros((2, 3, 16, 16), dtype=np.float32)).shape
(2, 8, 16, 16)
>>> ConvTranspose2d(8, 3, kernel_size=2, stride=2, rng=0).weight.shape  # (C_in, C_out, kh, kw)
(8, 3, 2, 2)
"""

from __future__ import annotations

from dlcourse._validate import check_non_negative, check_positive, pair
from dlcourse.nn import functional as F
from dlcourse.nn.modules.linear import check_features, torch_default_init
from dlcourse.nn.modules.module import Module
from dlcourse.nn.parameter import data_of

__all__ = ["Conv2d", "ConvTranspose2d"]


def _pairs(kernel_size, stride, padding):
    kernel_size, stride, padding = (pair(kernel_size, "kernel_size"), pair(stride, "stride"),
                                    pair(padding, "padding"))
    check_positive(kernel_size, "kernel_size")
    check_positive(stride, "stride")
    check_non_negative(padding, "padding")
    return kernel_size, stride, padding


class Conv2d(Module):
    """2-D convolution (cross-correlation, as in every framework); weight ``(C_out, C_in, kh, kw)``.

    Initialised like ``torch.nn.Conv2d``: weight and bias uniform on
    ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]`` with ``fan_in = C_in * kh * kw``.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding, dilation : int or (int, int)
    bias : bool
    rng : Generator or int, optional, keyword-only
        Generator (or seed) for the initial weights.
    dtype : keyword-only, default float32

    Shape: ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)`` with
    ``H_out = (H + 2 * padding - dilation * (kh - 1) - 1) // stride + 1``.
    """

    param_names = ("weight", "bias")

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, bias: bool = True, *, rng=None, dtype="float32"):
        super().__init__()
        self.in_channels = check_features(in_channels, "in_channels")
        self.out_channels = check_features(out_channels, "out_channels")
        self.kernel_size, self.stride, self.padding = _pairs(kernel_size, stride, padding)
        self.dilation = pair(dilation, "dilation")
        check_positive(self.dilation, "dilation")
        weight, b = torch_default_init(
            (self.out_channels, self.in_channels, *self.kernel_size),
            self.out_channels if bias else None, rng=rng, dtype=dtype)
        self.set_params(weight=weight, bias=b)

    def forward(self, x):
        self.save_for_backward(x)
        return F.conv2d(x, self.weight.data, data_of(self.bias), self.stride, self.padding,
                        self.dilation)

    def backward(self, dout):
        (x,) = self.pop_saved()
        dx, dw, db = F.conv2d_backward(dout, x, self.weight.data, data_of(self.bias), self.stride,
                                       self.padding, self.dilation)
        self.add_grads(weight=dw, bias=db)
        return dx

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
                f"bias={self.bias is not None}")


class ConvTranspose2d(Module):
    """Transposed convolution, the backward of a Conv2d used as a forward: it upsamples.

    Weight ``(C_in, C_out, kh, kw)``, as in PyTorch, initialised like
    ``torch.nn.ConvTranspose2d`` (uniform, bound ``1/sqrt(C_out * kh * kw)``).

    Shape: ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)`` with
    ``H_out = (H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1``.
    """

    param_names = ("weight", "bias")

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, bias: bool = True, dilation=1, *, rng=None,
                 dtype="float32"):
        super().__init__()
        self.in_channels = check_features(in_channels, "in_channels")
        self.out_channels = check_features(out_channels, "out_channels")
        self.kernel_size, self.stride, self.padding = _pairs(kernel_size, stride, padding)
        self.output_padding = pair(output_padding, "output_padding")
        check_non_negative(self.output_padding, "output_padding")
        self.dilation = pair(dilation, "dilation")
        check_positive(self.dilation, "dilation")
        weight, b = torch_default_init(
            (self.in_channels, self.out_channels, *self.kernel_size),
            self.out_channels if bias else None, rng=rng, dtype=dtype)
        self.set_params(weight=weight, bias=b)

    def forward(self, x):
        self.save_for_backward(x)
        return F.conv_transpose2d(x, self.weight.data, data_of(self.bias), self.stride,
                                  self.padding, self.output_padding, dilation=self.dilation)

    def backward(self, dout):
        (x,) = self.pop_saved()
        dx, dw, db = F.conv_transpose2d_backward(dout, x, self.weight.data, data_of(self.bias),
                                                 self.stride, self.padding, self.output_padding,
                                                 dilation=self.dilation)
        self.add_grads(weight=dw, bias=db)
        return dx

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, "
                f"output_padding={self.output_padding}, dilation={self.dilation}, "
                f"bias={self.bias is not None}")
