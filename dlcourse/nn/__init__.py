"""Neural-network building blocks: layers (modules), ``Parameter``, pure functions
(``functional``), ``init``.

>>> from dlcourse import nn
>>> from dlcourse.nn import functional as F
>>> net = nn.Sequential(nn.Linear(2, 4, rng=0), nn.ReLU(), nn.Linear(4, 1, rng=1))
>>> net.num_params()
17
"""

from dlcourse.nn import functional, init, modules
from dlcourse.nn.modules import (  # noqa: F401  re-exported, listed once in modules.__all__
    ACTIVATIONS,
    ELU,
    SELU,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    BCEWithLogitsLoss,
    Conv2d,
    ConvTranspose2d,
    CrossEntropyLoss,
    Dropout,
    Flatten,
    GlobalAvgPool2d,
    Identity,
    L1Loss,
    LeakyReLU,
    Linear,
    MaxPool2d,
    Module,
    MSELoss,
    NamedSequential,
    ReLU,
    Residual,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    activation,
    load_torch_state,
    mlp,
)
from dlcourse.nn.parameter import Parameter

__all__ = [*modules.__all__, "Parameter", "functional", "init"]
