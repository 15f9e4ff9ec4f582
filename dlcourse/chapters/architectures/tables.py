"""The classic CNN architectures in numbers: layer tables, parameters, multiply-adds.

Every table comes from :func:`dlcourse.sizing.summary` run on a model of
:mod:`dlcourse.zoo`; the ImageNet models are built on PyTorch's ``meta`` device, which
records shapes without allocating weights or computing, so even VGG-16 is tabulated in
milliseconds.  The module also counts the design ideas by hand: an Inception module branch
by branch, a stack of 3x3 convolutions against one 7x7, ZFNet's first layer against
AlexNet's, flattening against global average pooling, and CNNs written in the C/L/R/P/B
notation of the exercises.

>>> s = architecture_summary("ResNet-18")
>>> s.total_params, round(s.total_macs / 1e9, 2)     # torchvision: 11,689,512 and 1.81 GFLOPS
(11689512, 1.81)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from dlcourse import nn, zoo
from dlcourse._validate import check_positive
from dlcourse.sizing import Summary, conv_output_size, receptive_field, summary

__all__ = [
    "ARCHITECTURES", "DESIGN_64", "DESIGN_64_GAP", "ILSVRC", "Architecture", "BranchRow",
    "DesignRow", "FirstLayer", "architecture_summary", "build_design", "count_design",
    "design_summary", "first_layer_comparison", "flatten_vs_gap", "format_design",
    "format_ilsvrc", "format_overview",
    "inception_branches", "layer_profile", "overview", "parse_design", "stack_vs_single",
    "stage_params",
]


@dataclass(frozen=True)
class Architecture:
    """One architecture of the chapter and the numbers torchvision publishes for it.

    ``published_params`` and ``published_gflops`` are the "Params" and "GFLOPS" columns
    of torchvision's model tables (its "GFLOPS" count multiply-adds of one 224x224 image);
    ``None`` for LeNet-5, which torchvision does not have.
    """

    name: str
    year: int
    builder: object
    input_shape: tuple[int, int, int, int]
    published_params: int | None
    published_gflops: float | None


ARCHITECTURES = {a.name: a for a in [
    Architecture("LeNet-5", 1998, zoo.lenet5, (1, 1, 32, 32), None, None),
    Architecture("AlexNet", 2012, zoo.alexnet, (1, 3, 224, 224), 61_100_840, 0.71),
    Architecture("VGG-16", 2014, zoo.vgg16, (1, 3, 224, 224), 138_357_544, 15.47),
    Architecture("VGG-19", 2014, zoo.vgg19, (1, 3, 224, 224), 143_667_240, 19.63),
    Architecture("GoogLeNet", 2014, zoo.googlenet, (1, 3, 224, 224), 6_624_904, 1.50),
    Architecture("ResNet-18", 2015, zoo.resnet18, (1, 3, 224, 224), 11_689_512, 1.81),
    Architecture("ResNet-50", 2015, zoo.resnet50, (1, 3, 224, 224), 25_557_032, 4.09),
]}


@cache
def architecture_summary(name: str) -> Summary:
    """The layer table of one of :data:`ARCHITECTURES` for one image of its input size.

    Built on the ``meta`` device (shapes only), cached: the first call per name costs
    a few milliseconds to a second, later calls nothing.

    >>> architecture_summary("LeNet-5").total_params
    61706
    """
    import torch

    if name not in ARCHITECTURES:
        raise ValueError(f"name must be one of {list(ARCHITECTURES)}, got {name!r}")
    arch = ARCHITECTURES[name]
    with torch.device("meta"):
        model = arch.builder()
    return summary(model, arch.input_shape)


def _is_weighted(row) -> bool:
    return row.type in ("Conv2d", "Linear")


def _is_classifier(row) -> bool:
    """Rows of the classification stage: torchvision calls it ``classifier`` or ``fc``."""
    return row.name.split(".")[0] in ("classifier", "fc")


class OverviewRow(NamedTuple):
    """One line of :func:`overview`."""

    name: str
    year: int
    weighted_layers: int
    params: int
    gmacs: float
    classifier_share: float
    published_params: int | None
    published_gflops: float | None


def stage_params(s: Summary) -> tuple[int, int]:
    """Parameters of the feature-learning stage and of the classification stage.

    >>> stage_params(architecture_summary("VGG-16"))   # the FC layers hold 89% of VGG-16
    (14714688, 123642856)
    """
    classifier = sum(row.params for row in s.rows if _is_classifier(row))
    return s.total_params - classifier, classifier


def overview(names=None) -> list[OverviewRow]:
    """Depth, parameters, GMACs and the classifier's share of parameters per architecture."""
    rows = []
    for name in names or ARCHITECTURES:
        arch, s = ARCHITECTURES[name], architecture_summary(name)
        classifier = stage_params(s)[1]
        rows.append(OverviewRow(
            name, arch.year, sum(map(_is_weighted, s.rows)), s.total_params,
            round(s.total_macs / 1e9, 2), round(classifier / s.total_params, 4),
            arch.published_params, arch.published_gflops))
    return rows


