"""The GPU code paths, exercised without a GPU against a strict stand-in for CuPy.

``tests/standins/cupy`` refuses NumPy arrays mixed with its device arrays, as CuPy does,
so these runs prove where arrays live: data follow the model, nothing falls back to the
host, the GPU tests' own logic is sound.  They say nothing about CuPy's numerics or speed
(a real GPU: ``pytest -m gpu``).  Each run is a subprocess with the stand-in first on
``PYTHONPATH``, so this process never sees it.
"""

import os
import sys

import pytest

from tests.other_kernels import this_machine
from tests.subpytest import ROOT, outcome, run_pytest

STANDINS = ROOT / "tests" / "standins"


def pytest_with_standin(*args: str, workers: int = 0, **env: str):
    """Run pytest (on ``workers`` xdist workers) in a subprocess that imports the stand-in as
    ``cupy``."""
    pythonpath = os.pathsep.join([str(STANDINS), os.environ.get("PYTHONPATH", "")])
    return run_pytest(*args, workers=workers, PYTHONPATH=pythonpath, **env)


def test_the_standin_is_not_visible_to_this_process():
    assert "cupy" not in sys.modules or not sys.modules["cupy"].__version__.endswith("standin")


@pytest.mark.slow
def test_every_gpu_test_passes_against_the_standin():
    run = pytest_with_standin("-m", "gpu", "tests/unit", "tests/chapters")
    assert run.returncode == 0, outcome(run)
    assert " passed" in outcome(run) and "skipped" not in outcome(run), outcome(run)


@pytest.mark.slow
def test_every_lecture_notebook_runs_on_the_gpu_backend_of_the_standin():
    """What ``DLCOURSE_BACKEND=cupy make lab`` opens: every cell, checked outputs included.

    The run also takes the CPU's other kernel path (``other_kernels.py``): the plain nbval
    run has checked the outputs on this CPU's own kernels, this one shows that none of them
    depends on which kernels sum the numbers."""
    # Two workers, one notebook each at a time: run serially, this one test would be the
    # last to finish in `make test` by minutes.
    run = pytest_with_standin("notebooks", workers=2, DLCOURSE_BACKEND="cupy", **this_machine())
    assert run.returncode == 0, outcome(run)
    assert "failed" not in outcome(run) and "error" not in outcome(run), outcome(run)
