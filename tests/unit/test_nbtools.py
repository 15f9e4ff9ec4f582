"""The committed-notebook policy, and that every committed notebook follows it."""

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from dlcourse import nbtools

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = sorted(
    p for folder in ("notebooks", "exercises", "solutions") for p in (ROOT / folder).glob("*.ipynb")
)


def _executed_notebook():
    answer = new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(2)\n2", execution_count=3, outputs=[
        new_output("stream", name="stdout", text="2\n"),
        new_output("execute_result", data={"text/plain": "2", "text/html": "<b>2</b>"},
                   execution_count=3),
    ])
    plot = new_code_cell("plot()", execution_count=4, outputs=[
        new_output("display_data", data={"image/png": "iVBOR..."})])
    nb = new_notebook(cells=[new_markdown_cell("# Title"), answer, plot])
    nb.metadata["widgets"] = {"state": {}}
    return nb


def test_clean_keeps_only_the_answer_cells_text():
    nb = nbtools.clean(_executed_notebook())
    answer, plot = nb.cells[1], nb.cells[2]
    assert [o.output_type for o in answer.outputs] == ["stream", "execute_result"]
    assert answer.outputs[1].data == {"text/plain": "2"}
    assert plot.outputs == [] and plot.execution_count is None
    assert answer.execution_count == 1, "nbval only compares cells with an execution count"
    assert nbtools.problems(nb) == []


def test_problems_name_images_counts_and_widget_state():
    found = "\n".join(nbtools.problems(_executed_notebook()))
    assert "execution count" in found
    assert "stores outputs but is not an answer cell" in found
    assert "text/html" in found and "widget state" in found


def test_an_answer_cell_without_output_is_a_problem():
    nb = new_notebook(cells=[new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(1)", execution_count=1)])
    assert nbtools.problems(nb) == ["cell 0: answer cell without a stored output"]


def test_the_marker_inside_a_string_does_not_make_an_answer_cell():
    cell = new_code_cell('quiz([("What does # NBVAL_CHECK_OUTPUT promise?", "...")])')
    assert not nbtools.is_answer_cell(cell)


def test_refresh_executes_and_stores_the_answer(tmp_path):
    path = tmp_path / "n.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(6 * 7)")]), path)
    nbtools.refresh(path, timeout=60)
    out = nbformat.read(path, as_version=4).cells[0].outputs
    assert out[0].text == "42\n"


def test_refresh_neither_records_progress_nor_sees_downloaded_data(tmp_path, monkeypatch):
    cached = tmp_path / "cache"
    monkeypatch.setenv("DLCOURSE_DATA", str(cached))
    monkeypatch.setenv("DLCOURSE_PROGRESS", str(tmp_path / "progress.sqlite"))
    path = tmp_path / "n.ipynb"
    source = ("# NBVAL_CHECK_OUTPUT\nimport os\n"
              "print(os.environ['DLCOURSE_PROGRESS'], os.environ['DLCOURSE_DATA'] == "
              f"{str(cached)!r})")
    nbformat.write(new_notebook(cells=[new_code_cell(source)]), path)
    nbtools.refresh(path, timeout=60)
    assert nbformat.read(path, as_version=4).cells[0].outputs[0].text == "off False\n"


def test_notebook_paths_rejects_other_files(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(ValueError, match="neither a folder nor a .ipynb"):
        nbtools.notebook_paths([tmp_path / "a.txt"])


def test_there_are_committed_notebooks():
    assert (ROOT / "notebooks" / "00_welcome.ipynb") in COMMITTED


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_notebook_is_clean(path):
    problems = nbtools.problems(nbformat.read(path, as_version=4))
    assert not problems, f"run `make notebooks` to clean {path.name}:\n" + "\n".join(problems)
