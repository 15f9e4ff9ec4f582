"""Batch normalisation layers, with running statistics for evaluation.

While training, each channel is normalised with the mean and variance of the current batch,
and exponential moving averages of both are kept (``running_mean``, ``running_var``,
updated with ``momentum`` as in torch: ``running = (1 - momentum) * running + momentum * batch``,
unbiased variance).  In eval mode those running statistics are used instead, so the output
of one sample no longer depends on the rest of the batch.

Examples
--------
>>> import numpy as np
>>> bn = BatchNorm1d(2, dtype=np.float64)
>>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
>>> bn(x).round(3).tolist()                 # each column: mean 0, variance 1
[[-1.0, -1.0], [1.0, 1.0]]
>>> bn.running_mean.round(3).tolist()       # moved 10% of the way to the batch mean
[0.2, 2.0]
"""

from __future__ import annotations

from dlcourse._validate import check_array
from dlcourse.nn import functional as F
from dlcourse.nn import init
from dlcourse.nn.modules.linear import check_features
from dlcourse.nn.modules.module import Module
from dlcourse.nn.parameter import data_of

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Module):
    """Shared code; subclasses only say which input ranks they accept."""

    param_names = ("weight", "bias")
    buffer_names = ("running_mean", "running_var")
    input_ndims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, *,
                 dtype="float32"):
        super().__init__()
        self.num_features = check_features(num_features, "num_features")
        if not eps > 0:
            raise ValueError(f"eps must be positive, got {eps!r}")
        if not 0 <= momentum <= 1:
            raise ValueError(f"momentum must lie in [0, 1], got {momentum!r}")
        self.eps, self.momentum = eps, momentum
        shape = (self.num_features,)
        self.set_params(weight=init.constant(shape, 1.0, dtype=dtype),  # gamma, the scale
                        bias=init.zeros(shape, dtype=dtype))              # beta, the shift
        self.running_mean = init.zeros(shape, dtype=dtype)
        self.running_var = init.constant(shape, 1.0, dtype=dtype)

    def forward(self, x):
        check_array(x, "x", ndim=self.input_ndims, floating=True)
        if x.shape[1] != self.num_features:
            raise ValueError(f"x has {x.shape[1]} channels (axis 1) but {type(self).__name__} "
                             f"expects {self.num_features}")
        out, mean, inv_std = F.batch_norm_with_stats(
            x, self.running_mean, self.running_var, self.weight.data, data_of(self.bias),
            training=self.training, momentum=self.momentum, eps=self.eps)
        # The statistics and the mode of *this* forward: what the backward must differentiate.
        self.save_for_backward(x, mean, inv_std, self.training)
        return out

    def backward(self, dout):
        x, mean, inv_std, training = self.pop_saved()
        dx, dweight, dbias = F.batch_norm_backward(
            dout, x, self.running_mean, self.running_var, self.weight.data, data_of(self.bias),
            training=training, eps=self.eps, mean=mean, inv_std=inv_std)
        self.add_grads(weight=dweight, bias=dbias)
        return dx

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """Batch norm over ``(N, C)`` or ``(N, C, L)`` inputs: one mean/variance per channel C."""

    input_ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over ``(N, C, H, W)`` feature maps: statistics over N, H and W per channel."""

    input_ndims = (4,)
