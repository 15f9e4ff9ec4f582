"""Issue 13, class 10: a private exercise bank -- README's worked example, graded for real,
and never readable by the notebooks it grades."""

import json
import re

import nbformat
import pytest
from grading_helpers import FAST, ROOT, SANDBOX

from dlcourse.cli import main
from dlcourse.grading.bank import BankError, load_bank
from dlcourse.grading.grader import grade_paths

RIGHT = "import numpy as np\n\ndef leaky_relu(x, slope=0.01):\n" \
        "    return np.where(x > 0, x, slope * x).astype(x.dtype)\n"
FORGETS_THE_SLOPE = "import numpy as np\n\ndef leaky_relu(x, slope=0.01):\n" \
                    "    return np.where(x > 0, x, 0.01 * x).astype(x.dtype)\n"


@pytest.fixture
def bank(tmp_path):
    """README's example bank, copied from README itself, in a folder outside the package."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    source = re.search(r"<!-- bank-example -->\n```python\n(.*?)```\n<!-- /bank-example -->",
                       readme, re.S).group(1)
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "hw1.py").write_text(source, encoding="utf-8")
    return folder


def notebook(folder, name, source):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# hw1"),
                                         nbformat.v4.new_code_cell(source)])
    folder.mkdir(exist_ok=True)
    path = folder / name
    nbformat.write(nb, path)
    return path


def test_readmes_bank_grades_right_and_wrong_answers(bank, tmp_path):
    subs = tmp_path / "subs"
    paths = [notebook(subs, "hw1_ann.ipynb", RIGHT),
             notebook(subs, "hw1_ben.ipynb", FORGETS_THE_SLOPE)]
    ann, ben = grade_paths(paths, seed=4, limits=FAST, sandbox=SANDBOX, bank=bank)
    assert (ann.assignment, ann.score, ann.max_score) == ("hw1", 2, 2)
    assert ann.exercises[0].feedback == "all 5 cases passed"
    assert ben.score == 0.4 and "1/5 cases passed" in ben.exercises[0].feedback


def test_the_bank_is_invisible_to_the_notebooks_it_grades(bank, tmp_path):
    """Right answers only if the bank's file could be read or imported."""
    steal = ("import numpy as np\nleaked = None\nfor attempt in (\n"
             f"    lambda: open({str(bank / 'hw1.py')!r}).read(),\n"
             f"    lambda: __import__('importlib.util').util.spec_from_file_location('b', "
             f"{str(bank / 'hw1.py')!r}).loader.get_data({str(bank / 'hw1.py')!r}),\n"
             f"    lambda: __import__('os').listdir({str(bank)!r}) or None,\n):\n"
             "    try:\n        leaked = leaked or attempt()\n    except Exception:\n"
             "        pass\n\n"
             "def leaky_relu(x, slope=0.01):\n"
             "    if leaked:\n        return np.where(x > 0, x, slope * x).astype(x.dtype)\n"
             "    return x\n")
    result, = grade_paths([notebook(tmp_path / "subs", "hw1_eve.ipynb", steal)], seed=4,
                          limits=FAST, sandbox=SANDBOX, bank=bank)
    assert result.score == 0 and "is wrong" in result.exercises[0].feedback


def test_the_command_line_grades_with_a_bank_and_refuses_a_broken_one(bank, tmp_path, capsys):
    path = notebook(tmp_path / "subs", "hw1_ann.ipynb", RIGHT)
    args = ["grade", str(path), "--bank", str(bank), "--json", "--seed", "4",
            "--gradebook", str(tmp_path / "g.sqlite")]
    if not SANDBOX:
        args.append("--no-sandbox")
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["score"] == 2
    (bank / "broken.py").write_text("EXERCISES = 3\n")
    load_bank.cache_clear()
    assert main(args) == 2
    assert "define EXERCISES" in capsys.readouterr().err


@pytest.mark.parametrize("source, words", [
    ("", "define EXERCISES"),
    ("EXERCISES = []", "holds no exercises"),
    ("raise RuntimeError('typo')", "RuntimeError: typo"),
    ("from dlcourse.grading.exercises.ch02 import EXERCISES\nEXERCISES = EXERCISES * 2",
     "defined twice"),
])
def test_a_bad_bank_is_refused_naming_the_file(source, words, tmp_path):
    (tmp_path / "b.py").write_text(source)
    with pytest.raises(BankError, match=words):
        load_bank(tmp_path)
