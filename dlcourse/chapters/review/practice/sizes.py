"""Practice problems about sizes: conv outputs, parameter counts, receptive fields, YOLO."""

from __future__ import annotations

import numpy as np

from dlcourse import sizing
from dlcourse.chapters.review.practice.problem import Problem
from dlcourse.detection import yolo_output_size


def conv_size(seed: int) -> Problem:
    """Output volume ``(H, W, K)`` of one convolution on an ``N×N×C`` input."""
    rng = np.random.default_rng(seed)
    while True:
        n = int(rng.integers(5, 65))
        f = int(rng.choice([1, 3, 5, 7, 11]))
        stride, padding = int(rng.integers(1, 4)), int(rng.integers(0, 4))
        dilation = int(rng.choice([1, 1, 1, 2]))
        if n + 2 * padding >= dilation * (f - 1) + 1:
            break
    c, k = int(rng.choice([1, 3, 16, 64])), int(rng.choice([6, 10, 32, 64, 128]))
    side = sizing.conv_output_size(n, f, stride, padding, dilation)
    span = dilation * (f - 1) + 1
    top = n - span + 2 * padding
    exact = top % stride == 0
    effective = f"effective kernel D(F−1)+1 = {dilation}·{f - 1}+1 = {span}; " \
        if dilation > 1 else ""
    solution = (
        f"{effective}(N − F + 2P)/S + 1 = ({n} − {span} + 2·{padding})/{stride} + 1 = "
        f"{top}/{stride} + 1 = {top / stride + 1:g}"
        + ("" if exact else f", not an integer: PyTorch rounds down to {side}")
        + f". Depth = number of filters = {k}. Output volume {side}×{side}×{k}."
    )
    dil = f", dilation {dilation}" if dilation > 1 else ""
    rounding = "" if exact else (
        " (The stride does not fit the input exactly: as in PyTorch, the last incomplete "
        "window is dropped, i.e. round down.)")
    question = (f"A {n}×{n}×{c} input goes through a convolution with {k} filters of size "
                f"{f}×{f}, stride {stride}, padding {padding}{dil}. What is the output volume? "
                f"Answer as height, width, depth.{rounding}")
    return Problem("conv_size", seed, question, (side, side, k), solution,
                   hint="output side = floor((N − F + 2P)/S) + 1, depth = number of filters.",
                   data=dict(n=n, in_channels=c, out_channels=k, kernel_size=f, stride=stride,
                             padding=padding, dilation=dilation))


def param_count(seed: int) -> Problem:
    """Learnable parameters of a convolution (with or without bias) or a linear layer."""
    rng = np.random.default_rng(seed)
    bias = bool(rng.random() < 0.75)
    with_bias = "with" if bias else "without"
    if rng.random() < 0.75:
        c_in, c_out = int(rng.choice([1, 3, 16, 32, 64])), int(rng.choice([6, 10, 32, 64, 128]))
        f = int(rng.choice([1, 3, 5, 7]))
        answer = sizing.conv_params(c_in, c_out, f, bias=bias)
        question = (f"A convolutional layer has {c_out} filters of size {f}×{f} on a "
                    f"{c_in}-channel input, {with_bias} bias. How many learnable parameters?")
        solution = (f"Each filter has {f}·{f}·{c_in} = {f * f * c_in} weights"
                    + (" + 1 bias" if bias else "") + f"; {c_out} filters: "
                    f"{c_out}·({f * f * c_in}{' + 1' if bias else ''}) = {answer}. The input's "
                    f"height and width do not matter (weights are shared).")
        data = dict(layer="conv", in_channels=c_in, out_channels=c_out, kernel_size=f, bias=bias)
    else:
        n_in, n_out = int(rng.choice([64, 120, 256, 784, 1024])), int(rng.choice([10, 84, 100]))
        answer = sizing.linear_params(n_in, n_out, bias=bias)
        question = (f"A fully connected layer maps {n_in} inputs to {n_out} outputs, "
                    f"{with_bias} bias. How many learnable parameters?")
        solution = (f"A weight for every (input, output) pair: {n_in}·{n_out} = {n_in * n_out}"
                    + (f", plus one bias per output: + {n_out} = {answer}." if bias else "."))
        data = dict(layer="linear", in_features=n_in, out_features=n_out, bias=bias)
    return Problem("param_count", seed, question, answer, solution,
                   hint="conv: (F·F·C_in + 1)·K with bias; linear: in·out + out.", data=data)


_LAYERS = {"conv3": (3, 1), "conv5": (5, 1), "conv3/s2": (3, 2), "pool2": (2, 2),
           "conv3/d2": (3, 1, 2)}


def receptive_field(seed: int) -> Problem:
    """Receptive field of one output of a stack of convolutions and poolings."""
    rng = np.random.default_rng(seed)
    names = [str(name) for name in rng.choice(list(_LAYERS), size=int(rng.integers(2, 6)))]
    layers = [_LAYERS[name] for name in names]
    rows = sizing.receptive_field_table(layers)
    steps, jump = [], 1
    for name, row in zip(names, rows, strict=True):
        d = row.dilation
        grow = f"{d}·({row.kernel_size}−1)·{jump}" if d > 1 else f"({row.kernel_size}−1)·{jump}"
        steps.append(f"{name}: rf += {grow} → {row.rf}, jump → {row.jump}")
        jump = row.jump
    question = ("Layers, in order (conv3 = 3×3 stride 1, conv3/s2 = stride 2, conv3/d2 = "
                "dilation 2, pool2 = 2×2 stride 2): " + " → ".join(names)
                + ". How many input pixels (per axis) does one output of the last layer see?")
    solution = ("Start with rf = 1, jump = 1. Each layer adds D·(F−1)·jump, then multiplies "
                "jump by its stride.\n" + "\n".join(steps) + f"\nReceptive field {rows[-1].rf}"
                f"×{rows[-1].rf}.")
    return Problem("receptive_field", seed, question, rows[-1].rf, solution,
                   hint="rf grows by (F−1) times the product of all earlier strides.",
                   data=dict(names=names, layers=layers))


def yolo_size(seed: int) -> Problem:
    """Numbers a YOLO head predicts, for one class vector per cell or per anchor."""
    rng = np.random.default_rng(seed)
    S, B, C = int(rng.choice([3, 4, 5, 7, 13])), int(rng.integers(1, 6)), int(rng.integers(1, 21))
    layout = str(rng.choice(["v1", "anchors"]))
    answer = yolo_output_size(S, B, C, layout=layout)
    if layout == "v1":
        how = "one class vector per grid cell (as in YOLOv1)"
        per_cell = f"B·5 + C = {B}·5 + {C} = {B * 5 + C}"
    else:
        how = "one class vector per anchor box (as in YOLOv2 and later)"
        per_cell = f"B·(5 + C) = {B}·(5 + {C}) = {B * (5 + C)}"
    question = (f"A YOLO detector uses a {S}×{S} grid, {B} box(es) per cell, {C} classes, with "
                f"{how}. How many numbers does it output per image?")
    solution = (f"Each box has 5 numbers (x, y, w, h, confidence). Per cell: {per_cell}. "
                f"Whole grid: {S}·{S}·{answer // (S * S)} = {answer}.")
    return Problem("yolo_size", seed, question, answer, solution,
                   hint="v1: S·S·(B·5 + C); anchors: S·S·B·(5 + C).",
                   data=dict(S=S, B=B, C=C, layout=layout))
