"""What the chapters' PyTorch training recipes share: reproducible runs, one epoch of steps.

The later chapters train their U-Net, detector and GANs with PyTorch, for speed (the engine
is taught in chapters 02-08).  Each recipe is deterministic for a seed -- the numbers a
notebook prints must be the same on every machine -- which takes one thread (one summation
order) and a seeded generator; :func:`reproducible` gives both and puts the thread count
back afterwards.

Examples
--------
>>> import numpy as np, torch
>>> model = torch.nn.Linear(3, 1)
>>> X, y = torch.ones(8, 3), torch.zeros(8, 1)
>>> with reproducible(seed=0):
...     optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
...     loss = train_epoch(model, lambda idx: ((model(X[idx]) - y[idx]) ** 2).mean(), 8,
...                        batch_size=4, optimizer=optimizer, rng=np.random.default_rng(0))
>>> loss >= 0.0
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import torch

__all__ = ["reproducible", "train_epoch"]


@contextmanager
def reproducible(seed: int | None = None) -> Iterator[None]:
    """Run torch on one thread and, if ``seed`` is given, seed its generator; restore after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)                 # one summation order: the same numbers anywhere
    try:
        if seed is not None:
            torch.manual_seed(seed)
        yield
    finally:
        torch.set_num_threads(threads)


def train_epoch(model: torch.nn.Module, loss_of: Callable[[torch.Tensor], torch.Tensor],
                n: int, *, batch_size: int, optimizer: torch.optim.Optimizer,
                rng: np.random.Generator, schedule=None) -> float:
    """One pass over ``n`` samples in minibatches, in an order drawn from ``rng``.

    ``loss_of(idx)`` is the mean loss of the samples ``idx`` (a tensor of indices);
    ``schedule`` (a torch learning-rate scheduler) steps after every minibatch.  Returns the
    mean loss over the epoch.
    """
    model.train()
    order, total = torch.from_numpy(rng.permutation(n)), 0.0
    for first in range(0, n, batch_size):
        idx = order[first:first + batch_size]
        loss = loss_of(idx)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if schedule is not None:
            schedule.step()
        total += loss.item() * len(idx)
    return total / n
