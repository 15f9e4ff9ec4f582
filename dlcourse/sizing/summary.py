"""A layer table for a model: output shape, parameters and multiply-adds of every layer.

Works for ``torch.nn.Module`` and for :mod:`dlcourse.nn` models alike: one forward pass on
zeros of the given input shape records what each leaf layer (one without sub-layers)
returns.  Multiply-adds (MACs) are counted for the layers that dominate the cost --
``Conv2d``, ``ConvTranspose2d`` and ``Linear`` -- and are 0 for the rest.
"""

from __future__ import annotations

import html
import math
import sys
from dataclasses import dataclass
from typing import NamedTuple

from dlcourse._validate import check_positive, pair
from dlcourse.backend import array_module, xp
from dlcourse.nn.modules.module import Module

__all__ = ["Summary", "SummaryRow", "summary"]

_COUNTED = ("Conv2d", "ConvTranspose2d", "Linear")


class SummaryRow(NamedTuple):
    """One leaf layer: its dotted name, class name, output shape, parameters and MACs."""

    name: str
    type: str
    output_shape: tuple[int, ...]
    params: int
    macs: int


@dataclass(frozen=True)
class Summary:
    """The result of :func:`summary`; prints as a text table, renders as HTML in Jupyter.

    Attributes
    ----------
    rows : list of SummaryRow
        One per leaf-layer call, in the order of the forward pass.
    input_shape : tuple of int
    total_params : int
        Every parameter of the model, each counted once.
    """

    rows: list[SummaryRow]
    input_shape: tuple[int, ...]
    total_params: int

    @property
    def total_macs(self) -> int:
        """Multiply-adds of the whole forward pass for ``input_shape`` (batch included)."""
        return sum(row.macs for row in self.rows)

    def _table(self) -> tuple[list[str], list[list[str]], list[str]]:
        header = ["Layer (type)", "Output shape", "Param #", "Mult-adds"]
        body = [
            [f"{row.name} ({row.type})" if row.name else row.type, str(row.output_shape),
             f"{row.params:,}", f"{row.macs:,}"]
            for row in self.rows
        ]
        footer = [
            f"Input shape: {self.input_shape}",
            f"Total params: {self.total_params:,}",
            f"Total mult-adds: {self.total_macs:,}",
        ]
        return header, body, footer

    def __str__(self) -> str:
        header, body, footer = self._table()
        widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

        def fmt(line):
            return "  ".join(
                cell.ljust(w) if i < 2 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            )

        rule = "-" * len(fmt(header))
        return "\n".join([fmt(header), rule, *map(fmt, body), rule, *footer])

    def _repr_html_(self) -> str:
        header, body, footer = self._table()

        def cells(line, tag):
            return "".join(f"<{tag}>{html.escape(cell)}</{tag}>" for cell in line)

        rows = "".join(f"<tr>{cells(line, 'td')}</tr>" for line in body)
        notes = "<br>".join(html.escape(line) for line in footer)
        return (f"<table><thead><tr>{cells(header, 'th')}</tr></thead>"
                f"<tbody>{rows}</tbody></table><p>{notes}</p>")


