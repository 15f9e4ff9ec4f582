"""The learner's instant check: friendly words for every kind of mistake, never a traceback."""

import numpy as np
import pytest

from dlcourse.grading import check
from dlcourse.grading.checks import CheckFailed, run_checks
from dlcourse.grading.spec import compare


def good_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_a_correct_function_gets_one_line_saying_all_checks_passed(capsys):
    check("ch01.softmax", good_softmax)
    out = capsys.readouterr().out
    assert out.startswith("✔ ch01.softmax: all 4 checks passed") and out.count("\n") == 1


def test_an_unwritten_exercise_is_told_to_replace_not_implemented(capsys):
    def softmax(x):
        raise NotImplementedError("write softmax here")

    check("ch01.softmax", softmax)
    out = capsys.readouterr().out
    assert "not written yet" in out and "Traceback" not in out


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_overflow_is_reported_with_the_input_and_a_hint():
    def naive(x):
        return np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)

    report = run_checks("ch01.softmax", naive).report()
    assert "1 of 4 checks failed" in report
    assert "large scores" in report and "softmax(array([1000., 1001., 1002.]))" in report
    assert "nan" in report and "subtract each row's largest score" in report


def test_a_shape_mistake_names_both_shapes():
    def softmax(x):
        e = np.exp(x - x.max())
        return e / e.sum()  # sums over everything: right shape, wrong values for 2-D input

    def flat(x):
        return good_softmax(x).ravel()

    assert "is wrong at index" in run_checks("ch01.softmax", softmax).report()
    report = run_checks("ch01.softmax", flat).report()
    assert "has shape (6,) but should have shape (2, 3)" in report


def test_a_dtype_mistake_says_to_keep_the_inputs_dtype():
    def softmax(x):
        return good_softmax(x).astype(np.float64)

    report = run_checks("ch01.softmax", softmax).report()
    assert "dtype float64 but should keep the input's dtype float32" in report


def test_an_exception_is_reported_as_a_sentence():
    def relu_grad(x):
        return 1 / 0

    report = run_checks("ch02.relu_grad", relu_grad).report()
    assert "relu_grad raised ZeroDivisionError: division by zero" in report


def test_a_wrong_return_type_is_named():
    def relu_grad(x):
        return list(x > 0)

    assert "should be a NumPy array, got a list" in run_checks("ch02.relu_grad", relu_grad).report()


def test_a_forbidden_call_is_refused_and_named():
    import torch

    def softmax(x):
        return torch.softmax(torch.from_numpy(x), -1).numpy()

    report = run_checks("ch01.softmax", softmax).report()
    assert "uses torch" in report and "does not allow" in report


def test_a_forbidden_call_hidden_from_a_reader_is_caught_while_running():
    import scipy.special

    def softmax(x):
        return getattr(scipy.special, "soft" + "max")(x, axis=-1)

    report = run_checks("ch01.softmax", softmax).report()
    assert "scipy.special" in report and "does not allow" in report


def test_a_misspelt_exercise_name_gets_a_suggestion(capsys):
    check("ch01.sofmax", good_softmax)
    assert "did you mean 'ch01.softmax'" in capsys.readouterr().out


def test_passing_something_that_is_not_a_function_is_explained():
    assert "needs your function softmax" in run_checks("ch01.softmax", "softmax").report()


def test_strict_mode_raises_a_report_without_traceback(monkeypatch, capsys):
    monkeypatch.setenv("DLCOURSE_STRICT_CHECKS", "1")
    with pytest.raises(CheckFailed) as info:
        check("ch02.relu_grad", lambda x: x)
    assert info.value._render_traceback_()[0].startswith("✘ ch02.relu_grad")


def test_check_does_nothing_inside_the_grader(monkeypatch, capsys):
    monkeypatch.setenv("DLCOURSE_GRADING", "1")
    check("ch02.relu_grad", lambda x: x)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("got, expected, words", [
    (np.zeros(3), np.zeros((1, 3)), "has shape (3,) but should have shape (1, 3)"),
    (1.5, 2.0, "is 1.5 but should be 2"),
    ("x", 2.0, "should be a number, got a str"),
    ((1.0,), (1.0, 2.0), "should have 2 values, got 1"),
    ({"a": 1}, {"a": 1, "b": 2}, "is missing the key 'b'"),
    (np.array([1, 2]), np.array([1.0, 2.0]), "should be a float array"),
    (np.array([1.0, np.inf]), np.array([1.0, 2.0]), "contains inf at index (1,)"),
])
def test_compare_explains_each_kind_of_mismatch(got, expected, words):
    assert words in compare(got, expected)


def test_compare_hides_expected_values_when_asked():
    message = compare(np.array([1.0, 5.0]), np.array([1.0, 2.0]), reveal=False)
    assert "got 5" in message and "expected" not in message
