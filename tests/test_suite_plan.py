"""tests/suite_plan.py: a chapter's nbval run is left out only when its browser run, which
compares the same checked outputs, is selected; the longest scopes are handed out first."""

import functools
import re

import pytest

from tests.subpytest import run_pytest

pytestmark = pytest.mark.slow  # each collects part of the suite in a subprocess

CHAPTER = "notebooks/03_backprop.ipynb"
BROWSER_RUN = ("tests/browser/test_jupyterlab.py::"
               "test_chapter_runs_all_without_errors_and_every_panel_redraws_when_a_control_moves"
               "[03_backprop]")


@functools.cache
def collected(*args: str) -> list[str]:
    run = run_pytest("--collect-only", *args)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    return [line for line in run.stdout.splitlines() if "::" in line]


def test_a_chapters_nbval_run_is_left_to_its_browser_run_when_both_are_selected():
    alone = collected(CHAPTER)
    both = collected(CHAPTER, BROWSER_RUN)
    assert len(alone) > 5 and all(line.startswith(CHAPTER) for line in alone)
    assert both == [BROWSER_RUN]


def test_without_the_browser_run_the_chapters_nbval_run_stays():
    assert collected(CHAPTER, BROWSER_RUN, "-m", "not browser") == collected(CHAPTER)
    assert collected(CHAPTER, BROWSER_RUN, "--deselect", BROWSER_RUN) == collected(CHAPTER)


def test_the_longest_scopes_are_collected_first_and_a_notebook_keeps_its_order():
    items = collected("tests/unit/test_layout.py", CHAPTER, "tests/test_gpu_standin.py",
                      "solutions/03_backprop.ipynb")
    files = [item.split("::")[0] for item in items]
    first = [f for i, f in enumerate(files) if f not in files[:i]]
    assert first == ["tests/test_gpu_standin.py", CHAPTER, "solutions/03_backprop.ipynb",
                     "tests/unit/test_layout.py"]
    cells = [int(re.search(r"Cell (\d+)", item)[1]) for item in items if item.startswith(CHAPTER)]
    assert cells == sorted(cells)
