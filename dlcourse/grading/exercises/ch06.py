"""Chapter 06 exercises: a 1x1 convolution as a matrix product, and the shape, parameter and
multiply-add table of a small CNN, layer by layer (what ``dlcourse.sizing.summary`` prints)."""

from __future__ import annotations

import numpy as np

from dlcourse.grading.exercises.ch01 import DTYPE_HINT
from dlcourse.grading.exercises.ch05 import CONV_FORBIDDEN, SIZING_FORBIDDEN, conv_output_size
from dlcourse.grading.spec import Case, Exercise, randn

A = np.array


# --- references ----------------------------------------------------------------------------

def conv1x1(x, w, b):
    """A 1x1 convolution: at every pixel, the channel vector times the (F, C) matrix.
    x (N, C, H, W), w (F, C, 1, 1), b (F,) -> (N, F, H, W)."""
    return np.einsum("nchw,fc->nfhw", x, w[:, :, 0, 0]) + b[:, None, None]


def network_table(input_shape, layers):
    """``[(output_shape, params), ...]``, one row per layer of a sequential CNN.

    ``input_shape`` is (C, H, W) without the batch.  A layer is one of
    ``("conv", out_channels, kernel_size, stride, padding)`` (with bias),
    ``("pool", kernel_size, stride)`` (max pooling, no parameters), ``("relu",)``,
    ``("flatten",)`` and ``("linear", out_features)`` (with bias).
    """
    shape, rows = tuple(input_shape), []
    for kind, *args in layers:
        params = 0
        if kind == "conv":
            out_channels, k, stride, padding = args
            params = out_channels * (shape[0] * k * k + 1)
            shape = (out_channels, *(conv_output_size(n, k, stride, padding) for n in shape[1:]))
        elif kind == "pool":
            k, stride = args
            shape = (shape[0], *(conv_output_size(n, k, stride) for n in shape[1:]))
        elif kind == "flatten":
            shape = (int(np.prod(shape)),)
        elif kind == "linear":
            params = args[0] * (shape[0] + 1)
            shape = (args[0],)
        rows.append((shape, params))
    return rows


def network_macs(input_shape, layers):
    """Multiply-adds of each layer of the sequential CNN of :func:`network_table`, one int per
    layer: a convolution does ``C_in * k * k`` per output number, a linear layer ``in_features``
    per output number (biases, ReLU, pooling and flatten count 0, as in ``sizing.summary``)."""
    shape, macs = tuple(input_shape), []
    for layer, (out_shape, _) in zip(layers, network_table(input_shape, layers), strict=True):
        kind = layer[0]
        if kind == "conv":
            macs.append(int(np.prod(out_shape)) * shape[0] * layer[2] * layer[2])
        elif kind == "linear":
            macs.append(int(np.prod(out_shape)) * shape[0])
        else:
            macs.append(0)
        shape = out_shape
    return macs


# --- cases ---------------------------------------------------------------------------------


def _conv1x1_public():
    return [
        Case((np.arange(8.0).reshape(1, 2, 2, 2), A([[[[1.0]], [[-1.0]]]]), A([0.5])),
             label="two channels into one: channel 0 minus channel 1, plus 0.5",
             hint="w[f, c, 0, 0] weighs input channel c for output channel f, at every pixel"),
        Case((randn(2, 3, 4, 5), randn(4, 3, 1, 1, seed=1), A([0.0, 1.0, 2.0, 3.0])),
             label="3 channels into 4 (more channels)",
             hint="move the channels last, multiply by w[:, :, 0, 0].T, move them back -- or "
                  "use np.einsum('nchw,fc->nfhw', ...)"),
        Case((randn(1, 6, 3, 3), randn(2, 6, 1, 1, seed=2), A([0.0, 0.0])),
             label="6 channels into 2: the bottleneck of an Inception branch",
             hint="the output keeps H and W; only the channels change"),
        Case((randn(1, 2, 2, 2).astype(np.float32), randn(3, 2, 1, 1, seed=3).astype(np.float32),
              np.zeros(3, np.float32)), label="float32 arrays", hint=DTYPE_HINT),
    ]


