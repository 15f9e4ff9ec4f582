"""The grader's own resources, attacked through the submissions folder and the wire: pipes,
devices, links, huge files and cells, floods from a tampered runner (issue 13, class 4)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from grading_helpers import FAST, SANDBOX, solution

from dlcourse.grading import intake
from dlcourse.grading.grader import grade_file
from dlcourse.grading.intake import Unreadable, read_submission
from dlcourse.grading.sandbox import bwrap_problem, bwrap_works

DLCOURSE = str(Path(sys.executable).parent / "dlcourse")


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "alice.ipynb").write_text(json.dumps(solution("02")))
    return folder


@pytest.mark.parametrize(("make", "reason"), [
    (lambda p: os.mkfifo(p), "a named pipe (FIFO), not a notebook file"),
    (lambda p: p.symlink_to("/dev/zero"), "a symbolic link to /dev/zero, outside"),
    (lambda p: p.symlink_to("/etc/passwd"), "a symbolic link to /etc/passwd, outside"),
    (lambda p: p.symlink_to(p.parent / "alice.ipynb"), "a symbolic link to another submission "
                                                       "(alice.ipynb): not graded"),
    (lambda p: p.symlink_to(p.parent / "nowhere"), "does not exist (a broken link?)"),
    (lambda p: p.mkdir(), "a folder, not a notebook file"),
    (lambda p: os.truncate(os.open(p, os.O_CREAT | os.O_WRONLY), 17 * 2**20),
     f"larger than {intake.MAX_NOTEBOOK_BYTES // 2**20} MB"),
])
def test_only_regular_files_of_a_bounded_size_are_read(folder, make, reason):
    path = folder / "mallory.ipynb"
    make(path)
    with pytest.raises(Unreadable, match=re.escape(reason)):
        read_submission(path, [folder / "alice.ipynb", path])


def test_a_link_to_a_device_is_refused_before_it_is_opened(folder):
    """A character device reached through a link inside the folder is refused by its type:
    opening some devices blocks or has side effects."""
    (folder / "dev").symlink_to("/dev")
    (folder / "mallory.ipynb").symlink_to(folder / "dev" / "zero")
    with pytest.raises(Unreadable, match="outside the submissions folder"):
        read_submission(folder / "mallory.ipynb")


def test_a_link_to_a_regular_file_in_the_same_folder_is_followed(folder):
    (folder / "bob-final.ipynb").symlink_to(folder / "alice.ipynb")
    data = read_submission(folder / "bob-final.ipynb", [folder / "bob-final.ipynb"])
    assert data == (folder / "alice.ipynb").read_bytes()


def test_a_huge_code_cell_is_an_error_before_anything_parses_it(make_submission):
    path = make_submission("huge", insert=["x = [" + "1, " * 1_400_000 + "]"])
    result = grade_file(path, seed=1, limits=FAST, sandbox=SANDBOX)
    assert result.status == "error" and result.exercises == []
    assert f"code cell 1 has 4,200,006 characters; the limit is {intake.MAX_CELL_CHARS:,}" \
        in result.error


FLOOD = """import json, os, stat
payload = json.dumps({"event": "ready", "names": [0] * 10_000_000}).encode()
for fd in range(3, 64):
    try:
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            os.write(fd, len(payload).to_bytes(8, "big") + payload)
    except OSError:
        pass
def relu_grad(x):
    return (x > 0).astype(x.dtype)"""


def test_a_tampered_runner_flooding_the_grader_costs_one_exercise(make_submission):
    """30 MB of JSON written straight into the protocol pipe (its cell is skipped), and a
    reply of 200,000 numbers: refused from the header and before decoding; the other
    exercise keeps its marks."""
    flood = grade_file(make_submission("flood", replace={"ch02.relu_grad": FLOOD}), seed=1,
                       limits=FAST, sandbox=SANDBOX)
    many = grade_file(make_submission("many", replace={
        "ch02.relu_grad": "def relu_grad(x):\n    return [0] * 200_000"}), seed=1,
        limits=FAST, sandbox=SANDBOX)
    for result, reason in [(flood, "larger than the 8 MB limit"), (many, "not data")]:
        scores = {e.name: (e.score, e.feedback) for e in result.exercises}
        assert scores["ch02.relu_grad"][0] == 0 and reason in scores["ch02.relu_grad"][1]
        assert scores["ch02.sigmoid_grad"][0] == 1


@pytest.mark.skipif(not bwrap_works(), reason=f"{bwrap_problem()}: install the Debian package "
                    "`bubblewrap` (CI does)")
def test_no_entry_of_the_folder_changes_how_another_is_graded(folder, tmp_path):
    """Once, a link to /dev/null made the grader hide /dev from every sandbox: all got 0."""
    os.mkfifo(folder / "fifo.ipynb")
    (folder / "null.ipynb").symlink_to("/dev/null")
    (folder / "zero.ipynb").symlink_to("/dev/zero")
    (folder / "copycat.ipynb").symlink_to(folder / "alice.ipynb")
    done = subprocess.run([DLCOURSE, "grade", str(folder), "--json", "--seed", "1",
                           "--chapter", "ch02", "--gradebook", str(tmp_path / "book.sqlite")],
                          capture_output=True, text=True, timeout=300)
    results = {Path(r["submission"]).name: r for r in json.loads(done.stdout)}
    alice = results.pop("alice.ipynb")
    assert alice["status"] == "graded" and alice["score"] == alice["max_score"] > 0
    assert alice["isolation"] == "bwrap"
    assert {name: r["status"] for name, r in results.items()} == dict.fromkeys(
        ["copycat.ipynb", "fifo.ipynb", "null.ipynb", "zero.ipynb"], "error")
    assert "another submission (alice.ipynb)" in results["copycat.ipynb"]["error"]
    assert "named pipe" in results["fifo.ipynb"]["error"]
