"""Practice problems on small matrices: pooling, transposed convolution, softmax."""

from __future__ import annotations

import numpy as np

from dlcourse.chapters.review.practice.problem import Problem, _fmt, grid
from dlcourse.nn import functional as F


def pooling(seed: int) -> Problem:
    """Max or average pooling of a small integer matrix."""
    rng = np.random.default_rng(seed)
    mode = str(rng.choice(["max", "avg"]))
    size = int(rng.choice([4, 4, 5, 6]))
    kernel, stride = [(2, 2), (2, 1), (3, 1), (3, 2)][int(rng.integers(0, 4))]
    if (size - kernel) % stride:
        kernel, stride = 2, 1
    x = rng.integers(0, 10, size=(size, size)).astype(float)
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    out = pool(x[None, None], kernel, stride)[0, 0]
    word = "maximum" if mode == "max" else "mean"
    windows = []
    for i in range(min(out.shape[0], 2)):
        for j in range(min(out.shape[1], 2)):
            window = x[i * stride:i * stride + kernel, j * stride:j * stride + kernel]
            values = ", ".join(_fmt(v) for v in window.ravel())
            windows.append(f"window ({i + 1},{j + 1}) = rows {i * stride + 1}–"
                           f"{i * stride + kernel}, cols {j * stride + 1}–{j * stride + kernel}"
                           f": {word} of {values} = {_fmt(out[i, j])}")
    question = (f"Apply {mode} pooling with a {kernel}×{kernel} window and stride {stride} to\n"
                f"{grid(x)}\nAnswer as rows separated by ';' (e.g. 1 2; 3 4)."
                + (" Round means to 2 decimals." if mode == "avg" else ""))
    solution = (f"Output size (N − F)/S + 1 = ({size} − {kernel})/{stride} + 1 = {out.shape[0]}."
                f"\n" + "\n".join(windows) + ("\n..." if out.size > 4 else "")
                + f"\nResult:\n{grid(np.round(out, 4))}")
    return Problem("pooling", seed, question, out, solution,
                   hint=f"slide the {kernel}×{kernel} window by {stride} and take the {word}.",
                   atol=0.0 if mode == "max" else 0.006,
                   data=dict(x=x, mode=mode, kernel_size=kernel, stride=stride))


def transposed_conv(seed: int) -> Problem:
    """A transposed convolution of a 2×2 input: stamp the kernel, add overlaps, crop."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 5, size=(2, 2)).astype(float)
    k = int(rng.choice([2, 3]))
    w = rng.integers(0, 3, size=(k, k)).astype(float)
    stride, padding = int(rng.choice([1, 2])), int(rng.choice([0, 0, 1]))
    full = F.conv_transpose2d(x[None, None], w[None, None], stride=stride)[0, 0]
    out = F.conv_transpose2d(x[None, None], w[None, None], stride=stride,
                             padding=padding)[0, 0]
    stamps = "\n".join(
        f"input {_fmt(x[i, j])} at ({i + 1},{j + 1}) adds {_fmt(x[i, j])}·K at rows "
        f"{i * stride + 1}–{i * stride + k}, cols {j * stride + 1}–{j * stride + k}"
        for i in range(2) for j in range(2))
    crop = (f"\nPadding {padding} crops {padding} row/column from every border of the "
            f"{full.shape[0]}×{full.shape[1]} sum:\n{grid(out)}" if padding else "")
    question = (f"Transposed convolution, stride {stride}, padding {padding} (as PyTorch's "
                f"ConvTranspose2d), input\n{grid(x)}\nkernel\n{grid(w)}\nWhat is the output? "
                f"Answer as rows separated by ';'.")
    solution = (f"Output size (N−1)·S − 2P + F = (2−1)·{stride} − 2·{padding} + {k} = "
                f"{out.shape[0]}.\nEach input pixel stamps a scaled copy of the kernel, "
                f"{stride} pixel(s) apart; overlaps add up:\n{stamps}\nSum without padding:\n"
                f"{grid(full)}{crop}")
    return Problem("transposed_conv", seed, question, out, solution,
                   hint="scale the kernel by each input value, place copies S apart, add, "
                        "then crop P from each border.",
                   data=dict(x=x, w=w, stride=stride, padding=padding))


def softmax(seed: int) -> Problem:
    """Softmax of a few integer class scores."""
    rng = np.random.default_rng(seed)
    scores = rng.integers(-2, 5, size=int(rng.integers(3, 5))).astype(float)
    probs = F.softmax(scores)
    exps = np.exp(scores)
    question = (f"Class scores z = ({', '.join(_fmt(v) for v in scores)}). What is softmax(z)? "
                f"Give 3 decimals.")
    solution = ("softmax(z)_i = exp(z_i) / Σ_j exp(z_j). exp(z) = "
                + ", ".join(f"{v:.4f}" for v in exps) + f"; sum = {exps.sum():.4f}; "
                + "softmax = " + ", ".join(f"{p:.3f}" for p in probs)
                + ". The probabilities sum to 1; adding a constant to every score changes "
                  "nothing, scaling the scores does.")
    return Problem("softmax", seed, question, np.round(probs, 3), solution,
                   hint="exponentiate every score, then divide by the sum of the exponentials.",
                   atol=0.002, data=dict(scores=scores))
