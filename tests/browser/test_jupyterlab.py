"""The course as a learner meets it: JupyterLab from `make lab`, in Chromium.

nbval proves that the cells run; these tests prove that a learner sees them work: outputs
without errors, panels that draw, and figures that change when a control is moved.  A
chapter's run here also reproduces its checked outputs, as nbval requires, so nbval's own
run of that chapter is left out when this test runs (``tests/suite_plan.py``).
The tests of one xdist worker share its JupyterLab server, its browser and one window, in
which JupyterLab is loaded once and each test opens its notebook (``NotebookPage.open``).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import nbformat
import pytest
from labpage import _IMAGE_DIGEST_JS

from dlcourse.grading.checks import run_checks
from dlcourse.nbtools import checked_text, is_answer_cell

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]

# Every chapter, including those added later; each run also stands in for nbval's run.
CHAPTERS = [pytest.param(path, id=path.stem, marks=pytest.mark.checks_outputs_of(
    path.relative_to(ROOT).as_posix()))
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]


def _problems_message(problems: list[str]) -> str:
    return "the notebook shows errors or stderr output:\n\n" + "\n\n".join(problems)


def _checked_outputs_differ(lab, committed: bytes) -> list[str]:
    """Each answer cell (``# NBVAL_CHECK_OUTPUT``) whose text outputs differ from the
    committed ones, compared as nbval compares them."""
    cells = nbformat.reads(committed.decode(), as_version=4).cells
    differ = []
    for index, cell in enumerate(cells):
        if not is_answer_cell(cell):
            continue
        expected, shown = checked_text(cell.outputs), checked_text(lab.outputs_of(index))
        if shown != expected:
            differ.append(f"cell {index} shows\n{shown}\ninstead of the committed\n{expected}")
    return differ


@pytest.mark.parametrize("notebook", CHAPTERS)
def test_chapter_runs_all_without_errors_and_every_panel_redraws_when_a_control_moves(
        notebook: Path, in_lab, screenshots):
    for old in screenshots.glob(f"{notebook.stem}*.png"):
        old.unlink()

    committed = notebook.read_bytes()

    def body(lab):
        lab.open(f"notebooks/{notebook.name}")
        lab.run_all()
        assert not lab.problems(), _problems_message(lab.problems())
        assert not lab.not_run(), f"cells {lab.not_run()} did not run"
        differ = _checked_outputs_differ(lab, committed)
        assert not differ, "checked outputs differ from the notebook's:\n\n" + "\n\n".join(
            differ)
        lab.wait_for_widgets()
        panels = lab.panels()
        assert panels.count() >= 1, "no dlcourse panel (controls, figure, summary) is shown"
        for k in range(panels.count()):
            panel = panels.nth(k)
            panel.scroll_into_view_if_needed()
            controls = panel.locator(":scope > .widget-hbox > *")
            assert controls.count() >= 1, f"panel {k + 1} shows no controls"
            for c in range(controls.count()):
                assert controls.nth(c).is_visible(), f"panel {k + 1}: control {c + 1} is hidden"
            lab.wait_for_figure(panel)
            if k == 0:
                lab.page.screenshot(path=screenshots / f"{notebook.stem}.png")
            change = lab.change_one_control(panel)
            assert change.lowest_figure_height >= 0.9 * change.figure_height, (
                f"the figure of panel {k + 1} collapsed from {change.figure_height:.0f} px to "
                f"{change.lowest_figure_height:.0f} px while redrawing after {change.control}")
            panel.screenshot(path=screenshots / f"{notebook.stem}-panel{k + 1}.png")
        assert not lab.problems(), _problems_message(lab.problems())

    in_lab(body)
    assert notebook.read_bytes() == committed, (
        "the notebook on disk changed during the test: JupyterLab saved it (autosave should "
        "be off), or it was edited meanwhile")


def test_welcome_notebook_shows_the_machine_report(in_lab):
    def body(lab):
        lab.open("notebooks/00_welcome.ipynb")
        index = lab.cell_index("c => c.sharedModel.getSource().includes('format_report')")
        lab.select(index)
        lab.menu("Run", "Run Selected Cell")
        lab.wait_until_ran([index])
        assert not lab.problems(), _problems_message(lab.problems())
        shown = lab.cell(index).locator(".jp-OutputArea-output").inner_text()
        assert re.search(r"^(ok|!!) +backend +(numpy|cupy)\b", shown, re.MULTILINE), shown
        assert re.search(r"^ok +widget extension +installed", shown, re.MULTILINE), shown
        assert ("All set: every chapter can run here." in shown
                or "problem(s) above: fix them" in shown), shown

    in_lab(body)


# Takes the maximum and the sum over the whole batch instead of over each row.
WRONG_SOFTMAX = textwrap.dedent('''\
    def softmax(x):
        """Softmax over the last axis of ``x``; same shape and dtype as ``x``."""
        e = np.exp(x - x.max())
        return e / e.sum()
    ''')


def test_exercise_with_a_wrong_answer_shows_the_friendly_check_message(in_lab):
    namespace = {}
    exec("import numpy as np\n" + WRONG_SOFTMAX, namespace)
    expected = run_checks("ch01.softmax", namespace["softmax"]).report()
    assert expected.startswith("✘ ch01.softmax:")

    exercise = ROOT / "exercises" / "01_learning_from_data.ipynb"
    committed = exercise.read_bytes()

    def body(lab):
        lab.open("exercises/01_learning_from_data.ipynb")
        answer = lab.cell_index("c => c.getMetadata('dlcourse')?.exercise === 'ch01.softmax'")
        check = lab.cell_index("c => c.getMetadata('dlcourse')?.check === 'ch01.softmax'")
        lab.type_into(answer, WRONG_SOFTMAX)
        assert lab.source(answer) == WRONG_SOFTMAX
        lab.select(check)
        lab.menu("Run", "Run All Above Selected Cell")
        lab.wait_until_ran(range(answer))
        lab.menu("Run", "Run Selected Cell")
        lab.wait_until_ran([check])
        assert not lab.problems(), _problems_message(lab.problems())
        shown = lab.cell(check).locator(".jp-OutputArea-output")
        assert shown.is_visible()
        assert shown.inner_text().strip() == expected
        for line in ("checks failed", "case:", "problem:", "hint:"):
            assert line in shown.inner_text()

    in_lab(body)
    assert exercise.read_bytes() == committed, "the wrong answer was saved into the exercise"


# nbgrader's instructor tools (deploy/lab/): `make lab` leaves them out, `make instructor-lab`
# has them.
INSTRUCTOR_PLUGINS = ["@jupyter/nbgrader:menu", "@jupyter/nbgrader:create-assignment",
                      "@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list"]

# What a lab shows once restored: the news setting (JupyterLab asks "get notified about
# Jupyter news?" while it is "none"), which instructor plugins it has, the menu bar.
_LAB_AS_SEEN_JS = """async plugins => {
  const app = window.jupyterapp;
  await app.restored;
  const notification = await app.serviceManager.settings.fetch(
    '@jupyterlab/apputils-extension:notification');  // overrides.json changes the defaults
  return {
    fetchNews: notification.settings.fetchNews
      ?? notification.schema.properties.fetchNews.default,
    plugins: plugins.filter(id => app.hasPlugin(id)),
    menus: [...document.querySelectorAll('.lm-MenuBar-itemLabel')].map(e => e.textContent),
  };
}"""


def _lab_as_seen(chromium, base_url: str, token: str) -> dict:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{base_url}/lab?reset&token={token}")
        page.wait_for_function("() => !!window.jupyterapp", timeout=60_000)
        return page.evaluate(_LAB_AS_SEEN_JS, INSTRUCTOR_PLUGINS)
    finally:
        context.close()


def test_the_learners_lab_has_no_news_pop_up_and_no_instructor_panels(chromium, jupyterlab):
    seen = _lab_as_seen(chromium, *jupyterlab)
    assert seen["fetchNews"] == "false", seen  # so JupyterLab never asks
    assert seen["plugins"] == [], "nbgrader's instructor plugins are loaded in `make lab`"
    assert "Nbgrader" not in seen["menus"], seen["menus"]
    assert "Run" in seen["menus"], seen["menus"]  # the menu bar was read at all


def test_the_instructors_lab_has_nbgraders_panels(chromium, instructor_lab):
    seen = _lab_as_seen(chromium, *instructor_lab)
    assert seen["plugins"] == INSTRUCTOR_PLUGINS, seen
    assert "Nbgrader" in seen["menus"], seen["menus"]
    assert seen["fetchNews"] == "false", seen


def test_quick_moves_of_a_slider_end_on_a_figure_of_the_last_value(in_lab):
    """Three quick key presses on a slider, then the same value reached slowly: the panel
    must end on the summary of the last value and on the same figure both ways (stale
    redraws neither pile up nor come last, and a change that JupyterLab sends to a kernel
    subshell while the main thread draws is not lost)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    def body(lab):
        lab.open("notebooks/03_backprop.ipynb")
        lab.run_all()
        assert not lab.problems(), _problems_message(lab.problems())
        lab.wait_for_widgets()
        panel = lab.panels().first          # e = (a + b)(b + 1); its sliders are a and b
        panel.scroll_into_view_if_needed()
        lab.wait_for_figure(panel)
        image = panel.locator(":scope > img.widget-image")
        summary = panel.locator(":scope > .widget-html")
        a = panel.locator(".noUi-handle").first
        readout = panel.locator(".widget-readout").first
        shown = {"a": 2.0, "b": 1.0}        # e_graph_panel()'s start; its sliders step 0.25

        def press(*keys):
            """Press ``keys`` on a's slider without waiting; wait for e of the last a."""
            for key in keys:
                a.press(key)
                shown["a"] += 0.25 if key == "ArrowRight" else -0.25
            x, y = shown["a"], shown["b"]
            e = f"e = (a + b)(b + 1) = {(x + y) * (y + 1):g};"
            try:
                lab.page.wait_for_function("([s, e]) => s.innerText.includes(e)",
                                           arg=[summary.element_handle(), e], timeout=60_000)
            except PlaywrightTimeoutError:
                raise AssertionError(f"after {keys} the summary should say {e!r} (a = {x}, "
                                     f"b = {y}) but says {summary.inner_text()!r}; the "
                                     f"slider shows {readout.inner_text()!r}") from None
            lab.page.wait_for_function("img => img.complete", arg=image.element_handle())
            return x, image.evaluate(_IMAGE_DIGEST_JS)

        assert summary.inner_text().startswith("e = (a + b)(b + 1) = 6;")  # (2 + 1)(1 + 1)
        a.focus()
        quick = press("ArrowRight", "ArrowRight", "ArrowRight")
        press("ArrowLeft")
        slow = press("ArrowRight")
        assert quick == slow

    in_lab(body)
