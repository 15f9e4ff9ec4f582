"""Fixtures for the grading tests: submissions built from the solution notebooks."""

import copy

import nbformat
import pytest
from grading_helpers import solution


@pytest.fixture
def make_submission(tmp_path):
    """``make(name, chapter, replace={exercise: source}, insert=[cell sources], ...)`` writes a
    variant of a solution notebook to ``tmp_path/submissions/NN_name.ipynb`` (the grader
    reads the chapter from the file name; ``file=`` names the file otherwise)."""
    folder = tmp_path / "submissions"
    folder.mkdir()

    def make(name, chapter="02", *, replace=None, insert=(), student=None, base=None,
             file=None):
        nb = copy.deepcopy(base if base is not None else solution(chapter))
        for cell in nb.cells:
            exercise = cell.metadata.get("dlcourse", {}).get("exercise")
            if replace and exercise in replace:
                cell.source = replace[exercise]
        for source in reversed(insert):
            nb.cells.insert(2, nbformat.v4.new_code_cell(source))
        if student is not None:
            nb.metadata["dlcourse"] = {"student": student}
        path = folder / (file or f"{chapter}_{name}.ipynb")
        nbformat.write(nb, path)
        return path

    return make
