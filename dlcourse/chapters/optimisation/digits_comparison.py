"""One small network trained on the digits by every optimiser, from scratch and by torch.optim.

Both runs of an optimiser start from the same weights (drawn by torch from ``seed`` and
copied into the engine with :func:`dlcourse.nn.load_torch_state`), see the same
minibatches in the same order, and compute in float64.  If the engine's layers and
:mod:`dlcourse.optim` are right, the two loss curves coincide to rounding error.

The training/validation loop is written out in :func:`train_one_epoch` and
:func:`validate` (and again, line for line, with torch in ``_torch_epoch``)::

    for each minibatch:  forward, loss, zero_grad, backward, step
    after each epoch:    loss and accuracy on the validation data (no update)

Examples
--------
>>> runs = compare_optimizers_on_digits(["SGD"], epochs=1)
>>> runs["SGD"].max_difference < 1e-9          # engine and torch.optim: the same curve
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dlcourse import nn
from dlcourse.backend import array_module, asarray
from dlcourse.chapters.optimisation.race import OPTIMIZERS, _lr_for, check_names, make_optimizer
from dlcourse.zoo.recipes import digits_split

__all__ = [
    "DIGITS_LR",
    "DigitsRun",
    "compare_optimizers_on_digits",
    "digits_batches",
    "train_one_epoch",
    "validate",
]

DIGITS_LR = {"SGD": 0.2, "Momentum": 0.05, "Nesterov": 0.05, "AdaGrad": 0.05,
             "RMSProp": 0.005, "Adam": 0.01, "AdaMax": 0.02, "NAdam": 0.01}
"""Learning rates for the digits MLP: from a sweep over 0.001 ... 0.5, a good value for each
optimiser (a typical one, not always the very best after 5 epochs)."""


@dataclass
class DigitsRun:
    """One optimiser's training run on the digits, by the engine and by ``torch.optim``.

    ``*_loss`` hold the loss of every minibatch, in order; ``*_train_loss`` the mean
    training loss of each epoch; ``*_val_loss`` and ``*_val_accuracy`` the validation
    loss and accuracy after each epoch.
    """

    name: str
    lr: float
    engine_loss: np.ndarray
    torch_loss: np.ndarray
    engine_train_loss: np.ndarray
    torch_train_loss: np.ndarray
    engine_val_loss: np.ndarray
    torch_val_loss: np.ndarray
    engine_val_accuracy: np.ndarray
    torch_val_accuracy: np.ndarray

    @property
    def max_difference(self) -> float:
        """Largest ``|engine - torch|`` over all minibatch and validation losses."""
        return float(max(np.max(np.abs(self.engine_loss - self.torch_loss)),
                         np.max(np.abs(self.engine_val_loss - self.torch_val_loss))))


def digits_batches(n: int, *, epochs: int, batch_size: int, seed: int = 0) -> list:
    """Minibatch indices for every epoch: a fresh shuffle of ``range(n)`` per epoch.

    Returns
    -------
    list (one per epoch) of lists of int arrays; the last batch of an epoch may be short.

    >>> [b.tolist() for b in digits_batches(5, epochs=1, batch_size=2)[0]]
    [[2, 4], [3, 0], [1]]
    """
    rng = np.random.default_rng(seed)
    return [[order[i:i + batch_size] for i in range(0, n, batch_size)]
            for order in (rng.permutation(n) for _ in range(epochs))]


def train_one_epoch(model, loss_fn, optimizer, X, y, batches) -> list[float]:
    """One pass of minibatch gradient descent with the engine; every minibatch's loss.

    Parameters
    ----------
    model : dlcourse.nn.Module
    loss_fn : e.g. ``dlcourse.nn.CrossEntropyLoss()``
    optimizer : dlcourse.optim.Optimizer
        Built on ``model.parameters()``.
    X, y : arrays
        Training inputs ``(N, ...)`` and targets ``(N,)``.
    batches : sequence of int arrays
        The sample indices of each minibatch, in order.
    """
    xp = array_module(X)
    model.train()
    losses = []
    for idx in batches:
        idx = xp.asarray(idx)
        loss = loss_fn(model(X[idx]), y[idx])   # forward pass and loss
        optimizer.zero_grad()                   # gradients accumulate: clear them first
        model.backward(loss_fn.backward())      # backward pass: dL/dp into every p.grad
        optimizer.step()                        # p.data -= ... from p.grad, in place
        losses.append(float(loss))
    return losses


def validate(model, loss_fn, X, y) -> tuple[float, float]:
    """Loss and accuracy of ``model`` on held-out data: a forward pass only, no update."""
    model.eval()
    output = model(X)
    accuracy = float((array_module(output).argmax(output, axis=1) == y).mean())
    return float(loss_fn(output, y)), accuracy


def _torch_epoch(model, optimizer, X, y, batches) -> list[float]:
    """:func:`train_one_epoch`, line for line, in PyTorch."""
    import torch

    model.train()
    losses = []
    for idx in batches:
        idx = torch.from_numpy(idx)
        loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _torch_validate(model, X, y) -> tuple[float, float]:
    import torch

    model.eval()
    with torch.no_grad():
        output = model(X)
    accuracy = (output.argmax(1) == y).double().mean().item()
    return torch.nn.functional.cross_entropy(output, y).item(), accuracy


def _torch_optimizer(name, params, *, lr, beta):
    """The ``torch.optim`` twin of ``OPTIMIZERS[name]``, with the same hyperparameters."""
    import torch

    betas = (beta, 0.999)
    make = {
        "SGD": lambda: torch.optim.SGD(params, lr=lr),
        "Momentum": lambda: torch.optim.SGD(params, lr=lr, momentum=beta),
        "Nesterov": lambda: torch.optim.SGD(params, lr=lr, momentum=beta, nesterov=True),
        "AdaGrad": lambda: torch.optim.Adagrad(params, lr=lr),
        "RMSProp": lambda: torch.optim.RMSprop(params, lr=lr),
        "Adam": lambda: torch.optim.Adam(params, lr=lr, betas=betas),
        "AdaMax": lambda: torch.optim.Adamax(params, lr=lr, betas=betas),
        "NAdam": lambda: torch.optim.NAdam(params, lr=lr, betas=betas),
    }
    return make[name]()


def compare_optimizers_on_digits(optimizers: Sequence[str] = tuple(OPTIMIZERS), *,
                                 epochs: int = 5, batch_size: int = 64, hidden: int = 32,
                                 lr=None, beta: float = 0.9, seed: int = 0) -> dict:
    """Train a 64-``hidden``-10 ReLU MLP on the digits with each optimiser, twice.

    Once with the engine (``dlcourse.nn`` + ``dlcourse.optim``) and once with
    ``torch.nn`` + ``torch.optim``, in float64, from identical initial weights and on
    identical minibatches.  The data is :func:`dlcourse.zoo.recipes.digits_split` (70%
    training, 15% validation), the images flattened to 64 pixels.

    Parameters
    ----------
    optimizers : sequence of str
        Keys of :data:`dlcourse.chapters.optimisation.race.OPTIMIZERS`.
    epochs, batch_size, hidden : int
    lr : float or mapping of str to float, optional
        Defaults to :data:`DIGITS_LR`.
    beta : float
        Momentum / first-moment decay.
    seed : int
        Seed of the initial weights (the same for every optimiser) and minibatch order.

    Returns
    -------
    dict of str to DigitsRun
    """
    import torch

    lr = DIGITS_LR if lr is None else lr
    names = check_names(optimizers)
    rates = {name: _lr_for(lr, name) for name in names}
    split = digits_split(seed=seed)
    (X_np, y_np), (Xv_np, yv_np) = ((X.reshape(len(X), -1).astype(np.float64), y)
                                    for X, y in (split.train, split.val))
    X, y, X_val, y_val = (asarray(a) for a in (X_np, y_np, Xv_np, yv_np))
    tX, ty, tX_val, ty_val = (torch.from_numpy(a) for a in (X_np, y_np, Xv_np, yv_np))
    batches = digits_batches(len(y_np), epochs=epochs, batch_size=batch_size, seed=seed)
    runs = {}
    previous = torch.get_default_dtype(), torch.get_num_threads()
    torch.set_default_dtype(torch.float64)  # torch keeps some optimiser state in this dtype
    torch.set_num_threads(1)                # tiny matrices: threads cost more than they give
    try:
        for name in names:
            torch.manual_seed(seed)
            twin = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(),
                                       torch.nn.Linear(hidden, 10))
            model = nn.mlp(64, [hidden], 10, dtype="float64")
            nn.load_torch_state(model, twin)  # the same starting point
            ours = make_optimizer(name, model.parameters(), lr=rates[name], beta=beta)
            theirs = _torch_optimizer(name, twin.parameters(), lr=rates[name], beta=beta)
            loss_fn = nn.CrossEntropyLoss()
            log = {key: [] for key in ("e", "t", "e_train", "t_train", "e_val", "t_val",
                                       "e_acc", "t_acc")}
            for epoch_batches in batches:
                e = train_one_epoch(model, loss_fn, ours, X, y, epoch_batches)
                t = _torch_epoch(twin, theirs, tX, ty, epoch_batches)
                sizes = [len(b) for b in epoch_batches]
                log["e"] += e
                log["t"] += t
                log["e_train"].append(np.average(e, weights=sizes))
                log["t_train"].append(np.average(t, weights=sizes))
                for who, (loss, acc) in (("e", validate(model, loss_fn, X_val, y_val)),
                                         ("t", _torch_validate(twin, tX_val, ty_val))):
                    log[f"{who}_val"].append(loss)
                    log[f"{who}_acc"].append(acc)
            runs[name] = DigitsRun(name, rates[name], *(np.array(v) for v in log.values()))
    finally:
        torch.set_default_dtype(previous[0])
        torch.set_num_threads(previous[1])
    return runs