def format_overview(rows) -> str:
    """:func:`overview` as a text table (deterministic, for answer cells)."""
    lines = [f"{'model':10s} {'year':>4s} {'layers':>6s} {'params':>12s} {'GMACs':>6s} "
             f"{'in FC':>6s} {'torchvision':>12s}"]
    for r in rows:
        published = "-" if r.published_params is None else f"{r.published_params:,}"
        lines.append(f"{r.name:10s} {r.year:4d} {r.weighted_layers:6d} {r.params:12,d} "
                     f"{r.gmacs:6.2f} {r.classifier_share:6.1%} {published:>12s}")
    return "\n".join(lines)


def layer_profile(name: str, *, group: bool = True) -> tuple[list[str], list[int], list[int]]:
    """Names, parameters and MACs of the weighted layers of an architecture.

    With ``group=True`` the layers of one block (an Inception module, a ResNet stage) are
    added up under the block's name; the plain stacks (``features``, ``classifier``) keep
    one entry per layer.

    >>> names, params, macs = layer_profile("LeNet-5")
    >>> names[0], params[0], macs[0]
    ('features.0', 156, 117600)
    """
    totals: dict[str, list[int]] = {}
    for row in architecture_summary(name).rows:
        if not _is_weighted(row):
            continue
        parts = row.name.split(".")
        key = row.name
        if group:
            key = ".".join(parts[:2]) if parts[0] in ("features", "classifier") else parts[0]
        entry = totals.setdefault(key, [0, 0])
        entry[0] += row.params
        entry[1] += row.macs
    names = list(totals)
    return names, [totals[n][0] for n in names], [totals[n][1] for n in names]


# --- ImageNet context ---------------------------------------------------------------------

# ILSVRC classification winners, top-5 error on the test set, from the challenge results
# (Russakovsky et al., 2015) and the papers; the human estimate is Karpathy's (2014).
ILSVRC = (
    (2010, "NEC-UIUC (SIFT features + SVM)", 28.2),
    (2011, "XRCE (Fisher vectors + SVM)", 25.8),
    (2012, "AlexNet (8 layers)", 16.4),
    (2013, "ZFNet / Clarifai (8 layers)", 11.7),
    (2014, "GoogLeNet (22 layers); VGG 2nd, 7.3", 6.7),
    (2015, "ResNet (152 layers)", 3.57),
    (2016, "Trimps-Soushen (ensemble)", 2.99),
    (2017, "SENet", 2.25),
)


def format_ilsvrc() -> str:
    """The ILSVRC winners table as text, with the human reference."""
    lines = [f"{'year':4s}  {'winner':38s} {'top-5 error %':>13s}"]
    lines += [f"{year:4d}  {who:38s} {err:13.2f}" for year, who, err in ILSVRC]
    lines.append(f"{'':4s}  {'human (one trained annotator)':38s} {5.1:13.2f}")
    return "\n".join(lines)


