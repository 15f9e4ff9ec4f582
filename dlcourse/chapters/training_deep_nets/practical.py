"""Practical recipes for notebook 07: overfit one batch, the learning-rate range test, warm-up,
AdamW vs L2, label smoothing.

The runs use the engine (:func:`dlcourse.nn.mlp`, :mod:`dlcourse.optim`) on flattened digits;
each takes a fraction of a second to a few seconds.
"""

from __future__ import annotations

import math

import numpy as np

from dlcourse import nn, optim
from dlcourse._validate import check_array
from dlcourse.backend import like, to_numpy
from dlcourse.optim.lr_scheduler import LinearLR

__all__ = ["BUGS", "best_logit_gap", "first_step_size", "lr_range_test", "overfit_one_batch",
           "smooth_targets", "smoothed_cross_entropy", "warmup_run", "weight_decay_paths"]

BUGS = (None, "fixed_shuffle", "reshuffled")


def _train_step(model, loss_fn, optimizer, xb, yb) -> float:
    loss = loss_fn(model(xb), yb)
    optimizer.zero_grad()
    model.backward(loss_fn.backward())
    optimizer.step()
    return float(loss)


def overfit_one_batch(X, y, *, bug: str | None = None, steps: int = 150, lr: float = 0.01,
                      hidden=(64,), seed=0) -> np.ndarray:
    """Train an MLP with Adam on one fixed batch and return the loss after every step.

    A working pipeline drives the loss of one small batch to about 0: the model, the loss
    and the update can learn *something*.  ``bug`` breaks the data the way a loader can:

    * ``"fixed_shuffle"``: the labels permuted once -- wrong, but still one label per input,
      so the batch is memorised anyway (this check cannot catch it);
    * ``"reshuffled"``: the labels permuted anew at every step, so inputs and labels no longer
      pair up; nothing can be learned and the loss stays near ``log(classes)``.

    Parameters
    ----------
    X : ndarray, shape (B, features)
    y : ndarray of int, shape (B,)

    Returns
    -------
    ndarray, shape (steps,)
    """
    check_array(X, "X", ndim=2)
    check_array(y, "y", ndim=1)
    if bug not in BUGS:
        raise ValueError(f"bug must be one of {BUGS}, got {bug!r}")
    rng = np.random.default_rng(seed)
    model = nn.mlp(X.shape[1], hidden, int(to_numpy(y).max()) + 1, rng=seed)
    X, y = model.place(X, y)
    opt, loss_fn = optim.Adam(model.parameters(), lr=lr), nn.CrossEntropyLoss()
    labels = y[like(rng.permutation(len(y)), y)] if bug == "fixed_shuffle" else y
    losses = np.empty(steps)
    for step in range(steps):
        if bug == "reshuffled":
            labels = y[like(rng.permutation(len(y)), y)]
        losses[step] = _train_step(model, loss_fn, opt, X, labels)
    return losses


def lr_range_test(X, y, *, lr_min: float = 1e-4, lr_max: float = 10.0, steps: int = 100,
                  batch_size: int = 64, hidden=(64,), momentum: float = 0.9,
                  smoothing: float = 0.9, blowup: float = 4.0, seed=0) -> dict:
    """The learning-rate range test (Smith, 2017): one short run with an exploding rate.

    Step ``t`` (of ``steps``) trains one minibatch with SGD at
    ``lr_min * (lr_max / lr_min) ** (t / (steps - 1))`` -- the same factor every step.
    The loss is smoothed by an exponential moving average (with bias correction); the run
    stops once the smoothed loss exceeds ``blowup`` times its minimum.  The suggestion is a
    tenth of the rate at the smoothed minimum: safely below the blow-up.

    Returns
    -------
    dict
        ``lrs``, ``losses``, ``smoothed`` (arrays of the steps taken), ``best_lr`` (the rate
        at the smoothed minimum) and ``suggested`` (``best_lr / 10``).
    """
    check_array(X, "X", ndim=2)
    if not 0 < lr_min < lr_max:
        raise ValueError(f"need 0 < lr_min < lr_max, got {lr_min!r} and {lr_max!r}")
    if int(steps) != steps or steps < 2:
        raise ValueError(f"steps must be an integer >= 2 (a range has two ends), got {steps!r}")
    rng = np.random.default_rng(seed)
    model = nn.mlp(X.shape[1], hidden, int(to_numpy(y).max()) + 1, rng=seed)
    X, y = model.place(X, y)
    opt = optim.SGD(model.parameters(), lr=lr_min, momentum=momentum)
    loss_fn = nn.CrossEntropyLoss()
    lrs = lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))
    losses, smoothed, average = [], [], 0.0
    for t, lr in enumerate(lrs):
        opt.lr = float(lr)
        idx = like(rng.choice(len(X), size=batch_size, replace=False), X)
        losses.append(_train_step(model, loss_fn, opt, X[idx], y[idx]))
        average = smoothing * average + (1 - smoothing) * losses[-1]
        smoothed.append(average / (1 - smoothing ** (t + 1)))
        if not math.isfinite(smoothed[-1]) or smoothed[-1] > blowup * min(smoothed):
            break
    smoothed = np.array(smoothed)
    best_lr = float(lrs[int(np.nanargmin(smoothed))])
    return {"lrs": lrs[:len(losses)], "losses": np.array(losses), "smoothed": smoothed,
            "best_lr": best_lr, "suggested": best_lr / 10}


