"""Plots for chapter 03: finite-difference error, gradient cost, edge visits, flipped kernels.

Graph drawings themselves come from :mod:`~dlcourse.chapters.backprop.drawing`.  Every function
draws into the ``Axes`` or ``Figure`` it is given and returns it.

Examples
--------
>>> from matplotlib.figure import Figure
>>> ax = plot_finite_difference_error(Figure().add_subplot())
>>> ax.get_xscale(), ax.get_yscale()
('log', 'log')
"""

from __future__ import annotations

import numpy as np

from dlcourse.chapters.backprop.numeric import (
    SCHEMES,
    finite_difference_error,
    finite_difference_error_model,
)

__all__ = [
    "plot_edge_visits",
    "plot_finite_difference_error",
    "plot_flipped_kernel",
    "plot_gradient_cost",
]

_SCHEME_COLORS = {"forward": "tab:blue", "central": "tab:orange"}


def plot_finite_difference_error(ax, eps=None, *, dtype=np.float64):
    """Error of forward and central differences vs step size, with the error model dashed.

    Parameters
    ----------
    ax : matplotlib Axes
    eps : ndarray, optional
        Step sizes; ``logspace(-16, 0, 97)`` by default.
    dtype : numpy float dtype
        Precision of the arithmetic.
    """
    eps = np.logspace(-16, 0, 97) if eps is None else np.asarray(eps, dtype=np.float64)
    for scheme in SCHEMES:
        color = _SCHEME_COLORS[scheme]
        err = finite_difference_error(eps, scheme=scheme, dtype=dtype)
        shown = np.maximum(err, 1e-17)                  # an exact 0 cannot be drawn on a log axis
        ax.loglog(eps, shown, "o", ms=3, color=color, label=f"{scheme} difference (measured)")
        trunc, roff = finite_difference_error_model(eps, scheme=scheme, dtype=dtype)
        ax.loglog(eps, trunc + roff, "--", color=color, lw=1.2,
                  label=f"{scheme}: truncation + round-off (model)")
        model = trunc + roff
        best = eps[np.argmin(model)]                    # the model's optimum: stable, not noisy
        ax.plot(best, model.min(), "D", color=color, ms=7, mec="black")
        ax.annotate(f"best ε ≈ {best:.0e}", (best, model.min()), xytext=(10, -14),
                    textcoords="offset points", fontsize=8, color=color,
                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.85))
    ax.text(0.03, 0.04, "round-off ∝ 1/ε dominates", transform=ax.transAxes, fontsize=9,
            color="0.3")
    ax.text(0.97, 0.04, "truncation ∝ ε (forward), ε² (central) dominates",
            transform=ax.transAxes, fontsize=9, color="0.3", ha="right")
    name = np.dtype(dtype).name
    ax.set(title=f"Derivative of sin at x = 1 by finite differences ({name})",
           xlabel="step size ε", ylabel="|numeric − exact|", ylim=(1e-17, 10.0))
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_gradient_cost(ax, rows):
    """Loss evaluations for one gradient vs number of parameters (rows of ``gradient_cost``)."""
    n = np.array([r.num_params for r in rows])
    ax.loglog(n, [r.forward_difference_evals for r in rows], "o-",
              label="forward differences: n + 1 evaluations")
    ax.loglog(n, [r.central_difference_evals for r in rows], "s-",
              label="central differences: 2n evaluations")
    ax.loglog(n, [r.backprop_forward_passes + r.backprop_backward_passes for r in rows], "^-",
              label="backprop: 1 forward + 1 backward pass")
    ax.set(title="What one gradient costs", xlabel="number of parameters n",
           ylabel="passes through the network")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_edge_visits(ax, rows):
    """Edge visits of sum over paths vs reverse mode per depth (rows of ``edge_visit_table``)."""
    depth = [r.depth for r in rows]
    ax.semilogy(depth, [r.sum_over_paths for r in rows], "o-", color="tab:red",
                label=r"sum over paths: $2d \cdot 2^d$ (d = depth)")
    ax.semilogy(depth, [r.reverse_mode for r in rows], "s-", color="tab:green",
                label=r"reverse mode (backprop): $4d$")
    ax.set(title="Cost of d out/d x on a chain of diamonds", xlabel="depth (number of diamonds)",
           ylabel="edge visits (log scale)", xticks=depth)
    ax.legend(loc="upper left", fontsize="small")
    return ax


def _matrix(ax, a, title):
    a = np.asarray(a)
    ax.imshow(a, cmap="coolwarm", vmin=-np.abs(a).max(), vmax=np.abs(a).max())
    for (i, j), v in np.ndenumerate(a):
        ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=9)
    ax.set(title=title, xticks=[], yticks=[])


def plot_flipped_kernel(fig, demo):
    """Kernel, flipped kernel, ``dout`` and ``dx`` of a
    :class:`~dlcourse.chapters.backprop.FlipDemo`."""
    axes = fig.subplots(1, 5, width_ratios=[2, 2, 5, 4, 4])
    _matrix(axes[0], demo.w, "kernel w")
    _matrix(axes[1], demo.flipped, "w turned 180°")
    k = np.asarray(demo.w).shape[0]
    _matrix(axes[2], np.pad(demo.dout, k - 1), f"dout, zero-padded\nby k − 1 = {k - 1}")
    _matrix(axes[3], demo.dx_backward, "dx: conv2d_backward")
    _matrix(axes[4], demo.dx_flipped_conv, "dx: full conv of dout\nwith flipped w")
    fig.suptitle("Backprop through a convolution = convolution with the flipped kernel")
    return fig
