"""Stateful layers of the engine, one concept per file; re-exported by :mod:`dlcourse.nn`."""

from dlcourse.nn.modules.activation import (
    ACTIVATIONS,
    ELU,
    SELU,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    activation,
)
from dlcourse.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d
from dlcourse.nn.modules.container import NamedSequential, Residual, Sequential
from dlcourse.nn.modules.conv import Conv2d, ConvTranspose2d
from dlcourse.nn.modules.interop import load_torch_state
from dlcourse.nn.modules.linear import Dropout, Flatten, Linear
from dlcourse.nn.modules.loss import BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss
from dlcourse.nn.modules.mlp import mlp
from dlcourse.nn.modules.module import Module
from dlcourse.nn.modules.pooling import AvgPool2d, GlobalAvgPool2d, MaxPool2d

__all__ = [
    "ACTIVATIONS",
    "ELU",
    "AvgPool2d",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "ConvTranspose2d",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "GlobalAvgPool2d",
    "Identity",
    "L1Loss",
    "LeakyReLU",
    "Linear",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "NamedSequential",
    "ReLU",
    "Residual",
    "SELU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "activation",
    "load_torch_state",
    "mlp",
]
