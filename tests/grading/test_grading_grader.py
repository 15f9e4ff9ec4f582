"""The grader: fair scores for real notebooks, a result (never a crash) for bad ones, and no
way for the learner's code to change its own score."""

import nbformat
import pytest
from grading_helpers import CHAPTERS, FAST, ROOT, SANDBOX, exercise_notebook, solution

from dlcourse.grading.grader import grade_file
from dlcourse.grading.sandbox import bwrap_works

SEED = 987654321987
needs_bwrap = pytest.mark.skipif(not bwrap_works(), reason="bubblewrap (bwrap) is not usable "
                                 "here; install the Debian package `bubblewrap`")


def grade(path, **kwargs):
    return grade_file(path, seed=SEED, limits=FAST, sandbox=SANDBOX, **kwargs)


def scores(result):
    return {e.name.split(".")[1]: e.score for e in result.exercises}


def feedback(result, name):
    return next(e.feedback for e in result.exercises if e.name.endswith(name))


def relu_cell(body, before=""):
    """The ch02.relu_grad exercise cell with ``body`` as the function body."""
    lines = "\n".join("    " + line for line in body.split("\n"))
    return f"{before}\ndef relu_grad(x):\n{lines}"


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_reference_solutions_score_full_marks(chapter):
    path = sorted((ROOT / "solutions").glob(f"{chapter}_*.ipynb"))[0]
    result = grade(path)
    assert result.status == "graded" and result.error is None
    assert result.score == result.max_score > 0, result.exercises
    assert all(e.feedback.startswith("all ") for e in result.exercises)


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_untouched_exercises_score_zero(chapter, make_submission):
    result = grade(make_submission("untouched", chapter, base=exercise_notebook(chapter)))
    assert result.status == "graded" and result.score == 0 and result.max_score > 0
    assert all("not written yet" in e.feedback for e in result.exercises)


