"""The base class of every layer: parameters that carry their gradients, train/eval, caches.

A module is a function with memory.  ``forward(x)`` computes the output and keeps what the
backward will need (usually ``x``); ``backward(dout)`` turns the gradient with respect to
the output into the gradient with respect to ``x`` and *adds* the gradients with respect to
the module's parameters into their ``.grad``::

    out = layer(x)              # forward: remembers x
    dx = layer.backward(dout)   # layer.weight.grad += dL/dweight ; returns dL/dx

Gradients accumulate (``+=``) across backward calls, as in PyTorch, until ``zero_grad()``:
a parameter used twice must receive the sum of both contributions.

A layer may be used more than once in one forward pass (``Sequential(lin, act, lin)``): each
forward pushes what it saves on a stack, each backward pops the latest, so the backward
calls must come in the reverse order of the forward calls -- the order in which the chain
rule walks back through the graph, and the order every container here uses.  A call of a
module from outside any module starts a new forward pass and forgets the stacks of the
previous one; a backward with nothing left to pop raises instead of reusing a stale cache.

Parameters live in attributes (``self.weight``) as :class:`~dlcourse.nn.Parameter`
objects, ``.data`` and ``.grad`` together, listed by name in ``param_names``.  Non-trainable
state that is part of the model, such as batch norm's running statistics, is a plain array
listed in ``buffer_names``.
"""

from __future__ import annotations

from dlcourse.backend import default_rng, like
from dlcourse.nn.parameter import Parameter

__all__ = ["Module"]


class _ForwardPass:
    """Which forward pass is running: a call from outside any module starts a new one."""

    depth = 0    # how many module calls are running, one inside the other
    number = 0   # counts the outermost calls


