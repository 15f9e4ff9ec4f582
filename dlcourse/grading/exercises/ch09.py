"""Chapter 09 exercises: upsampling by a transposed convolution and by pixel shuffle, the
soft Dice loss with its gradient, and one U-Net decoder step (upsample, crop and concatenate
the skip, convolve).

References are plain NumPy written to be obviously right; ``tests/grading`` checks them
against PyTorch (``F.conv_transpose2d``, ``F.pixel_shuffle``, autograd through a Dice loss).
The transposed convolution refuses every ready-made convolution (as chapter 05 does), so the
learner writes the scatter-add: every input pixel stamps the kernel onto the output.
The decoder step is checked against ``F.conv_transpose2d``, ``torch.cat`` and ``F.conv2d``.
"""

from __future__ import annotations

import numpy as np

from dlcourse.grading.exercises.ch01 import DTYPE_HINT, NUMPY_ONLY
from dlcourse.grading.exercises.ch05 import CONV_FORBIDDEN, GRADIENT_CHECK, conv2d
from dlcourse.grading.spec import Case, Exercise, randn

A = np.array
# The decoder step may upsample with np.kron (a 2x2 stride-2 stamp is a Kronecker product);
# the transposed convolution itself may not: there the point is the scatter-add.
DECODER_FORBIDDEN = (*CONV_FORBIDDEN, "dlcourse.chapters.segmentation.upsampling",
                     "dlcourse.chapters.segmentation.training")
TRANSPOSED_FORBIDDEN = (*DECODER_FORBIDDEN, "numpy.kron")
SHUFFLE_FORBIDDEN = (*NUMPY_ONLY, "dlcourse.chapters.segmentation.upsampling", "dlcourse.autograd")
DICE_FORBIDDEN = (*NUMPY_ONLY, "dlcourse.chapters.segmentation.training", "dlcourse.autograd")


# --- references ----------------------------------------------------------------------------

def conv_transpose2d(x, w, b, stride=1, padding=0):
    """Transposed convolution as in PyTorch: x (N, C_in, H, W), w (C_in, C_out, kh, kw),
    b (C_out,) -> (N, C_out, (H-1) stride - 2 padding + kh, (W-1) stride - 2 padding + kw).

    Every input pixel adds its value times the kernel to the output, at an offset of
    ``stride`` per pixel (a scatter-add); ``padding`` then crops that many rows and columns
    from each border of the full result."""
    n, _, h, wd = x.shape
    _, c_out, kh, kw = w.shape
    full = np.zeros((n, c_out, (h - 1) * stride + kh, (wd - 1) * stride + kw), dtype=x.dtype)
    for i in range(h):
        for j in range(wd):
            stamp = np.tensordot(x[:, :, i, j], w, axes=([1], [0]))  # (N, C_out, kh, kw)
            full[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw] += stamp
    out = full[:, :, padding:full.shape[2] - padding, padding:full.shape[3] - padding]
    return out + b.reshape(1, -1, 1, 1).astype(x.dtype)


def unet_up(x, skip, w_up, b_up, w_conv, b_conv):
    """One U-Net decoder step, ``relu(conv3x3(cat([crop(skip), up(x)])))``.

    x (N, C, H, W) is upsampled by a 2x2 transposed convolution of stride 2, w_up
    (C, C_up, 2, 2), b_up (C_up,), to (N, C_up, 2H, 2W).  The skip (N, C_skip, Hs, Ws),
    Hs - 2H and Ws - 2W even and >= 0, keeps its centre 2H x 2W (the paper's crop) and comes
    *first* in the concatenation along the channels, as ``torch.cat([skip, up], dim=1)`` in
    :class:`dlcourse.zoo.UNet`.  A 3x3 convolution with padding 1, w_conv
    (C_out, C_skip + C_up, 3, 3), b_conv (C_out,), and a ReLU give (N, C_out, 2H, 2W).
    """
    up = conv_transpose2d(x, w_up, b_up, stride=2)
    h, w = up.shape[2:]
    top, left = (skip.shape[2] - h) // 2, (skip.shape[3] - w) // 2
    features = np.concatenate([skip[:, :, top:top + h, left:left + w], up], axis=1)
    return np.maximum(conv2d(features, w_conv, b_conv.astype(x.dtype), padding=1), 0)