BAD = {
    "infinite loop in the function": (relu_cell("while True:\n    pass"),
                                      f"ran past the {FAST.call_s:g} s"),
    "infinite loop in the cell": (relu_cell("return x", "while True:\n    pass"),
                                  f"its cell ran past the {FAST.cell_s:g} s limit per cell"),
    "memory bomb in the function": (relu_cell("return [0] * 10**10"), "MemoryError"),
    "memory bomb in the cell": (relu_cell("return x", "import numpy as np\nb = np.ones(10**11)"),
                                "its cell raised MemoryError"),
    "the process exits": (relu_cell("return x", "import os\nos._exit(3)"),
                          "its cell exited with status 3"),
    "segmentation fault": (relu_cell("import faulthandler\nfaulthandler._sigsegv()"),
                           "segmentation fault"),
    "50 MB printed by a cell": (relu_cell("return x", "print('x' * 50_000_000)"),
                                "printed or wrote more than 4 MB"),
    "50 MB printed by the function": (relu_cell("print('x' * 50_000_000)"),
                                      "printed or wrote more than 4 MB"),
    "an exception": (relu_cell("raise ValueError('my bug')"), "raised ValueError: my bug"),
    "a missing function": ("def relu_gradient(x):\n    return x", "relu_grad is not defined"),
    "a wrong return type": (relu_cell("return list(x > 0)"), "should be a NumPy array, got a list"),
    "a wrong value": (relu_cell("return x"), "is wrong at index"),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_a_bad_function_costs_only_its_own_points_with_a_one_line_reason(kind, make_submission):
    source, words = BAD[kind]
    result = grade(make_submission("bad", replace={"ch02.relu_grad": source}))
    assert result.status == "graded"
    assert scores(result) == {"perceptron_step": 2, "sigmoid_grad": 1, "relu_grad": 0,
                              "xor_mlp_forward": 2}
    reason = feedback(result, "relu_grad")
    assert words in reason and "\n" not in reason and "Traceback" not in reason


@pytest.mark.parametrize("content, words", [
    (None, "not valid JSON (truncated?)"),
    (b"\x89PNG\r\n\x1a\n" + bytes(64), "not UTF-8 text"),
    (b'{"hello": "world"}', "not a notebook"),
    (nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]))
     .encode(), "cannot tell the chapter from the file name"),
])
def test_files_that_are_not_course_notebooks_become_error_results(content, words, tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_bytes(content if content is not None else
                     (ROOT / "solutions" / "02_perceptron_mlp.ipynb").read_bytes()[:4000])
    result = grade(path)
    assert result.status == "error" and result.score == 0 and words in result.error
    assert len(result.sha256) == 64


def test_tampering_inside_the_notebook_cannot_change_a_score(make_submission):
    tamper = [
        # patch NumPy's comparisons, as if the grader compared in this process
        "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.isclose = lambda a, b, **k: "
        "np.ones(np.shape(a), bool)\nnp.testing.assert_allclose = lambda *a, **k: None",
        # replace the checks and the grader's own modules (hidden from a static reading)
        "def check(*args, **kwargs):\n    print('✔ all checks passed')",
        "import sys\nspec = sys.modules['dlcourse.grad' + 'ing.spec']\n"
        "spec.compare = lambda *a, **k: None\nspec.Exercise.verdict = lambda *a, **k: None",
        # claim a result
        "print('score: 100/100')\nprint('{\"score\": 6, \"max_score\": 6}')",
    ]
    result = grade(make_submission("tamper", replace={"ch02.relu_grad": relu_cell("return x")},
                                   insert=tamper))
    assert scores(result) == {"perceptron_step": 2, "sigmoid_grad": 1, "relu_grad": 0,
                              "xor_mlp_forward": 2}


def test_a_notebook_importing_the_graders_modules_gets_no_points(make_submission):
    result = grade(make_submission("internals", insert=[
        "import dlcourse.grading.spec as spec\nspec.compare = lambda *a, **k: None"]))
    assert result.score == 0
    assert "dlcourse.grading.spec.compare, the grader's own code" in result.exercises[0].feedback


def test_calling_the_graders_reference_is_refused_or_impossible(make_submission):
    sneaky = ("import importlib\nrelu_grad = importlib.import_module("
              "'dlcourse.grading.exer' + 'cises.ch02').relu_grad")
    result = grade(make_submission("sneaky", replace={"ch02.relu_grad": sneaky}))
    assert scores(result)["relu_grad"] == 0
    reason = feedback(result, "relu_grad")
    # bwrap hides the references; without it the runtime guard refuses the call
    assert "not defined" in reason or "does not allow" in reason


def test_a_forbidden_call_is_refused_with_feedback(make_submission):
    static = relu_cell("import torch\nreturn torch.relu(torch.from_numpy(x)).numpy()")
    result = grade(make_submission("torch", replace={"ch02.relu_grad": static}))
    assert scores(result)["relu_grad"] == 0
    assert "uses torch" in feedback(result, "relu_grad")
    dynamic = relu_cell("t = sys.modules['to' + 'rch']\nreturn (t.from_numpy(x) > 0).numpy()"
                        ".astype(x.dtype)", "import sys\nimport torch")
    result = grade(make_submission("torch2", replace={"ch02.relu_grad": dynamic}))
    assert scores(result)["relu_grad"] == 0  # torch is not on ch02's allow-list at all
    assert "ImportRefused: torch cannot be imported" in feedback(result, "relu_grad")


def test_the_learners_process_cannot_find_the_secret_seed(make_submission):
    search = relu_cell(f"""
import glob, os
seen = " ".join(os.environ.values())
for name in glob.glob("/proc/*/environ") + glob.glob("/proc/*/cmdline"):
    try:
        seen += open(name, "rb").read().decode("latin-1")
    except OSError:
        pass
if "{SEED}" in seen:
    return (x > 0).astype(x.dtype)  # right answers only if the seed leaked
return x""")
    result = grade(make_submission("seed", replace={"ch02.relu_grad": search}))
    assert scores(result)["relu_grad"] == 0
    assert "is wrong at index" in feedback(result, "relu_grad")


@needs_bwrap
def test_writes_outside_the_scratch_directory_do_not_reach_the_disk(make_submission, tmp_path):
    targets = [tmp_path / "evil.txt", ROOT / "dlcourse" / "grading" / "evil.py",
               tmp_path / "submissions" / "other_student.ipynb"]
    writes = "\n".join(f"try:\n    open({str(t)!r}, 'w').write('x')\nexcept OSError:\n    pass"
                       for t in targets)
    result = grade(make_submission("writer", insert=[writes]))
    assert result.isolation == "bwrap"
    assert result.score == result.max_score
    assert not any(t.exists() for t in targets)


def test_the_student_id_comes_from_the_option_else_the_file_name(make_submission):
    path = make_submission("s1234567", "03")
    assert grade(path).student == "03_s1234567"
    result = grade(path, student="override")
    assert result.student == "override" and result.score == result.max_score


def test_the_student_number_graph_is_graded_on_the_students_own_id(make_submission):
    nb = solution("03")
    right = next(c.source for c in nb.cells
                 if c.metadata.get("dlcourse", {}).get("exercise") == "ch03.student_number_graph")
    wrong_for_me = right.replace("    ### BEGIN SOLUTION", "    ### BEGIN SOLUTION\n"
                                 "    if student_id == 's1234567':\n        return {}, {}")
    result = grade(make_submission("mine", "03", replace={"ch03.student_number_graph":
                                                          wrong_for_me}), student="s1234567")
    assert 0 < scores(result)["student_number_graph"] < 2
    assert "hidden case 'your student ID 's1234567''" in feedback(result, "student_number_graph")