def _conv1x1_hidden(rng, student):
    cases = []
    for _ in range(5):
        n, c, f, h, w = (int(v) for v in rng.integers(1, 6, size=5))
        cases.append(Case((rng.normal(size=(n, c, h, w)), rng.normal(size=(f, c, 1, 1)),
                           rng.normal(size=f)), label=f"random x {(n, c, h, w)}, {f} filters"))
    return cases


LENET = [("conv", 6, 5, 1, 2), ("relu",), ("pool", 2, 2), ("conv", 16, 5, 1, 0), ("relu",),
         ("pool", 2, 2), ("flatten",), ("linear", 120), ("relu",), ("linear", 84), ("relu",),
         ("linear", 10)]


def _table_public():
    return [
        Case(((3, 32, 32), [("conv", 10, 5, 1, 0)]),
             label="one layer: ten 5x5 filters on 32x32x3 -> (10, 28, 28), 760 parameters",
             hint="return a list with one (output_shape, params) pair per layer"),
        Case(((1, 28, 28), LENET), label="LeNet-5 on 28x28 digits (padding 2 in the first conv)",
             hint="pooling, ReLU and flatten have no parameters; flatten multiplies C, H, W"),
        Case(((3, 64, 64), [("conv", 16, 3, 2, 1), ("pool", 3, 2), ("conv", 32, 3, 1, 1),
                            ("pool", 2, 2), ("flatten",), ("linear", 10)]),
             label="the 64x64x3 design exercise, stride-2 stem",
             hint="round sizes down: (n + 2p - k) // s + 1 for convolutions and pools alike"),
        Case(((8, 7, 7), [("conv", 4, 1, 1, 0), ("relu",), ("conv", 8, 3, 1, 1)]),
             label="a 1x1 bottleneck, then a 3x3 conv",
             hint="a conv's filters are as deep as its input has channels"),
    ]


MACS_HINT = ("a conv does C_in * k * k multiply-adds for EVERY number of its output "
             "(C_out * H_out * W_out of them); a linear layer in_features per output")


def _macs_public():
    return [
        Case(((3, 32, 32), [("conv", 10, 5, 1, 0)]),
             label="ten 5x5 filters on 32x32x3: 10 * 28 * 28 outputs, 75 multiply-adds each",
             hint=MACS_HINT),
        Case(((1, 28, 28), LENET), label="LeNet-5 on 28x28 digits: 416,520 in all",
             hint="ReLU, pooling and flatten count 0; a linear layer on 400 inputs with 120 "
                  "outputs does 400 * 120"),
        Case(((8, 7, 7), [("conv", 4, 1, 1, 0), ("relu",), ("conv", 8, 3, 1, 1)]),
             label="a 1x1 bottleneck, then a 3x3 conv on its 4 channels",
             hint="a conv's filters are as deep as its INPUT has channels"),
    ]


def _table_hidden(rng, student):
    cases = []
    while len(cases) < 4:
        c, size = int(rng.integers(1, 4)), int(rng.integers(16, 65))
        shape, layers = (c, size, size), []
        for _ in range(int(rng.integers(1, 4))):
            k = int(rng.choice([1, 3, 5]))
            layers += [("conv", int(rng.integers(2, 33)), k, int(rng.integers(1, 3)),
                        int(rng.integers(0, k // 2 + 1))), ("relu",)]
            if rng.random() < 0.6:
                layers.append(("pool", 2, 2))
        layers += [("flatten",), ("linear", int(rng.integers(2, 11)))]
        if all(n > 0 for out, _ in network_table(shape, layers) for n in out):
            cases.append(Case((shape, layers), label=f"random CNN of {len(layers)} layers "
                                                     f"on {shape}"))
    return cases


EXERCISES = [
    Exercise("ch06.conv1x1", "conv1x1", 2, conv1x1, _conv1x1_public, _conv1x1_hidden,
             forbidden=CONV_FORBIDDEN,
             hint="out[n, f, i, j] = sum over c of w[f, c, 0, 0] x[n, c, i, j] + b[f]"),
    Exercise("ch06.network_table", "network_table", 2, network_table, _table_public,
             _table_hidden, forbidden=SIZING_FORBIDDEN,
             hint="walk the layers, keeping the current (C, H, W) shape"),
    Exercise("ch06.network_macs", "network_macs", 2, network_macs, _macs_public,
             _table_hidden, forbidden=SIZING_FORBIDDEN, hint=MACS_HINT),
]
