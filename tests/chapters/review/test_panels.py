"""Chapter 12 practice panel: check gives feedback, kind/seed give a fresh problem."""

from dlcourse.chapters.review import practice
from dlcourse.chapters.review.panels import feedback_html, practice_panel, practice_step
from tests.chapters.panel_checks import assert_shows_like_a_fresh_panel


def test_practice_step_checks_only_a_non_blank_answer():
    assert practice_step("softmax", 2, "  ").feedback is None
    result = practice_step("softmax", 2, "0.1, 0.2")
    assert result.feedback is not None and not result.feedback.correct
    assert "Worked solution" in feedback_html(result)


def test_check_button_shows_right_and_wrong_verdicts():
    panel = practice_panel("yolo_size", seed=1)
    assert "press <b>check</b>" in panel.summary.value
    panel.answer_box.value = "3"
    panel.check_button.click()
    assert "Not quite" in panel.summary.value
    panel.answer_box.value = str(practice.generate("yolo_size", 1).answer)
    panel.check_button.click()
    assert panel.result.feedback.correct and "Correct!" in panel.summary.value


def test_changing_kind_or_seed_makes_a_new_problem_and_clears_the_answer():
    panel = practice_panel("pooling", seed=0)
    before = panel.summary.value
    panel.answer_box.value = "1"
    panel.check_button.click()
    panel.controls["seed"].value = 4
    assert panel.result.problem.seed == 4 and panel.result.feedback is None
    assert panel.answer_box.value == "" and panel.summary.value != before
    panel.controls["kind"].value = "transposed_conv"
    assert panel.result.problem.kind == "transposed_conv"
    assert len(panel.figure.axes) == 2  # input and kernel drawn


def test_an_answer_changes_the_feedback_not_the_picture_and_a_new_problem_redraws_it():
    panel = practice_panel("transposed_conv", seed=2)
    image = panel.image.value
    panel.answer_box.value = "1 2; 3 4"
    assert panel.result.feedback is not None and panel.image.value == image
    for change in [("seed", 3), ("kind", "pooling"), ("kind", "softmax"), ("seed", 1),
                   ("kind", "transposed_conv")]:
        assert_shows_like_a_fresh_panel(panel, lambda kind, seed, answer: practice_panel(
            kind, seed), [change])              # a new problem clears the answer box


def test_enter_in_the_answer_box_checks_and_a_cleared_box_does_not():
    panel = practice_panel("param_count", seed=3)
    panel.answer_box.value = str(practice.generate("param_count", 3).answer)  # as on Enter
    assert panel.result.feedback.correct
    panel.controls["seed"].value = 5
    assert panel.answer_box.value == "" and panel.result.feedback is None