# --- design ideas counted by hand ------------------------------------------------------------

def _conv_params(c_in, c_out, k, bias=True) -> int:
    return k * k * c_in * c_out + (c_out if bias else 0)


class BranchRow(NamedTuple):
    """One branch of an Inception module: its layers, output channels, params, MACs."""

    name: str
    layers: str
    out_channels: int
    params: int
    macs: int


def inception_branches(in_channels: int = 192, ch1x1: int = 64, ch3x3red: int = 96,
                       ch3x3: int = 128, ch5x5red: int = 16, ch5x5: int = 32,
                       pool_proj: int = 32, *, size: int = 28, reduce: bool = True,
                       bias: bool = True) -> list[BranchRow]:
    """Count an Inception module branch by branch (defaults: GoogLeNet's 3a on 28x28).

    The four branches (paper version, 5x5 in the third) see the same ``(in_channels,
    size, size)`` input and keep the size.  With ``reduce=False`` the naive module is
    counted: no 1x1 bottlenecks, the pool branch passes its ``in_channels`` through.

    >>> [b.params for b in inception_branches()]
    [12352, 129248, 15920, 6176]
    >>> sum(b.params for b in inception_branches(reduce=False))
    387296
    """
    check_positive((in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj, size),
                   "channels and size")
    pixels = size * size

    def chain(*convs):  # convs: (c_in, c_out, k); params and MACs of the chain
        params = sum(_conv_params(c_in, c_out, k, bias) for c_in, c_out, k in convs)
        return params, sum(pixels * k * k * c_in * c_out for c_in, c_out, k in convs)

    if reduce:
        branches = [
            ("1x1", f"1x1 conv {ch1x1}", ch1x1, chain((in_channels, ch1x1, 1))),
            ("3x3", f"1x1 conv {ch3x3red} -> 3x3 conv {ch3x3}", ch3x3,
             chain((in_channels, ch3x3red, 1), (ch3x3red, ch3x3, 3))),
            ("5x5", f"1x1 conv {ch5x5red} -> 5x5 conv {ch5x5}", ch5x5,
             chain((in_channels, ch5x5red, 1), (ch5x5red, ch5x5, 5))),
            ("pool", f"3x3 max pool -> 1x1 conv {pool_proj}", pool_proj,
             chain((in_channels, pool_proj, 1))),
        ]
    else:
        branches = [
            ("1x1", f"1x1 conv {ch1x1}", ch1x1, chain((in_channels, ch1x1, 1))),
            ("3x3", f"3x3 conv {ch3x3}", ch3x3, chain((in_channels, ch3x3, 3))),
            ("5x5", f"5x5 conv {ch5x5}", ch5x5, chain((in_channels, ch5x5, 5))),
            ("pool", "3x3 max pool", in_channels, (0, 0)),
        ]
    return [BranchRow(name, layers, out, params, macs)
            for name, layers, out, (params, macs) in branches]


class StackComparison(NamedTuple):
    """A stack of small convolutions against one big one with the same receptive field."""

    receptive_field: int
    stack_weights: int
    single_weights: int
    stack_nonlinearities: int
    single_nonlinearities: int


def stack_vs_single(channels: int, *, layers: int = 3, kernel_size: int = 3) -> StackComparison:
    """``layers`` stacked ``k x k`` convolutions (C -> C) against one with the same field.

    Weights without biases: the stack has ``layers * k^2 C^2``, the single convolution
    ``K^2 C^2`` with ``K = layers (k - 1) + 1``; the stack also has ``layers`` ReLUs.

    >>> stack_vs_single(64)      # 27 C^2 = 110,592 against 49 C^2 = 200,704
    StackComparison(receptive_field=7, stack_weights=110592, single_weights=200704, \
stack_nonlinearities=3, single_nonlinearities=1)
    """
    check_positive((channels, layers, kernel_size), "channels, layers and kernel_size")
    field = receptive_field([(kernel_size, 1)] * layers)
    return StackComparison(field, layers * kernel_size ** 2 * channels ** 2,
                           field ** 2 * channels ** 2, layers, 1)


