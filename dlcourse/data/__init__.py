"""Offline data sets and data utilities for the course.

Everything is generated locally (or read from scikit-learn's bundled digits) -- except the
optional real data sets below, downloaded only when asked for.
Data sets are deterministic given ``seed`` (an int, ``None`` or a NumPy ``Generator``) and
returned as NumPy arrays -- features float32, labels int64 -- on every machine; move them
to the GPU with :func:`to_backend`.

* 2-D toys: :func:`xor`, :func:`xor_truth_table`, :func:`spirals`, :func:`moons`,
  :func:`blobs`, :func:`linearly_separable`, :func:`gaussian_mixture` (GANs).
* Images: :func:`digits` (N, 1, 8, 8), :func:`shapes_segmentation`, :func:`shapes_detection`.
* Augmentation (NumPy or CuPy): :func:`shift`, :func:`rotate`, :func:`scale`,
  :func:`add_noise`, :func:`flip_horizontal`, :func:`random_augment`.
* Real data sets, downloaded once into a cache (:mod:`dlcourse.data.real`): :func:`mnist`,
  :func:`fashion_mnist`, :func:`cifar10`; :func:`available` says whether one is cached,
  :func:`download` fetches it.
* Workflow: :func:`train_val_test_split`, :func:`minibatches`, :func:`standardize`,
  :func:`imbalance`, :func:`oversample`, :func:`to_backend`.

>>> from dlcourse import data
>>> X, y = data.moons(100, noise=0.1, seed=0)
>>> X.shape, X.dtype, y.dtype
((100, 2), dtype('float32'), dtype('int64'))
"""

from dlcourse.data.augment import (
    add_noise,
    flip_horizontal,
    random_augment,
    rotate,
    scale,
    shift,
)
from dlcourse.data.cache import DatasetUnavailable
from dlcourse.data.digits import bilinear_matrix, digits
from dlcourse.data.real import DATASETS, available, cifar10, download, fashion_mnist, mnist
from dlcourse.data.shapes import (
    SEGMENTATION_CLASSES,
    SHAPE_NAMES,
    shape_mask,
    shapes_detection,
    shapes_segmentation,
)
from dlcourse.data.splits import (
    Split,
    imbalance,
    minibatches,
    oversample,
    standardize,
    to_backend,
    train_val_test_split,
)
from dlcourse.data.toy2d import (
    blobs,
    gaussian_mixture,
    linearly_separable,
    mixture_centers,
    moons,
    spirals,
    xor,
    xor_truth_table,
)

__all__ = [
    "DATASETS", "SEGMENTATION_CLASSES", "SHAPE_NAMES", "DatasetUnavailable", "Split",
    "add_noise", "available", "bilinear_matrix", "blobs", "cifar10", "digits", "download",
    "fashion_mnist", "flip_horizontal", "gaussian_mixture", "imbalance", "linearly_separable",
    "minibatches", "mixture_centers", "mnist", "moons", "oversample", "random_augment", "rotate",
    "scale", "shape_mask", "shapes_detection", "shapes_segmentation", "shift", "spirals",
    "standardize", "to_backend", "train_val_test_split", "xor", "xor_truth_table",
]
