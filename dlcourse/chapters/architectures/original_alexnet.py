"""The AlexNet of the 2012 paper: two GPUs, 96 first-layer filters, local response normalisation.

Krizhevsky, Sutskever and Hinton split their network over two GTX 580 GPUs (3 GB each):
every layer's kernels are halved between the GPUs (conv1: 48 + 48 of the 96 filters), and
conv2, conv4 and conv5 see only the maps on their own GPU -- in PyTorch terms a grouped
convolution with ``groups=2``.  Only conv3 and the fully connected layers read from both.
After conv1 and conv2 (each after its ReLU) comes *local response normalisation* (LRN),
then an *overlapping* 3x3 max pool with stride 2.  :func:`original_alexnet` builds that
network in PyTorch (60,965,224 parameters); the course's ``zoo.alexnet`` is torchvision's
one-GPU variant without LRN (61,100,840).

>>> [(r.name, r.per_gpu, r.sees, r.params) for r in original_alexnet_layers()][:2]
[('conv1', 48, 'image', 34944), ('conv2', 128, 'own GPU', 307456)]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlcourse._validate import check_array, check_positive

__all__ = ["LRN_PAPER", "AlexNetLayer", "local_response_norm", "original_alexnet",
           "original_alexnet_layers"]

# The paper's LRN hyperparameters (section 3.3): n = 5 neighbouring maps, k, alpha, beta.
LRN_PAPER = {"size": 5, "alpha": 1e-4, "beta": 0.75, "k": 2.0}


def local_response_norm(a, size: int = 5, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 2.0):
    """Local response normalisation across channels, in the paper's form.

    ``b[:, i] = a[:, i] / (k + alpha * sum_j a[:, j]**2) ** beta``, the sum over the
    ``size`` channels ``j`` around ``i`` (from ``i - size // 2`` to ``i + (size - 1) // 2``,
    clipped at the first and last channel).  A map is damped where its neighbours respond
    strongly at the same position: "lateral inhibition" between feature maps.

    ``torch.nn.LocalResponseNorm(size, alpha, beta, k)`` divides its ``alpha`` by
    ``size``; the paper's layer is ``LocalResponseNorm(5, alpha=5 * 1e-4, beta=0.75, k=2)``.

    Parameters
    ----------
    a : ndarray, shape (N, C, ...), float
    size : int
        Number of neighbouring channels summed over (``n`` in the paper).
    alpha, beta, k : float

    Returns
    -------
    ndarray, same shape and dtype as ``a``

    Examples
    --------
    >>> a = np.array([[[[1.0]], [[2.0]], [[3.0]]]])        # (1, 3, 1, 1)
    >>> local_response_norm(a, size=3, alpha=1.0, beta=1.0, k=1.0).ravel().round(4).tolist()
    [0.1667, 0.1333, 0.2143]
    """
    check_array(a, "a", floating=True)
    if a.ndim < 2:
        raise ValueError(f"a must have shape (N, C, ...), got {a.shape}")
    check_positive(size, "size")
    squares = np.pad(a.astype(np.float64) ** 2,
                     [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (a.ndim - 2))
    window = np.cumsum(squares, axis=1)
    window = np.concatenate([window[:, size - 1:size], window[:, size:] - window[:, :-size]],
                            axis=1)                               # sums of `size` channels
    return (a / (k + alpha * window) ** beta).astype(a.dtype)


class AlexNetLayer(NamedTuple):
    """One weighted layer of the two-GPU AlexNet."""

    name: str
    kernels: int        # on both GPUs together
    per_gpu: int
    kernel_shape: str   # height x width x input depth of one kernel
    sees: str           # 'image', 'own GPU' or 'both GPUs'
    output: str
    params: int         # weights and biases, both GPUs


# name, kernels, kernel size, input depth, reads from, output size (the paper's Figure 2)
_LAYERS = (
    ("conv1", 96, 11, 3, "image", "55x55x96"),
    ("conv2", 256, 5, 48, "own GPU", "27x27x256"),
    ("conv3", 384, 3, 256, "both GPUs", "13x13x384"),
    ("conv4", 384, 3, 192, "own GPU", "13x13x384"),
    ("conv5", 256, 3, 192, "own GPU", "13x13x256"),
    ("fc6", 4096, 6, 256, "both GPUs", "4096"),       # a 6x6x256 volume, flattened
    ("fc7", 4096, 1, 4096, "both GPUs", "4096"),
    ("fc8", 1000, 1, 4096, "both GPUs", "1000"),
)


def original_alexnet_layers() -> list[AlexNetLayer]:
    """The weighted layers as the paper describes them, counted by hand.

    A kernel has ``F * F * depth`` weights and one bias; the depth is halved where a layer
    reads only its own GPU's maps (48 of conv1's 96, 192 of conv3's and conv4's 384).

    >>> sum(r.params for r in original_alexnet_layers())     # "60 million parameters"
    60965224
    """
    return [AlexNetLayer(name, kernels, kernels // 2, f"{size}x{size}x{depth}", sees, out,
                         kernels * (size * size * depth + 1))
            for name, kernels, size, depth, sees, out in _LAYERS]


def original_alexnet(num_classes: int = 1000, *, dropout: float = 0.5):
    """The 2012 AlexNet as a one-device PyTorch model, the GPU split as ``groups=2``.

    Input ``(N, 3, 227, 227)`` (the paper says 224, but only 227 gives its 55x55 maps),
    output logits ``(N, num_classes)``.  LRN uses the paper's constants (see
    :func:`local_response_norm` for torch's ``alpha``).

    >>> import torch
    >>> with torch.device("meta"):
    ...     original_alexnet()(torch.zeros(1, 3, 227, 227)).shape
    torch.Size([1, 1000])
    """
    from torch import nn

    def lrn():
        return nn.LocalResponseNorm(LRN_PAPER["size"], alpha=LRN_PAPER["size"] *
                                    LRN_PAPER["alpha"], beta=LRN_PAPER["beta"],
                                    k=LRN_PAPER["k"])

    features = nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True), lrn(),     # (N, 96, 55, 55)
        nn.MaxPool2d(3, stride=2),                                        # (N, 96, 27, 27)
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True), lrn(),
        nn.MaxPool2d(3, stride=2),                                        # (N, 256, 13, 13)
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),         # reads both GPUs
        nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True),
        nn.MaxPool2d(3, stride=2),                                        # (N, 256, 6, 6)
    )
    classifier = nn.Sequential(
        nn.Flatten(),
        nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True), nn.Dropout(dropout),
        nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(dropout),
        nn.Linear(4096, num_classes),
    )
    return nn.Sequential(features, classifier)
