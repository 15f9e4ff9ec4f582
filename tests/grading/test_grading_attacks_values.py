"""Issue 13, class 5: whatever a learner's function returns fails that case with a sentence;
it never becomes an error of the grader and never costs another exercise its marks."""

import numpy as np
import pytest
from grading_helpers import FAST, SANDBOX

from dlcourse.grading import exercises
from dlcourse.grading.grader import grade_file
from dlcourse.grading.spec import Case, compare, run_cases
from dlcourse.grading.wire import Unsupported, decode, encode

RETURNS = {
    "an integer of 400 digits": "return 10**400",
    "an integer of 10,000 digits": "return 10**10000",
    "NaN": "return float('nan')",
    "an object array": "return np.array([1, 'a', None], dtype=object)",
    "a subclass lying about its shape": (
        "class Liar(np.ndarray):\n        shape = (7,)\n"
        "    return (x > 0).view(Liar)"),
    "a masked array hiding wrong values": "return np.ma.masked_array(x, mask=x <= 0)",
    "a huge broadcast view": "return np.broadcast_to(np.float64(0), (10**10,))",
    "a huge empty shape": "return np.empty((0, 2**40))",
    "complex numbers": "return (x > 0).astype(complex)",
    "a lone surrogate in a string": "return '\\udc80\\x1b[2J'",
    "a generator": "return (v for v in x)",
    "an object whose __array__ raises": (
        "class Bad:\n        def __array__(self, *a, **k):\n            raise RuntimeError('no')\n"
        "    return Bad()"),
    "a dict with a hostile key": "return {float('nan'): 1, (1, 2): [3]}",
    "a deeply nested list": "v = []\n    for _ in range(10_000):\n        v = [v]\n    return v",
}


def test_a_subclass_is_judged_by_its_contents_not_by_what_it_claims(make_submission):
    liar = ("import numpy as np\n\nclass Liar(np.ndarray):\n    shape = (7,)\n"
            "    dtype = np.dtype(np.float64)\n\n"
            "def relu_grad(x):\n    return (x > 0).astype(x.dtype).view(Liar)\n")
    result = grade_file(make_submission("liar", replace={"ch02.relu_grad": liar}), seed=7,
                        limits=FAST, sandbox=SANDBOX)
    assert result.score == result.max_score


@pytest.mark.parametrize("kind", list(RETURNS))
def test_any_return_value_fails_only_its_own_exercise_with_a_sentence(kind, make_submission):
    body = RETURNS[kind]
    cell = f"import numpy as np\n\ndef relu_grad(x):\n    {body}\n"
    result = grade_file(make_submission("odd", replace={"ch02.relu_grad": cell}), seed=7,
                        limits=FAST, sandbox=SANDBOX)
    assert result.status == "graded" and result.error is None
    scores = {e.name: e.score for e in result.exercises}
    assert scores == {"ch02.perceptron_step": 2, "ch02.sigmoid_grad": 1, "ch02.relu_grad": 0,
                      "ch02.xor_mlp_forward": 2}, kind
    feedback = next(e.feedback for e in result.exercises if e.name == "ch02.relu_grad")
    assert "internal" not in feedback and "Traceback" not in feedback
    assert feedback.isprintable() and "\n" not in feedback


# The same values straight into the comparison, as a tampered runner could send them.
TAMPERED = [10**400, -(10**400), float("nan"), float("inf"), "x", None, [1, [2]], {"a": 1},
            Unsupported("a generator object"), True, (1, 2), np.float128(1) if hasattr(
                np, "float128") else 1.5, np.zeros((2, 0)), np.array([1 + 2j])]


@pytest.mark.parametrize("value", TAMPERED, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("name", ["ch02.relu_grad", "ch01.cross_entropy",
                                  "ch04.sgd_momentum_step", "ch10.box_iou"])
def test_the_comparison_answers_any_value_with_a_sentence(name, value):
    exercise = exercises.get(name)
    cases = [("public", c) for c in exercise.public()][:2]
    tally = run_cases(exercise, cases, lambda args, kwargs: value)
    assert tally.stopped is None and tally.passed + len(tally.failures) == len(cases)
    for failure in tally.failures:
        assert isinstance(failure.problem, str) and failure.problem


def test_numbers_beyond_a_float_are_named_and_travel_as_such():
    assert compare(10**400, 1.0) == "the result is a number too large for a float"
    assert decode(encode(10**400)) == Unsupported(
        "an integer of 1329 bits, too large to be a number here")
    assert compare(decode(encode(10**400)), 1.0) == (
        "the result should be a number, got an integer of 1329 bits, too large to be a number "
        "here")


def test_a_wrong_case_of_a_drive_exercise_cannot_break_the_loop():
    """An optimiser step is fed the learner's own previous point: feed it nonsense."""
    exercise = exercises.get("ch04.adam_step")
    case = exercise.public()[0]
    tally = run_cases(exercise, [("public", case), ("public", Case(case.args, case.kwargs))],
                      lambda args, kwargs: ("not", "arrays", 3))
    assert tally.passed == 0 and len(tally.failures) == 2
