"""Helpers for the grading tests: the solution notebooks and short limits."""

from pathlib import Path

import nbformat

from dlcourse.grading.sandbox import Limits

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = {"01": "01_learning_from_data", "02": "02_perceptron_mlp", "03": "03_backprop",
            "04": "04_optimisation", "05": "05_convolutions", "06": "06_architectures",
            "07": "07_training_deep_nets", "08": "08_resnets_transfer", "09": "09_segmentation",
            "10": "10_detection", "11": "11_gans", "12": "12_review"}
# Short limits keep the tests of runaway submissions fast, yet leave a loaded machine time
# for a cell that imports torch.
FAST = Limits(notebook_s=60, cell_s=8, call_s=4, memory_mb=1024, output_mb=4)


def every_case(name: str, seeds=range(5)):
    """The exercise ``name`` and its public, edge and hidden cases (for a few seeds)."""
    from dlcourse.grading import exercises
    from dlcourse.grading.grader import hidden_rng

    ex = exercises.get(name)
    cases = ex.public() + ex.edge()
    for seed in seeds:
        cases += ex.hidden(hidden_rng(seed, ex), "s")
    return ex, cases


def solution(chapter: str):
    return nbformat.read(ROOT / "solutions" / f"{CHAPTERS[chapter]}.ipynb", as_version=4)


def exercise_notebook(chapter: str):
    return nbformat.read(ROOT / "exercises" / f"{CHAPTERS[chapter]}.ipynb", as_version=4)


def _sandbox() -> bool:
    """Grade with bubblewrap where it works (CI installs it).  The tests of what grading
    computes run either way; the attacks on the isolation itself skip without it."""
    from dlcourse.grading.sandbox import bwrap_works

    return bwrap_works()


SANDBOX = _sandbox()
