"""Chapter 05 exercises: convolution arithmetic, conv2d and max pooling, forward and backward.

References are plain NumPy loops over output positions, written to be obviously right;
``tests/grading`` checks them against PyTorch.  The array exercises refuse every ready-made
convolution or windowing routine (PyTorch, SciPy, ``np.convolve``, ``sliding_window_view``,
the course's own ``dlcourse.nn``): the point is to write the loops.
"""

from __future__ import annotations

import numpy as np

from dlcourse.grading.exercises.ch01 import DTYPE_HINT
from dlcourse.grading.spec import Case, Exercise, randn

A = np.array
SIZING_FORBIDDEN = ("torch", "dlcourse.sizing", "dlcourse.zoo", "dlcourse.nn")
# What a notebook may import besides NumPy where it checks a backward pass numerically.
GRADIENT_CHECK = ("dlcourse.gradcheck",)
CONV_FORBIDDEN = ("torch", "scipy", "sklearn", "dlcourse.nn", "dlcourse.autograd",
                  "dlcourse.sizing", "dlcourse.zoo", "dlcourse.backend.sliding_window_view",
                  "numpy.convolve", "numpy.correlate", "numpy.fft",
                  "numpy.lib.stride_tricks.sliding_window_view",
                  "numpy.lib.stride_tricks.as_strided")


# --- references ----------------------------------------------------------------------------

def conv_output_size(n, kernel_size, stride=1, padding=0, dilation=1):
    """Output length of a convolution along one axis: floor((n + 2p - d(k-1) - 1) / s) + 1."""
    return (n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def conv_params(in_channels, out_channels, kernel_size, bias=True):
    """Learnable numbers of a Conv2d layer: one (in, kh, kw) filter and a bias per output."""
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return out_channels * (in_channels * kh * kw + (1 if bias else 0))


def receptive_field(layers):
    """Receptive field of one output unit of a stack of ``(kernel_size, stride)`` layers
    (input first): each layer adds ``(k - 1)`` times the product of the strides before it."""
    field, jump = 1, 1
    for kernel_size, stride in layers:
        field += (kernel_size - 1) * jump
        jump *= stride
    return field


def _pad(x, padding):
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def conv2d(x, w, b, stride=1, padding=0):
    """Cross-correlation as in PyTorch: x (N, C, H, W), w (F, C, kh, kw), b (F,) ->
    (N, F, H', W')."""
    n, _, h, wd = x.shape
    f, _, kh, kw = w.shape
    ho, wo = conv_output_size(h, kh, stride, padding), conv_output_size(wd, kw, stride, padding)
    xp = _pad(x, padding)
    out = np.zeros((n, f, ho, wo), dtype=x.dtype)
    for i in range(ho):
        for j in range(wo):
            window = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


def conv2d_backward(dout, x, w, b, stride=1, padding=0):
    """Gradients ``(dx, dw, db)`` of :func:`conv2d` given dout (N, F, H', W')."""
    _, _, kh, kw = w.shape
    _, _, ho, wo = dout.shape
    xp = _pad(x, padding)
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(ho):
        for j in range(wo):
            rows, cols = slice(i * stride, i * stride + kh), slice(j * stride, j * stride + kw)
            g = dout[:, :, i, j]  # (N, F)
            dw += np.tensordot(g, xp[:, :, rows, cols], axes=([0], [0]))
            dxp[:, :, rows, cols] += np.tensordot(g, w, axes=([1], [0]))
    h, wd = x.shape[2:]
    return dxp[:, :, padding:padding + h, padding:padding + wd], dw, dout.sum(axis=(0, 2, 3))


def max_pool2d(x, kernel_size, stride=None):
    """Maximum over each kernel_size x kernel_size window; stride defaults to kernel_size."""
    stride = stride or kernel_size
    n, c, h, wd = x.shape
    ho, wo = conv_output_size(h, kernel_size, stride), conv_output_size(wd, kernel_size, stride)
    out = np.empty((n, c, ho, wo), dtype=x.dtype)
    for i in range(ho):
        for j in range(wo):
            window = x[:, :, i * stride:i * stride + kernel_size,
                       j * stride:j * stride + kernel_size]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out


def max_pool2d_backward(dout, x, kernel_size, stride=None):
    """Gradient of :func:`max_pool2d`: each dout entry goes to its window's (first) maximum,
    and windows that overlap add up."""
    stride = stride or kernel_size
    n, c = x.shape[:2]
    dx = np.zeros_like(x)
    batch, channel = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * stride:i * stride + kernel_size,
                       j * stride:j * stride + kernel_size]
            first = window.reshape(n, c, -1).argmax(axis=2)  # row by row, first wins
            r, s = np.unravel_index(first, (kernel_size, kernel_size))
            np.add.at(dx, (batch, channel, i * stride + r, j * stride + s), dout[:, :, i, j])
    return dx


