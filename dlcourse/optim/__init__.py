"""Optimisers and learning-rate schedules, named and used as in ``torch.optim``.

* :mod:`~dlcourse.optim.optimizers` -- SGD (with momentum and Nesterov), AdaGrad, RMSProp, Adam,
  AdamW, AdaMax and NAdam, in order of increasing complexity; importable from here.
* :mod:`~dlcourse.optim.lr_scheduler` -- StepLR, ExponentialLR, LinearLR (warm-up),
  ReduceLROnPlateau.

>>> from dlcourse import optim
>>> optim.Adam.__name__, optim.lr_scheduler.StepLR.__name__
('Adam', 'StepLR')
"""

from dlcourse.optim import lr_scheduler
from dlcourse.optim.optimizers import (
    SGD,
    AdaGrad,
    Adam,
    AdaMax,
    AdamW,
    NAdam,
    Optimizer,
    RMSProp,
    trajectory,
)

__all__ = [
    "SGD", "AdaGrad", "AdaMax", "Adam", "AdamW", "NAdam", "Optimizer", "RMSProp", "lr_scheduler",
    "trajectory",
]