class FirstLayer(NamedTuple):
    """A first convolution on an RGB image: its hyperparameters and what they cost."""

    name: str
    input_size: int
    filters: int
    kernel_size: int
    stride: int
    padding: int
    output_size: int
    params: int
    macs: int


def _first_layer(name, input_size, filters, kernel_size, stride, padding) -> FirstLayer:
    out = conv_output_size(input_size, kernel_size, stride, padding)
    return FirstLayer(name, input_size, filters, kernel_size, stride, padding, out,
                      _conv_params(3, filters, kernel_size),
                      out * out * filters * kernel_size ** 2 * 3)


def first_layer_comparison() -> list[FirstLayer]:
    """AlexNet's first layer (96 filters 11x11, stride 4) and ZFNet's (96 filters 7x7, stride 2).

    Paper values: AlexNet reads a 227x227 crop (the paper says 224, which does not give
    its 55x55 maps); ZFNet reads 224x224 with padding 1 and gets 110x110 maps.

    >>> [(r.name, r.output_size, r.params) for r in first_layer_comparison()]
    [('AlexNet', 55, 34944), ('ZFNet', 110, 14208)]
    """
    return [_first_layer("AlexNet", 227, 96, 11, 4, 0), _first_layer("ZFNet", 224, 96, 7, 2, 1)]


def flatten_vs_gap(channels: int, height: int, width: int, out_features: int) -> tuple[int, int]:
    """Parameters of a linear layer after flattening ``(C, H, W)`` vs after global avg pooling.

    >>> flatten_vs_gap(512, 7, 7, 4096)     # VGG-16's first FC layer vs a GAP head
    (102764544, 2101248)
    """
    check_positive((channels, height, width, out_features), "sizes")
    return ((channels * height * width + 1) * out_features, (channels + 1) * out_features)


# --- the C/L/R/P/B notation -------------------------------------------------------------------

# Cx: 3x3 convolution (padding 1) with x maps; Lx: linear layer with x units; R: ReLU;
# P: 2x2 max pool (stride 2); B: batch norm; G: global average pooling (our addition).
DESIGN_64 = "C32 B R C32 B R P C64 B R C64 B R P C128 B R C128 B R P C128 B R P L128 R L10"
DESIGN_64_GAP = "C32 B R C32 B R P C64 B R C64 B R P C128 B R C128 B R P C128 B R P G L10"
_TOKEN = re.compile(r"([CL])(\d+)|([RPBG])")


def parse_design(spec: str) -> list[tuple[str, int | None]]:
    """Split a design like ``"C16 R P L20"`` into ``[("C", 16), ("R", None), ...]``.

    Spaces, dashes and commas between tokens are optional.

    >>> parse_design("C16-R-P-L20")
    [('C', 16), ('R', None), ('P', None), ('L', 20)]
    """
    if not isinstance(spec, str):
        raise TypeError(f"spec must be a string, got {type(spec).__name__}")
    tokens, pos = [], 0
    text = re.sub(r"[\s,\-]+", "", spec.upper())
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ValueError(f"cannot read {text[pos:]!r} in {spec!r}: use Cx, Lx, R, P, B, G")
        kind, number, single = match.groups()
        if kind and int(number) < 1:
            raise ValueError(f"{kind}{number} needs at least 1 unit")
        tokens.append((kind, int(number)) if kind else (single, None))
        pos = match.end()
    if not tokens:
        raise ValueError("spec is empty")
    return tokens


class DesignRow(NamedTuple):
    """One layer of a design: its token, output shape (one image), parameters, MACs."""

    layer: str
    output_shape: tuple[int, ...]
    params: int
    macs: int