class Module:
    """Base class of the layers in :mod:`dlcourse.nn`.

    Subclasses set ``param_names`` (e.g. ``("weight", "bias")``), create the parameters with
    :meth:`set_params` in ``__init__``, and implement ``forward`` (which hands what the
    backward needs to :meth:`save_for_backward`) and ``backward`` (which takes it back with
    :meth:`pop_saved` and hands its parameter gradients to :meth:`add_grads`).
    Containers override :meth:`named_children`.

    Attributes
    ----------
    training : bool
        True after :meth:`train` (the default), False after :meth:`eval`; changes what
        Dropout and BatchNorm do.
    """

    param_names: tuple[str, ...] = ()
    buffer_names: tuple[str, ...] = ()

    def __init__(self):
        self.training = True
        self._saved = []        # one entry per forward not yet differentiated
        self._saved_in = None   # the forward pass those entries belong to

    # --- computing -----------------------------------------------------------------------

    def forward(self, x):
        """Compute the output and remember what :meth:`backward` needs."""
        raise NotImplementedError

    def backward(self, dout):
        """Return ``dL/dx`` from ``dL/dout`` and add the parameters' gradients."""
        raise NotImplementedError

    def __call__(self, *args):
        if _ForwardPass.depth == 0:
            _ForwardPass.number += 1
        _ForwardPass.depth += 1
        try:
            return self.forward(*args)
        finally:
            _ForwardPass.depth -= 1

    def save_for_backward(self, *arrays) -> None:
        """Keep arrays from this forward for its backward (pushed on this module's stack)."""
        current = _ForwardPass.number if _ForwardPass.depth else None  # None: forward() direct
        if current is None or current != self._saved_in:
            self._saved, self._saved_in = [], current
        self._saved.append(arrays)

    def pop_saved(self) -> tuple:
        """The arrays saved by the latest forward not yet differentiated (popped: used once)."""
        if not self._saved:
            raise RuntimeError(
                f"{type(self).__name__}.backward was called more often than forward in this "
                f"forward pass (or before any forward)")
        return self._saved.pop()

    # --- the tree of modules -------------------------------------------------------------

    def named_children(self) -> list[tuple[str, Module]]:
        """The direct sub-modules with their names (none for a plain layer)."""
        return []

    def modules(self):
        """This module and all its descendants, depth first."""
        yield self
        for _, child in self.named_children():
            yield from child.modules()

    # --- parameters and gradients --------------------------------------------------------

    def set_params(self, **arrays) -> None:
        """Make each array a :class:`~dlcourse.nn.Parameter` attribute (None stays None)."""
        for name, value in arrays.items():
            setattr(self, name, None if value is None else Parameter(value))

    def add_grads(self, **grads) -> None:
        """Add each gradient into its parameter's ``.grad`` (they accumulate)."""
        for name, grad in grads.items():
            param = getattr(self, name)
            if param is not None:
                param.accumulate_grad(grad)

    def named_parameters(self, prefix: str = ""):
        """Yield ``(name, parameter)`` for every parameter, children's included.

        Names are dotted paths as in ``torch.nn.Module.named_parameters``:
        ``"0.weight"`` is the weight of the first layer of a Sequential.  A parameter shared
        by two layers is listed once, under its first name.
        """
        seen = set()
        for name, param in self._all_parameters(prefix):
            if id(param) not in seen:
                seen.add(id(param))
                yield name, param

    def _all_parameters(self, prefix):
        for name in self.param_names:
            param = getattr(self, name)
            if param is not None:  # e.g. a layer built with bias=False
                yield prefix + name, param
        for child_name, child in self.named_children():
            yield from child._all_parameters(f"{prefix}{child_name}.")

    def parameters(self):
        """Yield every :class:`~dlcourse.nn.Parameter` in a fixed order: an optimiser's input."""
        for _, param in self.named_parameters():
            yield param

    def named_buffers(self, prefix: str = ""):
        """Yield ``(name, array)`` for every buffer (e.g. running statistics)."""
        for name in self.buffer_names:
            yield prefix + name, getattr(self, name)
        for child_name, child in self.named_children():
            yield from child.named_buffers(f"{prefix}{child_name}.")

    def place(self, *arrays):
        """The arrays moved to where this module's parameters live: host (NumPy) or GPU.

        No copy where they already are; a module without parameters leaves them alone.
        One array in, one array out; several in, a tuple out.

        Examples
        --------
        >>> import numpy as np
        >>> from dlcourse import nn
        >>> x, y = nn.Linear(2, 1, rng=0).place(np.ones(2), np.zeros(3))   # a NumPy model
        >>> type(x).__name__, type(y).__name__
        ('ndarray', 'ndarray')
        """
        first = next(self.parameters(), None)
        if first is not None:
            arrays = tuple(like(a, first.data) for a in arrays)
        return arrays[0] if len(arrays) == 1 else arrays

    def zero_grad(self) -> None:
        """Forget every gradient (``p.grad = None``): they accumulate until you do."""
        for param in self.parameters():
            param.zero_grad()

    def num_params(self) -> int:
        """How many numbers the parameters hold in total."""
        return sum(param.size for param in self.parameters())

    # --- train / eval --------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Switch this module and all its descendants to training mode (eval if ``mode`` False)."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode: Dropout off, BatchNorm uses its running statistics."""
        return self.train(False)

    # --- saving and loading --------------------------------------------------------------

    def state_dict(self) -> dict:
        """Copies of all parameters' values and buffers by name (PyTorch returns references)."""
        state = {name: param.data.copy() for name, param in self._all_parameters("")}
        state.update((name, buffer.copy()) for name, buffer in self.named_buffers())
        return state

    def load_state_dict(self, state: dict) -> None:
        """Copy the arrays of ``state`` into the parameters and buffers, in place (as torch).

        Names and shapes must match exactly; values are converted to each array's dtype
        and device.
        """
        targets = {name: param.data for name, param in self._all_parameters("")}
        targets.update(self.named_buffers())
        missing, unexpected = sorted(set(targets) - set(state)), sorted(set(state) - set(targets))
        if missing or unexpected:
            raise ValueError(
                f"state does not fit {type(self).__name__}: missing {missing}, "
                f"unexpected {unexpected}"
            )
        for name, target in targets.items():
            value = state[name]
            if tuple(value.shape) != tuple(target.shape):
                raise ValueError(
                    f"{name} has shape {tuple(target.shape)} but the state holds "
                    f"shape {tuple(value.shape)}"
                )
        for name, target in targets.items():
            target[...] = like(state[name], target).astype(target.dtype, copy=False)

    # --- printing ------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The hyperparameters shown between the parentheses of ``repr``."""
        return ""

    def __repr__(self) -> str:
        children = self.named_children()
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_repr}")
        return "\n".join([*lines, ")"])


def as_rng(rng):
    """A random generator from ``rng``: a generator, a seed, or None (a fresh one)."""
    return rng if hasattr(rng, "random") else default_rng(rng)
