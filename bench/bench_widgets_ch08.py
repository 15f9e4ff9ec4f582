"""Benchmark the chapter 08 panel: median compute time and full update time.

Trains the runs the panel shows once (as the notebook does: plain and residual nets of
depth 8, 20, 32 and 56 on the digits), then changes each control a few times and reports
the median time of the compute function alone and of a whole update (compute + draw + PNG
render, ``Panel.last_update_ms``).  The course asks for updates under 100 ms.

Run: ``python bench/bench_widgets_ch08.py``
"""

from __future__ import annotations

import statistics
import time

import torch

from dlcourse.residual import degradation_experiment
from dlcourse.widgets.residual import depth_panel

ROUNDS = 3   # times each control is cycled through its values


def _bench(panel, changes):
    """Apply every ``(control, value)`` change ``ROUNDS`` times; time compute and update."""
    compute_ms, update_ms = [], []
    for _ in range(ROUNDS):
        for name, value in changes:
            panel.controls[name].value = value
            update_ms.append(panel.last_update_ms)
            start = time.perf_counter()
            panel.compute(**panel.values())
            compute_ms.append(1000 * (time.perf_counter() - start))
    return statistics.median(compute_ms), statistics.median(update_ms)


def main():
    torch.set_num_threads(1)
    start = time.perf_counter()
    runs = degradation_experiment((8, 20, 32, 56))
    print(f"training the runs once: {time.perf_counter() - start:.1f} s")
    panel = depth_panel(runs)
    changes = [("depth", 8), ("depth", 20), ("depth", 32), ("depth", 56),
               ("when", "trained"), ("when", "init")]
    compute, update = _bench(panel, changes)
    print(f"{'panel':40s} {'compute ms':>10s} {'update ms':>10s}")
    print(f"{'depth: plain vs residual':40s} {compute:10.1f} {update:10.1f}")


if __name__ == "__main__":
    main()