def pixel_shuffle(x, r):
    """(N, C r^2, H, W) -> (N, C, H r, W r): out[n, c, h r + i, w r + j] =
    x[n, c r^2 + i r + j, h, w]."""
    n, c, h, w = x.shape
    c_out = c // (r * r)
    return (x.reshape(n, c_out, r, r, h, w).transpose(0, 1, 4, 2, 5, 3)
            .reshape(n, c_out, h * r, w * r))


def _dice_terms(probs, target, eps):
    axes = (0, *range(2, probs.ndim))
    overlap = 2 * (probs * target).sum(axis=axes) + eps  # (C,)
    total = probs.sum(axis=axes) + target.sum(axis=axes) + eps
    return overlap, total


def dice_loss(probs, target, eps=1.0):
    """Soft Dice loss ``1 - mean_c (2 sum(p t) + eps) / (sum p + sum t + eps)``; the sums
    run over the batch and every pixel of class c.  probs, target (N, C, H, W) -> a number."""
    overlap, total = _dice_terms(probs, target, eps)
    return float(1 - (overlap / total).mean())


def dice_loss_grad(probs, target, eps=1.0):
    """Gradient of :func:`dice_loss` with respect to ``probs`` (N, C, H, W)."""
    overlap, total = _dice_terms(probs, target, eps)
    shape = (1, -1) + (1,) * (probs.ndim - 2)
    overlap, total = overlap.reshape(shape), total.reshape(shape)
    grad = -(2 * target * total - overlap) / (total**2 * probs.shape[1])
    return grad.astype(probs.dtype)


# --- cases: transposed convolution -------------------------------------------------------------

NOTES_INPUT = A([[[[1.0, 2.0], [3.0, 4.0]]]])  # the exam notes' 2x2 input and 3x3 kernel
NOTES_KERNEL = A([[[[0.0, 1.0, 0.0], [1.0, 2.0, 1.0], [1.0, 1.0, 1.0]]]])
STAMP_HINT = ("every input pixel x[n, c, i, j] adds x[n, c, i, j] * w[c, :] to the output "
              "window that starts at row i*stride, column j*stride; overlapping stamps add up "
              "(+=)")
PADDING_HINT = ("in a transposed convolution padding does not add zeros: it crops `padding` "
                "rows and columns from every border of the full (padding 0) result")
LAYOUT_HINT = ("the weight is (in_channels, out_channels, kh, kw) -- the transpose of "
               "conv2d's layout: sum over the input channels, w[c_in, c_out]")



def _transposed_public():
    return [
        Case((NOTES_INPUT, NOTES_KERNEL, A([0.0])), {"stride": 2},
             label="the notes' example, stride 2, padding 0: a 5x5 output", hint=STAMP_HINT),
        Case((NOTES_INPUT, NOTES_KERNEL, A([0.0])), {"stride": 2, "padding": 1},
             label="the notes' example with padding 1, as PyTorch defines it: 3x3",
             hint=PADDING_HINT),
        Case((randn(1, 2, 3, 3), randn(2, 3, 2, 2, seed=1), A([0.0, 1.0, -1.0])),
             label="two input channels into three output channels, stride 1",
             hint=LAYOUT_HINT),
        Case((randn(2, 1, 3, 2), randn(1, 2, 3, 2, seed=2), A([0.5, 0.0])),
             {"stride": 3, "padding": 1},
             label="a batch of two, a rectangular image and kernel, stride 3, padding 1",
             hint="output size (H - 1) * stride - 2 * padding + kh, per axis"),
        Case((randn(1, 1, 2, 2).astype(np.float32), randn(1, 1, 3, 3, seed=3).astype(np.float32),
              A([0.0], dtype=np.float32)), {"stride": 2}, label="float32 arrays",
             hint=DTYPE_HINT),
    ]


def _transposed_edge():
    return [
        Case((randn(1, 1, 1, 1), randn(1, 1, 3, 3, seed=4), A([0.2])),
             label="a single pixel stamps the kernel once"),
        Case((randn(1, 2, 3, 3), randn(2, 1, 1, 1, seed=5), A([0.0])), {"stride": 2},
             label="a 1x1 kernel with stride 2 leaves gaps of zeros (plus the bias)"),
        Case((randn(1, 1, 2, 3), randn(1, 1, 4, 4, seed=6), A([1.0])), {"stride": 1, "padding": 2},
             label="padding 2 crops two rows and columns per border"),
    ]