def first_step_size(fan_in: int, fan_out: int, *, lr: float, start_factor: float = 1.0,
                    seed=0) -> float:
    """Size of Adam's first update of a freshly initialised layer, relative to its weights.

    At step 1 Adam's bias-corrected ``m / sqrt(v)`` is ``g / |g| = ±1`` in every entry, so
    every weight moves by the full rate ``lr * start_factor``, whatever its gradient.

    Returns
    -------
    float
        ``||Δw|| / ||w||`` for a :class:`~dlcourse.nn.Linear` layer with PyTorch's init.
    """
    layer = nn.Linear(fan_in, fan_out, rng=seed, dtype="float64")
    weight = layer.weight.data.copy()
    opt = optim.Adam([layer.weight], lr=lr * start_factor)
    gradient = np.random.default_rng(seed).normal(size=weight.shape)   # any gradient will do
    layer.weight.grad = like(gradient, weight)
    opt.step()
    return float(np.linalg.norm(to_numpy(layer.weight.data - weight))
                 / np.linalg.norm(to_numpy(weight)))


def warmup_run(train, val, *, lr: float, warmup_steps: int = 0, steps: int = 200,
               batch_size: int = 64, hidden=(64,) * 6, seed=0) -> dict:
    """Adam at rate ``lr`` with (``warmup_steps > 0``) or without a linear warm-up.

    The warm-up is :class:`~dlcourse.optim.lr_scheduler.LinearLR` from 1 % of ``lr``,
    stepped after every minibatch.

    Returns
    -------
    dict
        ``loss`` and ``lr`` per step (arrays), validation ``accuracy``, and ``dead``: the
        fraction of hidden ReLU units that output 0 for every training input at the end.
    """
    (X, y), (X_val, y_val) = train, val
    model = nn.mlp(X.shape[1], hidden, int(to_numpy(y).max()) + 1, rng=seed)
    X, y, X_val, y_val = model.place(X, y, X_val, y_val)
    opt, loss_fn = optim.Adam(model.parameters(), lr=lr), nn.CrossEntropyLoss()
    schedule = LinearLR(opt, start_factor=0.01, total_iters=warmup_steps) if warmup_steps else None
    rng = np.random.default_rng(seed)
    losses, lrs = np.empty(steps), np.empty(steps)
    for step in range(steps):
        idx = like(rng.choice(len(X), size=batch_size, replace=False), X)
        lrs[step] = opt.lr
        losses[step] = _train_step(model, loss_fn, opt, X[idx], y[idx])
        if schedule is not None:
            schedule.step()
    model.eval()
    accuracy = float((to_numpy(model(X_val).argmax(axis=1)) == to_numpy(y_val)).mean())
    hidden_out, silent, units = X, 0, 0
    for layer in model:
        hidden_out = layer(hidden_out)
        if isinstance(layer, nn.ReLU):
            silent += int(to_numpy((hidden_out > 0).sum(axis=0) == 0).sum())
            units += hidden_out.shape[1]
    return {"loss": losses, "lr": lrs, "accuracy": accuracy, "dead": silent / units}


