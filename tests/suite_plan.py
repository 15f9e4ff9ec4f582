"""How the suite spends its cores: each notebook run only as often as the checks need, the
longest work started first.

A pytest plugin, loaded by the root ``conftest.py``.

*One run per check.*  A lecture notebook is run three times by the whole suite, each run for
its own check: by nbval here (every cell runs, every checked output is reproduced), by
``tests/test_gpu_standin.py`` (the same on the CuPy stand-in and the CPU's other kernel
path) and by ``tests/browser/test_jupyterlab.py`` (the learner's JupyterLab: no error shown,
every panel redraws).  The browser run also compares the checked outputs, exactly as nbval
does, so when it is selected for a chapter the chapter's own nbval run would repeat it: those
nbval items are deselected (they run as before with ``-m 'not browser'`` or on a notebook
path alone).

*Longest first.*  ``--dist=loadscope`` hands each worker whole scopes (a module, a
notebook) in the order they were collected; a long scope handed out last keeps one core busy
while the other idles.  The scopes below are started first, in this order (longest
processing time first, from ``pytest --durations``); the rest follow in collection order.
The browser tests share only session-wide servers, so each is a scope of its own and both
workers take them (each worker starts its own JupyterLab and Chromium).
"""

from __future__ import annotations

import pytest

# Path prefixes of the longest scopes, longest first; the order changes only the wall time.
LONGEST_FIRST = (
    "tests/test_gpu_standin.py",        # every lecture notebook on the stand-in, two workers
    "tests/browser/test_jupyterhub.py",  # a hub, two learners' servers, a restart
    "tests/browser/",                    # every chapter in JupyterLab
    "tests/test_other_kernels.py",       # kernel-sensitive tests and solutions, other path
    "tests/grading/test_nbgrader_workflow.py",
    "notebooks/",
    "solutions/",
)
_EACH_TEST_A_SCOPE = "tests/browser/"


def rank(nodeid: str) -> int:
    """Where the scope of ``nodeid`` starts: its prefix's place in :data:`LONGEST_FIRST`.

    >>> rank("tests/browser/test_jupyterlab.py::test_x"), rank("tests/unit/test_nn.py::test_y")
    (2, 7)
    """
    return next((i for i, prefix in enumerate(LONGEST_FIRST) if nodeid.startswith(prefix)),
                len(LONGEST_FIRST))


def scope(nodeid: str, default: str) -> str:
    """The unit of work of ``nodeid`` that one worker runs: the test itself for a browser
    test, otherwise xdist's ``default`` (its module or class).

    >>> scope("tests/browser/test_jupyterlab.py::test_x[01]", "tests/browser/test_jupyterlab.py")
    'tests/browser/test_jupyterlab.py::test_x[01]'
    """
    return nodeid if nodeid.startswith(_EACH_TEST_A_SCOPE) else default


def notebooks_run_elsewhere(items) -> set[str]:
    """The notebooks (paths relative to the repository) whose checked outputs a selected
    test compares itself (``pytest.mark.checks_outputs_of(path)``)."""
    return {mark.args[0] for item in items for mark in item.iter_markers("checks_outputs_of")}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "checks_outputs_of(path): the test runs notebook `path` and compares its "
        "checked outputs as nbval does, so nbval's own run of it is deselected")


@pytest.hookimpl(trylast=True)  # after -m, -k and --deselect have chosen the items
def pytest_collection_modifyitems(config, items):
    covered = notebooks_run_elsewhere(items)
    root = config.rootpath
    repeated = [item for item in items if item.path.suffix == ".ipynb"
                and item.path.relative_to(root).as_posix() in covered]
    if repeated:
        config.hook.pytest_deselected(items=repeated)
        dropped = set(repeated)
        items[:] = [item for item in items if item not in dropped]
    items.sort(key=lambda item: rank(item.nodeid))  # stable: a scope's order is kept


def pytest_report_header(config):
    return ("notebooks/: a chapter's nbval run is deselected when its browser test runs "
            "(that test compares the same checked outputs); tests/suite_plan.py")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class LongestFirstScheduling(LoadScopeScheduling):
        """loadscope with each browser test as its own scope, in the order of collection
        (which :func:`pytest_collection_modifyitems` sorted longest first)."""

        def _split_scope(self, nodeid: str) -> str:
            return scope(nodeid, super()._split_scope(nodeid))

    config.option.loadscopereorder = False  # its reorder is by number of tests, not time
    return LongestFirstScheduling(config, log)
