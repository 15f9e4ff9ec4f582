"""Benchmark the chapter 01 panels: median compute time and full update time per panel.

Builds each panel, changes each control a few times and reports, per panel, the median
time of the compute function alone and of a whole update (compute + draw + PNG render,
``Panel.last_update_ms``).  The course asks for updates under 100 ms at default settings.

Run: ``python bench/bench_widgets_ch01.py``
"""

from __future__ import annotations

import statistics
import time

from dlcourse.widgets.knn import knn_panel, search_panel

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
    panels = {
        "k-NN (200 train points, 100x100 grid)": (knn_panel(), [
            ("k", 1), ("k", 15), ("k", 5), ("metric", "manhattan"), ("metric", "cosine"),
            ("metric", "euclidean"), ("noise", 0.6), ("noise", 0.1), ("noise", 0.3),
        ]),
        "grid vs random search (200 repeats, budgets 1..100)": (search_panel(), [
            ("budget", 9), ("budget", 49), ("budget", 100), ("budget", 16),
            ("seed", 3), ("seed", 1),
        ]),
    }
    print(f"{'panel':55s} {'compute ms':>10s} {'update ms':>10s}")
    for name, (panel, changes) in panels.items():
        compute, update = _bench(panel, changes)
        print(f"{name:55s} {compute:10.1f} {update:10.1f}")


if __name__ == "__main__":
    main()