def _transposed_hidden(rng, student):
    cases = []
    for _ in range(6):
        n, c_in, c_out = (int(v) for v in rng.integers(1, 4, size=3))
        kh, kw, stride = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 4))
        h, w = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        # the output must keep a pixel: (h - 1) stride + kh - 2 padding >= 1
        limit = (min((h - 1) * stride + kh, (w - 1) * stride + kw) - 1) // 2
        padding = int(rng.integers(0, min(limit, 2) + 1))
        cases.append(Case((rng.normal(size=(n, c_in, h, w)), rng.normal(size=(c_in, c_out, kh, kw)),
                           rng.normal(size=c_out)), {"stride": stride, "padding": padding},
                          label=f"random x {(n, c_in, h, w)}, w {(c_in, c_out, kh, kw)}, "
                                f"stride {stride}, padding {padding}"))
    return cases


# --- cases: pixel shuffle ----------------------------------------------------------------------

ORDER_HINT = ("the r*r channels of one output channel c are consecutive: channel "
              "c*r*r + i*r + j goes to row offset i and column offset j -- reshape to "
              "(N, C, r, r, H, W), then transpose to (N, C, H, r, W, r)")


def _shuffle_public():
    return [
        Case((np.arange(4.0).reshape(1, 4, 1, 1), 2),
             label="four channels of one pixel become a 2x2 block",
             hint="channel i*r + j lands at row i, column j of the block"),
        Case((np.arange(16.0).reshape(1, 4, 2, 2), 2), label="a 2x2 image with 4 channels",
             hint="block (h, w) of the output is filled from pixel (h, w) of every channel"),
        Case((np.arange(32.0).reshape(1, 8, 2, 2), 2),
             label="8 channels -> 2 output channels", hint=ORDER_HINT),
        Case((randn(2, 9, 2, 3), 3), label="a batch of two, r = 3, a rectangular image"),
        Case((randn(1, 4, 2, 2).astype(np.float32), 2), label="float32 input", hint=DTYPE_HINT),
    ]


def _shuffle_edge():
    return [Case((randn(1, 3, 2, 2), 1), label="r = 1: nothing changes"),
            Case((randn(1, 16, 1, 1), 4), label="one pixel, r = 4")]


def _shuffle_hidden(rng, student):
    cases = []
    for _ in range(5):
        r, c = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        shape = (int(rng.integers(1, 3)), c * r * r, int(rng.integers(1, 5)),
                 int(rng.integers(1, 5)))
        cases.append(Case((rng.normal(size=shape), r), label=f"random {shape}, r = {r}"))
    return cases


# --- cases: Dice ---------------------------------------------------------------------------------

PER_CLASS_HINT = ("one Dice ratio per class c, its sums running over the batch and all "
                  "pixels (axes 0, 2, 3); the loss is 1 minus the mean of the C ratios")


def _one_hot(labels, c):
    return np.moveaxis(np.eye(c)[labels], -1, 1)


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _dice_public():
    labels = A([[[0, 1], [1, 1]]])
    target = _one_hot(labels, 2)
    half = np.full((1, 2, 2, 2), 0.5)
    rng = np.random.default_rng(3)
    labels3 = rng.integers(0, 3, size=(2, 4, 4))
    return [
        Case((target, target), label="a perfect prediction: loss 0",
             hint="(2 sum(p t) + eps) / (sum p + sum t + eps) is 1 when p == t"),
        Case((half, target), {"eps": 0.0},
             label="p = 0.5 everywhere, eps = 0 (class 0 covers 1 pixel, class 1 covers 3)",
             hint=PER_CLASS_HINT),
        Case((_softmax(randn(2, 3, 4, 4, seed=1)), _one_hot(labels3, 3)),
             label="a batch of two softmax predictions, three classes", hint=PER_CLASS_HINT),
        Case((1 - target, target), {"eps": 1.0},
             label="a completely wrong prediction, eps = 1",
             hint="eps is added to the numerator AND the denominator"),
    ]


