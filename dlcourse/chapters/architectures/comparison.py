"""AlexNet, VGG-16, GoogLeNet and ResNet-50 side by side: size, cost, memory, published error.

Parameters and multiply-adds come from the layer tables of :mod:`.tables`; the activation
memory is counted here from one forward pass of a 224x224 image on PyTorch's ``meta``
device (shapes only); the top-5 errors are the ones the four papers publish, each with the
table it comes from and what was measured (one model or an ensemble, validation or test
set).  Errors are not computed here: training on ImageNet is far beyond a notebook.

>>> row = comparison(["VGG-16"])[0]
>>> row.activations, round(row.activation_mb, 1)      # one 224x224 image, float32
(15112168, 60.4)
"""

from __future__ import annotations

import math
from typing import NamedTuple

from dlcourse.chapters.architectures.tables import ARCHITECTURES, architecture_summary

__all__ = ["COMPARED", "PUBLISHED_TOP5", "ComparisonRow", "PublishedError",
           "activation_values", "comparison", "format_comparison", "format_published"]

COMPARED = ("AlexNet", "VGG-16", "GoogLeNet", "ResNet-50")

# Layers that write their output into a new array.  ReLU is left out (torchvision applies it
# in place), so are dropout (the identity at test time) and flatten (a view of its input).
_WRITES = ("Conv2d", "Linear", "BatchNorm2d", "LocalResponseNorm", "MaxPool2d", "AvgPool2d",
           "AdaptiveAvgPool2d")
# Blocks whose output is a new array made by a merge: concatenation or a residual sum.
_MERGES = ("Inception", "BasicBlock", "Bottleneck")


def activation_values(model, input_shape) -> int:
    """Numbers the forward pass of a ``torch.nn.Module`` writes into new arrays.

    Counted: the output of every convolution, linear, normalisation and pooling layer, and
    of every merge (an Inception module's concatenation, a residual block's sum).  Not
    counted: the input, in-place ReLUs, dropout and flatten.  This is roughly what training
    must keep for the backward pass; for a forward pass alone far less is alive at once.

    Parameters
    ----------
    model : torch.nn.Module
        Best built under ``torch.device("meta")``: then nothing is computed or allocated.
    input_shape : tuple of int
        ``(N, C, H, W)``; the count is for the whole batch.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> with torch.device("meta"):       # 8x4x4 + 8x2x2 + 3
    ...     activation_values(nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
    ...                       nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32, 3)), (1, 1, 4, 4))
    163
    """
    import torch

    counted = [m for m in model.modules()
               if type(m).__name__ in _MERGES
               or (type(m).__name__ in _WRITES and not any(m.children()))]
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        total += math.prod(output.shape)

    handles = [m.register_forward_hook(hook) for m in counted]
    first = next(model.parameters(), None)
    x = torch.zeros(input_shape, device=None if first is None else first.device)
    training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
        model.train(training)
    return int(total)


class PublishedError(NamedTuple):
    """A top-5 error (%) on ILSVRC-2012 as a paper reports it, and what exactly it measured."""

    top5: float
    models: str      # one model or an ensemble, and how it was evaluated
    split: str       # "val" (50,000 images, labels public) or "test" (100,000, labels hidden)
    source: str      # paper, year, table


# From the papers' tables (ILSVRC-2012 classification data; GoogLeNet and VGG competed in
# 2014, ResNet in 2015, on the same 1000 classes).  Single models and the competition
# entries are not comparable with each other: ensembles and many test crops lower the error.
PUBLISHED_TOP5 = {
    "AlexNet": (
        PublishedError(18.2, "1 CNN, 10 crops", "val", "Krizhevsky et al., 2012, Table 2"),
        PublishedError(15.3, "7 CNNs, 2 of them pre-trained on ImageNet Fall 2011 "
                       "(winning entry)", "test", "Krizhevsky et al., 2012, Table 2"),
    ),
    "VGG-16": (
        PublishedError(7.2, "1 net (D), multi-crop & dense", "val",
                       "Simonyan & Zisserman, 2015, Table 5"),
        PublishedError(7.3, "7 nets (entry, 2nd place)", "test",
                       "Simonyan & Zisserman, 2015, Table 7"),
    ),
    "GoogLeNet": (
        PublishedError(7.89, "1 model, 144 crops", "val", "Szegedy et al., 2015, Table 3"),
        PublishedError(6.67, "7 models, 144 crops (winning entry)", "test",
                       "Szegedy et al., 2015, Table 2"),
    ),
    "ResNet-50": (
        PublishedError(6.71, "1 model, 10 crops", "val", "He et al., 2016, Table 3"),
        PublishedError(3.57, "6 models of different depths, two with 152 layers "
                       "(winning entry)", "test",
                       "He et al., 2016, Table 5"),
    ),
}


class ComparisonRow(NamedTuple):
    """One architecture: its size, cost and memory for one 224x224 image, and its errors."""

    name: str
    year: int
    params: int
    macs: int
    activations: int
    activation_mb: float          # float32: 4 bytes per number, 1 MB = 10^6 bytes
    single: PublishedError
    entry: PublishedError

    @property
    def weight_mb(self) -> float:
        """The parameters in float32, in MB (10^6 bytes)."""
        return self.params * 4 / 1e6


def comparison(names=COMPARED) -> list[ComparisonRow]:
    """The comparison table for ``names`` (architectures with a published error).

    >>> [r.name for r in comparison()]
    ['AlexNet', 'VGG-16', 'GoogLeNet', 'ResNet-50']
    """
    import torch

    rows = []
    for name in names:
        if name not in PUBLISHED_TOP5:
            raise ValueError(f"name must be one of {list(PUBLISHED_TOP5)}, got {name!r}")
        arch, s = ARCHITECTURES[name], architecture_summary(name)
        with torch.device("meta"):
            values = activation_values(arch.builder(), arch.input_shape)
        rows.append(ComparisonRow(name, arch.year, s.total_params, s.total_macs, values,
                                  values * 4 / 1e6, *PUBLISHED_TOP5[name]))
    return rows


def format_comparison(rows) -> str:
    """:func:`comparison` as a text table; :func:`format_published` gives the errors' sources."""
    lines = [f"{'model':10s} {'params (M)':>10s} {'weights MB':>10s} {'GMACs':>6s} "
             f"{'activations (M)':>15s} {'act. MB':>7s} {'top-5 1 model':>13s} "
             f"{'top-5 entry':>11s}"]
    for r in rows:
        lines.append(f"{r.name:10s} {r.params / 1e6:10.1f} {r.weight_mb:10.1f} "
                     f"{r.macs / 1e9:6.2f} {r.activations / 1e6:15.2f} {r.activation_mb:7.1f} "
                     f"{r.single.top5:8.2f} {r.single.split:4s} {r.entry.top5:6.2f} "
                     f"{r.entry.split:4s}")
    return "\n".join(lines)


def format_published(rows) -> str:
    """Where each top-5 error of :func:`comparison` comes from, and what it measured."""
    return "\n".join(f"{r.name:10s} {e.top5:5.2f} % {e.split:4s} {e.models} [{e.source}]"
                     for r in rows for e in (r.single, r.entry))
