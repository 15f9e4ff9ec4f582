"""Real data sets, downloaded once: MNIST, Fashion-MNIST and CIFAR-10.

The course runs offline on the bundled digits and generated shapes; these are for scaling a
chapter's model up when a network is at hand.  Each loader downloads what is missing (with
a progress bar), verifies it against the checksums torchvision publishes for the same files
and keeps it in the cache (:mod:`dlcourse.data.cache`: ``DLCOURSE_DATA``, a mirror in
``DLCOURSE_DATA_URL``).  :func:`available` tells, without the network, whether a data set
is already there -- the notebooks' "scale up" sections run only then.

Arrays follow :func:`dlcourse.data.digits`: images NCHW float32 in [0, 1]
(``normalize=False``: uint8 0..255), labels int64 0..9.

=================  ==========================  ==================  ==============
name               train / test                image               files
=================  ==========================  ==================  ==============
``mnist``          60,000 / 10,000             (1, 28, 28) grey    4 × IDX gzip
``fashion_mnist``  60,000 / 10,000             (1, 28, 28) grey    4 × IDX gzip
``cifar10``        50,000 / 10,000             (3, 32, 32) colour  1 tar.gz, 163 MB
=================  ==========================  ==================  ==============

>>> sorted(DATASETS)
['cifar10', 'fashion_mnist', 'mnist']
>>> DATASETS["fashion_mnist"].classes[:3]
('T-shirt/top', 'Trouser', 'Pullover')
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlcourse.data.cache import MIRROR_ENV, DatasetUnavailable, cache_dir, fetch, is_verified
from dlcourse.data.cifar import read_cifar10
from dlcourse.data.idx import read_idx

__all__ = ["DATASETS", "RealDataset", "available", "cifar10", "download", "fashion_mnist",
           "mnist"]


@dataclass(frozen=True)
class RealDataset:
    """Where a data set is published, its files with their MD5s, and its class names."""

    name: str
    url: str
    files: tuple[tuple[str, str], ...]
    classes: tuple[str, ...]

    def path(self, filename: str) -> Path:
        """Place of ``filename`` in the cache: ``<cache>/<name>/<filename>``."""
        return cache_dir() / self.name / filename

    def file_url(self, filename: str) -> str:
        """The URL of ``filename``: on the mirror in ``DLCOURSE_DATA_URL`` if one is set."""
        mirror = os.environ.get(MIRROR_ENV)
        base = f"{mirror.rstrip('/')}/{self.name}/" if mirror else self.url
        return base + filename


def _idx_files(train_images, train_labels, test_images, test_labels):
    names = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    return tuple(zip(names, (train_images, train_labels, test_images, test_labels),
                     strict=True))


DATASETS = {d.name: d for d in (
    RealDataset("mnist", "https://ossci-datasets.s3.amazonaws.com/mnist/",
                _idx_files("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
                           "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"),
                tuple(str(d) for d in range(10))),
    RealDataset("fashion_mnist", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                _idx_files("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                           "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"),
                ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot")),
    RealDataset("cifar10", "https://www.cs.toronto.edu/~kriz/",
                (("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a"),),
                ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                 "truck")),
)}


def _dataset(name: str) -> RealDataset:
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {sorted(DATASETS)}")
    return DATASETS[name]


def available(name: str) -> bool:
    """True when every file of data set ``name`` is in the cache and verified (no network)."""
    dataset = _dataset(name)
    return all(is_verified(dataset.path(f), md5) for f, md5 in dataset.files)


def download(name: str, *, progress: bool = True) -> Path:
    """Download (or resume, or just verify) every file of data set ``name``.

    Returns
    -------
    Path
        The data set's folder in the cache.

    Raises
    ------
    DatasetUnavailable
        With one sentence saying which file to put where, if a file cannot be had.
    """
    dataset = _dataset(name)
    for filename, md5 in dataset.files:
        fetch(dataset.file_url(filename), dataset.path(filename), md5, progress=progress)
    return cache_dir() / dataset.name


def _files(name: str, download_missing: bool, progress: bool) -> dict[str, Path]:
    """The verified paths of data set ``name``'s files, downloading them if allowed."""
    dataset = _dataset(name)
    if download_missing:
        download(name, progress=progress)
    else:
        for filename, md5 in dataset.files:
            if not is_verified(dataset.path(filename), md5):
                raise DatasetUnavailable(
                    f"{name} is not downloaded yet: call dlcourse.data.download({name!r}) or "
                    f"pass download=True (it fetches {dataset.file_url(filename)} and the "
                    f"others into {dataset.path(filename).parent}).")
    return {filename: dataset.path(filename) for filename, _ in dataset.files}


def _images(images: np.ndarray, normalize: bool, flatten: bool) -> np.ndarray:
    """uint8 NCHW images as the loaders return them."""
    X = images.astype(np.float32) / 255.0 if normalize else images
    return X.reshape(len(X), -1) if flatten else X


def _idx_dataset(name: str, train: bool, normalize: bool, flatten: bool, download_missing: bool,
                 progress: bool) -> tuple[np.ndarray, np.ndarray]:
    files = _files(name, download_missing, progress)
    prefix = "train" if train else "t10k"
    images = read_idx(files[f"{prefix}-images-idx3-ubyte.gz"])  # (n, 28, 28) uint8
    labels = read_idx(files[f"{prefix}-labels-idx1-ubyte.gz"])  # (n,) uint8
    if images.ndim != 3 or labels.shape != images.shape[:1] or images.dtype != np.uint8:
        raise ValueError(f"{name}: the IDX files hold images {images.shape} and labels "
                         f"{labels.shape}; expected (n, rows, cols) uint8 and (n,)")
    return _images(images[:, None], normalize, flatten), labels.astype(np.int64)


def mnist(*, train: bool = True, normalize: bool = True, flatten: bool = False,
          download: bool = True, progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """MNIST handwritten digits: images ``(n, 1, 28, 28)`` float32 and labels ``(n,)`` int64.

    Parameters
    ----------
    train : bool
        The 60,000 training images, or the 10,000 test images.
    normalize : bool
        Pixels in [0, 1] as float32; otherwise the stored uint8 0..255.
    flatten : bool
        Return ``X`` as ``(n, 784)``.
    download : bool
        Download missing files (else raise :class:`DatasetUnavailable`).
    progress : bool
        Show download progress.
    """
    return _idx_dataset("mnist", train, normalize, flatten, download, progress)


def fashion_mnist(*, train: bool = True, normalize: bool = True, flatten: bool = False,
                  download: bool = True, progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST (Zalando's clothes, 10 classes): as :func:`mnist`, same shapes."""
    return _idx_dataset("fashion_mnist", train, normalize, flatten, download, progress)


def cifar10(*, train: bool = True, normalize: bool = True, download: bool = True,
            progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10: images ``(n, 3, 32, 32)`` float32 (RGB) and labels ``(n,)`` int64.

    ``n`` is 50,000 (``train=True``) or 10,000; the other parameters as in :func:`mnist`.
    """
    files = _files("cifar10", download, progress)
    images, labels = read_cifar10(files["cifar-10-python.tar.gz"], train=train)
    return _images(images, normalize, False), labels