def _dice_grad_public():
    cases = _dice_public()
    cases.append(Case((_softmax(randn(1, 2, 3, 3, seed=4)).astype(np.float32),
                       _one_hot(A([[[0, 1, 1], [0, 0, 1], [1, 1, 1]]]), 2).astype(np.float32)),
                      label="float32 arrays", hint=DTYPE_HINT))
    cases[1] = Case(cases[1].args, cases[1].kwargs, label=cases[1].label,
                    hint="quotient rule: d(I/S)/dp = (2 t S - I) / S^2 per pixel of class c, "
                         "with I = 2 sum(p t) + eps and S = sum p + sum t + eps; then "
                         "-1/C for the mean")
    return cases


def _dice_edge():
    empty = np.zeros((1, 2, 2, 2))
    empty[:, 0] = 1.0
    return [Case((empty, empty), label="a class absent from prediction and target: Dice 1"),
            Case((np.full((1, 1, 3, 3), 0.3), np.ones((1, 1, 3, 3))), {"eps": 0.5},
                 label="one class only")]


def _dice_hidden(rng, student):
    cases = []
    for _ in range(5):
        n, c, h, w = (int(rng.integers(1, 3)), int(rng.integers(1, 5)), int(rng.integers(1, 6)),
                      int(rng.integers(1, 6)))
        probs = _softmax(rng.normal(0, 2, size=(n, c, h, w)))
        target = _one_hot(rng.integers(0, c, size=(n, h, w)), c)
        eps = float(rng.choice([0.0, 0.5, 1.0]))
        cases.append(Case((probs, target), {"eps": eps},
                          label=f"random {(n, c, h, w)}, eps = {eps}"))
    return cases


# --- cases: one U-Net decoder step -------------------------------------------------------------

DECODER_CONV_HINT = ("the 3x3 convolution reads the concatenation (N, C_skip + C_up, 2H, 2W): "
                     "pad it with one row and column of zeros on every border so the output "
                     "keeps 2H x 2W, slide w_conv (C_out, C_in, 3, 3) without flipping it, add "
                     "b_conv, then the ReLU")
DECODER_UP_HINT = ("with a 2x2 kernel and stride 2 the stamps do not overlap: up[n, o, 2i + a, "
                   "2j + b] = sum over c of x[n, c, i, j] * w_up[c, o, a, b], plus b_up[o]")
DECODER_ORDER_HINT = ("concatenate along the channels (axis 1) with the skip FIRST, "
                      "np.concatenate([skip, up], axis=1), as torch.cat([skip, x], dim=1) in the "
                      "course's U-Net: w_conv[:, :C_skip] reads the skip's channels")
DECODER_CROP_HINT = ("the paper's unpadded convolutions leave the skip larger than the "
                     "upsampled map: keep its centre, rows (Hs - 2H) // 2 up to that + 2H, "
                     "and the same for the columns")
DECODER_AXES_HINT = ("NCHW: images on axis 0, channels on axis 1, rows on axis 2, columns on "
                     "axis 3; the height and the width may differ")


def _decoder_args(n, c, c_up, c_skip, c_out, h, w, *, extra=(0, 0), seed, dtype=np.float64):
    """x, skip, w_up, b_up, w_conv, b_conv of one decoder step; the skip is ``extra`` rows and
    columns larger than the upsampled map."""
    r = np.random.default_rng(seed)
    shapes = ((n, c, h, w), (n, c_skip, 2 * h + extra[0], 2 * w + extra[1]), (c, c_up, 2, 2),
              (c_up,), (c_out, c_skip + c_up, 3, 3), (c_out,))
    return tuple(r.normal(size=shape).round(2).astype(dtype) for shape in shapes)


def _same_weights_on_both_inputs(args):
    """The step's arguments with w_conv's skip channel copied onto its up channel (one each):
    then the order of the concatenation cannot matter."""
    w_conv = args[4].copy()
    w_conv[:, 1] = w_conv[:, 0]
    return (*args[:4], w_conv, args[5])


