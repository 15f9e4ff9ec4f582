"""Regularisation from real runs: dropout, L1 vs L2, early stopping, data size and capacity.

All training here is small on purpose (8x8 digits flattened to 64 features, MLPs of a few
dozen units, a few dozen epochs) so that a notebook can run every experiment in seconds.

Throughout, ``p`` is the **drop** probability of dropout, as in PyTorch: a unit is zeroed
with probability ``p`` and kept with probability ``1 - p``.  (Some texts call the *keep*
probability ``p``; the two conventions are swapped, so always check which one is meant.)

Examples
--------
>>> out = dropout_expectation(0.5, seed=0)
>>> round(out["train_mean"], 2), out["eval_mean"], round(out["unscaled_train_mean"], 2)
(1.0, 1.0, 0.5)
"""

from __future__ import annotations

import numpy as np

from dlcourse import data, nn, optim
from dlcourse._validate import check_non_negative, check_probability
from dlcourse.backend import array_module, default_rng, to_numpy
from dlcourse.nn import CrossEntropyLoss
from dlcourse.nn import functional as F
from dlcourse.train import accuracy, evaluate, fit

__all__ = [
    "SGDWithL1",
    "augmentation_gallery",
    "capacity_curve",
    "dropout_expectation",
    "dropout_mlp_outputs",
    "linear_weights",
    "multitask_param_counts",
    "size_curve",
    "soft_sharing_penalty",
    "sparsity",
    "train_mlp",
    "train_multitask",
]


# --- dropout -----------------------------------------------------------------------------

def dropout_expectation(p: float, *, n: int = 100_000, value: float = 1.0, seed=0) -> dict:
    """Mean of ``dropout`` applied to ``n`` copies of ``value``: training vs evaluation.

    Inverted dropout divides the kept entries by ``1 - p`` while training, so the expected
    output equals the input and evaluation can use the layer as is.  Without that scaling
    (``unscaled_train_mean``) the training-time mean would be ``(1 - p) * value`` and the
    network would see bigger activations at test time than it was trained on.

    Returns
    -------
    dict
        ``train_mean``, ``eval_mean``, ``unscaled_train_mean``, ``kept_fraction``.
    """
    check_probability(p, "p")
    x = np.full(n, value, dtype=np.float64)  # on the host: the same numbers on every machine
    train, mask = F.dropout(x, p, True, rng=np.random.default_rng(seed), return_mask=True)
    kept = mask != 0
    return {"train_mean": float(train.mean()),
            "eval_mean": float(F.dropout(x, p, False).mean()),
            "unscaled_train_mean": float((x * kept).mean()),
            "kept_fraction": float(kept.mean())}


def dropout_mlp_outputs(model, x, *, samples: int = 5):
    """Outputs of ``model`` for one input ``x``: ``samples`` training-mode passes and one eval.

    In training mode every pass draws a new dropout mask, so the outputs differ; in eval
    mode dropout is off and the output is deterministic.  The model's mode is restored.

    Returns
    -------
    (train_outputs, eval_output) : ndarray ``(samples, out)`` and ``(out,)``
    """
    was_training = model.training
    model.train()
    train_outputs = np.stack([to_numpy(model(x[None]))[0] for _ in range(samples)])
    model.eval()
    eval_output = to_numpy(model(x[None]))[0]
    model.train(was_training)
    return train_outputs, eval_output


# --- models and training -------------------------------------------------------------------

class SGDWithL1(optim.SGD):
    """SGD whose gradient also gets the L1 penalty's ``l1 * sign(p)``.

    The L1 penalty ``l1 * sum |p|`` pulls every weight towards 0 by the *same* amount per
    step, however small it is already, so many weights end at (nearly) exactly 0: sparse.
    L2 (``weight_decay``, penalty ``weight_decay / 2 * sum p^2``) pulls by an amount
    proportional to the weight, so weights shrink but rarely vanish.

    >>> p = nn.Parameter(np.array([0.5, -0.5]))
    >>> opt = SGDWithL1([p], lr=0.1, l1=1.0)
    >>> p.grad = np.zeros(2)
    >>> opt.step(); p.data.tolist()
    [0.4, -0.4]
    """

    def __init__(self, params, *, lr: float = 1e-3, l1: float = 0.0, **kwargs):
        super().__init__(params, lr=lr, **kwargs)
        check_non_negative(l1, "l1")
        self.l1 = l1

    def update(self, i, p, g):
        if self.l1 != 0:
            g = g + self.l1 * array_module(p).sign(p)
        super().update(i, p, g)

    def hyperparameters(self):
        return {**super().hyperparameters(), "l1": self.l1}


