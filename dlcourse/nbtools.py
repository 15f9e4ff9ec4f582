"""Keep committed notebooks small, reproducible and testable.

Policy
------
Notebooks are committed *without* outputs, except the text outputs of answer cells: code
cells with a line ``# NBVAL_CHECK_OUTPUT``.  nbval (``pytest --nbval-lax``)
re-runs every notebook and requires those outputs to be reproduced exactly, so each
answer cell is a test of a number the course promises.  Images, widget state and
execution counts are never committed: they change from run to run and bloat the diff.  The
one exception: nbval skips a cell whose execution count is empty, so answer cells are
numbered 1, 2, 3, ... in order (stable across runs).

``dlcourse notebooks refresh PATH...`` executes notebooks and rewrites them to this
policy; ``dlcourse notebooks check PATH...`` (and the test-suite) lists violations.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

ANSWER_MARK = "# NBVAL_CHECK_OUTPUT"
TEXT_MIME = "text/plain"
_KEPT_CELL_METADATA = ("dlcourse", "tags", "nbgrader", "editable", "deletable")


def is_answer_cell(cell) -> bool:
    """True for a code cell that nbval must reproduce exactly."""
    return cell.cell_type == "code" and any(
        line.strip() == ANSWER_MARK for line in cell.source.splitlines())


def _text_outputs(outputs):
    """Keep streams and the text/plain part of results; drop images, HTML, widgets."""
    kept = []
    for out in outputs:
        if out.output_type == "stream":
            kept.append(nbformat.v4.new_output("stream", name=out.name, text=out.text))
        elif out.output_type == "execute_result" and TEXT_MIME in out.data:
            kept.append(nbformat.v4.new_output(
                "execute_result", data={TEXT_MIME: out.data[TEXT_MIME]}, execution_count=None))
    return kept


def checked_text(outputs) -> list[tuple[str, str]]:
    """What nbval compares of an answer cell's ``outputs`` (nbformat dicts), in order: the
    text of each stream, consecutive parts of one stream joined (as nbval and JupyterLab
    both join them), and the text/plain of each result or display.

    >>> checked_text([{"output_type": "stream", "name": "stdout", "text": "a"},
    ...               {"output_type": "stream", "name": "stdout", "text": "b\\n"},
    ...               {"output_type": "execute_result", "data": {"text/plain": "3"}}])
    [('stdout', 'ab\\n'), ('text/plain', '3')]
    """
    found: list[tuple[str, str]] = []
    for out in outputs:
        if out["output_type"] == "stream":
            text = "".join(out["text"]) if isinstance(out["text"], list) else out["text"]
            if found and found[-1][0] == out["name"]:
                found[-1] = (out["name"], found[-1][1] + text)
            else:
                found.append((out["name"], text))
        elif TEXT_MIME in out.get("data", {}):
            text = out["data"][TEXT_MIME]
            found.append((TEXT_MIME, "".join(text) if isinstance(text, list) else text))
    return found


def clean(nb):
    """Return a copy of ``nb`` stripped to the committed form (see module docstring)."""
    nb = copy.deepcopy(nb)
    answers = 0
    for cell in nb.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in _KEPT_CELL_METADATA}
        if cell.cell_type == "code" and is_answer_cell(cell):
            answers += 1
            cell.execution_count = answers
            cell.outputs = _text_outputs(cell.outputs)
        elif cell.cell_type == "code":
            cell.execution_count = None
            cell.outputs = []
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    return nb


def problems(nb) -> list[str]:
    """Everything in ``nb`` that breaks the committed-notebook policy (empty when clean)."""
    found = []
    answers = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if not is_answer_cell(cell):
            if cell.get("execution_count") is not None:
                found.append(f"cell {i}: has an execution count")
            if cell.outputs:
                found.append(f"cell {i}: stores outputs but is not an answer cell")
        else:
            answers += 1
            if cell.get("execution_count") != answers:
                found.append(f"cell {i}: answer cell {answers} must have execution count {answers}")
            if not cell.outputs:
                found.append(f"cell {i}: answer cell without a stored output")
            for out in cell.outputs:
                extra = set(out.get("data", {})) - {TEXT_MIME}
                if extra:
                    found.append(f"cell {i}: stores {', '.join(sorted(extra))}")
    if "widgets" in nb.metadata:
        found.append("notebook metadata stores widget state")
    return found


def notebook_paths(paths) -> list[Path]:
    """Expand files and folders into a sorted list of ``.ipynb`` files."""
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(q for q in p.glob("*.ipynb")))
        elif p.suffix == ".ipynb":
            found.append(p)
        else:
            raise ValueError(f"{p} is neither a folder nor a .ipynb file")
    return found


def execute(nb, cwd: Path, timeout: int = 300):
    """Run every cell of ``nb`` in a fresh kernel (working directory ``cwd``).

    The kernel runs the course as committed, whatever this machine holds: its ``check()``
    calls are not recorded as the developer's progress, and the real data sets count as not
    downloaded (an empty cache), so "scale up" sections are skipped.
    """
    import os
    import tempfile

    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="dlcourse-refresh-") as empty:
        env = {**os.environ, "DLCOURSE_PROGRESS": "off", "DLCOURSE_DATA": empty}
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(cwd)}}).execute(env=env)
    return nb


def refresh(path: Path, timeout: int = 300) -> None:
    """Execute the notebook at ``path`` and rewrite it in committed form."""
    nb = nbformat.read(path, as_version=4)
    execute(nb, path.parent, timeout)
    nbformat.write(clean(nb), path)