def weight_decay_paths(*, steps: int = 300, lr: float = 0.01, weight_decay: float = 0.1,
                       grad_scales=(1.0, 0.01)) -> dict:
    """Two weights under weight decay, with L2 in the gradient or decoupled, SGD and Adam.

    Both weights start at 1.  Their loss gradient flips sign every step (``+s, -s, ...``
    with ``s`` from ``grad_scales``), so it pushes neither weight anywhere on average: what
    moves them is the decay.

    Returns
    -------
    dict
        ``{name: ndarray (steps + 1, 2)}`` for ``"SGD + L2"``, ``"SGD, decoupled"``,
        ``"Adam + L2"`` and ``"AdamW"``: the two weights after every step.
    """
    scales = np.asarray(grad_scales, dtype=np.float64)
    makers = {
        "SGD + L2": (lambda ps: optim.SGD(ps, lr=lr, weight_decay=weight_decay), False),
        "SGD, decoupled": (lambda ps: optim.SGD(ps, lr=lr), True),
        "Adam + L2": (lambda ps: optim.Adam(ps, lr=lr, weight_decay=weight_decay), False),
        "AdamW": (lambda ps: optim.AdamW(ps, lr=lr, weight_decay=weight_decay), False),
    }
    paths = {}
    for name, (make, shrink_by_hand) in makers.items():
        p = nn.Parameter(np.ones_like(scales))
        opt = make([p])
        path = [p.data.copy()]
        for step in range(steps):
            if shrink_by_hand:                      # decoupled decay for SGD, by hand
                p.data *= 1 - lr * weight_decay
            p.grad = scales * (-1.0) ** step
            opt.step()
            path.append(p.data.copy())
        paths[name] = np.array(path)
    return paths


def smooth_targets(y, num_classes: int, smoothing: float):
    """Label-smoothed targets: ``(1 - smoothing) * onehot(y) + smoothing / num_classes``.

    As in ``torch.nn.functional.cross_entropy(..., label_smoothing=smoothing)``: the mass
    ``smoothing`` is spread over *all* classes, the true one included.

    Parameters
    ----------
    y : ndarray of int, shape (N,)
    num_classes : int
    smoothing : float in [0, 1]

    Returns
    -------
    ndarray, shape (N, num_classes); every row sums to 1

    Examples
    --------
    >>> import numpy as np
    >>> smooth_targets(np.array([2]), 4, 0.2).round(3).tolist()
    [[0.05, 0.05, 0.85, 0.05]]
    """
    y = np.asarray(to_numpy(y))
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise ValueError(f"y must be a 1-D array of class indices, got {y.dtype} {y.shape}")
    if y.size and not (0 <= y.min() and y.max() < num_classes):
        raise ValueError(f"y must hold classes in 0..{num_classes - 1}, got {y.min()}..{y.max()}")
    if not 0.0 <= smoothing <= 1.0:
        raise ValueError(f"smoothing must be in [0, 1], got {smoothing!r}")
    return (1 - smoothing) * np.eye(num_classes)[y] + smoothing / num_classes


def smoothed_cross_entropy(logits, y, smoothing: float) -> float:
    """Mean cross-entropy ``-sum_c q_c log softmax(logits)_c`` against smoothed targets ``q``.

    Parameters
    ----------
    logits : ndarray, shape (N, C)
    y : ndarray of int, shape (N,)
    smoothing : float in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> round(smoothed_cross_entropy(np.zeros((1, 4)), np.array([1]), 0.1), 4)  # log 4
    1.3863
    """
    logits = np.asarray(to_numpy(logits), dtype=np.float64)
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (N, C), got {logits.shape}")
    q = smooth_targets(y, logits.shape[1], smoothing)
    top = logits.max(axis=1, keepdims=True)
    log_p = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
    return float(-(q * log_p).sum(axis=1).mean())


def best_logit_gap(num_classes: int, smoothing: float) -> float:
    """The gap between the true class's logit and the others that minimises the smoothed loss.

    With the true logit ``d`` above ``num_classes - 1`` equal others, softmax gives the true
    class ``e^d / (e^d + C - 1)``; the smoothed loss is smallest when that equals the target
    ``1 - smoothing + smoothing / C``: ``d = log(1 + C (1 - smoothing) / smoothing)``.  Without
    smoothing there is no minimum: the loss keeps falling as ``d`` grows.

    Examples
    --------
    >>> round(best_logit_gap(10, 0.1), 4)   # log(1 + 90)
    4.5109
    """
    if not 0.0 < smoothing <= 1.0:
        raise ValueError(f"smoothing must be in (0, 1] for a finite gap, got {smoothing!r}")
    return math.log(1 + num_classes * (1 - smoothing) / smoothing)
