"""Learning-rate schedules: change ``optimizer.lr`` once per epoch, as in torch.optim.lr_scheduler.

Call ``schedule.step()`` at the end of every epoch (after the optimiser's steps);
:class:`ReduceLROnPlateau` instead takes the monitored value: ``schedule.step(val_loss)``.
A schedule works with any object that has an ``lr`` attribute, e.g. every optimiser of
:mod:`dlcourse.optim`.  (PyTorch keeps one rate per parameter group; here there is one.)

Examples
--------
>>> from types import SimpleNamespace
>>> opt = SimpleNamespace(lr=1.0)
>>> schedule = StepLR(opt, step_size=2, gamma=0.5)
>>> lrs = []
>>> for epoch in range(5):
...     lrs.append(opt.lr)
...     schedule.step()
>>> lrs
[1.0, 1.0, 0.5, 0.5, 0.25]
"""

from __future__ import annotations

import math

__all__ = ["ExponentialLR", "LRScheduler", "LinearLR", "ReduceLROnPlateau", "StepLR"]


class LRScheduler:
    """Base class: remembers the optimiser, its starting rate and the epoch count."""

    def __init__(self, optimizer):
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"{type(optimizer).__name__} has no 'lr' attribute to schedule")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0  # how many times step() has been called

    def get_last_lr(self) -> float:
        """The learning rate set by the latest step (PyTorch returns one per group)."""
        return self.optimizer.lr

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" for k, v in vars(self).items()
                          if k not in ("optimizer", "base_lr", "last_epoch"))
        return f"{type(self).__name__}({hyper}, lr={self.optimizer.lr!r})"


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    ``lr(epoch) = base_lr * gamma ** (epoch // step_size)``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> opt = SimpleNamespace(lr=0.1)
    >>> schedule = StepLR(opt, step_size=1, gamma=0.1)
    >>> schedule.step(); round(opt.lr, 12)
    0.01
    """

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1):
        super().__init__(optimizer)
        if int(step_size) != step_size or step_size < 1:
            raise ValueError(f"step_size must be a positive integer, got {step_size!r}")
        self.step_size, self.gamma = int(step_size), gamma

    def step(self) -> None:
        """End an epoch: decay the rate if a multiple of ``step_size`` epochs has passed."""
        self.last_epoch += 1
        if self.last_epoch % self.step_size == 0:
            self.optimizer.lr *= self.gamma


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch: ``lr = base_lr * gamma ** epoch``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> opt = SimpleNamespace(lr=1.0)
    >>> schedule = ExponentialLR(opt, gamma=0.5)
    >>> schedule.step(); schedule.step(); opt.lr
    0.25
    """

    def __init__(self, optimizer, gamma: float):
        super().__init__(optimizer)
        self.gamma = gamma

    def step(self) -> None:
        """End an epoch: multiply the rate by ``gamma``."""
        self.last_epoch += 1
        self.optimizer.lr *= self.gamma


class LinearLR(LRScheduler):
    """Ramp the rate linearly from ``start_factor * lr`` to ``end_factor * lr`` (warm-up).

    ``lr(t) = base_lr * (start_factor + (end_factor - start_factor) * min(t, total_iters)
    / total_iters)`` after ``t`` calls of :meth:`step`; the optimiser starts at
    ``start_factor * base_lr`` as soon as the schedule is made.  For a warm-up, call
    ``step()`` after every *minibatch*: the first ``total_iters`` updates then ramp up to the
    full rate, which stays.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> opt = SimpleNamespace(lr=1.0)
    >>> schedule = LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(opt.lr)
    ...     schedule.step()
    >>> lrs
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer, start_factor: float = 1 / 3, end_factor: float = 1.0,
                 total_iters: int = 5):
        super().__init__(optimizer)
        if not 0.0 < start_factor <= 1.0:
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor!r}")
        if not 0.0 <= end_factor <= 1.0:
            raise ValueError(f"end_factor must be in [0, 1], got {end_factor!r}")
        if int(total_iters) != total_iters or total_iters < 1:
            raise ValueError(f"total_iters must be a positive integer, got {total_iters!r}")
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = int(total_iters)
        optimizer.lr = self.base_lr * start_factor

    def step(self) -> None:
        """One more step along the ramp (after a minibatch for a warm-up)."""
        self.last_epoch += 1
        done = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * done
        self.optimizer.lr = self.base_lr * factor


class ReduceLROnPlateau(LRScheduler):
    """Cut the learning rate by ``factor`` when a metric has stopped improving.

    After each epoch, ``step(metric)`` compares ``metric`` with the best value so far.
    It counts as better only if it beats the best by more than ``threshold`` --
    relatively (``best * (1 - threshold)`` in mode ``"min"``) or absolutely
    (``best - threshold``), by ``threshold_mode``.  After more than ``patience``
    epochs without improvement the rate becomes ``max(lr * factor, min_lr)``, and the
    next ``cooldown`` epochs are not counted.  Changes smaller than ``eps`` are skipped.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> opt = SimpleNamespace(lr=1.0)
    >>> schedule = ReduceLROnPlateau(opt, factor=0.5, patience=1)
    >>> for val_loss in [3.0, 2.0, 2.0, 2.0]:   # two epochs without progress: halve
    ...     schedule.step(val_loss)
    >>> opt.lr
    0.5
    """

    def __init__(self, optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float = 0.0, eps: float = 1e-8):
        super().__init__(optimizer)
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        if not 0.0 <= factor < 1.0:
            raise ValueError(f"factor must be in [0, 1): the rate should shrink, got {factor!r}")
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lr, self.eps = cooldown, min_lr, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def is_better(self, value: float, best: float) -> bool:
        """Whether ``value`` improves on ``best`` by more than the threshold."""
        relative = self.threshold_mode == "rel"
        if self.mode == "min":
            return value < (best * (1 - self.threshold) if relative else best - self.threshold)
        return value > (best * (1 + self.threshold) if relative else best + self.threshold)

    def step(self, metric) -> None:
        """End an epoch with the monitored ``metric`` (e.g. the validation loss)."""
        value = float(metric)
        self.last_epoch += 1
        if self.is_better(value, self.best):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:  # bad epochs during a cooldown do not count
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            new_lr = max(self.optimizer.lr * self.factor, self.min_lr)
            if self.optimizer.lr - new_lr > self.eps:
                self.optimizer.lr = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
