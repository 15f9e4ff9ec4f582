"""Benchmark the chapter 06 panels: median compute time and full update time per panel.

Builds each panel, changes each control a few times and reports, per panel, the median
time of the compute function alone and of a whole update (compute + draw + PNG render,
``Panel.last_update_ms``).  The course asks for updates under 100 ms at default settings.
On a shared machine wall times grow with the load, so the CPU time of the update (process
time, which other processes do not inflate) is printed too.
The architecture tables are cached after their first build (one forward pass on PyTorch's
``meta`` device each), so the first change to each architecture is reported separately.

Run: ``python bench/bench_widgets_ch06.py``
"""

from __future__ import annotations

import statistics
import time

from dlcourse.architectures import ARCHITECTURES, DESIGN_64, DESIGN_64_GAP, architecture_summary
from dlcourse.widgets.architectures import architecture_panel, design_panel

ROUNDS = 3   # times each control is cycled through its values


def _bench(panel, changes):
    """Apply every ``(control, value)`` change ``ROUNDS`` times; time compute and update."""
    compute_ms, update_ms, cpu_ms = [], [], []
    for _ in range(ROUNDS):
        for name, value in changes:
            cpu = time.process_time()
            panel.controls[name].value = value
            cpu_ms.append(1000 * (time.process_time() - cpu))
            update_ms.append(panel.last_update_ms)
            start = time.perf_counter()
            panel.compute(**panel.values())
            compute_ms.append(1000 * (time.perf_counter() - start))
    return tuple(statistics.median(v) for v in (compute_ms, update_ms, cpu_ms))


def main():
    first_build = {}
    for name in ARCHITECTURES:
        start = time.perf_counter()
        architecture_summary(name)
        first_build[name] = 1000 * (time.perf_counter() - start)
    print("first (uncached) table per architecture, ms:",
          ", ".join(f"{name} {ms:.0f}" for name, ms in first_build.items()))
    panels = {
        "architecture explorer (all architectures, grouped or not)": (architecture_panel(), [
            *(("name", name) for name in ARCHITECTURES), ("group", False),
            *(("name", name) for name in ARCHITECTURES), ("group", True),
        ]),
        "design your CNN (64x64x3 default)": (design_panel(), [
            ("spec", DESIGN_64_GAP), ("spec", "C16 R P L20"), ("spec", DESIGN_64),
            ("size", 128), ("size", 64), ("channels", 1), ("channels", 3),
        ]),
    }
    print(f"{'panel':60s} {'compute ms':>10s} {'update ms':>10s} {'update CPU ms':>13s}")
    for name, (panel, changes) in panels.items():
        compute, update, cpu = _bench(panel, changes)
        print(f"{name:60s} {compute:10.1f} {update:10.1f} {cpu:13.1f}")


if __name__ == "__main__":
    main()