def train_mlp(train, val, *, hidden=(64,), epochs: int = 30, lr: float = 0.1,
              momentum: float = 0.9, batch_size: int = 32, l1: float = 0.0, l2: float = 0.0,
              dropout: float = 0.0, early_stopping_patience: int | None = None, seed=0):
    """Train a ReLU :func:`dlcourse.nn.mlp` on flattened inputs with SGD (+ L1/L2/dropout).

    Trained by :func:`dlcourse.train.fit`.

    Parameters
    ----------
    train, val : pairs ``(X, y)``
        ``X`` of shape ``(N, features)`` (or images, which are flattened).
    l1, l2 : float
        Strengths of the L1 penalty and of L2 weight decay.
    early_stopping_patience : int, optional
        Passed to :func:`dlcourse.train.fit`: stop after this many epochs without a lower
        **validation** loss and restore the best epoch's parameters.

    Returns
    -------
    (model, history)
    """
    (X, y), (X_val, y_val) = train, val
    X, X_val = X.reshape(len(X), -1), X_val.reshape(len(X_val), -1)
    model = nn.mlp(X.shape[1], hidden, int(y.max()) + 1, dropout=dropout, rng=seed)
    opt = SGDWithL1(model.parameters(), lr=lr, momentum=momentum, weight_decay=l2, l1=l1)
    history = fit(model, CrossEntropyLoss(), opt, (X, y), (X_val, y_val), epochs=epochs,
                  batch_size=batch_size, seed=seed,
                  early_stopping_patience=early_stopping_patience, progress=False)
    return model, history


def linear_weights(model):
    """All weights (not biases) of the model's ``Linear`` layers, as one flat NumPy array."""
    return np.concatenate([to_numpy(m.weight.data).ravel() for m in model.modules()
                           if isinstance(m, nn.Linear)])


def sparsity(weights, *, tol: float = 1e-3) -> float:
    """Fraction of weights with ``|w| < tol``.

    >>> sparsity(np.array([0.0, 1e-4, 0.5, -2.0]))
    0.5
    """
    return float((np.abs(to_numpy(weights)) < tol).mean())


# --- how much data, how much capacity ------------------------------------------------------

def _errors(model, train, val) -> tuple[float, float]:
    (X, y), (X_val, y_val) = train, val
    train_acc = evaluate(model, X.reshape(len(X), -1), y)["accuracy"]
    val_acc = evaluate(model, X_val.reshape(len(X_val), -1), y_val)["accuracy"]
    return 1 - train_acc, 1 - val_acc


def size_curve(train, val, sizes, *, hidden=(32,), epochs: int = 30, seed=0) -> dict:
    """Train the same MLP on the first ``n`` training samples for each ``n`` in ``sizes``.

    Returns
    -------
    dict
        ``sizes``, ``train_error``, ``val_error`` (arrays, one entry per size).
    """
    X, y = train
    train_err, val_err = [], []
    for n in sizes:
        subset = (X[:n], y[:n])
        model, _ = train_mlp(subset, val, hidden=hidden, epochs=epochs, seed=seed)
        errors = _errors(model, subset, val)
        train_err.append(errors[0])
        val_err.append(errors[1])
    return {"sizes": np.array(sizes), "train_error": np.array(train_err),
            "val_error": np.array(val_err)}


def capacity_curve(train, val, widths, *, epochs: int = 30, seed=0) -> dict:
    """Train one-hidden-layer MLPs of growing width on the same data.

    Returns
    -------
    dict
        ``widths``, ``params`` (parameter counts), ``train_error``, ``val_error``.
    """
    train_err, val_err, params = [], [], []
    for width in widths:
        model, _ = train_mlp(train, val, hidden=(width,), epochs=epochs, seed=seed)
        errors = _errors(model, train, val)
        train_err.append(errors[0])
        val_err.append(errors[1])
        params.append(model.num_params())
    return {"widths": np.array(widths), "params": np.array(params),
            "train_error": np.array(train_err), "val_error": np.array(val_err)}


# --- data augmentation ---------------------------------------------------------------------

def augmentation_gallery(image, *, seed=0) -> dict:
    """One ``(8, 8)`` digit under each augmentation of :mod:`dlcourse.data`, by name.

    Shifts, small rotations, zooms and noise keep a digit a digit; the horizontal flip is
    included to show why it is *not* a valid augmentation for digits.
    """
    return {
        "original": image,
        "shift right 1": data.shift(image, 1, 0),
        "rotate +15°": data.rotate(image, 15.0),
        "rotate -15°": data.rotate(image, -15.0),
        "zoom 0.8": data.scale(image, 0.8),
        "zoom 1.2": data.scale(image, 1.2),
        "noise σ=0.1": data.add_noise(image, 0.1, rng=seed),
        "random (shift+rot+zoom)": data.random_augment(image, seed),
        "flip (wrong!)": data.flip_horizontal(image),
    }


