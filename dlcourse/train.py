"""The training loop, once and for all: minibatches, forward, backward, step, evaluate.

Every epoch of :func:`fit` does what each notebook would otherwise repeat::

    for each shuffled minibatch (xb, yb):
        loss = loss_fn(model(xb), yb)         # forward
        optimizer.zero_grad()                 # gradients accumulate: clear them first
        model.backward(loss_fn.backward())    # backward, from dL/dL = 1
        optimizer.step()                      # p.data -= ... from each p.grad

then evaluates on the validation data, steps the learning-rate schedule and, with early
stopping, remembers the best parameters.  Arrays may be NumPy or CuPy; the loop never asks.

Examples
--------
>>> import numpy as np
>>> from dlcourse import nn, optim
>>> from dlcourse.nn import CrossEntropyLoss
>>> rng = np.random.default_rng(0)
>>> X = rng.standard_normal((200, 2)).astype(np.float32)
>>> y = (X[:, 0] > 0).astype(np.int64)               # the class is the sign of feature 0
>>> model = nn.Linear(2, 2, rng=0)
>>> opt = optim.SGD(model.parameters(), lr=0.5)
>>> history = fit(model, CrossEntropyLoss(), opt, (X, y), (X, y), epochs=5, batch_size=20,
...               seed=0, progress=False)
>>> history.val_metrics["accuracy"][-1] > 0.95
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from dlcourse._validate import check_array
from dlcourse.backend import array_module
from dlcourse.optim.lr_scheduler import ReduceLROnPlateau

__all__ = [
    "History",
    "accuracy",
    "evaluate",
    "fit",
    "predict",
]


def accuracy(output, target) -> float:
    """Fraction of correct predictions.

    ``output`` holds class scores ``(N, C)`` (the prediction is the argmax), or one logit
    per sample ``(N,)``/``(N, 1)`` for a binary problem (the prediction is ``logit > 0``).

    >>> import numpy as np
    >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
    0.5
    """
    xp = array_module(output)
    if output.ndim == 1 or (output.ndim == 2 and output.shape[1] == 1):
        predicted = (output.reshape(-1) > 0).astype(target.dtype)
        target = target.reshape(-1)
    else:
        predicted = xp.argmax(output, axis=1)
    return float((predicted == target).mean())


@dataclass
class History:
    """What happened in each epoch of :func:`fit`; lists are indexed by epoch (from 0).

    Attributes
    ----------
    train_loss : list of float
        Mean training loss over the epoch's minibatches (weighted by batch size).
    val_loss : list of float
        Loss on the validation data after the epoch (empty without validation data).
    val_metrics : dict of str to list of float
        Each metric on the validation data after the epoch, by the metric's name.
    lr : list of float
        Learning rate used during the epoch.
    best_epoch : int or None
        Epoch with the lowest validation loss (None without validation data).
    stopped_early : bool
        Whether early stopping ended training before ``epochs``.
    """

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_metrics: dict = field(default_factory=dict)
    lr: list = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False

    def __len__(self) -> int:
        return len(self.train_loss)


def _check_data(data, name: str):
    try:
        X, y = data
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (X, y) of arrays") from None
    check_array(X, f"{name}[0] (X)")
    check_array(y, f"{name}[1] (y)")
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(f"{name} must hold as many targets as inputs (at least one), "
                         f"got {len(X)} inputs and {len(y)} targets")
    return X, y


def _check_count(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _metric_name(metric) -> str:
    return getattr(metric, "__name__", type(metric).__name__)


def _batches(n: int, batch_size: int):
    """Slices that cut ``range(n)`` into consecutive batches of ``batch_size`` (last: fewer)."""
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def predict(model, X, *, batch_size: int = 256):
    """The model's outputs for ``X``, computed in eval mode and in batches.

    The model's train/eval mode is restored afterwards.

    Returns
    -------
    ndarray, shape (N, ...): the outputs of all batches, concatenated.
    """
    check_array(X, "X")
    batch_size = _check_count(batch_size, "batch_size", 1)
    was_training = model.training
    model.eval()
    try:
        outputs = [model(X[batch]) for batch in _batches(len(X), batch_size)]
    finally:
        model.train(was_training)
    return array_module(X).concatenate(outputs)


def evaluate(model, X, y, *, loss_fn=None, metrics=(accuracy,), batch_size: int = 256) -> dict:
    """Loss (if ``loss_fn`` is given) and each metric of the model on ``(X, y)``, in eval mode.

    Returns
    -------
    dict
        ``{"loss": ..., "accuracy": ...}``: names of the metrics' functions, float values.
    """
    X, y = _check_data((X, y), "(X, y)")
    output = predict(model, X, batch_size=batch_size)
    scores = {} if loss_fn is None else {"loss": float(loss_fn(output, y))}
    scores.update((_metric_name(metric), float(metric(output, y))) for metric in metrics)
    return scores


def _train_epoch(model, loss_fn, optimizer, X, y, batch_size: int, rng) -> float:
    """One pass over the shuffled training data; returns the mean minibatch loss."""
    xp = array_module(X)
    order = xp.asarray(rng.permutation(len(X)))  # shuffled on the host: same on every device
    total = 0.0
    for batch in _batches(len(X), batch_size):
        idx = order[batch]
        loss = loss_fn(model(X[idx]), y[idx])
        optimizer.zero_grad()
        model.backward(loss_fn.backward())
        optimizer.step()
        total = total + loss * len(idx)  # stays on the device: no sync per batch
    return float(total) / len(X)


def fit(model, loss_fn, optimizer, train_data, val_data=None, *, epochs: int,
        batch_size: int = 32, seed=None, early_stopping_patience: int | None = None,
        schedule=None, metrics=(accuracy,), progress: bool = True) -> History:
    """Train ``model`` with minibatch gradient descent and return its :class:`History`.

    Parameters
    ----------
    model : dlcourse.nn.Module
    loss_fn : loss module, e.g. ``CrossEntropyLoss()``
        ``loss_fn(output, target)`` returns the loss, ``loss_fn.backward()`` its gradient.
    optimizer : dlcourse.optim.Optimizer
        Built on ``model.parameters()``.
    train_data, val_data : pair of arrays ``(X, y)``
        Inputs and targets, first axis the sample axis.  Moved, once, to where the model's
        parameters live: NumPy data train a model on the GPU.
    epochs : int, keyword-only
        Maximum number of passes over the training data.
    batch_size : int
        Samples per gradient step (the last batch of an epoch may be smaller).
    seed : int or numpy Generator, optional
        Seed of the shuffling; the same seed gives the same batches.
    early_stopping_patience : int, optional
        Stop after this many epochs without a lower validation loss, and in any case end
        with the parameters (and batch-norm statistics) of the best epoch.  Needs val_data.
    schedule : learning-rate schedule, optional
        Stepped after every epoch; :class:`~dlcourse.optim.lr_scheduler.ReduceLROnPlateau` is given
        the validation loss (the training loss without validation data).
    metrics : sequence of callables ``metric(output, target) -> float``
        Computed on the validation data after every epoch.
    progress : bool
        Show a progress bar over the epochs.

    Returns
    -------
    History
        Per-epoch losses, metrics, learning rates, and the best epoch.
    """
    X, y = model.place(*_check_data(train_data, "train_data"))
    if val_data is not None:
        X_val, y_val = model.place(*_check_data(val_data, "val_data"))
    epochs = _check_count(epochs, "epochs", 0)
    batch_size = _check_count(batch_size, "batch_size", 1)
    patience = early_stopping_patience
    if patience is not None:
        patience = _check_count(patience, "early_stopping_patience", 1)
        if val_data is None:
            raise ValueError("early stopping watches the validation loss: pass val_data")
    rng = np.random.default_rng(seed)
    history = History()
    best_loss, best_state, epochs_without_progress = math.inf, None, 0
    was_training = model.training
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress)
    for epoch in bar:
        history.lr.append(optimizer.lr)
        model.train()
        history.train_loss.append(_train_epoch(model, loss_fn, optimizer, X, y, batch_size, rng))
        monitored = history.train_loss[-1]  # what early stopping and plateaus watch
        postfix = {"loss": monitored}
        if val_data is not None:
            scores = evaluate(model, X_val, y_val, loss_fn=loss_fn, metrics=metrics,
                              batch_size=batch_size)
            monitored = postfix["val_loss"] = scores.pop("loss")
            history.val_loss.append(monitored)
            for name, value in scores.items():
                history.val_metrics.setdefault(name, []).append(value)
            if monitored < best_loss:
                best_loss, history.best_epoch, epochs_without_progress = monitored, epoch, 0
                if patience is not None:
                    best_state = model.state_dict()  # copies: later steps cannot change them
            else:
                epochs_without_progress += 1
        bar.set_postfix(postfix)
        if isinstance(schedule, ReduceLROnPlateau):
            schedule.step(monitored)
        elif schedule is not None:
            schedule.step()
        if patience is not None and epochs_without_progress >= patience:
            history.stopped_early = epoch + 1 < epochs
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.train(was_training)
    return history
