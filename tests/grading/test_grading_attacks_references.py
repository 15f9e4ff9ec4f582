"""Issue 13, class 2: the worst student tries to get marks from the course's own code.

Each attack is written so that it would *earn* the marks if it worked: the learner's function
returns the right answer only when the reference (or a course module that solves the
exercise) was reached.  So a score of 0 with "is wrong" proves it was not.  The grades run in
bubblewrap where it works (CI) and, for the layer that is the grader's own, also without it:
the runner's import allow-list holds in both.
"""

import ast

import nbformat
import pytest
from grading_helpers import CHAPTERS, FAST, ROOT, SANDBOX, solution

from dlcourse.grading.bank import shipped
from dlcourse.grading.grader import grade_file
from dlcourse.grading.guard import parse_cell
from dlcourse.grading.imports import module_closure, package_files

SEED = 20260101
MODES = sorted({False, SANDBOX})  # the import layer alone, and with the sandbox's mounts
EXERCISES_CH02 = ROOT / "dlcourse" / "grading" / "exercises" / "ch02.py"


def grade(path, sandbox):
    return grade_file(path, seed=SEED, limits=FAST, sandbox=sandbox)


def exercise(result, name):
    return next(e for e in result.exercises if e.name.endswith(name))


def leak_cell(attempt: str) -> str:
    """ch02's relu_grad, right only if ``attempt`` (run by the cell, where the static scan
    does not look; it sets ``leaked``) reached the reference or the file."""
    body = "\n".join("    " + line for line in attempt.splitlines())
    return ("leaked = None\ntry:\n" + body + "\nexcept Exception:\n    pass\n\n"
            "def relu_grad(x):\n    if leaked is not None:\n"
            "        return (x > 0).astype(x.dtype)\n"
            "    return x  # wrong on purpose: full marks would mean the attack worked\n")


ATTACKS = {
    "a module name built at run time": (
        "import importlib\n"
        "leaked = importlib.import_module('dlcourse.grading.exer' + 'cises.ch02').relu_grad"),
    "__import__ of the reference": (
        "leaked = __import__('dlcourse.grading.exercises.ch02', fromlist=['x']).relu_grad"),
    "a course module that solves ch02": (
        "leaked = __import__('dlcourse.percep' + 'tron')"),
    "reading the reference's file and exec-ing it": (
        f"ns = {{}}\nexec(open({str(EXERCISES_CH02)!r}).read(), ns)\nleaked = ns['relu_grad']"),
    "the reference through a symbolic link": (
        f"import os\nos.symlink({str(EXERCISES_CH02)!r}, 'ref.py')\n"
        "leaked = open('ref.py').read()"),
    "the reference through /proc/self/root": (
        f"leaked = open('/proc/self/root' + {str(EXERCISES_CH02)!r}).read()"),
    "the checkout's git objects": (
        f"import os\nleaked = os.listdir({str(ROOT / '.git')!r}) and "
        f"open({str(ROOT / '.git')!r} + '/HEAD').read()"),
    "a pathlib path that changes its mind": (
        "import pathlib\n"
        "class P(pathlib.PosixPath):\n"
        "    n = 0\n"
        "    def __fspath__(self):\n"
        "        P.n += 1\n"
        f"        return 'x' if P.n == 1 else {str(EXERCISES_CH02)!r}\n"
        "leaked = open(P('x')).read()"),
    "a function re-homed under another __name__": (
        "import types, numpy as np\nf = np.linalg.norm.__wrapped__\n"
        "leaked = types.FunctionType(f.__code__, dict(f.__globals__, __name__='__main__'))"),
    "a code object rebuilt with another file name": (
        "import numpy as np\n"
        "leaked = np.linalg.norm.__wrapped__.__code__.replace(co_filename='<cell 1>')"),
    "ctypes": "import ctypes\nleaked = ctypes.CDLL(None).getpid()",
    "the garbage collector's list of objects": (
        "import gc\nleaked = [o for o in gc.get_objects() if getattr(o, '__name__', '') == "
        "'relu_grad' and o is not relu_grad][0]"),
}


