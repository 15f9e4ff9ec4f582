"""Benchmark the chapter 07 panel: median compute time and full update time.

Builds the signal-propagation panel, changes each control a few times and reports the
median time of the compute function alone and of a whole update (compute + draw + PNG
render, ``Panel.last_update_ms``).  The course asks for updates under 100 ms.

Run: ``python bench/bench_widgets_ch07.py``
"""

from __future__ import annotations

import statistics
import time

from dlcourse.widgets.training import signal_panel

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
        "signal explorer (defaults: depth 10, width 128, batch 128)": (signal_panel(), [
            ("init", "small"), ("init", "he"), ("activation", "relu"), ("init", "large"),
            ("depth", 20), ("depth", 10), ("activation", "selu"), ("init", "lecun"),
            ("bias_init", 0.1), ("bias_init", 0.0), ("activation", "tanh"), ("init", "xavier"),
        ]),
    }
    print(f"{'panel':60s} {'compute ms':>10s} {'update ms':>10s}")
    for name, (panel, changes) in panels.items():
        compute, update = _bench(panel, changes)
        print(f"{name:60s} {compute:10.1f} {update:10.1f}")


if __name__ == "__main__":
    main()
