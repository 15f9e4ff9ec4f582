"""``Parameter``: an array a model learns, carrying its own gradient, as ``torch.nn.Parameter``.

A layer keeps each learnable array in a Parameter: ``p.data`` holds the values, ``p.grad``
the gradient of the loss with respect to them (None until a backward pass writes one).
Optimisers are handed the Parameters themselves (``model.parameters()``), not their arrays,
and read ``p.grad`` at every step -- so whatever array ``p.grad`` holds then is the one that
is used, even one rebound by hand (``p.grad = clipped``).

Examples
--------
>>> import numpy as np
>>> p = Parameter(np.array([1.0, 2.0]))
>>> p.grad is None
True
>>> p.accumulate_grad(np.array([0.5, 0.5])); p.accumulate_grad(np.array([0.5, 0.5]))
>>> p.grad.tolist()                  # gradients accumulate until they are cleared
[1.0, 1.0]
>>> p
Parameter(shape=(2,), dtype=float64)
"""

from __future__ import annotations

from dlcourse._validate import check_array
from dlcourse.backend import array_module

__all__ = ["Parameter", "data_of"]


class Parameter:
    """A learnable array ``data`` and its gradient ``grad`` (same shape, or None).

    Parameters
    ----------
    data : ndarray (NumPy or CuPy), floating point
        The initial values; kept, not copied.

    Attributes
    ----------
    data : ndarray
        The values; optimisers update them in place.
    grad : ndarray or None
        dL/d``data`` accumulated by backward passes since the last ``zero_grad``.
        Assigning checks the shape and the device, as torch does.
    """

    def __init__(self, data):
        check_array(data, "data", floating=True)
        self.data = data
        self._grad = None

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            check_array(value, "grad")
            array_module(self.data, value)     # raises if one is on the GPU, one on the host
            if tuple(value.shape) != tuple(self.data.shape):
                raise ValueError(f"grad has shape {tuple(value.shape)} but the parameter has "
                                 f"shape {tuple(self.data.shape)}")
        self._grad = value

    def accumulate_grad(self, grad) -> None:
        """Add ``grad`` into :attr:`grad` (a copy of it, in the parameter's dtype, if None)."""
        if self._grad is None:
            self.grad = array_module(self.data).array(grad, dtype=self.data.dtype)
        else:
            self._grad += grad

    def zero_grad(self) -> None:
        """Forget the gradient (``grad = None``, as torch's ``set_to_none=True``)."""
        self._grad = None

    @property
    def shape(self) -> tuple:
        return tuple(self.data.shape)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self) -> int:
        return int(self.data.size)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def __array__(self, dtype=None, copy=None):
        raise TypeError("a Parameter is not an array: use its values, p.data "
                        "(or its gradient, p.grad)")

    def __repr__(self) -> str:
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"


def data_of(param):
    """The values of ``param``, or None for None (e.g. the bias of a layer built without one)."""
    return None if param is None else param.data