def _walk(spec: str, input_shape):
    """``(kind, n, input shape, output shape)`` per layer; a Flatten ``F`` before the first L."""
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 3:
        raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}")
    check_positive(shape, "input_shape")
    for kind, n in parse_design(spec):
        flat = len(shape) == 1
        if kind in "CPG" and flat:
            raise ValueError(f"{kind} needs feature maps, but it follows a linear layer or G")
        if kind == "L" and not flat:
            yield "F", None, shape, (shape[0] * shape[1] * shape[2],)
            shape = (shape[0] * shape[1] * shape[2],)
        if kind == "C":
            out = (n, *shape[1:])
        elif kind == "P":
            if min(shape[1:]) < 2:
                raise ValueError(f"P needs a feature map of at least 2x2, got {shape[1:]}")
            out = (shape[0], shape[1] // 2, shape[2] // 2)
        elif kind == "G":
            out = (shape[0],)
        elif kind == "L":
            out = (n,)
        else:  # R and B keep the shape
            out = shape
        yield kind, n, shape, out
        shape = out


def count_design(spec: str, input_shape=(3, 64, 64)) -> list[DesignRow]:
    """Count a design by hand: ``C`` has ``9 C_in C + C`` weights, ``L`` ``(n_in + 1) n``,
    ``B`` ``2 C`` (gamma and beta); MACs are ``9 C_in`` (``n_in``) per output number.

    >>> [(r.layer, r.params) for r in count_design("C16 R P L20", (3, 64, 64))]
    [('C16', 448), ('R', 0), ('P', 0), ('Flatten', 0), ('L20', 327700)]
    """
    rows = []
    for kind, n, shape, out in _walk(spec, input_shape):
        params = macs = 0
        if kind == "C":
            params, macs = _conv_params(shape[0], n, 3), out[0] * out[1] * out[2] * 9 * shape[0]
        elif kind == "L":
            params, macs = (shape[0] + 1) * n, shape[0] * n
        elif kind == "B":
            params = 2 * shape[0]
        name = {"F": "Flatten"}.get(kind, kind if n is None else f"{kind}{n}")
        rows.append(DesignRow(name, out, params, macs))
    return rows


def format_design(rows) -> str:
    """:func:`count_design` rows as a text table with totals."""
    lines = [f"{'layer':8s} {'output shape':>16s} {'params':>10s} {'MACs':>12s}"]
    lines += [f"{r.layer:8s} {str(r.output_shape):>16s} {r.params:10,d} {r.macs:12,d}"
              for r in rows]
    lines.append(f"{'total':8s} {'':16s} {sum(r.params for r in rows):10,d} "
                 f"{sum(r.macs for r in rows):12,d}")
    return "\n".join(lines)


def build_design(spec: str, input_shape=(3, 64, 64), *, rng=0) -> nn.Sequential:
    """The engine model of a design (``input_shape`` is ``(C, H, W)``).

    >>> import numpy as np
    >>> build_design("C8 R P L10", (3, 8, 8))(np.zeros((2, 3, 8, 8), np.float32)).shape
    (2, 10)
    """
    layers = []
    for kind, n, shape, _ in _walk(spec, input_shape):
        if kind == "C":
            layers.append(nn.Conv2d(shape[0], n, 3, padding=1, rng=rng))
        elif kind == "L":
            layers.append(nn.Linear(shape[0], n, rng=rng))
        elif kind == "B":
            layers.append(nn.BatchNorm1d(shape[0]) if len(shape) == 1 else
                          nn.BatchNorm2d(shape[0]))
        else:
            layers.append({"R": nn.ReLU, "P": lambda: nn.MaxPool2d(2), "F": nn.Flatten,
                           "G": nn.GlobalAvgPool2d}[kind]())
    return nn.Sequential(*layers)


def design_summary(spec: str, input_shape=(3, 64, 64)) -> Summary:
    """:func:`dlcourse.sizing.summary` of :func:`build_design` for one image.

    >>> design_summary("C16 R P L20", (3, 64, 64)).total_params   # 448 + (16*32*32 + 1)*20
    328148
    """
    return summary(build_design(spec, input_shape), (1, *input_shape))
