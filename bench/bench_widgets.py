"""How long does a widget panel take to answer a slider? Every chapter's panels, timed.

For each panel: build it, apply a list of control changes (each a full update, as in
JupyterLab) ``--rounds`` times, and print over all those updates

* ``compute``: median ms of the panel's plain ``dlcourse`` function alone (all the frames
  of a streaming one);
* ``update`` median and p90: wall ms of the whole update -- compute, draw, and the PNG that
  goes to the browser -- as the control's observer runs it;
* ``CPU`` median and p90: the CPU ms of that update, which other processes on a shared
  machine do not inflate (NumPy's BLAS threads can push it above the wall time);
* ``PNG ms`` and ``PNG kB``: the delivery part, rasterising and encoding the figure
  (median) and the size of what is sent;
* ``wait`` p90: the longest time without a new picture during an update -- the update
  itself, except for a panel that streams (the GAN lab training a new setting);
* ``GC``: the longest pause of Python's cyclic garbage collector during the panel's
  updates (a full collection walks every object the process holds).

The course's goal: an update (for a streaming panel, each new picture) under 100 ms,
median and p90, on a slow 2-core laptop; rows over it are flagged.

    python bench/bench_widgets.py            # every chapter
    python bench/bench_widgets.py 04 07      # some chapters
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from types import GeneratorType


def chapter_01():
    from dlcourse.chapters.learning_from_data.panels import knn_panel, search_panel
    knn_changes = [("k", 1), ("k", 15), ("k", 5), ("metric", "manhattan"), ("metric", "cosine"),
                   ("metric", "euclidean"), ("noise", 0.35), ("noise", 0.4), ("noise", 0.3)]
    noise_drag = [("noise", noise / 100) for noise in (*range(35, 81, 5), *range(75, -1, -5))]
    return {
        "k-NN (200 train points, 100x100 grid)": (knn_panel(), knn_changes),
        "k-NN, after a pause": (knn_panel(), [
            change for move in knn_changes for change in (PAUSE, move)]),
        # another seed: data sets that no row before it ranked (the rankings are shared)
        "k-NN, the noise dragged, no pause": (knn_panel(seed=1), noise_drag),
        "k-NN, a pause, then the noise dragged": (knn_panel(), [PAUSE, *noise_drag]),
        "grid vs random search (200 repeats)": (search_panel(), [
            ("budget", 9), ("budget", 49), ("budget", 100), ("budget", 16), ("seed", 3),
            ("seed", 1)]),
    }


def chapter_02():
    from dlcourse.chapters.perceptron_mlp.panels import activation_panel, xor_mlp_panel
    return {
        "activation explorer": (activation_panel(), [
            ("activation", "tanh"), ("activation", "relu"), ("activation", "selu"),
            ("x_max", 8.0), ("x_max", 5.0), ("activation", "sigmoid")]),
        "XOR MLP (4 hidden, 500 epochs)": (xor_mlp_panel(), [
            ("hidden", 3), ("hidden", 4), ("activation", "relu"), ("activation", "tanh"),
            ("lr", 1.0), ("lr", 0.5), ("init_scale", 2.0), ("init_scale", 1.0), ("seed", 1),
            ("seed", 0)]),
    }


def chapter_03():
    from dlcourse.chapters.backprop.panels import e_graph_panel, neuron_panel, student_graph_panel
    return {
        "e(a,b) = (a+b)(b+1)": (e_graph_panel(), [
            ("a", 1.0), ("a", -2.5), ("a", 3.0), ("a", 2.0), ("b", 0.0), ("b", 2.5),
            ("b", -1.0), ("b", 1.0)]),
        "one neuron": (neuron_panel(), [
            ("x", 1.0), ("x", -1.0), ("w", 1.5), ("w", -0.5), ("b", 0.25), ("b", -1.0),
            ("activation", "relu"), ("activation", "tanh"), ("activation", "sigmoid")]),
        "student-number graph": (student_graph_panel(), [
            ("student_id", "136"), ("student_id", "98765432"), ("student_id", "12345678")]),
    }


def chapter_04():
    from dlcourse.chapters.optimisation.panels import minibatch_panel, optimizer_race_panel
    return {
        "optimiser race (bumps, 3 optimisers)": (optimizer_race_panel(), [
            ("lr", 0.05), ("lr", 0.1), ("beta", 0.5), ("beta", 0.9), ("x0", 1.0),
            ("x0", -0.5), ("y0", -1.0), ("y0", -2.5),
            ("optimizers", ("SGD", "Nesterov", "RMSProp", "NAdam")),
            ("optimizers", ("SGD", "Momentum", "Adam")), ("surface", "quadratic"),
            ("condition_number", 30.0), ("condition_number", 10.0), ("surface", "bumps")]),
        "minibatch noise (B = 32)": (minibatch_panel(), [
            ("batch_size", 8), ("batch_size", 128), ("batch_size", 32), ("lr", 0.3),
            ("lr", 0.1), ("epochs", 1.0), ("epochs", 3.0)]),
    }


def chapter_05():
    from dlcourse.chapters.convolutions.panels import convolution_panel, receptive_field_panel
    return {
        "convolution explorer (7x7, F=3)": (convolution_panel(), [
            ("stride", 2), ("stride", 1), ("padding", 1), ("padding", 0),
            ("kernel_size", 5), ("kernel_size", 3), ("dilation", 2), ("dilation", 1),
            ("input_size", 12), ("input_size", 7), ("out_channels", 32), ("step", 4)]),
        "receptive-field explorer (28x28)": (receptive_field_panel(), [
            ("layers", "c3 c3 c3"), ("layers", "c3 c3 p2 c3 c3"), ("layers", "c3 c3d2 c3d4"),
            ("digit", 3), ("digit", 0)]),
    }


def chapter_06():
    from dlcourse.chapters.architectures.panels import architecture_panel, design_panel
    from dlcourse.chapters.architectures.tables import ARCHITECTURES, DESIGN_64, DESIGN_64_GAP
    architectures = [*(("name", name) for name in ARCHITECTURES), ("group", False),
                     *(("name", name) for name in ARCHITECTURES), ("group", True)]
    return {  # the first table of an architecture is built once and cached
        "architecture explorer": (architecture_panel(), architectures),
        "architecture explorer, after a pause": (architecture_panel(), [
            change for move in architectures for change in (PAUSE, move)]),
        "design your CNN (64x64x3)": (design_panel(), [
            ("spec", DESIGN_64_GAP), ("spec", "C16 R P L20"), ("spec", DESIGN_64),
            ("size", 128), ("size", 64), ("channels", 1), ("channels", 3)]),
    }


def chapter_07():
    from dlcourse.chapters.training_deep_nets.panels import signal_panel
    drag = [("depth", depth) for depth in (*range(12, 31, 2), *range(29, 0, -2))]
    return {
        "signal explorer (depth 10, width 128)": (signal_panel(), [
            ("init", "small"), ("init", "he"), ("activation", "relu"), ("init", "large"),
            ("depth", 20), ("depth", 10), ("activation", "selu"), ("init", "lecun"),
            ("bias_init", 0.1), ("bias_init", 0.0), ("activation", "tanh"),
            ("init", "xavier")]),
        "signal explorer: depth dragged, no pause": (signal_panel(), drag),
        "signal explorer: depth, after a pause": (signal_panel(), [
            change for move in drag for change in (PAUSE, move)]),
    }


def chapter_08():
    import torch

    from dlcourse.chapters.resnets_transfer.panels import depth_panel
    from dlcourse.chapters.resnets_transfer.residual import degradation_experiment
    torch.set_num_threads(1)
    runs = degradation_experiment((8, 20, 32, 56))  # trained once, as in the notebook
    return {
        "depth: plain vs residual": (depth_panel(runs), [
            ("depth", 8), ("depth", 20), ("depth", 32), ("depth", 56), ("when", "trained"),
            ("when", "init")]),
    }


def chapter_09():
    from dlcourse.chapters.segmentation.panels import transposed_conv_panel
    return {
        "transposed convolution": (transposed_conv_panel(), [
            ("padding", 1), ("padding", 0), ("stride", 3), ("stride", 2),
            ("output_padding", 1), ("output_padding", 0), ("kernel", "ones"),
            ("kernel_size", 2), ("kernel_size", 3), ("kernel", "notes"), ("in_size", 3),
            ("in_size", 2)]),
    }


def chapter_10():
    from dlcourse.chapters.detection.panels import nms_panel
    return {
        "IoU / NMS thresholds": (nms_panel(), [
            ("iou_threshold", 0.1), ("iou_threshold", 0.7), ("iou_threshold", 0.5),
            ("score_threshold", 0.0), ("score_threshold", 0.6), ("score_threshold", 0.3)]),
    }


def chapter_11():
    from dlcourse.chapters.gans.panels import gan_lab_panel
    panel = gan_lab_panel()  # trains the default run; every run is cached afterwards
    return {
        "GAN lab: snapshot slider": (panel, [("snapshot", i) for i in (0, 3, 6, 9)]),
        "GAN lab: a new setting trains (~1-3 s)": (panel, [  # compute column: from cache
            ("lr_g", 1e-2), ("lr_d", 1e-3), ("d_steps", 2), ("noise_dim", 1)]),
    }


def chapter_12():
    from dlcourse.chapters.review import practice
    from dlcourse.chapters.review.panels import practice_panel
    problems = [change for kind in practice.KINDS
                for change in (("kind", kind), ("seed", 1), ("seed", 2))]
    return {
        "practice problems (kind, seed)": (practice_panel(), problems),
        "practice, reading each problem": (practice_panel(), [
            change for move in problems for change in (PAUSE, move)]),
    }


#: In a change list: the learner pauses, and the panel does all its idle work, untimed
#: (``Panel.idle_work``: the settings ``prefetch`` names and their pictures, the garbage of a
#: dropped figure).
PAUSE = ("pause", None)

CHAPTERS = {name[-2:]: build for name, build in globals().items()
            if name.startswith("chapter_")}


class CollectorPauses:
    """The garbage collector's pauses (ms) while in the ``with`` block."""

    def __enter__(self):
        self.pauses, self._start, self.ignoring = [], None, False
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self._callback)

    def _callback(self, phase, info):
        if phase == "start":
            self._start = time.perf_counter()
        elif self._start is not None and not self.ignoring:
            self.pauses.append(1000 * (time.perf_counter() - self._start))