def _macs(layer, input_shape, output_shape) -> int:
    """Multiply-adds of one call of ``layer`` (torch or dlcourse: same attribute names)."""
    kind = next((c.__name__ for c in type(layer).__mro__ if c.__name__ in _COUNTED), None)
    if kind == "Linear":  # every output number: in_features products
        return math.prod(output_shape) * layer.in_features
    if kind is None:
        return 0
    kh, kw = pair(layer.kernel_size, "kernel_size")
    groups = getattr(layer, "groups", 1)
    if kind == "Conv2d":  # every output number: one filter of (C_in / groups) F_h F_w
        return math.prod(output_shape) * (layer.in_channels // groups) * kh * kw
    # ConvTranspose2d: every *input* number is spread over (C_out / groups) F_h F_w outputs
    return math.prod(input_shape) * (layer.out_channels // groups) * kh * kw


def _shape(output) -> tuple[int, ...]:
    return tuple(int(d) for d in output.shape)


def _torch_rows(model, input_shape) -> tuple[list[SummaryRow], int]:
    import torch

    rows = []

    def hook_for(name):
        def hook(layer, inputs, output):
            params = sum(p.numel() for p in layer.parameters())
            macs = _macs(layer, _shape(inputs[0]), _shape(output))
            rows.append(SummaryRow(name, type(layer).__name__, _shape(output), params, macs))
        return hook

    leaves = [(name, m) for name, m in model.named_modules() if not any(m.children())]
    handles = [layer.register_forward_hook(hook_for(name)) for name, layer in leaves]
    modes = [(m, m.training) for m in model.modules()]
    first = next(model.parameters(), None)
    x = torch.zeros(input_shape, dtype=torch.get_default_dtype() if first is None else
                    first.dtype, device=None if first is None else first.device)
    try:
        model.eval()  # no running statistics are updated, dropout is off
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
        for m, training in modes:
            m.training = training
    return rows, sum(p.numel() for p in model.parameters())


def _named_leaves(module, prefix=""):
    """``(dotted name, layer)`` for every dlcourse layer without sub-layers."""
    children = module.named_children()
    if not children:
        yield prefix, module
    for name, child in children:
        yield from _named_leaves(child, f"{prefix}.{name}" if prefix else name)


def _dlcourse_rows(model, input_shape) -> tuple[list[SummaryRow], int]:
    rows = []

    def recording(name, layer):  # dlcourse layers have no hooks: wrap forward for one call
        original = layer.forward

        def forward(x, *args):
            out = original(x, *args)
            params = layer.num_params()
            macs = _macs(layer, _shape(x), _shape(out))
            rows.append(SummaryRow(name, type(layer).__name__, _shape(out), params, macs))
            return out
        return forward

    leaves = {}  # layer -> its first name; a layer used twice is wrapped once
    for name, layer in _named_leaves(model):
        leaves.setdefault(layer, name)
    modes = [(m, m.training) for m in model.modules()]
    first = next(model.parameters(), None)
    module = xp() if first is None else array_module(first.data)
    x = module.zeros(input_shape, dtype=module.float32 if first is None else first.dtype)
    try:
        for layer, name in leaves.items():
            layer.forward = recording(name, layer)  # the instance attribute shadows the method
        model.eval()
        model(x)
    finally:
        for layer in leaves:
            del layer.forward
        for m, training in modes:
            m.training = training
    return rows, model.num_params()


def _is_torch_module(model) -> bool:
    torch = sys.modules.get("torch")  # only loaded if the caller uses torch
    return torch is not None and isinstance(model, torch.nn.Module)


def summary(model, input_shape) -> Summary:
    """Tabulate every leaf layer of ``model``: output shape, parameters, multiply-adds.

    Runs one forward pass on zeros in eval mode (so batch-norm statistics do not move),
    then restores each layer's train/eval mode.  Run it outside a forward/backward pair:
    dlcourse layers overwrite their backward cache.

    Parameters
    ----------
    model : torch.nn.Module or dlcourse.nn.Module
    input_shape : tuple of int
        The full input shape, batch included, e.g. ``(1, 3, 32, 32)``; MACs are for
        this whole batch (use batch size 1 for per-image counts).

    Returns
    -------
    Summary
        ``.rows``, ``.total_params`` (each parameter once, from the model's parameters),
        ``.total_macs``; ``print`` it for a table.

    Examples
    --------
    >>> from dlcourse import nn
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 16), nn.ReLU(), nn.Linear(16, 10))
    >>> s = summary(net, (1, 3, 4, 4))
    >>> s.total_params, s.total_macs  # 16*(48+1) + 10*(16+1); 48*16 + 16*10
    (954, 928)
    >>> print(s)
    Layer (type)  Output shape  Param #  Mult-adds
    ----------------------------------------------
    0 (Flatten)   (1, 48)             0          0
    1 (Linear)    (1, 16)           784        768
    2 (ReLU)      (1, 16)             0          0
    3 (Linear)    (1, 10)           170        160
    ----------------------------------------------
    Input shape: (1, 3, 4, 4)
    Total params: 954
    Total mult-adds: 928
    """
    input_shape = tuple(int(d) for d in input_shape)
    check_positive(input_shape, "input_shape")
    if _is_torch_module(model):
        rows, total = _torch_rows(model, input_shape)
    elif isinstance(model, Module):
        rows, total = _dlcourse_rows(model, input_shape)
    else:
        raise TypeError(
            f"model must be a torch.nn.Module or a dlcourse.nn Module, got {type(model).__name__}"
        )
    return Summary(rows, input_shape, int(total))
