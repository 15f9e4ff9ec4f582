"""How long does a learner wait, in JupyterLab, from moving a control to seeing the new figure?

``bench_widgets.py`` times an update inside Python.  This script times what the learner
sees: JupyterLab (started as README says, ``make lab``) in Debian's Chromium, a chapter
notebook run top to bottom, then one control of a panel moved with the keyboard, again and
again.  Each move is timed in the page, from the key press to the new figure decoded:

* the change's message to the kernel, the panel's wait for more changes (``COALESCE_S``),
  the update (compute, draw, PNG), the image's message back, and the browser decoding it.

Two ways of moving, each ``--moves`` times:

* ``after a pause``: two seconds between moves, in which a panel does its idle work
  (``prefetch``): a learner trying one value, then the next;
* ``back to back``: the next move as soon as the figure of the last one is shown, starting
  from a setting the panel has not seen: a learner stepping through values without
  stopping, racing the idle work.

    python bench/bench_panels_in_browser.py

Needs the browser tests' set-up (Chromium, Playwright), as ``make test`` does.  The lab
lays out the notebook as the learner's does (the browser tests keep every cell in the page,
which costs Chromium a third more CPU per move); like theirs, it never saves a notebook.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from labpage import NotebookPage  # noqa: E402
from servers import start_lab  # noqa: E402

from conftest import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402  (the browser tests' set-up)

PAUSE_S = 2.0

# Press an arrow key on a slider's handle (the other one at the slider's end); resolve with
# the ms until the panel's new figure is decoded (its <img> gets a new blob: URL when the
# kernel sends the image).
_TIMED_PRESS_JS = """([handle, key]) => new Promise((resolve, reject) => {
  const value = name => Number(handle.getAttribute(name));
  if (key === 'ArrowRight' && value('aria-valuenow') >= value('aria-valuemax')) key = 'ArrowLeft';
  if (key === 'ArrowLeft' && value('aria-valuenow') <= value('aria-valuemin')) key = 'ArrowRight';
  const img = handle.closest('.widget-vbox').querySelector(':scope > img.widget-image');
  const old = img.src;
  const start = performance.now();
  const watch = new MutationObserver(async () => {
    if (img.src === old) return;
    watch.disconnect();
    await img.decode();
    resolve(performance.now() - start);
  });
  watch.observe(img, {attributes: true, attributeFilter: ['src']});
  setTimeout(() => { watch.disconnect(); reject(new Error('no new figure in 30 s')); }, 30000);
  handle.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
})"""

# chapter notebook -> (which panel, which slider, a dropdown to reach an unseen setting)
PANELS = {
    "signal explorer: depth": ("notebooks/07_training_deep_nets.ipynb", 0, 0,
                               ("activation", "selu")),
    "k-NN: noise": ("notebooks/01_learning_from_data.ipynb", 0, 1, ("metric", "manhattan")),
}


def time_moves(lab: NotebookPage, panel_index: int, slider_index: int, unseen, moves: int):
    """Latencies (ms) of ``moves`` right-arrow presses after a pause, then of as many
    left-arrow presses back to back, after choosing the ``unseen`` dropdown value."""
    panel = lab.panels().nth(panel_index)
    panel.scroll_into_view_if_needed()
    lab.wait_for_figure(panel)
    handle = panel.locator(".noUi-handle").nth(slider_index).element_handle()
    paused = []
    for _ in range(moves):
        time.sleep(PAUSE_S)   # the learner looks at the figure; the panel works ahead
        paused.append(lab.page.evaluate(_TIMED_PRESS_JS, [handle, "ArrowRight"]))
    label, option = unseen
    image = panel.locator(":scope > img.widget-image")
    old = image.get_attribute("src")
    panel.locator(".widget-dropdown", has_text=label).locator("select").select_option(option)
    lab.page.wait_for_function("([img, old]) => img.src !== old && img.complete",
                               arg=[image.element_handle(), old])  # not timed
    back_to_back = [lab.page.evaluate(_TIMED_PRESS_JS, [handle, "ArrowLeft"])
                    for _ in range(moves)]
    return paused, back_to_back


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=12, help="moves of each kind per panel")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"{'panel':28s} {'moves':14s} {'median':>7s} {'p90':>6s} {'max':>6s}   (ms, key "
          "press to the new figure decoded)")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        servers = start_lab(Path(tmp))
        base, token = next(servers)
        windowing = "@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
        (Path(tmp) / "settings" / windowing).write_text("{}")  # the default, read at page load
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            lab = NotebookPage(page, base, token)
            for name, (notebook, panel_index, slider_index, unseen) in PANELS.items():
                lab.open(notebook)
                lab.run_all()
                lab.wait_for_widgets()
                for kind, times in zip(("after a pause", "back to back"),
                                       time_moves(lab, panel_index, slider_index, unseen,
                                                  args.moves), strict=True):
                    p90 = statistics.quantiles(times, n=10, method="inclusive")[-1]
                    print(f"{name:28s} {kind:14s} {statistics.median(times):7.0f} "
                          f"{p90:6.0f} {max(times):6.0f}", flush=True)
        finally:
            browser.close()
            next(servers, None)     # stops JupyterLab


if __name__ == "__main__":
    main()