def time_panel(panel, changes, rounds: int) -> dict:
    """Every update's times over ``rounds`` of ``changes``: lists of ms, and PNG bytes;
    ``gc``: the collector's pauses during the updates."""
    times = {"compute": [], "update": [], "cpu": [], "png_ms": [], "png_bytes": [],
             "wait": []}
    with CollectorPauses() as collector:
        _time_updates(panel, changes, rounds, times, collector)
    times["gc"] = collector.pauses or [0.0]
    return times


def _time_updates(panel, changes, rounds, times, collector) -> None:
    for _ in range(rounds):
        for name, value in changes:
            if (name, value) == PAUSE:   # what the panel does while the learner pauses
                collector.ignoring = True
                for _ in panel.idle_work():
                    pass
                collector.ignoring = False
                continue
            wall, cpu = time.perf_counter(), time.process_time()
            panel.controls[name].value = value          # a full update, as in JupyterLab
            times["cpu"].append(1000 * (time.process_time() - cpu))
            times["update"].append(1000 * (time.perf_counter() - wall))
            times["png_ms"].append(panel.timings["png"])
            times["png_bytes"].append(len(panel.image.value))
            times["wait"].append(panel.timings["longest_wait"])
            start = time.perf_counter()
            for _ in _frames(panel.compute(**panel.values())):
                pass
            times["compute"].append(1000 * (time.perf_counter() - start))


