"""Loss layers: ``loss = criterion(input, target)``, then ``criterion.backward()`` gives dL/dinput.

The loss is the end of the chain, so its backward needs no upstream gradient: ``dout``
defaults to 1 (dL/dL).  Each wraps a loss of :mod:`dlcourse.nn.functional` and its backward.

Examples
--------
>>> import numpy as np
>>> criterion = CrossEntropyLoss()
>>> logits, target = np.zeros((2, 3)), np.array([0, 2])
>>> round(float(criterion(logits, target)), 4)     # log(3): a uniform guess
1.0986
>>> criterion.backward().round(4).tolist()
[[-0.3333, 0.1667, 0.1667], [0.1667, 0.1667, -0.3333]]
"""

from __future__ import annotations

from dlcourse.nn import functional as F
from dlcourse.nn.modules.module import Module

__all__ = ["BCEWithLogitsLoss", "CrossEntropyLoss", "L1Loss", "MSELoss"]


class _Loss(Module):
    """A loss: ``forward(input, target)`` returns a scalar, ``backward(dout=1.0)`` dL/dinput."""

    def forward(self, input, target):
        self.save_for_backward(input, target)
        return self.loss(input, target)

    def backward(self, dout=1.0):
        input, target = self.pop_saved()
        return self.loss_backward(dout, input, target)

    def loss(self, input, target):
        raise NotImplementedError

    def loss_backward(self, dout, input, target):
        raise NotImplementedError


class MSELoss(_Loss):
    """Mean squared error ``mean((input - target)^2)``, for regression."""

    def loss(self, input, target):
        return F.mse_loss(input, target)

    def loss_backward(self, dout, input, target):
        return F.mse_loss_backward(dout, input, target)


class L1Loss(_Loss):
    """Mean absolute error ``mean(|input - target|)``, robust to outliers."""

    def loss(self, input, target):
        return F.l1_loss(input, target)

    def loss_backward(self, dout, input, target):
        return F.l1_loss_backward(dout, input, target)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits ``(N, C, ...)`` against integer classes ``(N, ...)``.

    ``weight`` (shape ``(C,)``) gives each class a weight, as in torch.
    """

    def __init__(self, weight=None):
        super().__init__()
        self.weight = weight

    def loss(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight)

    def loss_backward(self, dout, input, target):
        return F.cross_entropy_backward(dout, input, target, weight=self.weight)

    def extra_repr(self):
        return "" if self.weight is None else f"weight={self.weight!r}"


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of ``sigmoid(input)`` against targets in [0, 1], from logits."""

    def loss(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target)

    def loss_backward(self, dout, input, target):
        return F.binary_cross_entropy_with_logits_backward(dout, input, target)
