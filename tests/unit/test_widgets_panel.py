"""The panel base every chapter's widgets are built on, and the quiz."""

import ipywidgets as w
import pytest
from matplotlib.layout_engine import ConstrainedLayoutEngine

from dlcourse.quiz import quiz_html
from dlcourse.widgets import Panel


def _panel():
    def draw(fig, result):
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, result])
        return f"slope {result}"

    return Panel(lambda slope: slope, draw, {"slope": w.FloatSlider(value=1.0, min=0, max=2)})


def test_panel_renders_on_creation():
    p = _panel()
    assert bytes(p.image.value).startswith(b"\x89PNG") and p.summary.value == "slope 1.0"


def test_changing_a_control_recomputes_and_swaps_the_image():
    p = _panel()
    before = p.image.value
    p.controls["slope"].value = 2.0
    assert p.result == 2.0 and p.summary.value == "slope 2.0"
    assert p.image.value != before and p.last_update_ms > 0


@pytest.mark.slow
def test_the_figure_is_reused_not_recreated():
    p = _panel()
    fig = p.figure
    p.controls["slope"].value = 0.5
    assert p.figure is fig and len(fig.axes) == 1


def test_quiz_hides_answers_in_details_and_escapes_html():
    html = quiz_html([("Is 1 < 2?", "Yes")])
    assert "<details><summary>Show answer</summary><p>Yes</p></details>" in html
    assert "1 &lt; 2" in html


def test_empty_quiz_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        quiz_html([])


def _columns_panel():
    def draw(fig, n):
        for i, ax in enumerate(fig.subplots(1, n, squeeze=False)[0]):
            ax.plot([0, 1], [0, i])
            ax.set(title=f"axes {i}", xlabel="x", ylabel="y")

    return Panel(lambda n: n, draw, {"n": w.IntSlider(value=1, min=1, max=3)})


def test_layout_is_solved_once_and_reused_while_the_axes_stay_the_same(monkeypatch):
    solves = []
    execute = ConstrainedLayoutEngine.execute
    monkeypatch.setattr(ConstrainedLayoutEngine, "execute",
                        lambda self, fig: solves.append(fig) or execute(self, fig))
    p = _columns_panel()
    solved = p.figure.axes[0].get_position().bounds
    p.update()
    p.update()
    assert len(solves) == 1 and p.figure.axes[0].get_position().bounds == solved


def test_layout_is_solved_again_when_the_number_of_axes_changes():
    p = _columns_panel()
    p.controls["n"].value = 3
    boxes = [ax.get_position() for ax in p.figure.axes]
    assert len(boxes) == 3
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert left.x1 < right.x0  # side by side, not stacked on one another


def test_a_fixed_layout_keeps_the_axes_where_draw_put_them():
    def draw(fig, n):
        fig.add_axes((0.3, 0.2, 0.5, 0.6)).plot([0, 1], [0, n])

    p = Panel(lambda n: n, draw, {"n": w.IntSlider(value=1, min=1, max=3)},
              axes_layout="fixed")
    p.controls["n"].value = 2
    assert p.figure.axes[0].get_position().bounds == pytest.approx((0.3, 0.2, 0.5, 0.6))


def test_an_unknown_axes_layout_is_refused():
    with pytest.raises(ValueError, match="axes_layout"):
        Panel(lambda n: n, lambda fig, n: None, {"n": w.IntSlider()}, axes_layout="tight")
