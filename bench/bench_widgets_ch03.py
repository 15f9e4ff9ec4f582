"""How fast do chapter 03's panels react?  Goal: < 100 ms per update at the defaults.

Builds each panel, changes each control a few times, and prints per panel the median time of
its compute function alone and of a whole update (compute + draw + PNG render).

    python bench/bench_widgets_ch03.py
"""

from __future__ import annotations

import statistics
import time

from dlcourse.widgets.graphs import e_graph_panel, neuron_panel, student_graph_panel

CHANGES = {
    "e_graph_panel": {"a": [1.0, -2.5, 3.0, 2.0], "b": [0.0, 2.5, -1.0, 1.0]},
    "neuron_panel": {"x": [1.0, -1.0, 2.0], "w": [1.5, -0.5, 0.5], "b": [0.25, -1.0, -0.5],
                     "activation": ["sigmoid", "relu", "tanh"]},
    "student_graph_panel": {"student_id": ["136", "... 8 0 1", "98765432", "12345678"]},
}
FACTORIES = {"e_graph_panel": e_graph_panel, "neuron_panel": neuron_panel,
             "student_graph_panel": student_graph_panel}


def bench(name: str) -> tuple[float, float, int]:
    """Median compute and update time in ms over every control change, and the count."""
    panel = FACTORIES[name]()
    compute_ms, update_ms = [], []
    for control, values in CHANGES[name].items():
        for value in values:
            panel.controls[control].value = value          # triggers a full update
            update_ms.append(panel.last_update_ms)
            start = time.perf_counter()
            panel.compute(**panel.values())
            compute_ms.append(1e3 * (time.perf_counter() - start))
    return statistics.median(compute_ms), statistics.median(update_ms), len(update_ms)


def main() -> None:
    print(f"{'panel':<22}{'changes':>8}{'compute ms':>12}{'update ms':>11}")
    for name in FACTORIES:
        compute, update, n = bench(name)
        flag = "" if update < 100 else "   (over 100 ms)"
        print(f"{name:<22}{n:>8}{compute:>12.2f}{update:>11.1f}{flag}")


if __name__ == "__main__":
    main()