# --- cases: sizes ----------------------------------------------------------------------------

ROUNDING_HINT = ("when the kernel does not fit a whole number of times, the last partial "
                 "position is dropped: round down, (n + 2p - k) // s + 1")


def _size_public():
    cases = [Case((32, f), label=f"32x32 input, {f}x{f} filter, stride 1, no padding "
                                 "(from the notes)") for f in (1, 3, 7, 11, 32)]
    return [
        *cases,
        Case((32, 5), {"stride": 1, "padding": 2}, label="'same' padding: 5x5 filter, padding 2",
             hint="padding adds 2p to the input length"),
        Case((10, 3), {"stride": 4}, label="stride 4 does not divide 10 - 3", hint=ROUNDING_HINT),
        Case((7, 3), {"stride": 2, "padding": 1}, label="stride 2, padding 1"),
        Case((9, 3), {"dilation": 2}, label="dilation 2: a 3x3 kernel spans 5 pixels",
             hint="a dilated kernel covers d (k - 1) + 1 input pixels"),
    ]


def _size_edge():
    return [Case((5, 7), {"padding": 1}, label="the kernel fills the padded input: one position"),
            Case((6, 2), {"stride": 10}, label="a stride longer than the input"),
            Case((1, 1), label="a single pixel and a 1x1 kernel")]


def _size_hidden(rng, student):
    cases = []
    for _ in range(8):
        k, s, p, d = (int(rng.integers(1, 8)), int(rng.integers(1, 5)), int(rng.integers(0, 4)),
                      int(rng.integers(1, 3)))
        n = int(rng.integers(d * (k - 1) + 1, 64))
        cases.append(Case((n, k), {"stride": s, "padding": p, "dilation": d},
                          label=f"n={n}, k={k}, s={s}, p={p}, d={d}"))
    return cases


def _params_public():
    return [
        Case((3, 10, 5), label="ten 5x5 filters on an RGB input: 760 (from the notes)",
             hint="each filter has in_channels * kh * kw weights plus one bias"),
        Case((3, 32, 3), {"bias": False}, label="32 3x3 filters on RGB, no bias: 864"),
        Case((64, 32, 3), {"bias": False}, label="32 3x3 filters on 64 channels, no bias: 18,432",
             hint="the filter depth is the number of input channels"),
        Case((16, 8, (3, 5)), label="a rectangular 3x5 kernel"),
        Case((256, 64, 1), label="a 1x1 convolution"),
    ]


def _params_hidden(rng, student):
    cases = []
    for _ in range(6):
        k = int(rng.integers(1, 8))
        kernel = k if rng.random() < 0.7 else (k, int(rng.integers(1, 8)))
        cases.append(Case((int(rng.integers(1, 512)), int(rng.integers(1, 512)), kernel),
                          {"bias": bool(rng.random() < 0.5)}, label=f"random kernel {kernel}"))
    return cases


