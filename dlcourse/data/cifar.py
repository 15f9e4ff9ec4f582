"""CIFAR-10's "python version": pickled batches inside ``cifar-10-python.tar.gz``.

The archive holds ``cifar-10-batches-py/data_batch_1`` ... ``data_batch_5`` (10,000 images
each) and ``test_batch``.  Each batch is a pickled dict (written by Python 2) with
``b"data"``: a ``(10000, 3072)`` uint8 array, each row one image as 1024 red, then 1024
green, then 1024 blue pixels of a 32x32 image (so ``reshape(n, 3, 32, 32)`` is NCHW), and
``b"labels"``: a list of 10,000 ints in 0..9.

Where trust ends: a pickle can run any code it names.  The archive is checked against its
published checksum before it is read, and the batches are still unpickled by
:class:`_BatchUnpickler`, which resolves only the names a NumPy array needs -- anything
else (``os.system``, ``builtins.eval`` ...) is refused -- and then the result is checked for
the shape, dtype and label range above.  Members are read straight out of the archive;
nothing is extracted to disk.
"""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

__all__ = ["FOLDER", "TEST_BATCHES", "TRAIN_BATCHES", "load_batch", "read_cifar10"]

FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCHES = ("test_batch",)
_PIXELS = 3 * 32 * 32
_MAX_MEMBER = 64 << 20  # a real batch is 31 MB

# ndarray's pickle calls its private ``_reconstruct``, whose module moved in NumPy 2
# (``numpy.core`` -> ``numpy._core``); ask NumPy for the function instead of importing it.
_reconstruct = np.ndarray((0,), np.uint8).__reduce__()[0]


def _latin1(text: str, encoding: str) -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it for bytes, and for nothing else."""
    if encoding != "latin1":
        raise pickle.UnpicklingError(f"a CIFAR batch may not encode with {encoding!r}")
    return text.encode("latin1")


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1,
}


class _BatchUnpickler(pickle.Unpickler):
    """An unpickler that can build NumPy arrays, dicts, lists and strings -- nothing else."""

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f"a CIFAR batch may not refer to {module}.{name}; refused") from None


def load_batch(data: bytes, where: str = "batch") -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, 3, 32, 32)`` uint8 and labels ``(n,)`` int64 of one pickled batch.

    Raises
    ------
    ValueError
        Not a CIFAR-10 batch (refused names, missing keys, wrong shapes or labels).
    """
    try:
        batch = _BatchUnpickler(io.BytesIO(data), encoding="bytes").load()
    except Exception as exc:  # any malformed pickle: say which member, never run it
        raise ValueError(f"{where} is not a readable CIFAR-10 batch ({exc})") from None
    if not isinstance(batch, dict):
        raise ValueError(f"{where} should hold a dict, holds {type(batch).__name__}")
    images = batch.get(b"data", batch.get("data"))
    labels = batch.get(b"labels", batch.get("labels"))
    if not (isinstance(images, np.ndarray) and images.dtype == np.uint8 and images.ndim == 2
            and images.shape[1] == _PIXELS):
        raise ValueError(f"{where}: 'data' should be a (n, {_PIXELS}) uint8 array")
    if not (isinstance(labels, list) and len(labels) == len(images)
            and all(type(k) is int and 0 <= k <= 9 for k in labels)):
        raise ValueError(f"{where}: 'labels' should be {len(images)} ints in 0..9")
    return images.reshape(-1, 3, 32, 32), np.array(labels, dtype=np.int64)


def read_cifar10(archive: Path, *, train: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The training (50,000) or test (10,000) images and labels in ``cifar-10-python.tar.gz``.

    Returns
    -------
    images : ndarray, (n, 3, 32, 32) uint8
    labels : ndarray, (n,) int64, 0..9
    """
    wanted = [f"{FOLDER}/{batch}" for batch in (TRAIN_BATCHES if train else TEST_BATCHES)]
    found = {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:  # one pass through the gzip stream, in archive order
            if member.name not in wanted:
                continue
            if not member.isfile() or member.size > _MAX_MEMBER:
                raise ValueError(f"{member.name} in {archive.name} is not a batch file")
            found[member.name] = load_batch(tar.extractfile(member).read(), member.name)
    missing = [name for name in wanted if name not in found]
    if missing:
        raise ValueError(f"{archive.name} has no member {missing[0]}")
    images, labels = zip(*(found[name] for name in wanted), strict=True)
    return np.concatenate(images), np.concatenate(labels)
