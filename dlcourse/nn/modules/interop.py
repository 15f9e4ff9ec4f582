"""Copy weights from an equivalent PyTorch model: same weights must give the same outputs.

Names are matched, not positions: a ``dlcourse.nn.Sequential(Linear, ReLU, Linear)`` and a
``torch.nn.Sequential(Linear, ReLU, Linear)`` both call their parameters ``"0.weight"``,
``"0.bias"``, ``"2.weight"``, ``"2.bias"``.  A ``Residual`` names its parts ``body`` and
``shortcut``; give a hand-written torch module attributes of those names.
"""

from __future__ import annotations

from dlcourse.backend import to_numpy

__all__ = ["load_torch_state"]


def load_torch_state(module, torch_module) -> None:
    """Copy the parameters and buffers of ``torch_module`` into ``module``, in place.

    Batch norm's ``num_batches_tracked`` counter is skipped (dlcourse does not keep it).

    Examples
    --------
    >>> import torch
    >>> import numpy as np
    >>> from dlcourse.nn import Linear
    >>> ours, theirs = Linear(3, 2), torch.nn.Linear(3, 2)
    >>> load_torch_state(ours, theirs)
    >>> np.allclose(ours.weight.data, theirs.weight.detach().numpy())
    True
    """
    state = {name: to_numpy(value) for name, value in torch_module.state_dict().items()
             if not name.endswith("num_batches_tracked")}
    module.load_state_dict(state)
