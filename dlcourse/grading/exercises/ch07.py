"""Chapter 07 exercises: batch normalisation (train and eval, forward and backward), inverted
dropout, Xavier and He initialisation scales, the class-weighted cross-entropy, and early
stopping's decision.

Every formula is PyTorch's (``F.batch_norm``, ``F.dropout``, ``nn.init``,
``F.cross_entropy(weight=...)``); ``tests/grading`` checks the references against it.
Dropout's randomness is an input: the grader draws the uniform numbers ``u`` itself, so a
learner's dropout is deterministic and can be compared entry by entry.
"""

from __future__ import annotations

import numpy as np

from dlcourse.grading.exercises.ch01 import DTYPE_HINT, LOG_SUM_EXP_HINT, NUMPY_ONLY
from dlcourse.grading.spec import Case, Exercise

A = np.array
FORBIDDEN = (*NUMPY_ONLY, "dlcourse.autograd", "dlcourse.train")


# --- references ----------------------------------------------------------------------------

def _channel_axes(x):
    """Axes a batch norm averages over (all but the channels, axis 1), and the shape that
    broadcasts a per-channel vector against ``x``."""
    return (0, *range(2, x.ndim)), (1, -1) + (1,) * (x.ndim - 2)


def batch_norm_forward(x, gamma, beta, running_mean, running_var, *, training,
                       momentum=0.1, eps=1e-5):
    """Batch norm of x (N, C) or (N, C, H, W) per channel, as ``torch.nn.functional.batch_norm``.

    Training: normalise with the batch's mean and (biased) variance, and move the running
    statistics towards them (the running variance uses the unbiased batch variance).
    Evaluation: normalise with the running statistics, which stay as they are.
    Returns ``(out, running_mean, running_var)`` -- new arrays, the inputs untouched.
    """
    axes, shape = _channel_axes(x)
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        m = x.size // x.shape[1]
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * m / (m - 1)
    else:
        mean, var = running_mean, running_var
        running_mean, running_var = running_mean.copy(), running_var.copy()
    x_hat = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    return gamma.reshape(shape) * x_hat + beta.reshape(shape), running_mean, running_var


def batch_norm_backward(dout, x, gamma, eps=1e-5):
    """Gradients ``(dx, dgamma, dbeta)`` of training-mode batch norm (batch statistics)."""
    axes, shape = _channel_axes(x)
    m = x.size // x.shape[1]
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    x_hat = (x - mean) / np.sqrt(var + eps)
    dbeta, dgamma = dout.sum(axis=axes), (dout * x_hat).sum(axis=axes)
    dx = (gamma.reshape(shape) / np.sqrt(var + eps) / m
          * (m * dout - dbeta.reshape(shape) - x_hat * dgamma.reshape(shape)))
    return dx, dgamma, dbeta


def dropout(x, p, u, *, training=True):
    """Inverted dropout: drop entry i where ``u[i] < p``, scale the kept ones by 1/(1 - p);
    in evaluation mode return x unchanged (as a new array)."""
    if not training or p == 0:
        return x.copy()
    if p == 1:
        return np.zeros_like(x)
    return np.where(u >= p, x / (1 - p), 0).astype(x.dtype)


