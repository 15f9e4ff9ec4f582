"""Benchmark the chapter 09 panel: median compute time and full update time.

Builds the transposed-convolution panel, changes each control a few times and reports the
median time of the compute function alone and of a whole update (compute + draw + PNG
render, ``Panel.last_update_ms``), in wall time and in CPU time of this process (the latter
is what an idle machine would show when the machine is shared).  The course asks for
updates under 100 ms at default settings.

Run: ``python bench/bench_widgets_ch09.py``
"""

from __future__ import annotations

import statistics
import time

from dlcourse.widgets.segmentation import transposed_conv_panel

ROUNDS = 3   # times the controls are cycled through their values


def main():
    panel = transposed_conv_panel()
    changes = [("padding", 1), ("padding", 0), ("stride", 3), ("stride", 2),
               ("output_padding", 1), ("output_padding", 0), ("kernel", "ones"),
               ("kernel_size", 2), ("kernel_size", 3), ("kernel", "notes"),
               ("in_size", 3), ("in_size", 2)]
    compute_ms, update_ms, update_cpu_ms = [], [], []
    for _ in range(ROUNDS):
        for name, value in changes:
            start = time.process_time()
            panel.controls[name].value = value
            update_cpu_ms.append(1000 * (time.process_time() - start))
            update_ms.append(panel.last_update_ms)
            start = time.perf_counter()
            panel.compute(**panel.values())
            compute_ms.append(1000 * (time.perf_counter() - start))
    print(f"{'panel':32s} {'compute ms':>10s} {'update ms':>10s} {'update CPU ms':>14s}")
    print(f"{'transposed convolution':32s} {statistics.median(compute_ms):10.1f} "
          f"{statistics.median(update_ms):10.1f} {statistics.median(update_cpu_ms):14.1f}")


if __name__ == "__main__":
    main()
