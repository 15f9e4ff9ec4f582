"""Backprop through a convolution is a convolution with the flipped kernel.

In a stride-1 convolution every input pixel ``x[i, j]`` is multiplied by kernel tap
``w[u, v]`` to make output ``y[i - u, j - v]``.  So its gradient collects
``dout[i - u, j - v] * w[u, v]`` over all taps: a convolution of ``dout`` (padded by
``k - 1``, a *full* convolution) with the kernel turned by 180 degrees.  With several
channels the roles of input and output channels swap too: the flipped kernel is
``w[:, :, ::-1, ::-1]`` with its first two axes transposed.

Examples
--------
>>> import numpy as np
>>> w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
>>> flip_kernel(w)[0, 0].tolist()
[[4.0, 3.0], [2.0, 1.0]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlcourse._validate import check_array, check_non_negative, pair
from dlcourse.backend import array_module
from dlcourse.nn import functional as F

__all__ = ["FlipDemo", "conv_input_grad_by_flipped_kernel", "flip_kernel", "flipped_kernel_demo"]


def flip_kernel(w):
    """Rotate each kernel by 180 degrees and swap input/output channels.

    Parameters
    ----------
    w : ndarray, shape (C_out, C_in, kh, kw)

    Returns
    -------
    ndarray, shape (C_in, C_out, kh, kw), C-contiguous
    """
    check_array(w, "w", ndim=4)
    return array_module(w).ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))


def conv_input_grad_by_flipped_kernel(dout, w, padding=0):
    """``dL/dx`` of a stride-1 ``conv2d(x, w, padding=padding)`` as a convolution of ``dout``.

    ``conv2d(dout, flip_kernel(w), padding=k - 1 - padding)``: a full convolution (padding
    ``k - 1``) undoes the shrinking of a valid one; the forward's own padding is cut off again.

    Parameters
    ----------
    dout : ndarray, shape (N, C_out, H_out, W_out)
    w : ndarray, shape (C_out, C_in, kh, kw)
    padding : int or (int, int)
        The forward convolution's padding, at most ``k - 1`` on each axis.

    Returns
    -------
    ndarray, shape (N, C_in, H, W)
        Equal to ``F.conv2d_backward(dout, x, w, padding=padding)[0]``.

    Examples
    --------
    >>> import numpy as np
    >>> dx = conv_input_grad_by_flipped_kernel(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)))
    >>> dx[0, 0].tolist()
    [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    check_array(dout, "dout", ndim=4, floating=True)
    check_array(w, "w", ndim=4, floating=True)
    if dout.shape[1] != w.shape[0]:
        raise ValueError(f"dout has {dout.shape[1]} channels but w makes {w.shape[0]}")
    ph, pw = pair(padding, "padding")
    check_non_negative((ph, pw), "padding")
    kh, kw = w.shape[2:]
    if ph > kh - 1 or pw > kw - 1:
        raise ValueError(f"padding {padding!r} is more than kernel size - 1 = "
                         f"({kh - 1}, {kw - 1}); the flip identity needs padding <= k - 1")
    return F.conv2d(dout, flip_kernel(w), padding=(kh - 1 - ph, kw - 1 - pw))


@dataclass(frozen=True)
class FlipDemo:
    """A small example: kernel, flipped kernel, ``dout``, and ``dx`` computed both ways."""

    w: np.ndarray
    flipped: np.ndarray
    dout: np.ndarray
    dx_backward: np.ndarray
    dx_flipped_conv: np.ndarray

    def __str__(self) -> str:
        def show(name, a):
            rows = str(np.asarray(a).astype(int)).replace("\n", "\n" + " " * 24)
            return f"{name:<24}{rows}"

        same = bool(np.allclose(self.dx_backward, self.dx_flipped_conv))
        return "\n".join([
            show("kernel w", self.w), show("flipped kernel", self.flipped),
            show("upstream gradient dout", self.dout),
            show("dx by conv2d_backward", self.dx_backward),
            show("dx = full conv, flipped", self.dx_flipped_conv), f"equal: {same}"])


def flipped_kernel_demo() -> FlipDemo:
    """A 3x3 ``dout`` and a 2x2 kernel ``[[1, 2], [3, 4]]`` (input 4x4): ``dx`` both ways.

    Integer numbers so that every entry of ``dx`` can be checked by hand.

    Examples
    --------
    >>> demo = flipped_kernel_demo()
    >>> demo.dx_backward[0, 0].tolist() == demo.dx_flipped_conv[0, 0].tolist()
    True
    """
    x = np.zeros((1, 1, 4, 4))                    # dx does not depend on x's values
    w = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    dout = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    dx, _, _ = F.conv2d_backward(dout, x, w)
    return FlipDemo(w[0, 0], flip_kernel(w)[0, 0], dout[0, 0], dx[0, 0],
                    conv_input_grad_by_flipped_kernel(dout, w)[0, 0])
