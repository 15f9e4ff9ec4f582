"""Helpers for the grading tests: the solution notebooks and short limits."""

from pathlib import Path

import nbformat

from dlcourse.grading.sandbox import Limits

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = {"01": "01_learning_from_data", "02": "02_perceptron_mlp", "03": "03_backprop",
            "04": "04_optimisation"}
# Short limits keep the tests of runaway submissions fast.
FAST = Limits(notebook_s=60, cell_s=4, call_s=3, memory_mb=1024, output_mb=4)


def solution(chapter: str):
    return nbformat.read(ROOT / "solutions" / f"{CHAPTERS[chapter]}.ipynb", as_version=4)


def exercise_notebook(chapter: str):
    return nbformat.read(ROOT / "exercises" / f"{CHAPTERS[chapter]}.ipynb", as_version=4)