def _rf_public():
    return [
        Case(([(3, 1)],), label="one 3x3 convolution"),
        Case(([(3, 1), (3, 1), (3, 1)],), label="three 3x3 convolutions: 7 (from the notes)",
             hint="each stride-1 3x3 layer widens the field by 2"),
        Case(([(3, 1), (3, 1), (2, 2), (3, 1), (3, 1)],),
             label="two convs, a 2x2 pool, two convs: 14 (from the notes)",
             hint="after a stride-2 layer, each later layer's (k - 1) counts twice: multiply "
                  "by the product of the strides of the layers before it"),
        Case(([(7, 2), (3, 2), (3, 1)],), label="a 7x7 stride-2 stem, a 3x3 stride-2 pool, a conv"),
    ]


def _rf_edge():
    return [Case(([(1, 1)],), label="a 1x1 convolution sees one pixel"),
            Case(([(1, 2), (1, 2), (3, 1)],), label="two stride-2 1x1 layers, then a 3x3 conv"),
            Case(([(2, 2)] * 4,), label="four 2x2 stride-2 pools")]


def _rf_hidden(rng, student):
    cases = []
    for _ in range(5):
        depth = int(rng.integers(1, 8))
        layers = [(int(rng.integers(1, 6)), int(rng.integers(1, 3))) for _ in range(depth)]
        cases.append(Case((layers,), label=f"random stack of {depth} layers"))
    return cases


# --- cases: convolution and pooling ----------------------------------------------------------

FLIP_HINT = ("PyTorch's conv2d is a cross-correlation: slide the kernel as it is, do not flip "
             "it; out[n, f, i, j] = sum over c, u, v of x[n, c, i*s + u, j*s + v] w[f, c, u, v] "
             "+ b[f]")
ACCUMULATE_HINT = ("windows overlap, so the gradient of an input pixel collects the "
                   "contributions of every window that contains it: use +=, not =")



def _conv_public():
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    diagonal = A([[[[1.0, 0.0], [0.0, -1.0]]]])
    return [
        Case((x, diagonal, A([0.5])), label="a 3x3 image and a 2x2 kernel, by hand",
             hint=FLIP_HINT),
        Case((randn(1, 2, 4, 4), randn(3, 2, 3, 3, seed=1), A([0.0, 1.0, -1.0])),
             label="two input channels, three filters",
             hint="sum over the input channels too, then add each filter's own bias"),
        Case((randn(2, 1, 5, 5), randn(2, 1, 3, 3, seed=2), A([0.0, 0.0])), {"stride": 2},
             label="a batch of two images, stride 2", hint="window (i, j) starts at row i*stride"),
        Case((randn(1, 1, 3, 3), randn(1, 1, 3, 3, seed=3), A([0.0])), {"padding": 1},
             label="padding 1 keeps 3x3", hint="pad with zeros on all four sides first "
                                               "(np.pad on the last two axes only)"),
        Case((randn(1, 2, 6, 5), randn(2, 2, 2, 3, seed=4), A([1.0, 2.0])),
             {"stride": 2, "padding": 1}, label="a rectangular image and kernel, stride 2, "
                                                "padding 1", hint=ROUNDING_HINT),
        Case((randn(1, 1, 4, 4).astype(np.float32), randn(1, 1, 2, 2, seed=5).astype(np.float32),
              A([0.0], dtype=np.float32)), label="float32 arrays", hint=DTYPE_HINT),
    ]


def _conv_edge():
    return [
        Case((randn(2, 2, 3, 3), randn(1, 2, 5, 5, seed=6), A([0.3])), {"padding": 1},
             label="the kernel fills the padded image: a 1x1 output"),
        Case((randn(1, 3, 5, 4), randn(2, 3, 1, 1, seed=7), A([1.0, -1.0])), {"stride": 2},
             label="a 1x1 kernel with stride 2"),
        Case((randn(1, 1, 2, 2), randn(1, 1, 3, 3, seed=8), A([0.0])), {"padding": 2},
             label="more padding than image"),
    ]


