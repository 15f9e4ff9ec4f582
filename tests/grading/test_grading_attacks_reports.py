"""Issue 13, classes 6, 8 and 9: hostile text never reaches a terminal or the gradebook
raw, one bad submission never stops a batch, nothing is skipped silently, copies show."""

import json

import nbformat
import pytest
from grading_helpers import FAST, SANDBOX, exercise_notebook

from dlcourse.cli import main
from dlcourse.grading.grader import fingerprint, grade_file, grade_paths
from dlcourse.grading.text import clean

HOSTILE = "ok\x1b[2J\x1b]0;pwned\x07\r\nfake: 6/6\udc80\u202eevil\x00\x9b31m"


@pytest.mark.parametrize("text, cleaned", [
    (HOSTILE, "ok fake: 6/6\ufffd evil"),
    ("tab\tand\u2028line\u00a0space", "tab and line space"),
    (b"bytes \xff", "bytes \ufffd"),
    ("ab" * 10, "abababab…"),
])
def test_clean_leaves_one_printable_line(text, cleaned):
    assert clean(text, limit=9 if cleaned.endswith("…") else None) == cleaned


def test_clean_survives_a_hostile_str():
    class Evil(str):
        def __str__(self):
            raise RuntimeError

    class Worse:
        def __str__(self):
            raise RuntimeError

    assert clean(Evil("a\nb")) == "a b" and clean(Worse()) == "<Worse>"


def cell_raising(message: str) -> str:
    return f"def relu_grad(x):\n    raise ValueError({message!r})\n"


def test_an_error_message_full_of_escapes_and_surrogates_is_stored_and_printed_clean(
        make_submission, tmp_path, capsys):
    path = make_submission("evil\x1b[31m", replace={"ch02.relu_grad": cell_raising(HOSTILE)})
    book = str(tmp_path / "g.sqlite")
    args = ["grade", str(path), "--gradebook", book, "--seed", "1", "--cell-timeout", "8"]
    if not SANDBOX:
        args.append("--no-sandbox")
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\udc80" not in out and "\u202e" not in out
    assert "raised ValueError: ok fake: 6/6\ufffd evil" in out
    assert all(line.isprintable() for line in out.splitlines())
    assert main(["gradebook", "show", "02_evil", "--gradebook", book]) == 0
    assert "\x1b" not in capsys.readouterr().out


def test_one_bad_submission_never_stops_the_batch_and_the_exit_status_says_so(
        make_submission, tmp_path, capsys):
    good = make_submission("good")
    evil = make_submission("evil", replace={"ch02.relu_grad": cell_raising("\udcff" * 50)})
    broken = tmp_path / "submissions" / "02_broken.ipynb"
    broken.write_bytes(b"\xff\xfe not json")
    book = str(tmp_path / "g.sqlite")
    args = ["grade", str(tmp_path / "submissions"), "--gradebook", book, "--json", "--seed", "1"]
    if not SANDBOX:
        args.append("--no-sandbox")
    assert main(args) == 1  # 02_broken is an error
    results = {r["student"]: r for r in json.loads(capsys.readouterr().out)}
    assert results["02_good"]["score"] == 6 and results["02_evil"]["score"] == 5
    assert results["02_broken"]["status"] == "error"
    assert main(["gradebook", "export", "--csv", "--gradebook", book]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4  # header + three students
    for path in (good, evil, broken):
        path.unlink()
    make_submission("fine")
    assert main(args) == 0


SKIPS = {
    "a cell that hangs": ("while True:\n    pass", "ran past the 8 s limit per cell"),
    "a cell that ends the process": ("import os\nos._exit(3)", "exited with status 3"),
    "a cell that exhausts the memory": ("import numpy as np\nhog = np.ones(10**11)",
                                       "ran out of memory (MemoryError"),
    "a cell that does not parse": ("print('unclosed'", "does not parse ("),
}


@pytest.mark.parametrize("kind", list(SKIPS))
def test_a_skipped_cell_is_named_even_when_every_function_passes(kind, make_submission):
    source, reason = SKIPS[kind]
    path = make_submission("skip", insert=[source])
    result = grade_file(path, seed=1, limits=FAST, sandbox=SANDBOX)
    assert result.score == result.max_score
    index = next(i for i, c in enumerate(nbformat.read(path, as_version=4).cells)
                 if c.source == source)
    assert len(result.skipped) == 1, result.skipped
    skipped = result.skipped[0]
    assert (skipped["index"], skipped["first_line"]) == (index, source.splitlines()[0])
    assert reason in skipped["reason"]
    assert result.to_json()["skipped"] == result.skipped


def test_identical_code_from_different_students_is_marked_as_a_copy(make_submission):
    relu = "def relu_grad(x):\n    return (x > 0).astype(x.dtype)\n"
    disguised = ("def relu_grad( x ):   # my own work!\n\n\n"
                 "    return (x>0).astype( x.dtype )  # really\n")
    other = "def relu_grad(x):\n    return (x >= 1e-300).astype(x.dtype)\n"
    paths = [make_submission("ann", replace={"ch02.relu_grad": relu}),
             make_submission("ben", replace={"ch02.relu_grad": disguised}),
             make_submission("cat", replace={"ch02.relu_grad": other}),
             make_submission("dan", replace={"ch02.relu_grad": relu}, file="02_ann_again.ipynb",
                             student="ann")]
    results = grade_paths(paths, seed=1, limits=FAST, sandbox=SANDBOX)
    copies = {r.student: r.copy_of for r in results}
    assert copies == {"02_ann": ["02_ann_again", "02_ben"], "02_ben": ["02_ann", "02_ann_again"],
                      "02_cat": [], "02_ann_again": ["02_ann", "02_ben"]}
    assert results[0].to_json()["copy_of"] == ["02_ann_again", "02_ben"]


def test_untouched_notebooks_are_alike_but_not_copies(make_submission):
    paths = [make_submission(n, base=exercise_notebook("02")) for n in ("ann", "ben")]
    results = grade_paths(paths, seed=1, limits=FAST, sandbox=SANDBOX)
    assert {r.score for r in results} == {0}
    assert [r.copy_of for r in results] == [[], []]
    assert results[0].fingerprint == results[1].fingerprint


def test_the_fingerprint_ignores_comments_and_layout_but_not_code():
    assert fingerprint(["x = 1  # a", "", "def f(a):\n    return a"]) == fingerprint(
        ["x=1", "def f( a ):\n\n    return a  # b"])
    assert fingerprint(["x = 1"]) != fingerprint(["x = 2"])
