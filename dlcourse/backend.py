"""NumPy or CuPy: the one place in dlcourse that knows which.

Two questions come up everywhere in an array library, and this module answers both:

1. *Which array module should operate on these inputs?*  -> :func:`array_module`.
   The answer follows the data: CuPy arrays in, CuPy module out; anything else, NumPy.
   There is no global state here, so one process can hold NumPy and CuPy models side by
   side and the test-suite can run both backends in one session.
2. *Where should a brand-new array live?* (weight init, datasets, random numbers)
   -> :func:`xp`, decided by the user-level switch ``DLCOURSE_BACKEND=numpy|cupy`` or
   :func:`use`.

Why this route
--------------
``cupy.get_array_module`` implements NumPy's NEP 37 dispatch, which NumPy has since
superseded; CuPy now points users to the Array API and ``array-api-compat``.  We use
``array_api_compat``'s type predicates (:func:`array_api_compat.is_cupy_array`), which
never import CuPy themselves, to decide where the data lives.  We return the *full*
NumPy/CuPy module rather than the strict Array-API namespace because a teaching engine
needs a few things the standard leaves out -- ``einsum``, strided windows, scatter-add,
padding modes and random generators -- and the learner should read ordinary NumPy code.
Those gaps are bridged once, below (:func:`scatter_add`, :func:`default_rng`,
:func:`sliding_window_view`), so no other module ever imports CuPy.

Examples
--------
>>> import numpy as np
>>> from dlcourse import backend
>>> backend.array_module(np.ones(3)) is np
True
>>> backend.to_numpy([1, 2]).tolist()
[1, 2]
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import numpy as np
from array_api_compat import is_cupy_array

__all__ = [
    "BACKENDS",
    "BackendUnavailable",
    "array_module",
    "asarray",
    "current",
    "default_rng",
    "gpu_status",
    "scatter_add",
    "sliding_window_view",
    "to_numpy",
    "use",
    "xp",
]

BACKENDS = ("numpy", "cupy")
ENV_VAR = "DLCOURSE_BACKEND"

_active: str | None = None  # resolved lazily so that importing dlcourse never fails


class BackendUnavailable(RuntimeError):
    """Raised when the requested backend cannot run on this machine."""


def _import_cupy() -> ModuleType:
    """Import CuPy and check that it can reach a GPU, or raise one clear sentence."""
    try:
        cupy = importlib.import_module("cupy")
    except ImportError:
        raise BackendUnavailable(
            "The 'cupy' backend needs CuPy, which is not installed here: install it with "
            "`pip install -e '.[gpu]'` on a machine with an NVIDIA GPU, "
            "or use DLCOURSE_BACKEND=numpy."
        ) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver missing, no device, broken install, ...
        raise BackendUnavailable(
            f"CuPy is installed but cannot reach a GPU ({type(exc).__name__}: {exc}); "
            "use DLCOURSE_BACKEND=numpy on this machine."
        ) from None
    if count < 1:
        raise BackendUnavailable(
            "CuPy is installed but found no GPU; use DLCOURSE_BACKEND=numpy on this machine."
        )
    return cupy


def _check_name(name: str) -> str:
    name = str(name).strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}: choose one of {', '.join(BACKENDS)}")
    return name


def use(name: str) -> None:
    """Choose where new arrays are created: ``"numpy"`` (CPU) or ``"cupy"`` (GPU).

    Parameters
    ----------
    name : {"numpy", "cupy"}

    Raises
    ------
    BackendUnavailable
        If ``"cupy"`` is asked for where CuPy or a GPU is missing.

    Examples
    --------
    >>> from dlcourse import backend
    >>> backend.use("numpy"); backend.current()
    'numpy'
    """
    global _active
    name = _check_name(name)
    if name == "cupy":
        _import_cupy()
    _active = name


def current() -> str:
    """Name of the active backend, read from ``DLCOURSE_BACKEND`` on first use."""
    global _active
    if _active is None:
        use(os.environ.get(ENV_VAR, "numpy") or "numpy")
    return _active


def xp() -> ModuleType:
    """The array module (``numpy`` or ``cupy``) in which new arrays are created."""
    return _import_cupy() if current() == "cupy" else np


def array_module(*arrays) -> ModuleType:
    """The array module that operates on ``arrays``: CuPy if any is a CuPy array.

    Non-array arguments (``None``, Python scalars) are ignored.

    Raises
    ------
    ValueError
        If GPU (CuPy) arrays come with host (NumPy) arrays: CuPy would refuse them later,
        deep inside the computation, with a message that does not say which was where.

    Examples
    --------
    >>> import numpy as np
    >>> array_module(np.zeros(2), None, 3.0) is np
    True
    """
    on_gpu = [is_cupy_array(a) for a in arrays]
    if not any(on_gpu):
        return np
    on_host = [isinstance(a, np.ndarray) and a.ndim > 0 and not gpu
               for a, gpu in zip(arrays, on_gpu, strict=True)]
    if any(on_host):
        places = ", ".join("GPU (CuPy)" if gpu else "host (NumPy)"
                           for gpu, host in zip(on_gpu, on_host, strict=True) if gpu or host)
        raise ValueError(f"arrays on the GPU and in host memory were mixed ({places}): put "
                         f"them on one backend first, e.g. with dlcourse.backend.asarray")
    return importlib.import_module("cupy")


def on_gpu(*arrays) -> bool:
    """Whether ``arrays`` live on the GPU (CuPy), by :func:`array_module`'s rule.

    >>> import numpy as np
    >>> on_gpu(np.zeros(2))
    False
    """
    return array_module(*arrays) is not np


def like(a, reference):
    """``a`` as an array where ``reference`` lives (host or GPU); no copy if it is there.

    >>> import numpy as np
    >>> like([1, 2], np.zeros(3)).tolist()
    [1, 2]
    """
    return array_module(reference).asarray(a) if on_gpu(reference) else to_numpy(a)


def asarray(a, dtype=None):
    """``a`` as an array of the active backend (copying to or from the GPU if needed)."""
    if is_cupy_array(a) and current() == "numpy":
        a = a.get()
    return xp().asarray(a, dtype=dtype)


def to_numpy(a) -> np.ndarray:
    """``a`` as a NumPy array on the host, e.g. for matplotlib.

    Accepts NumPy and CuPy arrays, torch tensors, lists and scalars.
    """
    if is_cupy_array(a):
        return a.get()
    if type(a).__module__.startswith("torch"):
        return a.detach().cpu().numpy()
    return np.asarray(a)


def default_rng(seed=None, *, like=None):
    """A random generator that makes arrays on the backend of ``like`` (or the active one).

    ``numpy.random.default_rng`` or ``cupy.random.default_rng``: both offer ``random``,
    ``standard_normal``, ``uniform``, ``integers`` with the same signatures.
    """
    module = array_module(like) if like is not None else xp()
    return module.random.default_rng(seed)


def scatter_add(target, indices, values) -> None:
    """In-place ``target[indices] += values`` that accumulates repeated indices.

    ``add.at`` in both NumPy and CuPy (CuPy deprecated its ``cupyx.scatter_add``).  Needed
    where windows overlap, e.g. max-pool backward.
    """
    array_module(target).add.at(target, indices, values)


def sliding_window_view(x, window_shape, axis=None):
    """Read-only strided view of all windows of ``x`` (NumPy's and CuPy's function)."""
    if is_cupy_array(x):
        from cupy.lib.stride_tricks import sliding_window_view as view
    else:
        from numpy.lib.stride_tricks import sliding_window_view as view
    return view(x, window_shape, axis=axis)


def gpu_status() -> tuple[bool, str]:
    """Whether CuPy can use a GPU here, and one sentence saying why or why not."""
    try:
        cupy = _import_cupy()
    except BackendUnavailable as exc:
        return False, str(exc)
    props = cupy.cuda.runtime.getDeviceProperties(0)
    name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    return True, f"CuPy {cupy.__version__} sees {name}."
