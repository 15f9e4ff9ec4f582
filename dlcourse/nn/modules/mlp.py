"""``mlp``: the multilayer perceptron, built once for every chapter.

``Linear -> activation [-> Dropout]`` for each hidden width, then a ``Linear`` output
layer, as a :class:`~dlcourse.nn.Sequential` (so its parameters are named ``"0.weight"``,
... as a ``torch.nn.Sequential`` of the same layers would name them).  Every Linear starts
with PyTorch's default initialisation; to start elsewhere, overwrite ``layer.weight.data``
afterwards, as one does with ``torch.nn.init``.

Examples
--------
>>> net = mlp(2, [4], 1, activation="tanh", rng=0)
>>> [type(layer).__name__ for layer in net], net.num_params()
(['Linear', 'Tanh', 'Linear'], 17)
"""

from __future__ import annotations

from dlcourse._validate import check_probability
from dlcourse.nn.modules.activation import activation as make_activation
from dlcourse.nn.modules.container import Sequential
from dlcourse.nn.modules.linear import Dropout, Linear, check_features
from dlcourse.nn.modules.module import as_rng

__all__ = ["mlp"]


def mlp(in_features: int, hidden_sizes, out_features: int | None, *, activation: str = "relu",
        dropout: float = 0.0, rng=None, dtype="float32") -> Sequential:
    """A multilayer perceptron ``(N, in_features) -> (N, out_features)``.

    Parameters
    ----------
    in_features : int
    hidden_sizes : sequence of int
        Width of each hidden layer; ``()`` gives a single Linear layer.
    out_features : int or None
        Width of the output Linear layer; None for none, so that the net ends with the
        last hidden layer's activation (a stack of identical blocks, say).
    activation : str, keyword-only
        A key of :data:`dlcourse.nn.ACTIVATIONS`, applied after every hidden Linear.
    dropout : float, keyword-only
        If positive, a ``Dropout(dropout)`` after every hidden activation.
    rng : Generator or int, optional, keyword-only
        Draws the initial weights, layer by layer, and then Dropout's masks.
    dtype : keyword-only, default float32

    Returns
    -------
    Sequential
    """
    check_probability(dropout, "dropout")
    make_activation(activation)          # an unknown name fails before any weight is drawn
    rng = as_rng(rng)
    widths = [check_features(in_features, "in_features"),
              *(check_features(w, "hidden_sizes[i]") for w in hidden_sizes)]
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [Linear(fan_in, fan_out, rng=rng, dtype=dtype), make_activation(activation)]
        if dropout > 0:
            layers.append(Dropout(dropout, rng=rng))
    if out_features is not None:
        layers.append(Linear(widths[-1], out_features, rng=rng, dtype=dtype))
    return Sequential(*layers)
