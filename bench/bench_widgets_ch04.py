"""Benchmark the chapter 04 panels: median compute time and full update time per panel.

Builds each panel, changes each control a few times and reports, per panel, the median
time of the compute function alone and of a whole update (compute + draw + PNG render,
``Panel.last_update_ms``).  The course asks for updates under 100 ms at default settings.

Run: ``python bench/bench_widgets_ch04.py``
"""

from __future__ import annotations

import statistics
import time

from dlcourse.widgets.optimisation import minibatch_panel, optimizer_race_panel

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
        "optimiser race (defaults: bumps, 3 optimisers, 100 steps)": (optimizer_race_panel(), [
            ("lr", 0.05), ("lr", 0.1), ("beta", 0.5), ("beta", 0.9), ("x0", 1.0), ("x0", -0.5),
            ("y0", -1.0), ("y0", -2.5), ("optimizers", ("SGD", "Nesterov", "RMSProp", "NAdam")),
            ("optimizers", ("SGD", "Momentum", "Adam")),
            ("surface", "quadratic"), ("condition_number", 30.0), ("condition_number", 10.0),
            ("surface", "bumps"),
        ]),
        "minibatch noise (defaults: B = 32, 3 epochs)": (minibatch_panel(), [
            ("batch_size", 8), ("batch_size", 128), ("batch_size", 32), ("lr", 0.3),
            ("lr", 0.1), ("epochs", 1.0), ("epochs", 3.0),
        ]),
    }
    print(f"{'panel':60s} {'compute ms':>10s} {'update ms':>10s}")
    for name, (panel, changes) in panels.items():
        compute, update = _bench(panel, changes)
        print(f"{name:60s} {compute:10.1f} {update:10.1f}")


if __name__ == "__main__":
    main()
