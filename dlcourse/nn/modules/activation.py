"""Activation layers: stateless wrappers that remember their input for the backward pass.

Each forward calls the function of the same name in :mod:`dlcourse.nn.functional`, each
backward its ``*_backward`` partner.  :data:`ACTIVATIONS` names them all, and
:func:`activation` builds one by name (as a string in a config or a widget).

Examples
--------
>>> import numpy as np
>>> relu = ReLU()
>>> relu(np.array([-1.0, 2.0])).tolist(), relu.backward(np.array([5.0, 5.0])).tolist()
([0.0, 2.0], [0.0, 5.0])
"""

from __future__ import annotations

from dlcourse.nn import functional as F
from dlcourse.nn.modules.module import Module

__all__ = ["ACTIVATIONS", "ELU", "SELU", "Identity", "LeakyReLU", "ReLU", "Sigmoid", "Softmax",
           "Tanh", "activation"]


class Identity(Module):
    """``x`` unchanged, and ``dout`` unchanged back: a placeholder layer, as torch's."""

    def forward(self, x):
        return x

    def backward(self, dout):
        return dout


class ReLU(Module):
    """``max(x, 0)`` elementwise; the gradient passes where ``x > 0``."""

    def forward(self, x):
        self.save_for_backward(x)
        return F.relu(x)

    def backward(self, dout):
        (x,) = self.pop_saved()
        return F.relu_backward(dout, x)


class LeakyReLU(Module):
    """``x`` for ``x > 0``, else ``negative_slope * x``."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        self.save_for_backward(x)
        return F.leaky_relu(x, self.negative_slope)

    def backward(self, dout):
        (x,) = self.pop_saved()
        return F.leaky_relu_backward(dout, x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        self.save_for_backward(x)
        return F.elu(x, self.alpha)

    def backward(self, dout):
        (x,) = self.pop_saved()
        return F.elu_backward(dout, x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class SELU(Module):
    """Scaled ELU with the self-normalising constants of Klambauer et al. (2017)."""

    def forward(self, x):
        self.save_for_backward(x)
        return F.selu(x)

    def backward(self, dout):
        (x,) = self.pop_saved()
        return F.selu_backward(dout, x)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``; the backward reuses the saved output ``s``: ``s (1 - s)``."""

    def forward(self, x):
        out = F.sigmoid(x)
        self.save_for_backward(x, out)
        return out

    def backward(self, dout):
        x, out = self.pop_saved()
        return F.sigmoid_backward(dout, x, out=out)


class Tanh(Module):
    """``tanh(x)``; the backward reuses the saved output ``t``: ``1 - t^2``."""

    def forward(self, x):
        out = F.tanh(x)
        self.save_for_backward(x, out)
        return out

    def backward(self, dout):
        x, out = self.pop_saved()
        return F.tanh_backward(dout, x, out=out)


class Softmax(Module):
    """Probabilities along axis ``dim``: ``exp(x) / sum(exp(x))``.

    For classification, train on logits with :class:`CrossEntropyLoss` instead (it
    contains the softmax, computed stably); use this layer to read probabilities out.
    """

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        out = F.softmax(x, dim=self.dim)
        self.save_for_backward(x, out)
        return out

    def backward(self, dout):
        x, out = self.pop_saved()
        return F.softmax_backward(dout, x, dim=self.dim, out=out)

    def extra_repr(self):
        return f"dim={self.dim}"


#: The elementwise activation layers by their torch.nn.functional names.
ACTIVATIONS: dict[str, type[Module]] = {
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "selu": SELU,
    "identity": Identity,
}


def activation(name: str, **kwargs) -> Module:
    """A new activation layer by name, a key of :data:`ACTIVATIONS`; ``kwargs`` go to it.

    >>> activation("leaky_relu", negative_slope=0.2)
    LeakyReLU(negative_slope=0.2)
    """
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}: choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name](**kwargs)