@pytest.mark.parametrize("sandbox", MODES)
def test_no_route_reaches_a_reference_or_a_course_module_that_solves_the_exercise(
        sandbox, make_submission):
    paths = [make_submission(f"attack{i}", replace={"ch02.relu_grad": leak_cell(code)})
             for i, code in enumerate(ATTACKS.values())]
    for name, path in zip(ATTACKS, paths, strict=True):
        result = grade(path, sandbox)
        relu = exercise(result, "relu_grad")
        assert relu.score == 0 and "is wrong at index" in relu.feedback, (name, relu.feedback)
        assert result.score == result.max_score - relu.max_score, name  # nothing else lost


@pytest.mark.parametrize("sandbox", MODES)
def test_a_ufunc_from_a_library_the_exercise_does_not_name_is_refused(sandbox, make_submission):
    expit = ("from scipy.special import expit\n\n"
             "def sigmoid_grad(x):\n    s = expit(x)\n    return s * (1 - s)\n")
    result = grade(make_submission("expit", replace={"ch02.sigmoid_grad": expit}), sandbox)
    sigmoid = exercise(result, "sigmoid_grad")
    assert sigmoid.score == 0
    assert "scipy.special.expit" in sigmoid.feedback or "scipy" in sigmoid.feedback
    hidden = ("expit = __import__('scipy.spe' + 'cial', fromlist=['e']).expit  # unseen by a "
              "reader\n\ndef sigmoid_grad(x):\n    s = expit(x)\n    return s * (1 - s)\n")
    result = grade(make_submission("expit2", replace={"ch02.sigmoid_grad": hidden}), sandbox)
    assert exercise(result, "sigmoid_grad").score == 0
    assert "scipy.special cannot be imported" in exercise(result, "sigmoid_grad").feedback


def test_swapping_the_guard_from_the_learners_namespace_changes_nothing(make_submission):
    swap = ("import sys, threading\n"
            "class Nothing:\n"
            "    def __init__(self, *a, **k):\n        self.refused = []\n"
            "    def __enter__(self):\n        return self\n"
            "    def __exit__(self, *a):\n        return False\n"
            "sys.modules['__main__'].RuntimeGuard = Nothing\n"
            "guard = sys.modules['dlcourse.grading.gu' + 'ard']\n"
            "guard.RuntimeGuard = Nothing\n"
            "sys.setprofile = threading.setprofile = lambda f: None\n")
    sneaky = ("def numerical_gradient(f, x, eps=1e-6):\n"
              "    import functools\n"
              "    try:  # the guard's profile function, through a call it cannot see\n"
              "        hook = functools.partial(sys.getprofile)()\n"
              "        hook.__defaults__ = ((),) + hook.__defaults__[1:]\n"
              "    except Exception:\n        pass\n"
              "    try:\n        getattr(np, 'grad' + 'ient')(np.arange(3.0))\n"
              "    except Exception:\n        pass  # swallow the refusal, carry on\n"
              "    grad = np.zeros(x.shape)\n"
              "    for i in np.ndindex(x.shape):\n"
              "        old = x[i]\n        x[i] = old + eps\n        plus = f(x)\n"
              "        x[i] = old - eps\n        minus = f(x)\n        x[i] = old\n"
              "        grad[i] = (plus - minus) / (2 * eps)\n    return grad\n")
    result = grade(make_submission("swap", "03", insert=[swap],
                                   replace={"ch03.numerical_gradient": sneaky}), SANDBOX)
    numgrad = exercise(result, "numerical_gradient")
    assert numgrad.score == 0 and "numpy.gradient" in numgrad.feedback, numgrad.feedback
    linear = exercise(result, "linear_backward")
    assert linear.score == linear.max_score  # a new process, after the refusal ended the old


def test_a_thread_of_the_notebooks_cannot_work_for_a_graded_function(make_submission):
    """The runtime guard watches the graded call's thread; a helper thread started by a cell
    (here, one that would run numpy.gradient on request) is refused outright."""
    helper = ("import queue, threading\nimport numpy as np\njobs, answers = queue.Queue(), "
              "queue.Queue()\n\ndef worker():\n    while True:\n"
              "        answers.put(getattr(np, 'grad' + 'ient')(jobs.get()))\n\n"
              "threading.Thread(target=worker, daemon=True).start()\n")
    result = grade(make_submission("thread", "03", insert=[helper]), SANDBOX)
    numgrad = exercise(result, "numerical_gradient")
    assert numgrad.score == 0 and "uses threads" in numgrad.feedback, numgrad.feedback