def _decoder_public():
    conv_only = _same_weights_on_both_inputs(_decoder_args(1, 1, 1, 1, 2, 2, 2, seed=10))
    up_only = _same_weights_on_both_inputs(_decoder_args(1, 1, 1, 1, 2, 2, 2, seed=11))
    return [
        Case((np.zeros((1, 1, 2, 2)), conv_only[1], conv_only[2], A([0.0]), *conv_only[4:]),
             label="the convolution alone: x and b_up are 0, so the upsampled map is 0",
             hint=DECODER_CONV_HINT),
        Case((up_only[0], np.zeros((1, 1, 4, 4)), up_only[2], A([0.5]), *up_only[4:]),
             label="the upsampling alone: a skip of zeros, a 2x2 input becomes 4x4",
             hint=DECODER_UP_HINT),
        Case(_decoder_args(1, 1, 1, 2, 2, 2, 2, seed=12),
             label="two skip channels and one upsampled channel: which comes first?",
             hint=DECODER_ORDER_HINT),
        Case(_decoder_args(1, 1, 1, 1, 1, 2, 2, extra=(4, 4), seed=13),
             label="a skip of 8x8 for an upsampled 4x4 map (the paper's crop)",
             hint=DECODER_CROP_HINT),
        Case(_decoder_args(2, 3, 2, 2, 3, 2, 3, extra=(2, 0), seed=14),
             label="a batch of two, 2x3 maps, three channels in and out, a taller skip",
             hint=DECODER_AXES_HINT),
        Case(_decoder_args(1, 2, 1, 1, 2, 2, 2, seed=15, dtype=np.float32),
             label="float32 arrays", hint=DTYPE_HINT),
    ]


def _decoder_edge():
    return [
        Case(_decoder_args(1, 1, 1, 1, 1, 1, 1, seed=16), label="a 1x1 input: a 2x2 output"),
        Case(_decoder_args(1, 1, 1, 1, 1, 1, 4, extra=(6, 2), seed=17),
             label="a 1x4 input and a skip larger by 6 rows and 2 columns"),
        Case((*_decoder_args(2, 1, 1, 1, 2, 2, 2, seed=18)[:5], A([-100.0, 100.0])),
             label="b_conv of -100 and 100: the ReLU zeroes one channel and keeps the other"),
    ]


def _decoder_hidden(rng, student):
    cases = []
    for _ in range(5):
        n, c, c_up, c_skip, c_out = (int(v) for v in rng.integers(1, 4, size=5))
        h, w = (int(v) for v in rng.integers(1, 5, size=2))
        extra = tuple(int(v) for v in 2 * rng.integers(0, 3, size=2))
        cases.append(Case(_decoder_args(n, c, c_up, c_skip, c_out, h, w, extra=extra,
                                        seed=int(rng.integers(2**31))),
                          label=f"random x {(n, c, h, w)}, {c_up} upsampled and {c_skip} skip "
                                f"channels, {c_out} out, a skip larger by {extra}"))
    return cases


EXERCISES = [
    Exercise("ch09.conv_transpose2d", "conv_transpose2d", 3, conv_transpose2d,
             _transposed_public, _transposed_hidden, edge=_transposed_edge,
             forbidden=TRANSPOSED_FORBIDDEN, hint=STAMP_HINT),
    Exercise("ch09.pixel_shuffle", "pixel_shuffle", 2, pixel_shuffle, _shuffle_public,
             _shuffle_hidden, edge=_shuffle_edge, forbidden=SHUFFLE_FORBIDDEN, hint=ORDER_HINT),
    Exercise("ch09.dice_loss", "dice_loss", 2, dice_loss, _dice_public, _dice_hidden,
             edge=_dice_edge, forbidden=DICE_FORBIDDEN, hint=PER_CLASS_HINT),
    Exercise("ch09.dice_loss_grad", "dice_loss_grad", 2, dice_loss_grad, _dice_grad_public,
             _dice_hidden, edge=_dice_edge, forbidden=DICE_FORBIDDEN, allowed=GRADIENT_CHECK,
             hint="the gradient has the shape of probs; each class's ratio depends on all its "
                  "pixels"),
    Exercise("ch09.unet_up", "unet_up", 3, unet_up, _decoder_public, _decoder_hidden,
             edge=_decoder_edge, forbidden=DECODER_FORBIDDEN,
             hint="upsample x, crop the skip, concatenate [skip, up] on the channels, 3x3 "
                  "convolution with padding 1, ReLU"),
]