def _conv_backward_edge():
    cases = []
    for case in _conv_edge():
        x, w, b = case.args
        dout = np.ones(conv2d(x, w, b, **case.kwargs).shape)
        cases.append(Case((dout, x, w, b), case.kwargs, label=case.label))
    return cases


def _conv_shapes(rng):
    n, c, f = int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
    kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    stride, padding = int(rng.integers(1, 3)), int(rng.integers(0, 2))
    h, w = int(rng.integers(max(kh, 2), 8)), int(rng.integers(max(kw, 2), 8))
    return n, c, f, kh, kw, h, w, {"stride": stride, "padding": padding}


def _conv_hidden(rng, student):
    cases = []
    for _ in range(6):
        n, c, f, kh, kw, h, w, opts = _conv_shapes(rng)
        cases.append(Case((rng.normal(size=(n, c, h, w)), rng.normal(size=(f, c, kh, kw)),
                           rng.normal(size=f)), opts,
                          label=f"random x {(n, c, h, w)}, w {(f, c, kh, kw)}, {opts}"))
    return cases


def _conv_backward_public():
    cases = []
    for case in _conv_public():
        x, w, b = case.args
        opts = dict(case.kwargs)
        shape = conv2d(x, w, b, **opts).shape
        dout = np.random.default_rng(len(cases)).normal(size=shape).round(2).astype(x.dtype)
        cases.append(Case((dout, x, w, b), opts, label=case.label,
                          hint=ACCUMULATE_HINT if len(cases) in (0, 3) else case.hint))
    cases[1] = Case(cases[1].args, cases[1].kwargs, label=cases[1].label,
                    hint="db[f] sums dout[:, f] over the batch and every position")
    cases[4] = Case(cases[4].args, cases[4].kwargs, label=cases[4].label,
                    hint="compute the gradient of the padded input, then cut the padding off")
    return cases


def _conv_backward_hidden(rng, student):
    cases = []
    for case in _conv_hidden(rng, student):
        x, w, b = case.args
        shape = conv2d(x, w, b, **case.kwargs).shape
        cases.append(Case((rng.normal(size=shape), x, w, b), case.kwargs, label=case.label))
    return cases


POOL_EXAMPLE = A([[[[1.0, 1.0, 2.0, 4.0], [5.0, 6.0, 7.0, 8.0],
                    [3.0, 2.0, 1.0, 0.0], [1.0, 2.0, 3.0, 4.0]]]])


def _pool_public():
    return [
        Case((POOL_EXAMPLE, 2), label="the 4x4 example from the notes (2x2, stride 2)",
             hint="stride defaults to kernel_size: windows side by side, no overlap"),
        Case((POOL_EXAMPLE, 2), {"stride": 1}, label="overlapping windows (stride 1)"),
        Case((randn(2, 3, 5, 5), 2), label="5x5 with 2x2 windows: the last row and column drop",
             hint=ROUNDING_HINT),
        Case((randn(1, 2, 7, 6), 3), {"stride": 2}, label="3x3 windows, stride 2, two channels",
             hint="pool each channel of each image separately: max over the last two axes"),
        Case((-np.abs(randn(1, 1, 4, 4)) - 1, 2), label="all values negative",
             hint="start from the window's own values, not from 0"),
        Case((randn(1, 1, 4, 4).astype(np.float32), 2), label="float32 input", hint=DTYPE_HINT),
    ]


def _pool_edge():
    return [Case((randn(1, 2, 3, 3), 1), label="1x1 windows: the input itself"),
            Case((randn(2, 1, 4, 5), 4), label="one window covers the whole height"),
            Case((np.full((1, 1, 4, 4), 2.0), 2), {"stride": 1}, label="a constant image")]


