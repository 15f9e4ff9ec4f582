"""The IDX format of MNIST and Fashion-MNIST: a tiny header, then one big-endian array.

Layout (http://yann.lecun.com/exdb/mnist/): two zero bytes; one byte naming the element
type (``0x08`` unsigned byte, ``0x09`` signed byte, ``0x0B`` int16, ``0x0C`` int32,
``0x0D`` float32, ``0x0E`` float64); one byte ``ndim``; ``ndim`` sizes as big-endian
uint32; the elements in C order.  MNIST's images are ``(n, 28, 28)`` uint8 (magic number
2051 = ``0x00000803``), its labels ``(n,)`` uint8 (2049 = ``0x00000801``).  The files are
published gzipped.

>>> import numpy as np
>>> a = np.array([[1, 2], [3, 4]], dtype=np.uint8)
>>> parse_idx(idx_bytes(a)).tolist()
[[1, 2], [3, 4]]
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

__all__ = ["idx_bytes", "parse_idx", "read_idx"]

_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
          0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {dtype.newbyteorder("="): code for code, dtype in _TYPES.items()}


def parse_idx(data: bytes) -> np.ndarray:
    """The array stored in the (uncompressed) IDX bytes ``data``, in native byte order.

    Raises
    ------
    ValueError
        A header that is not IDX, or fewer or more bytes than the header announces.
    """
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _TYPES:
        raise ValueError("not an IDX file: it must start with two zero bytes and a type code "
                         f"in {sorted(_TYPES)}, got {data[:4]!r}")
    dtype, ndim = _TYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"IDX header announces {ndim} dimensions but the file ends first")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(f"IDX file of shape {shape} should have {expected} bytes, "
                         f"has {len(data)}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(
        dtype.newbyteorder("="))


def read_idx(path: Path) -> np.ndarray:
    """The array in the gzipped IDX file at ``path`` (see :func:`parse_idx`)."""
    with gzip.open(path, "rb") as f:
        return parse_idx(f.read())


def idx_bytes(array: np.ndarray) -> bytes:
    """``array`` written as IDX bytes (uncompressed): the inverse of :func:`parse_idx`."""
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    header = struct.pack(f">BBBB{array.ndim}I", 0, 0, code, array.ndim, *array.shape)
    return header + np.ascontiguousarray(array, dtype=_TYPES[code]).tobytes()