def _fans(shape):
    """PyTorch's fan_in and fan_out of a weight of shape (out, in, *kernel)."""
    receptive = int(np.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive


def xavier_uniform_bound(shape, gain=1.0):
    """Glorot/Xavier: weights ~ U(-a, a) with a = gain sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(shape)
    return gain * float(np.sqrt(6.0 / (fan_in + fan_out)))


def he_normal_std(shape, negative_slope=0.0):
    """He/Kaiming (fan_in, leaky ReLU): std = sqrt(2 / (1 + slope²)) / sqrt(fan_in)."""
    fan_in, _ = _fans(shape)
    return float(np.sqrt(2.0 / (1 + negative_slope ** 2)) / np.sqrt(fan_in))


def weighted_cross_entropy(logits, target, weight):
    """Class-weighted mean cross-entropy and its gradient, as ``F.cross_entropy(weight=)``:
    ``sum_i w[y_i] nll_i / sum_i w[y_i]``.  Returns ``(loss, dlogits)``."""
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    rows = np.arange(len(target))
    w = weight[target]  # (N,) the weight of each example's class
    loss = -(w * log_p[rows, target]).sum() / w.sum()
    grad = np.exp(log_p)
    grad[rows, target] -= 1
    return loss, grad * (w / w.sum())[:, None]


def early_stopping(val_losses, patience, min_delta=0.0):
    """When early stopping ends training, and which epoch's parameters it restores.

    Walk the validation losses epoch by epoch (0-based): a loss below the best so far by
    more than ``min_delta`` is an improvement (best epoch = this one, counter reset);
    anything else -- equal, worse, NaN -- adds one to the counter.  Training stops after
    the epoch at which the counter reaches ``patience``.  Returns ``(stop_epoch,
    best_epoch)``; ``stop_epoch`` is the last epoch if patience never runs out."""
    best, best_epoch, waited = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch, best_epoch
    return len(val_losses) - 1, best_epoch


# --- cases: batch norm ------------------------------------------------------------------------

def _bn_args(x, seed=1):
    rng = np.random.default_rng(seed)
    c = x.shape[1]
    gamma, beta = rng.normal(1, 0.3, size=c).round(2), rng.normal(0, 0.3, size=c).round(2)
    mean, var = rng.normal(size=c).round(2), rng.uniform(0.5, 2, size=c).round(2)
    return tuple(a.astype(x.dtype) for a in (x, gamma, beta, mean, var))


def _x(*shape, seed=0, scale=1.0, shift=0.0):
    return (np.random.default_rng(seed).normal(shift, scale, size=shape)).round(2)


def _bn_public():
    x = A([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]])
    ones, zeros = np.ones(2), np.zeros(2)
    return [
        Case((x, ones, zeros, zeros, ones), {"training": True},
             label="training, gamma=1, beta=0: each column gets mean 0 and variance 1",
             hint="normalise each feature (column) with the batch's mean and variance; the "
                  "variance divides by N (np.var's default), eps goes inside the square root"),
        Case(_bn_args(_x(4, 3, scale=2, shift=1)), {"training": True},
             label="training: running statistics move by momentum 0.1",
             hint="running = (1 - momentum) running + momentum batch; for the running "
                  "variance PyTorch uses the unbiased batch variance (divide by N - 1)"),
        Case(_bn_args(_x(4, 3, scale=2, shift=1)), {"training": False},
             label="evaluation: use the running statistics and leave them unchanged",
             hint="in evaluation mode the batch's statistics are not used at all"),
        Case(_bn_args(_x(2, 3, 2, 2, seed=2)), {"training": True, "momentum": 0.5},
             label="BatchNorm2d: (N, C, H, W), one mean per channel",
             hint="for 4-D input average over axes (0, 2, 3) and reshape gamma, beta and the "
                  "statistics to (1, C, 1, 1)"),
        Case(_bn_args(_x(5, 2, seed=3).astype(np.float32)), {"training": True},
             label="float32 arrays", hint=DTYPE_HINT),
    ]


def _bn_edge():
    return [Case(_bn_args(_x(3, 2, 4, 1, seed=4)), {"training": False, "eps": 0.1},
                 label="evaluation, 4-D, eps=0.1"),
            Case(_bn_args(np.ones((4, 2))), {"training": True},
                 label="a constant batch: variance 0, only eps keeps it finite")]


def _bn_hidden(rng, student):
    cases = []
    for _ in range(6):
        shape = ((int(rng.integers(2, 9)), int(rng.integers(1, 5))) if rng.random() < 0.5 else
                 (int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 4)),
                  int(rng.integers(2, 4))))
        x = rng.normal(rng.normal(0, 3), rng.uniform(0.5, 3), size=shape)
        c = shape[1]
        args = (x, rng.normal(1, 0.3, size=c), rng.normal(0, 0.3, size=c), rng.normal(size=c),
                rng.uniform(0.5, 2, size=c))
        opts = {"training": bool(rng.random() < 0.7),
                "momentum": round(float(rng.uniform(0.05, 0.5)), 3)}
        cases.append(Case(args, opts, label=f"random {shape}, {opts}"))
    return cases


def _bn_backward_public():
    x = A([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]])
    dout = A([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    x2, gamma2 = _bn_args(_x(4, 3, scale=2, shift=1))[:2]
    x4, gamma4 = _bn_args(_x(2, 3, 2, 2, seed=2))[:2]
    x32, gamma32 = _bn_args(_x(5, 2, seed=3).astype(np.float32))[:2]
    return [
        Case((dout, x, np.ones(2)), label="gamma = 1, a gradient at one entry only",
             hint="the batch mean and variance depend on every x, so every entry of its "
                  "column gets a gradient: dx is NOT just gamma * dout / sqrt(var + eps); "
                  "dx = gamma / sqrt(var + eps) / m * (m dout - sum(dout) - x_hat sum(dout "
                  "x_hat))"),
        Case((_x(4, 3, seed=10), x2, gamma2), label="(N, C) with a gamma per feature",
             hint="dbeta = sum of dout and dgamma = sum of dout * x_hat over the batch"),
        Case((_x(2, 3, 2, 2, seed=11), x4, gamma4), label="BatchNorm2d: (N, C, H, W)",
             hint="for 4-D input every sum runs over axes (0, 2, 3), and m = N H W"),
        Case((_x(5, 2, seed=12).astype(np.float32), x32, gamma32), label="float32 arrays",
             hint=DTYPE_HINT),
    ]


def _bn_backward_hidden(rng, student):
    cases = []
    for case in _bn_hidden(rng, student):
        x, gamma = case.args[:2]
        cases.append(Case((rng.normal(size=x.shape), x, gamma), label=case.label.split(",")[0]))
    return cases


# --- cases: dropout, init, weighted loss ------------------------------------------------------

SCALING_HINT = ("inverted dropout scales the kept entries by 1 / (1 - p) during training, so "
                "that the expected output equals the input and evaluation needs no change")


def _dropout_public():
    x = np.arange(1.0, 9.0).reshape(2, 4)
    u = A([[0.9, 0.1, 0.6, 0.3], [0.5, 0.45, 0.05, 0.7]])
    return [
        Case((x, 0.5, u), label="p = 0.5: drop where u < 0.5, double the rest",
             hint=SCALING_HINT),
        Case((x, 0.25, u), label="p = 0.25", hint=SCALING_HINT),
        Case((x, 0.5, u), {"training": False}, label="evaluation mode: the input unchanged",
             hint="at test time dropout does nothing (the scaling was done in training)"),
        Case((x, 0.0, u), label="p = 0 drops nothing"),
        Case((x.astype(np.float32), 0.5, u), label="float32 input", hint=DTYPE_HINT),
    ]


def _dropout_edge():
    x = np.arange(1.0, 7.0).reshape(3, 2)
    return [Case((x, 1.0, np.full((3, 2), 0.5)), label="p = 1 drops everything",
                 hint="1 / (1 - p) is infinite at p = 1: return zeros"),
            Case((x, 0.5, A([[0.5, 0.4999], [0.0, 0.99], [0.2, 0.8]])),
                 label="u exactly equal to p is kept")]


def _dropout_hidden(rng, student):
    cases = []
    for _ in range(5):
        shape = tuple(int(v) for v in rng.integers(1, 6, size=int(rng.integers(1, 4))))
        p = round(float(rng.uniform(0.05, 0.9)), 3)
        cases.append(Case((rng.normal(size=shape), p, rng.random(shape)),
                          {"training": bool(rng.random() < 0.8)}, label=f"random {shape}, p={p}"))
    return cases


def _xavier_public():
    return [
        Case(((100, 50),), label="a Linear(50, 100) weight: fan_in 50, fan_out 100",
             hint="a = sqrt(6 / (fan_in + fan_out)); a weight (out, in) has fan_in = in"),
        Case(((64, 32, 3, 3),), label="a Conv2d(32, 64, 3) weight",
             hint="for a conv weight (out, in, kh, kw): fan_in = in kh kw, fan_out = out kh kw"),
        Case(((10, 10),), {"gain": 5 / 3}, label="gain 5/3 (tanh)"),
    ]


def _he_public():
    return [
        Case(((100, 50),), label="a Linear(50, 100) weight before a ReLU",
             hint="std = sqrt(2 / fan_in); fan_in is the number of inputs, shape[1]"),
        Case(((64, 32, 3, 3),), label="a Conv2d(32, 64, 3) weight",
             hint="for a conv weight (out, in, kh, kw): fan_in = in kh kw"),
        Case(((20, 8),), {"negative_slope": 0.2}, label="leaky ReLU with slope 0.2",
             hint="the gain is sqrt(2 / (1 + slope²))"),
    ]


def _weight_shapes(rng):
    shapes = []
    for _ in range(5):
        out, inp = int(rng.integers(1, 513)), int(rng.integers(1, 513))
        k = int(rng.choice([1, 3, 5, 7]))
        shapes.append((out, inp) if rng.random() < 0.4 else (out, inp, k, k))
    return shapes


def _xavier_hidden(rng, student):
    return [Case((s,), {"gain": round(float(rng.uniform(0.5, 2.0)), 3)}, label=f"shape {s}")
            for s in _weight_shapes(rng)]


def _he_hidden(rng, student):
    return [Case((s,), {"negative_slope": round(float(rng.choice([0.0, 0.01, 0.2])), 3)},
                 label=f"shape {s}") for s in _weight_shapes(rng)]


def _wce_public():
    logits = A([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3], [-1.0, 0.0, 3.0], [1.0, 1.0, 1.0]])
    target = A([0, 1, 2, 1])
    return [
        Case((logits, target, np.ones(3)), label="all weights 1: the ordinary mean cross-entropy"),
        Case((logits, target, A([1.0, 5.0, 1.0])), label="class 1 weighs 5 times more",
             hint="PyTorch divides by the sum of the weights of the examples' classes, "
                  "sum_i w[y_i], not by N"),
        Case((logits, target, A([0.0, 1.0, 2.0])), label="a class with weight 0 is ignored"),
        Case((A([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]]), A([1, 2]), A([2.0, 1.0, 0.5])),
             label="large logits", hint=LOG_SUM_EXP_HINT),
    ]


def _wce_hidden(rng, student):
    cases = []
    for scale in (1.0, 5.0, 100.0):
        n, c = int(rng.integers(1, 10)), int(rng.integers(2, 7))
        cases.append(Case((rng.normal(0, scale, size=(n, c)), rng.integers(0, c, size=n),
                           rng.uniform(0.1, 5, size=c)), label=f"random N={n}, C={c}"))
    return cases


# --- cases: early stopping -----------------------------------------------------------------

VALIDATION_HINT = ("watch the VALIDATION loss only; an epoch whose loss is not lower than the "
                   "best so far (by more than min_delta) adds one to the counter, a better one "
                   "resets it")


def _curve(rng, n):
    """A U-shaped validation curve with noise: falls, then rises as the model overfits."""
    t = np.arange(n)
    bottom = rng.integers(2, n - 2)
    return (0.5 + 0.02 * (t - bottom) ** 2 / n + rng.normal(0, 0.03, n)).round(4)


def _es_public():
    u = [1.0, 0.8, 0.7, 0.72, 0.75, 0.71, 0.9, 0.95]
    return [
        Case((u, 3), label="falls to 0.7 at epoch 2, then three epochs without a lower loss",
             hint=VALIDATION_HINT),
        Case((u, 10), label="patience never runs out: stop at the last epoch (7), best epoch 2",
             hint="if the counter never reaches patience, training ends at the last epoch"),
        Case(([1.0, 0.9, 0.9, 0.9], 2), label="a loss equal to the best is not an improvement",
             hint="improvement means strictly lower than the best so far"),
        Case(([1.0, 0.95, 0.94, 0.93, 0.92], 2), {"min_delta": 0.02},
             label="min_delta = 0.02: improvements of 0.01 do not count",
             hint="an improvement must beat the best by MORE than min_delta"),
        Case(([0.5, 0.6, 0.4, 0.7, 0.8], 1), label="patience 1: stop at the first bad epoch"),
    ]


def _es_edge():
    return [Case(([0.3], 1), label="a single epoch: stop 0, best 0"),
            Case(([1.0, float("nan"), float("nan")], 2),
                 label="NaN losses never count as an improvement",
                 hint="a NaN comparison is always False: treat NaN as 'no improvement'")]


def _es_hidden(rng, student):
    cases = []
    for _ in range(5):
        n, patience = int(rng.integers(6, 40)), int(rng.integers(1, 8))
        delta = float(rng.choice([0.0, 0.0, 0.01]))
        cases.append(Case((_curve(rng, n).tolist(), patience), {"min_delta": delta},
                          label=f"a noisy {n}-epoch curve, patience {patience}, "
                                f"min_delta {delta}"))
    return cases


EXERCISES = [
    Exercise("ch07.batch_norm_forward", "batch_norm_forward", 3, batch_norm_forward,
             _bn_public, _bn_hidden, edge=_bn_edge, forbidden=FORBIDDEN,
             output_names=("out", "running_mean", "running_var"),
             hint="gamma (x - mean) / sqrt(var + eps) + beta, per channel"),
    Exercise("ch07.batch_norm_backward", "batch_norm_backward", 3, batch_norm_backward,
             _bn_backward_public, _bn_backward_hidden, forbidden=FORBIDDEN,
             output_names=("dx", "dgamma", "dbeta"),
             hint="remember that the batch mean and variance are functions of x"),
    Exercise("ch07.dropout", "dropout", 2, dropout, _dropout_public, _dropout_hidden,
             edge=_dropout_edge, forbidden=FORBIDDEN,
             hint="keep entries with u >= p, scaled by 1 / (1 - p)"),
    Exercise("ch07.xavier_uniform_bound", "xavier_uniform_bound", 1, xavier_uniform_bound,
             _xavier_public, _xavier_hidden, forbidden=FORBIDDEN,
             hint="gain * sqrt(6 / (fan_in + fan_out))"),
    Exercise("ch07.he_normal_std", "he_normal_std", 1, he_normal_std, _he_public, _he_hidden,
             forbidden=FORBIDDEN, hint="sqrt(2 / (1 + negative_slope²)) / sqrt(fan_in)"),
    Exercise("ch07.weighted_cross_entropy", "weighted_cross_entropy", 3, weighted_cross_entropy,
             _wce_public, _wce_hidden, forbidden=FORBIDDEN, output_names=("loss", "dlogits"),
             hint="weight each example's loss by w[y_i] and divide by the sum of those weights"),
    Exercise("ch07.early_stopping", "early_stopping", 2, early_stopping, _es_public,
             _es_hidden, edge=_es_edge, forbidden=FORBIDDEN,
             output_names=("stop_epoch", "best_epoch"), hint=VALIDATION_HINT),
]