def _pool_backward_edge():
    cases = []
    for case in _pool_edge():
        x, k = case.args
        dout = np.ones(max_pool2d(x, k, **case.kwargs).shape)
        cases.append(Case((dout, x, k), case.kwargs, label=case.label))
    return cases


def _pool_hidden(rng, student):
    cases = []
    for _ in range(6):
        k = int(rng.integers(1, 4))
        stride = int(rng.integers(1, 4)) if rng.random() < 0.6 else None
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(k, 9)),
                 int(rng.integers(k, 9)))
        kwargs = {} if stride is None else {"stride": stride}
        cases.append(Case((rng.normal(size=shape), k), kwargs,
                          label=f"random {shape}, kernel {k}, stride {stride}"))
    return cases


def _pool_backward_public():
    cases = []
    for case in _pool_public():
        x, k = case.args
        shape = max_pool2d(x, k, **case.kwargs).shape
        dout = (np.arange(np.prod(shape)).reshape(shape) + 1.0).astype(x.dtype)
        cases.append(Case((dout, x, k), case.kwargs, label=case.label, hint=case.hint))
    cases[0] = Case(cases[0].args, label=cases[0].label,
                    hint="the gradient flows only to the position of each window's maximum; "
                         "everything else gets 0")
    cases[1] = Case(cases[1].args, cases[1].kwargs, label=cases[1].label, hint=ACCUMULATE_HINT)
    ties = A([[[[1.0, 3.0], [3.0, 2.0]]]])
    cases.append(Case((A([[[[1.0]]]]), ties, 2), label="a tie: two maxima in one window",
                      hint="like PyTorch, send the gradient to the first maximum in row-major "
                           "order only (np.argmax picks it)"))
    return cases


def _pool_backward_hidden(rng, student):
    cases = []
    for case in _pool_hidden(rng, student):
        x, k = case.args
        shape = max_pool2d(x, k, **case.kwargs).shape
        cases.append(Case((rng.normal(size=shape), x, k), case.kwargs, label=case.label))
    return cases


EXERCISES = [
    Exercise("ch05.conv_output_size", "conv_output_size", 1, conv_output_size, _size_public,
             _size_hidden, edge=_size_edge, forbidden=SIZING_FORBIDDEN,
             hint="(n + 2 padding - dilation (kernel_size - 1) - 1) // stride + 1"),
    Exercise("ch05.conv_params", "conv_params", 1, conv_params, _params_public, _params_hidden,
             forbidden=SIZING_FORBIDDEN,
             hint="out_channels * (in_channels * kh * kw + 1 if there is a bias)"),
    Exercise("ch05.receptive_field", "receptive_field", 1, receptive_field, _rf_public,
             _rf_hidden, edge=_rf_edge, forbidden=SIZING_FORBIDDEN,
             hint="r = 1 + sum over layers of (k - 1) * (product of the earlier strides)"),
    Exercise("ch05.conv2d", "conv2d", 3, conv2d, _conv_public, _conv_hidden,
             edge=_conv_edge, forbidden=CONV_FORBIDDEN, hint=FLIP_HINT),
    Exercise("ch05.conv2d_backward", "conv2d_backward", 3, conv2d_backward,
             _conv_backward_public, _conv_backward_hidden, edge=_conv_backward_edge,
             forbidden=CONV_FORBIDDEN, allowed=GRADIENT_CHECK,
             output_names=("dx", "dw", "db"),
             hint="each gradient has the shape of what it is the gradient of"),
    Exercise("ch05.max_pool2d", "max_pool2d", 2, max_pool2d, _pool_public, _pool_hidden,
             edge=_pool_edge, forbidden=CONV_FORBIDDEN,
             hint="the maximum of each window, per image and channel"),
    Exercise("ch05.max_pool2d_backward", "max_pool2d_backward", 2, max_pool2d_backward,
             _pool_backward_public, _pool_backward_hidden, edge=_pool_backward_edge,
             forbidden=CONV_FORBIDDEN,
             hint="route each dout entry to the argmax of its window"),
]
