"""Chapter 03 panels: every control recomputes the graph and redraws it."""

import pytest

from dlcourse.chapters.backprop.panels import e_graph_panel, neuron_panel, student_graph_panel
from tests.chapters.panel_checks import assert_shows_like_a_fresh_panel


def test_e_graph_panel_recomputes_gradients_when_an_input_moves():
    panel = e_graph_panel()
    assert "de/db = d + c = 3 + 2 = 5" in panel.summary.value
    before = panel.image.value
    panel.controls["a"].value = 3.0
    assert panel.result.values["e"] == 8.0 and panel.result.grads["b"] == 6.0
    assert panel.image.value != before and "= 6 (b is used twice" in panel.summary.value


def test_e_graph_panel_shows_every_value_with_its_data_and_gradient_and_each_operation():
    panel = e_graph_panel()
    shown = [t.get_text() for t in panel.figure.axes[0].texts]
    for box in ("e | data 6.00 | grad 1.00", "c | data 3.00 | grad 2.00",
                "d | data 2.00 | grad 3.00", "a | data 2.00 | grad 2.00",
                "b | data 1.00 | grad 5.00"):
        assert box in shown
    assert sorted(t for t in shown if t in ("*", "+")) == ["*", "+", "+"]


def test_neuron_panel_shows_a_dead_relu_passing_no_gradient():
    panel = neuron_panel()
    assert panel.result.data == pytest.approx(0.4621, abs=1e-4)
    panel.controls["activation"].value = "relu"
    panel.controls["b"].value = -2.0                   # n = 0.5 * 2 - 2 < 0
    assert panel.result.data == 0.0
    assert "do/dw = x·act'(n) = 0.0000" in panel.summary.value


def test_student_graph_panel_updates_for_a_new_id_and_explains_a_bad_one():
    panel = student_graph_panel()
    assert "(15, 105, 137, 47)" in panel.summary.value
    panel.controls["student_id"].value = "136"
    assert panel.result.gradient == (9.0, 27.0, 17.0, 8.0)
    panel.controls["student_id"].value = "1x"
    assert isinstance(panel.result, str) and "may hold only digits" in panel.summary.value
    assert bytes(panel.image.value).startswith(b"\x89PNG")


def test_graph_panels_write_two_decimals_in_readable_text():
    fig = neuron_panel().figure              # o = tanh(2 * 0.5 - 0.5) = 0.4621...
    texts = [t for t in fig.axes[0].texts if t.get_text()]
    assert "o | data 0.46 | grad 1.00" in [t.get_text() for t in texts]
    assert min(t.get_fontsize() for t in texts) >= 9


@pytest.mark.parametrize("build, changes", [
    (e_graph_panel, [("a", -2.5), ("b", 3.0), ("a", 0.25)]),
    (neuron_panel, [("activation", "relu"), ("x", -1.0), ("activation", "sigmoid"),
                    ("w", 3.5), ("b", 1.0)]),
    (student_graph_panel, [("student_id", "136"), ("student_id", "1x"),
                           ("student_id", "98765432"), ("student_id", "12345670")]),
])
def test_graph_panels_after_changes_show_what_a_fresh_panel_shows(build, changes):
    assert_shows_like_a_fresh_panel(build(), build, changes)


def test_graph_panels_rewrite_only_the_texts_of_a_graph_of_the_same_shape():
    panel = neuron_panel()
    patches = list(panel.figure.axes[0].patches)
    panel.controls["activation"].value = "relu"
    panel.controls["x"].value = 1.0
    assert list(panel.figure.axes[0].patches) == patches        # not drawn again
    shown = [t.get_text() for t in panel.figure.axes[0].texts]
    assert "relu" in shown and "tanh" not in shown
    assert "o | data 0.00 | grad 1.00" in shown                 # relu(1 * 0.5 - 0.5)
