"""Containers: ``Sequential`` chains layers (``NamedSequential`` names them); ``Residual``
adds a skip connection around one.

Their backward passes are the chain rule made visible: Sequential walks its layers in
reverse, Residual sends the same ``dout`` down both branches and *adds* what comes back.
Both call the backward passes in the reverse order of the forward passes, so a layer used
twice gets each use's cache back (see :mod:`dlcourse.nn.modules.module`).

Examples
--------
>>> import numpy as np
>>> from dlcourse.nn import Linear, ReLU
>>> net = Sequential(Linear(4, 8, rng=0), ReLU(), Linear(8, 2, rng=1))
>>> net(np.ones((5, 4), dtype=np.float32)).shape
(5, 2)
>>> print(Residual(Linear(4, 4, rng=0)))
Residual(
  (body): Linear(in_features=4, out_features=4, bias=True)
)
"""

from __future__ import annotations

from dlcourse.nn.modules.module import Module

__all__ = ["NamedSequential", "Residual", "Sequential"]


def _check_module(layer, name: str) -> Module:
    if not isinstance(layer, Module):
        raise TypeError(f"{name} must be a dlcourse.nn Module, got {type(layer).__name__}")
    return layer


class Sequential(Module):
    """Apply layers one after the other: ``layers[-1](... layers[1](layers[0](x)))``.

    Layers are named ``"0"``, ``"1"``, ... as in ``torch.nn.Sequential`` (so parameter names
    such as ``"0.weight"`` match), and can be indexed: ``net[0]``, ``net[:-1]``.
    """

    def __init__(self, *layers: Module):
        super().__init__()
        self.layers = [_check_module(layer, f"layer {i}") for i, layer in enumerate(layers)]

    def named_children(self):
        return [(str(i), layer) for i, layer in enumerate(self.layers)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def __getitem__(self, index):
        """``net[i]`` is layer i; ``net[a:b]`` a Sequential of those layers (sharing them)."""
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)


class NamedSequential(Sequential):
    """A Sequential whose layers have names: ``NamedSequential(("conv1", layer), ...)``.

    Like ``torch.nn.Sequential(OrderedDict(...))``: the names become the prefixes of the
    parameter names (``"conv1.weight"``), and each layer is also an attribute (``net.conv1``).

    >>> from dlcourse.nn import Linear, ReLU
    >>> net = NamedSequential(("fc1", Linear(2, 3, rng=0)), ("act", ReLU()))
    >>> [name for name, _ in net.named_parameters()], net.fc1 is net[0]
    (['fc1.weight', 'fc1.bias'], True)
    """

    def __init__(self, *named_layers: tuple[str, Module]):
        super().__init__(*(layer for _, layer in named_layers))
        self._names = [name for name, _ in named_layers]
        if len(set(self._names)) != len(self._names):
            raise ValueError(f"layer names must be distinct, got {self._names}")
        for name, layer in named_layers:
            setattr(self, name, layer)

    def named_children(self):
        return list(zip(self._names, self.layers, strict=True))

    def __getitem__(self, index):
        """``net[i]`` is layer i; ``net[a:b]`` a NamedSequential of those layers (sharing them)."""
        if isinstance(index, slice):
            return NamedSequential(*self.named_children()[index])
        return self.layers[index]


class Residual(Module):
    """A skip connection: ``y = body(x) + shortcut(x)``, the identity when no shortcut is given.

    The gradient reaching ``x`` is the sum of the gradients through both paths; with the
    identity shortcut, ``dout`` itself flows back unchanged -- why deep ResNets train.
    Give a ``shortcut`` (e.g. a 1x1 strided Conv2d) when ``body`` changes the shape.
    """

    def __init__(self, body: Module, shortcut: Module | None = None):
        super().__init__()
        self.body = _check_module(body, "body")
        self.shortcut = None if shortcut is None else _check_module(shortcut, "shortcut")

    def named_children(self):
        children = [("body", self.body)]
        return children if self.shortcut is None else [*children, ("shortcut", self.shortcut)]

    def forward(self, x):
        out = self.body(x)
        skip = x if self.shortcut is None else self.shortcut(x)
        if tuple(out.shape) != tuple(skip.shape):
            raise ValueError(
                f"Residual: body output has shape {tuple(out.shape)} but the shortcut gives "
                f"{tuple(skip.shape)}; pass a shortcut that maps x to the body's output shape"
            )
        return out + skip

    def backward(self, dout):
        dskip = dout if self.shortcut is None else self.shortcut.backward(dout)
        return self.body.backward(dout) + dskip
