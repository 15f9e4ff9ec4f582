"""Ready-made experiments the notebooks run in one call, e.g. the same CNN trained two ways.

:func:`train_digits_cnn` trains the small CNN of the zoo on the handwritten digits, either
with the from-scratch engine (``engine="dlcourse"``) or with PyTorch (``engine="torch"``).
Both runs start from *the same weights* (the torch model is drawn from the seed, and the
engine model receives a copy with :func:`dlcourse.nn.load_torch_state`), see the same
minibatches in the same order and use the same optimiser (Adam) and learning-rate schedule.
So the two histories differ only by rounding -- and by the time they took.

The training losses agree to about six digits.  Validation numbers may differ sooner, in
the third digit: each convolution's bias feeds a batch norm, which subtracts the batch mean
and the bias with it, so the bias's gradient is zero up to rounding -- and Adam, dividing
every gradient by its own typical size, turns that rounding noise into steps of size ``lr``.
The bias then wanders differently in the two engines; in training the batch norm cancels
it, in evaluation the running mean only partly does.

Examples
--------
>>> result = train_digits_cnn("dlcourse", epochs=1, train_samples=200, progress=False)
>>> result.engine, len(result.history), result.accuracy > 0.1
('dlcourse', 1, True)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from dlcourse import data, optim
from dlcourse.nn import CrossEntropyLoss, Module, load_torch_state
from dlcourse.optim.lr_scheduler import ExponentialLR
from dlcourse.train import History, evaluate, fit

__all__ = ["ENGINES", "TrainResult", "digits_split", "train_cnn", "train_digits_cnn"]

ENGINES = ("dlcourse", "torch")


@dataclass
class TrainResult:
    """What one training run produced.

    Attributes
    ----------
    engine : str
        ``"dlcourse"`` or ``"torch"``.
    accuracy : float
        Accuracy on the test set after the last epoch.
    seconds : float
        Wall time of the training loop (all epochs, validation included; data loading and
        the final test excluded).
    history : History
        Per-epoch training loss, validation loss and accuracy, learning rate.
    model : dlcourse.nn.Module or torch.nn.Module
        The trained model (in eval mode).
    """

    engine: str
    accuracy: float
    seconds: float
    history: History
    model: object


def digits_split(*, upsample: int | None = None, seed=0) -> data.Split:
    """The digits cut into 70% training, 15% validation and 15% test (stratified).

    ``upsample`` (``None``, 16, 28 ...) is the image side, as in :func:`dlcourse.data.digits`.
    Each part is a pair ``(X, y)``: images ``(n, 1, side, side)`` float32, labels int64.

    >>> split = digits_split()
    >>> [len(part[0]) for part in split]
    [1259, 269, 269]
    """
    X, y = data.digits(upsample=upsample)
    return data.train_val_test_split(X, y, val=0.15, test=0.15, seed=seed, stratify=y)


def train_digits_cnn(engine: str = "dlcourse", *, epochs: int = 15, seed: int = 0,
                     upsample: int | None = None, width: int = 32, batch_size: int = 32,
                     lr: float = 0.01, gamma: float = 0.8, train_samples: int | None = None,
                     progress: bool = True) -> TrainResult:
    """Train :func:`dlcourse.zoo.small_cnn` (or its engine twin) on the digits; test it.

    Parameters
    ----------
    engine : {"dlcourse", "torch"}
        Who computes: the from-scratch engine (on the active backend, NumPy or CuPy:
        :func:`dlcourse.backend.use`) or PyTorch (CPU).
    epochs : int, keyword-only
        Passes over the training data.
    seed : int
        Decides the data split, the initial weights and the order of the minibatches;
        the same seed gives both engines the same start.
    upsample : None or int
        Image side; ``None`` keeps the original 8x8 (16 makes every layer 4x the work).
    width : int
        Channels of the first convolution (the second has ``2 * width``).
    batch_size, lr : int, float
        Minibatch size and Adam's initial learning rate.
    gamma : float
        The learning rate is multiplied by ``gamma`` after every epoch (exponential decay).
    train_samples : int, optional
        Train on only the first ``train_samples`` training images (for quick checks).
    progress : bool
        Show a progress bar (dlcourse engine only).

    Returns
    -------
    TrainResult
        Test accuracy, training time, history and the model.
    """
    if train_samples is not None and (isinstance(train_samples, bool) or
                                      not isinstance(train_samples, int) or train_samples < 1):
        raise ValueError(f"train_samples must be a positive integer, got {train_samples!r}")
    split = digits_split(upsample=upsample, seed=seed)
    train = (split.train[0][:train_samples], split.train[1][:train_samples])  # None: all
    return train_cnn(engine, data.Split(train, split.val, split.test), epochs=epochs,
                     seed=seed, width=width, batch_size=batch_size, lr=lr, gamma=gamma,
                     progress=progress)


def train_cnn(engine: str, split: data.Split, *, epochs: int = 15, seed: int = 0,
              width: int = 32, batch_size: int = 32, lr: float = 0.01, gamma: float = 0.8,
              progress: bool = True) -> TrainResult:
    """Train the small CNN on any image data: ``split.train``, validated on ``split.val``.

    The recipe of :func:`train_digits_cnn` (same engines, weights, batches, optimiser and
    schedule) for images ``(n, C, H, W)`` float32 with labels ``(n,)`` int64 in 0..9 --
    the digits, or MNIST from :func:`dlcourse.data.mnist`.  Returns a :class:`TrainResult`
    whose accuracy is measured on ``split.test``.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    X, y = split.train
    torch_model = _torch_cnn(X.shape[1], width, seed)
    run = _fit_dlcourse if engine == "dlcourse" else _fit_torch
    start = time.perf_counter()
    model, history = run(torch_model, (X, y), split.val, epochs=epochs, batch_size=batch_size,
                         lr=lr, gamma=gamma, seed=seed, progress=progress)
    seconds = time.perf_counter() - start
    accuracy = _test_accuracy(model, *split.test)
    return TrainResult(engine, accuracy, seconds, history, model)


