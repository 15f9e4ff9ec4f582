"""Shared fixtures of the unit tests."""

import importlib

import pytest

from dlcourse import backend


@pytest.fixture
def cupy():
    """CuPy, where it can reach a GPU; elsewhere the test is skipped with the reason shown."""
    ok, why = backend.gpu_status()
    if not ok:
        pytest.skip(f"needs a GPU (run these with `pytest -m gpu` on one): {why}")
    return importlib.import_module("cupy")


def pytest_collection_modifyitems(items):
    """Mark every test that asks for CuPy as ``gpu``: ``pytest -m gpu`` runs them all.

    Mark every notebook cell that nbval runs (``notebooks/``, ``solutions/``) as ``slow``: a
    notebook runs top to bottom, and together they take minutes, so ``-m 'not slow'`` leaves
    them out of the quick loop.  (A hook of this conftest sees every collected item.)
    """
    for item in items:
        if "cupy" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.gpu)
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
