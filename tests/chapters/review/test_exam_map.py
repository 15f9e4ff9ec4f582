"""The exam map: every question of the notes is mapped, and every link leads somewhere."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from dlcourse import detection, sizing
from dlcourse.chapters.review import exam_map, practice
from dlcourse.chapters.review import medical_imaging as review
from dlcourse.grading import exercises
from dlcourse.nn import functional as F

ROOT = Path(__file__).resolve().parents[3]
SEEDS = ROOT.parent / "shared" / "seeds"
# Lines that look like questions but are remarks inside answers.
NOT_QUESTIONS = {"001:1471", "001:1667", "001:1707"}
LEAD = re.compile(r"^(Name|List|Write|Explain|Give|Compute|Calculate|Describe|Compare|Draw|"
                  r"Define)\b")
ASK = re.compile(r"^(What|How|Why|Which|When|Where|Is|Can|Are|Does|Do)\b", re.I)


def _seed_questions():
    found = set()
    for path in sorted(SEEDS.glob("*.txt")):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            s, bare = line.strip(), line.strip().strip("*# ").strip()
            if not bare:
                continue
            if s.startswith(("**", "###")):
                question = "?" in bare or bool(LEAD.match(bare))
            else:
                question = (bare.endswith("?") or ("?" in bare and bool(ASK.match(bare)))
                            or bool(LEAD.match(bare) and len(bare) < 200))
            if question:
                found.add(f"{path.name[:3]}:{i}")
    return found


def _anchors(notebook: Path) -> set[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return {exam_map.anchor(line) for c in cells if c["cell_type"] == "markdown"
            for line in "".join(c["source"]).splitlines() if line.startswith("#")}


def test_every_question_of_the_notes_is_mapped_or_listed_as_not_covered():
    if not SEEDS.is_dir():
        pytest.skip("the notes (shared/seeds) are not next to this checkout")
    assert _seed_questions() - NOT_QUESTIONS <= exam_map.sources()
    assert exam_map.sources() <= _seed_questions()  # no made-up citations


def test_every_linked_notebook_exists_and_every_anchor_is_a_heading():
    for q in exam_map.QUESTIONS:
        path = ROOT / q.link.split("#")[0]
        assert path.exists(), f"{q.link} does not exist"
        assert "#" in q.link and q.link.split("#")[1] in _anchors(path), q.link


def test_not_covered_questions_have_no_link_but_a_source():
    assert all(q.link == "" and q.sources for q in exam_map.NOT_COVERED)


def test_the_numbers_the_notes_ask_for_are_computed_by_the_code_shown():
    namespace = dict(np=np, F=F, sizing=sizing, detection=detection, review=review)
    results = {q.sources[0]: eval(q.code, namespace) for q in exam_map.QUESTIONS if q.code}
    # Expected values from the notes / syllabus answers (derived by hand there).
    assert results["000:169"] == [32, 30, 26, 22]
    assert results["000:196"] == 760
    assert results["001:804"] == 14 and results["000:299"] == 7
    assert results["001:885"] == (18432, 18496)
    assert results["001:1444"] == (15, 20)
    assert results["001:897"].tolist() == [[6, 8], [3, 4]]
    # The notes' hand-made 5x5 stamp sum, cropped by padding 1 on every side:
    assert results["001:1502"].tolist() == [[2, 3, 4], [4, 3, 6], [6, 7, 8]]
    np.testing.assert_allclose(results["001:135"], [0.0466, 0.0171, 0.9362], atol=1e-4)


def test_markdown_lists_every_chapter_and_the_not_covered_questions():
    text = exam_map.markdown()
    assert "**05_convolutions**" in text
    assert ("Not yet covered" in text) == bool(exam_map.NOT_COVERED)
    assert "[§ 10 · Receptive fields](05_convolutions.ipynb#10-·-Receptive-fields)" in text
    assert all(q.link.endswith(exam_map.anchor(q.section)) for q in exam_map.QUESTIONS
               if q.section)


def test_every_canonical_topic_links_a_heading_once():
    for topic in exam_map.TOPICS:
        path, target = topic.link.split("#")
        assert target in _anchors(ROOT / path), topic.link
        assert target == exam_map.anchor(topic.section)
    assert len({t.link for t in exam_map.TOPICS}) == len(exam_map.TOPICS)
    text = exam_map.topics_markdown()
    assert text.count("\n") == len(exam_map.TOPICS) - 1
    assert "](10_detection.ipynb#11.3-·-RoI-pooling:-a-box-of-any-size-becomes-a-fixed-grid)" \
        in text


def test_the_numbers_the_canonical_topics_derive_are_computed_by_the_code_shown():
    namespace = dict(np=np, detection=detection)
    results = {t.section: eval(t.code, namespace) for t in exam_map.TOPICS if t.code}
    assert results[exam_map.S10["anchors"]] == 38 * 63 * 9          # ceil(600/16) ceil(1000/16) k
    assert results[exam_map.S10["deltas"]].tolist() == [[0.5, 0.5, 0.0, round(np.log(2), 4)]]
    assert results[exam_map.S10["roi"]].tolist() == [[5.0, 7.0], [13.0, 15.0]]


def _seed_line(source):
    prefix, line = source.split(":")
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return path.read_text(encoding="utf-8").splitlines()[int(line) - 1]


def test_every_trap_quotes_its_line_of_the_notes_exactly():
    if not SEEDS.is_dir():
        pytest.skip("the notes (shared/seeds) are not next to this checkout")
    for trap in exam_map.TRAPS:
        assert " ".join(trap.claim.split()) in " ".join(_seed_line(trap.source).split()), trap


def test_every_trap_links_an_exercise_a_practice_kind_and_a_lesson_that_exist():
    for trap in exam_map.TRAPS:
        assert exercises.get(trap.exercise).chapter == "ch12"
        assert trap.practice in practice.KINDS
        path, target = trap.link.split("#")
        assert target in _anchors(ROOT / path), trap.link
        assert target in _anchors(ROOT / "solutions" / Path(path).name), trap.link
        path, target = trap.lesson.split("#")
        assert target in _anchors(ROOT / path), trap.lesson
    refuting = {e.name for e in exercises.chapter("ch12")} - {"ch12.solve_layers"}
    assert {trap.exercise for trap in exam_map.TRAPS} == refuting
    assert {trap.practice for trap in exam_map.TRAPS} == {
        k for k in practice.KINDS if k.startswith("trap_")}


def test_the_traps_markdown_links_each_exercise_relative_to_a_lecture_notebook():
    text = exam_map.traps_markdown()
    assert text.count("\n") == len(exam_map.TRAPS) - 1
    assert "](../exercises/12_review.ipynb#3.-Refute-the-notes:-YOLO's-output-size-(1-point))" \
        in text
    assert "$" not in text
