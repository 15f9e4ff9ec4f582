"""Original vs pre-activation residual block: how much of the gradient the shortcut carries.

With the residual branch silenced (its last weights at zero, so ``F(x) = 0``), the original
block computes ``relu(x)`` and passes the upstream gradient only where ``x > 0``; the
pre-activation block computes ``x`` and passes all of it.

>>> shortcut_gradient_kept("pre-activation")
1.0
"""

from __future__ import annotations


def shortcut_gradient_kept(kind: str, *, channels: int = 8, size: int = 6,
                           seed: int = 0) -> float:
    """Fraction of the upstream gradient's entries that reach the block's input unchanged
    when the residual branch outputs zero.

    Parameters
    ----------
    kind : "original" (``relu(F(x) + x)``, :class:`dlcourse.zoo.BasicBlock`) or
        "pre-activation" (``x + F(x)``, :class:`dlcourse.zoo.PreActBlock`)

    Returns
    -------
    float in [0, 1]
    """
    import torch

    from dlcourse.zoo import BasicBlock, PreActBlock

    generator = torch.Generator().manual_seed(seed)
    if kind == "original":
        block = BasicBlock(channels, channels)
        torch.nn.init.zeros_(block.bn2.weight)
    elif kind == "pre-activation":
        block = PreActBlock(channels, channels)
        torch.nn.init.zeros_(block.conv2.weight)
    else:
        raise ValueError(f"kind must be 'original' or 'pre-activation', got {kind!r}")
    x = torch.randn(2, channels, size, size, generator=generator, requires_grad=True)
    g = torch.randn(2, channels, size, size, generator=generator)
    (block.train()(x) * g).sum().backward()
    return float((x.grad == g).double().mean())