def _torch_cnn(in_channels: int, width: int, seed: int):
    """The torch small CNN with weights drawn from ``seed`` (both engines start from these)."""
    import torch

    from dlcourse.zoo import small_cnn

    torch.manual_seed(seed)
    return small_cnn(in_channels, width=width)


def _fit_dlcourse(torch_model, train_data, val_data, *, epochs, batch_size, lr, gamma, seed,
                  progress):
    from dlcourse.zoo.engine import small_cnn_engine

    first = torch_model[0]
    model = small_cnn_engine(first.in_channels, width=first.out_channels, rng=seed)
    load_torch_state(model, torch_model)  # same starting point as the torch run
    optimizer = optim.Adam(model.parameters(), lr=lr)
    train_data, val_data = data.to_backend(*train_data), data.to_backend(*val_data)  # GPU if on
    history = fit(model, CrossEntropyLoss(), optimizer, train_data, val_data, epochs=epochs,
                  batch_size=batch_size, seed=seed, schedule=ExponentialLR(optimizer, gamma),
                  progress=progress)
    return model.eval(), history


def _fit_torch(model, train_data, val_data, *, epochs, batch_size, lr, gamma, seed, progress):
    """The loop of :func:`dlcourse.train.fit`, written with torch; the same batches in order."""
    import torch

    X, y = (torch.from_numpy(a) for a in train_data)
    X_val, y_val = (torch.from_numpy(a) for a in val_data)
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)
    rng = np.random.default_rng(seed)   # fit's shuffling: the same permutations
    history = History()
    for _ in range(epochs):
        history.lr.append(optimizer.param_groups[0]["lr"])
        model.train()
        order, total = torch.from_numpy(rng.permutation(len(X))), 0.0
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            loss = loss_fn(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        history.train_loss.append(total / len(X))
        model.eval()
        with torch.no_grad():
            output = model(X_val)
        history.val_loss.append(loss_fn(output, y_val).item())
        history.val_metrics.setdefault("accuracy", []).append(
            (output.argmax(1) == y_val).float().mean().item())
        schedule.step()
    if history.val_loss:
        history.best_epoch = int(np.argmin(history.val_loss))
    return model.eval(), history


def _test_accuracy(model, X, y) -> float:
    if isinstance(model, Module):  # a dlcourse model
        return evaluate(model, *data.to_backend(X, y))["accuracy"]
    import torch

    with torch.no_grad():
        predicted = model(torch.from_numpy(X)).argmax(1).numpy()
    return float((predicted == y).mean())
