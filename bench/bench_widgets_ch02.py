"""Benchmark the chapter 02 panels: median compute time and full update time per panel.

Builds each panel, changes each control a few times and reports, per panel, the median
time of the compute function alone and of a whole update (compute + draw + PNG render,
``Panel.last_update_ms``).  The course asks for updates under 100 ms at default settings.

Run: ``python bench/bench_widgets_ch02.py``
"""

from __future__ import annotations

import statistics
import time

from dlcourse.widgets.neurons import activation_panel, xor_mlp_panel

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
        "activation explorer": (activation_panel(), [
            ("activation", "tanh"), ("activation", "relu"), ("activation", "selu"),
            ("x_max", 8.0), ("x_max", 5.0), ("activation", "sigmoid"),
        ]),
        "XOR MLP (defaults: 4 hidden, 500 epochs, 100 points)": (xor_mlp_panel(), [
            ("hidden", 3), ("hidden", 4), ("activation", "relu"), ("activation", "tanh"),
            ("lr", 1.0), ("lr", 0.5), ("init_scale", 2.0), ("init_scale", 1.0),
            ("seed", 1), ("seed", 0),
        ]),
    }
    print(f"{'panel':55s} {'compute ms':>10s} {'update ms':>10s}")
    for name, (panel, changes) in panels.items():
        compute, update = _bench(panel, changes)
        print(f"{name:55s} {compute:10.1f} {update:10.1f}")


if __name__ == "__main__":
    main()
