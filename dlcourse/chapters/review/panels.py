"""A practice panel: pick a kind and a seed, type an answer, press "check"."""

from __future__ import annotations

import html
from typing import NamedTuple

import ipywidgets as widgets
import numpy as np

from dlcourse.chapters.review import practice
from dlcourse.ui.panel import Panel


class PracticeResult(NamedTuple):
    """What :func:`practice_step` returns: the problem and, once answered, the feedback."""

    problem: practice.Problem
    feedback: practice.Feedback | None


def practice_step(kind: str = "conv_size", seed: int = 0, answer: str = "") -> PracticeResult:
    """The panel's compute: make the problem; check ``answer`` unless it is blank.

    >>> practice_step("yolo_size", 0, "").feedback is None
    True
    """
    problem = practice.generate(kind, seed)
    return PracticeResult(problem, problem.check(answer) if answer.strip() else None)


def feedback_html(result: PracticeResult) -> str:
    """The question, and the verdict with the worked solution folded away."""
    text = (f"<pre style='white-space:pre-wrap'>{html.escape(result.problem.question)}"
            f"</pre>")
    feedback = result.feedback
    if feedback is None:
        return text + "<p><i>Type an answer and press <b>check</b>.</i></p>"
    colour = "green" if feedback.correct else "firebrick"
    return (text + f"<p style='color:{colour}'><b>{html.escape(feedback.message)}</b></p>"
            f"<details><summary>Worked solution</summary><pre style='white-space:pre-wrap'>"
            f"{html.escape(feedback.solution)}</pre></details>")


def _draw(fig, result: PracticeResult) -> list:
    """Draw the problem's matrices (pooling, transposed conv) as annotated grids; nothing in
    the figure changes until the problem does (an answer only changes the text below)."""
    fig.subplotpars.update(left=0.02, right=0.98, bottom=0.02, top=0.86, wspace=0.1)
    problem = result.problem
    data = problem.data
    matrices = [(name, data[name]) for name in ("x", "w") if isinstance(data.get(name),
                                                                         np.ndarray)]
    if not matrices:
        ax = fig.add_subplot(1, 1, 1)
        ax.axis("off")
        ax.text(0.5, 0.5, f"{problem.kind}, seed {problem.seed}: the question is below",
                ha="center", va="center")
    for i, (name, matrix) in enumerate(matrices, start=1):
        ax = fig.add_subplot(1, len(matrices), i)
        ax.imshow(matrix, cmap="Blues", vmin=matrix.min() - 1, vmax=matrix.max() + 1)
        for (r, c), v in np.ndenumerate(matrix):
            ax.text(c, r, f"{v:g}", ha="center", va="center")
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_title({"x": "input", "w": "kernel"}[name])
    return []


def _problem(result: PracticeResult) -> tuple[str, int]:
    """What the figure shows: the problem, by kind and seed."""
    return result.problem.kind, result.problem.seed


def practice_panel(kind: str = "conv_size", seed: int = 0) -> Panel:
    """Kind dropdown, seed, answer box and a "check" button; feedback appears below.

    The answer is checked when the button is pressed or Enter is hit in the box, not at
    every keystroke; changing kind or seed clears it.
    """
    answer = widgets.Text(value="", description="answer", placeholder="e.g. 14 or 6 8; 3 4",
                          continuous_update=False)  # value changes on Enter, not per key
    check = widgets.Button(description="check", button_style="primary")
    controls = {"kind": widgets.Dropdown(options=practice.KINDS, value=kind,
                                         description="kind"),
                "seed": widgets.BoundedIntText(value=seed, min=0, max=10**6,
                                               description="seed"),
                "answer": answer}
    panel = Panel(practice_step, _draw, controls, update=lambda _, result: feedback_html(result),
                  key=_problem, figsize=(5.0, 2.0), dpi=72,
                  axes_layout="fixed")  # the same room for every problem's grids

    def new_problem(_change):
        answer.value = ""  # a control change: the panel updates itself

    check.on_click(lambda _button: panel.refresh())  # the same answer again, or a first look
    controls["kind"].observe(new_problem, names="value")
    controls["seed"].observe(new_problem, names="value")
    row = panel.children[0]
    row.children = (*row.children, check)
    panel.answer_box, panel.check_button = answer, check
    return panel
