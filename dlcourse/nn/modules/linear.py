"""Dense layers: the fully connected ``Linear``, ``Flatten`` in front of it, and ``Dropout``.

Examples
--------
>>> import numpy as np
>>> layer = Linear(3, 2, rng=0)
>>> out = layer(np.ones((4, 3), dtype=np.float32))
>>> out.shape, layer.num_params()
((4, 2), 8)
"""

from __future__ import annotations

import math

from dlcourse._validate import check_array, check_probability
from dlcourse.nn import functional as F
from dlcourse.nn import init
from dlcourse.nn.modules.module import Module, as_rng
from dlcourse.nn.parameter import data_of

__all__ = ["Dropout", "Flatten", "Linear"]


def check_features(value, name: str) -> int:
    """Raise unless ``value`` is a positive integer (a number of features or channels)."""
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def torch_default_init(weight_shape, bias_size: int | None, *, rng, dtype):
    """PyTorch's default weight and bias (of ``bias_size`` entries, or None) for Linear and Conv.

    Weight: ``kaiming_uniform(a=sqrt(5))``, i.e. uniform on ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]``;
    bias: uniform on the same interval.
    """
    rng = as_rng(rng)
    weight = init.kaiming_uniform(weight_shape, a=math.sqrt(5), rng=rng, dtype=dtype)
    if bias_size is None:
        return weight, None
    fan_in, _ = init.fan_in_and_fan_out(weight_shape)
    bound = 1 / math.sqrt(fan_in)
    return weight, init.uniform((bias_size,), -bound, bound, rng=rng, dtype=dtype)


class Linear(Module):
    """Fully connected layer ``y = x w^T + b``; weight ``(out_features, in_features)``.

    Initialised like ``torch.nn.Linear``: weight and bias uniform on
    ``[-1/sqrt(in_features), 1/sqrt(in_features)]`` (kaiming_uniform with ``a=sqrt(5)``).

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
        Whether to learn an additive bias.
    rng : Generator or int, optional, keyword-only
        Generator (or seed) for the initial weights, which are made on the active backend
        (:func:`dlcourse.backend.xp`), whatever the generator's kind.
    dtype : keyword-only, default float32

    Shape: ``(..., in_features) -> (..., out_features)``.
    """

    param_names = ("weight", "bias")

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 rng=None, dtype="float32"):
        super().__init__()
        self.in_features = check_features(in_features, "in_features")
        self.out_features = check_features(out_features, "out_features")
        weight, b = torch_default_init(
            (self.out_features, self.in_features), self.out_features if bias else None,
            rng=rng, dtype=dtype)
        self.set_params(weight=weight, bias=b)

    def forward(self, x):
        self.save_for_backward(x)
        return F.linear(x, self.weight.data, data_of(self.bias))

    def backward(self, dout):
        (x,) = self.pop_saved()
        dx, dw, db = F.linear_backward(dout, x, self.weight.data, data_of(self.bias))
        self.add_grads(weight=dw, bias=db)
        return dx

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` into one, e.g. ``(N, C, H, W) -> (N, C*H*W)``."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        check_array(x, "x")
        start, end = self.start_dim % x.ndim, self.end_dim % x.ndim
        if start > end:
            raise ValueError(f"cannot flatten axes {self.start_dim}..{self.end_dim} of "
                             f"an input of shape {tuple(x.shape)}")
        self.save_for_backward(x.shape)
        return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1:])

    def backward(self, dout):
        (shape,) = self.pop_saved()
        return dout.reshape(shape)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """While training, zero each entry with probability ``p`` and scale the rest by 1/(1-p).

    In eval mode it is the identity.  The backward multiplies by the same mask.

    Parameters
    ----------
    p : float
        Probability of dropping an entry.
    rng : Generator or int, optional, keyword-only
        Source of the masks (a seed makes runs reproducible); without one, a fresh
        generator for every forward.  The masks are made where the input lives.
    """

    def __init__(self, p: float = 0.5, *, rng=None):
        super().__init__()
        check_probability(p, "p")
        self.p = p
        self.rng = None if rng is None else as_rng(rng)

    def forward(self, x):
        out, mask = F.dropout(x, self.p, self.training, rng=self.rng, return_mask=True)
        self.save_for_backward(mask)
        return out

    def backward(self, dout):
        (mask,) = self.pop_saved()
        return F.dropout_backward(dout, mask)

    def extra_repr(self):
        return f"p={self.p}"