def _frames(result):
    """Every frame of a streaming compute (a generator), or the one result of another."""
    return result if isinstance(result, GeneratorType) else (result,)


def p90(values) -> float:
    """The 90th percentile (the value 90 % of the updates stay under)."""
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", metavar="NN",
                        help=f"chapters to time (default all: {', '.join(CHAPTERS)})")
    parser.add_argument("--rounds", type=int, default=3, help="times each change list is run")
    args = parser.parse_args()
    unknown = sorted(set(args.chapters) - set(CHAPTERS))
    if unknown:
        parser.error(f"no panels for chapter(s) {', '.join(unknown)}; "
                     f"choose from {', '.join(CHAPTERS)}")
    print(f"{'ch':3s} {'panel':40s} {'compute':>8s} {'update':>7s} {'p90':>6s} "
          f"{'CPU':>6s} {'p90':>6s} {'PNG ms':>6s} {'PNG kB':>6s} {'wait':>6s} {'GC':>6s}"
          "   (ms unless kB)")
    for chapter in args.chapters or CHAPTERS:
        for name, (panel, changes) in CHAPTERS[chapter]().items():
            t = time_panel(panel, changes, args.rounds)
            med = {key: statistics.median(values) for key, values in t.items()}
            slow = p90(t["wait"]) >= 100    # the update itself, or a streaming panel's frames
            print(f"{chapter:3s} {name:40s} {med['compute']:8.1f} {med['update']:7.1f} "
                  f"{p90(t['update']):6.1f} {med['cpu']:6.1f} {p90(t['cpu']):6.1f} "
                  f"{med['png_ms']:6.1f} {med['png_bytes'] / 1000:6.1f} {p90(t['wait']):6.1f} "
                  f"{max(t['gc']):6.1f}"
                  + ("  over 100 ms" if slow else ""))


if __name__ == "__main__":
    main()
