"""The "check yourself" quiz that closes each chapter: answers revealed on demand."""

from __future__ import annotations

import html
from collections.abc import Sequence


def quiz_html(questions: Sequence[tuple[str, str]]) -> str:
    """HTML for a numbered list of questions, each answer inside a collapsed ``<details>``.

    Parameters
    ----------
    questions : sequence of (question, answer) pairs
        Plain text; ``$...$`` LaTeX is kept as is for the notebook's MathJax.

    Examples
    --------
    >>> "<details>" in quiz_html([("1 + 1?", "2")])
    True
    """
    if not questions:
        raise ValueError("a quiz needs at least one (question, answer) pair")
    items = []
    for question, answer in questions:
        items.append(
            f"<li><p>{html.escape(question)}</p>"
            f"<details><summary>Show answer</summary><p>{html.escape(answer)}</p></details></li>"
        )
    return "<ol class='dlcourse-quiz'>" + "".join(items) + "</ol>"


def quiz(questions: Sequence[tuple[str, str]]):
    """Display :func:`quiz_html` in a notebook (returns an ``IPython.display.HTML``)."""
    from IPython.display import HTML

    return HTML(quiz_html(questions))
