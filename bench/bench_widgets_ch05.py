"""Benchmark the chapter 05 panels: median compute time and full update time per panel.

Builds each panel, changes each control a few times and reports, per panel, the median
time of the compute function alone and of a whole update (compute + draw + PNG render,
``Panel.last_update_ms``), plus the CPU time of that update, which is what to compare on a
shared, loaded machine.  The course asks for updates under 100 ms at default settings.

Run: ``python bench/bench_widgets_ch05.py``
"""

from __future__ import annotations

import statistics
import time

from dlcourse.widgets.convolution import convolution_panel, receptive_field_panel

ROUNDS = 3   # times each control is cycled through its values


def _bench(panel, changes):
    """Apply every ``(control, value)`` change ``ROUNDS`` times; time compute and update."""
    compute_ms, update_ms, cpu_ms = [], [], []
    for _ in range(ROUNDS):
        for name, value in changes:
            start = time.process_time()
            panel.controls[name].value = value
            cpu_ms.append(1000 * (time.process_time() - start))
            update_ms.append(panel.last_update_ms)
            start = time.perf_counter()
            panel.compute(**panel.values())
            compute_ms.append(1000 * (time.perf_counter() - start))
    return [statistics.median(times) for times in (compute_ms, update_ms, cpu_ms)]


def main():
    panels = {
        "convolution explorer (7x7, F=3)": (convolution_panel(), [
            ("stride", 2), ("stride", 1), ("padding", 1), ("padding", 0),
            ("kernel_size", 5), ("kernel_size", 3), ("dilation", 2), ("dilation", 1),
            ("input_size", 12), ("input_size", 7), ("out_channels", 32), ("step", 4),
        ]),
        "receptive-field explorer (28x28 digit)": (receptive_field_panel(), [
            ("layers", "c3 c3 c3"), ("layers", "c3 c3 p2 c3 c3"), ("layers", "c3 c3d2 c3d4"),
            ("digit", 3), ("digit", 0),
        ]),
    }
    print(f"{'panel':40s} {'compute ms':>10s} {'update ms':>10s} {'update CPU ms':>14s}")
    for name, (panel, changes) in panels.items():
        compute, update, cpu = _bench(panel, changes)
        print(f"{name:40s} {compute:10.1f} {update:10.1f} {cpu:14.1f}")


if __name__ == "__main__":
    main()