def test_the_standard_library_still_works_under_the_import_guard(make_submission):
    stdlib = ("import socket, enum, dataclasses, fractions, statistics, json, re, typing\n"
              "from collections import namedtuple\n"
              "Point = namedtuple('Point', 'x y', defaults=(0,))\n"
              "@dataclasses.dataclass\nclass Box:\n    size: int = 1\n"
              "class Colour(enum.Enum):\n    RED = 1\n"
              "assert statistics.mean([1, 2, 3]) == 2 and Point(1).y == 0 and Box().size == 1\n")
    result = grade(make_submission("stdlib", insert=[stdlib]), SANDBOX)
    assert result.score == result.max_score and not result.skipped


def test_a_function_made_at_run_time_is_not_graded(make_submission):
    """exec, and a cell the grader cannot parse: neither is a blind spot of the static scan."""
    made = ("exec('def relu_grad(x):\\n    return (x > 0).astype(x.dtype)')")
    result = grade(make_submission("exec", replace={"ch02.relu_grad": made}), SANDBOX)
    assert exercise(result, "relu_grad").score == 0
    assert "not a function that a `def`" in exercise(result, "relu_grad").feedback
    rebound = ("import numpy as np\n\ndef relu_grad(x):\n    return (x > 0).astype(x.dtype)\n\n"
               "relu_grad = np.sign")
    result = grade(make_submission("rebound", replace={"ch02.relu_grad": rebound}), SANDBOX)
    assert "not a function that a `def`" in exercise(result, "relu_grad").feedback
    broken = ("def relu_grad(x):\n    import torch\n"
              "    return (torch.from_numpy(x) > 0).numpy().astype(x.dtype)\n)")
    path = make_submission("noparse", replace={"ch02.relu_grad": broken})
    result = grade(path, SANDBOX)
    assert exercise(result, "relu_grad").score == 0
    assert "does not parse" in exercise(result, "relu_grad").feedback
    index = next(i for i, c in enumerate(nbformat.read(path, as_version=4).cells)
                 if c.source == broken)
    assert [(s["index"], s["first_line"]) for s in result.skipped] == [
        (index, "def relu_grad(x):")]
    assert result.skipped[0]["reason"].startswith("does not parse (")


def test_the_static_scan_follows_the_def_the_runner_holds_not_a_later_namesake(make_submission):
    twice = ("import numpy as np\nimport sys\n\n"
             "def relu_grad(x):\n    t = sys.modules['numpy']\n"
             "    return getattr(t, 'grad' + 'ient')(x)\n\n"
             "first = relu_grad\n\ndef relu_grad(x):\n    return x\n\nrelu_grad = first\n")
    result = grade(make_submission("twice", replace={"ch02.relu_grad": twice}), SANDBOX)
    assert exercise(result, "relu_grad").score == 0


def test_the_allow_list_is_numpy_the_standard_library_and_what_the_exercise_names():
    closure = module_closure([])
    assert "dlcourse.chapters.perceptron_mlp.perceptron" not in closure
    assert "dlcourse.chapters.gans.gan2d" not in closure
    assert not any(m.startswith("dlcourse.grading.exercises") for m in closure)
    assert "dlcourse.gradcheck" in module_closure(["dlcourse.gradcheck"])
    files = {p.relative_to(ROOT / "dlcourse").as_posix() for p in package_files([])}
    assert files == {"__init__.py", "grading/__init__.py", "grading/checks.py",
                     "grading/guard.py", "grading/imports.py", "grading/runner.py",
                     "grading/spec.py", "grading/text.py", "grading/wire.py"}


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_every_course_module_a_notebook_imports_is_named_by_its_exercises(chapter):
    """Otherwise the notebook's own cells would fail under the allow-list."""
    imported = set()
    for cell in solution(chapter).cells:
        tree = parse_cell(cell.source) if cell.cell_type == "code" else None
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
    allowed = {m for e in shipped().chapter(f"ch{chapter}") for m in e.allowed}
    needed = {m for m in imported if m.startswith("dlcourse") and m != "dlcourse.grading"}
    assert needed <= allowed