# --- multi-task learning -------------------------------------------------------------------

def multitask_param_counts(in_features: int, hidden=(64, 64), task_outputs=(10, 2)) -> dict:
    """Parameters of hard vs soft parameter sharing for several tasks on the same input.

    *Hard sharing*: one trunk of ``hidden`` layers shared by all tasks, one output head per
    task.  *Soft sharing*: every task has its own trunk and head; the trunks are only pulled
    towards each other by a penalty (:func:`soft_sharing_penalty`), adding no parameters.
    The trunk is ``Linear`` layers of the ``hidden`` sizes (ReLUs between them).

    >>> multitask_param_counts(64, (32,), (10, 2))
    {'hard': 2476, 'soft': 4556, 'per_task_trunk': 2080}
    """
    trunk = nn.mlp(in_features, hidden[:-1], hidden[-1])   # ends with Linear(.., hidden[-1])
    trunk_params = trunk.num_params()
    heads = sum(hidden[-1] * k + k for k in task_outputs)
    return {"hard": trunk_params + heads,
            "soft": len(task_outputs) * trunk_params + heads,
            "per_task_trunk": trunk_params}


def train_multitask(train, val, *, hidden=(64,), aux_weight: float = 1.0, epochs: int = 10,
                    lr: float = 0.05, batch_size: int = 32, seed=0) -> dict:
    """Hard parameter sharing on digits: one trunk, a digit head and a parity head.

    The loss is ``CE(digit) + aux_weight * CE(even/odd)``.  Backward, each head turns its
    loss gradient into a gradient for the trunk's output, and the two are **added** before
    flowing into the shared trunk -- the trunk learns from both tasks.  ``aux_weight=0``
    trains the digit task alone (same trunk, same seed; the parity head then stays at its
    random initial weights) for comparison.

    Returns
    -------
    dict
        ``digit_accuracy`` and ``parity_accuracy`` on ``val``, and ``params`` (trunk and
        both heads).
    """
    (X, y), (X_val, y_val) = train, val
    X, X_val = X.reshape(len(X), -1), X_val.reshape(len(X_val), -1)
    rng = default_rng(seed)
    trunk = nn.mlp(X.shape[1], hidden[:-1], hidden[-1], rng=seed)
    trunk = nn.Sequential(trunk, nn.ReLU())
    digit_head = nn.Linear(hidden[-1], 10, rng=rng)
    parity_head = nn.Linear(hidden[-1], 2, rng=rng)
    modules = (trunk, digit_head, parity_head)
    opt = optim.SGD([p for m in modules for p in m.parameters()], lr=lr, momentum=0.9)
    digit_loss, parity_loss = CrossEntropyLoss(), CrossEntropyLoss()
    order = np.random.default_rng(seed)
    for _ in range(epochs):
        index = order.permutation(len(X))
        for start in range(0, len(X), batch_size):
            batch = array_module(X).asarray(index[start:start + batch_size])
            features = trunk(X[batch])
            digit_loss(digit_head(features), y[batch])
            parity_loss(parity_head(features), y[batch] % 2)
            opt.zero_grad()
            dfeatures = digit_head.backward(digit_loss.backward())
            dfeatures = dfeatures + parity_head.backward(parity_loss.backward(aux_weight))
            trunk.backward(dfeatures)
            opt.step()
    trunk.eval()
    features = trunk(X_val)
    return {"digit_accuracy": accuracy(digit_head(features), y_val),
            "parity_accuracy": accuracy(parity_head(features), y_val % 2),
            "params": sum(m.num_params() for m in modules)}


def soft_sharing_penalty(models) -> float:
    """Sum over pairs of models of ``||W_a - W_b||^2`` over their corresponding parameters.

    Added to the loss (times a strength), it lets each task keep its own weights while
    keeping them similar: soft parameter sharing.

    >>> a, b = nn.mlp(4, (3,), 2, rng=0), nn.mlp(4, (3,), 2, rng=0)
    >>> soft_sharing_penalty([a, b])
    0.0
    """
    total = 0.0
    for i, first in enumerate(models):
        for second in models[i + 1:]:
            for p, q in zip(first.parameters(), second.parameters(), strict=True):
                total += float(((to_numpy(p.data) - to_numpy(q.data)) ** 2).sum())
    return total
