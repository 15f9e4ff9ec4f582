"""Drive one notebook in JupyterLab the way a learner does: open it, use the menus, type.

Reading state goes through ``window.jupyterapp`` (the server runs with
``--LabApp.expose_app_in_browser``), so every wait is on something JupyterLab itself knows
-- the kernel's status, a cell's execution count, an output -- never on a sleep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Timeouts in milliseconds; generous, because the machine may be busy.
KERNEL_READY_MS = 180_000
RUN_ALL_MS = 300_000  # a chapter should run in < 60 s; one retry fits in pytest's 900 s
WIDGETS_MS = 120_000
PANEL_UPDATE_MS = 120_000
AFTER_ANSWER_MS = 10_000

NOTEBOOK = "window.jupyterapp.shell.currentWidget"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")

# Every output of every code cell as {cell, type, name, mimes, text}.
_OUTPUTS_JS = f"""() => {{
  const cells = [...{NOTEBOOK}.content.model.cells];
  const found = [];
  cells.forEach((cell, index) => {{
    if (cell.type !== 'code') return;
    for (let i = 0; i < cell.outputs.length; i++) {{
      const o = cell.outputs.get(i).toJSON();
      const text = o.text !== undefined ? [].concat(o.text).join('')
        : o.traceback ? o.traceback.join('\\n') : [].concat(o.data?.['text/plain'] ?? []).join('');
      found.push({{cell: index, type: o.output_type, name: o.name ?? null,
                   mimes: Object.keys(o.data ?? {{}}), text: String(text)}});
    }}
  }});
  return found;
}}"""

# True when the page shows JupyterLab served from the base URL given.
_SHOWS_LAB_OF_JS = """base => !!window.jupyterapp && location.href.startsWith(base + '/lab')"""

# Opens a document in the app, once the app has restored its plugins and layout.
_OPEN_JS = """async path => {
  await window.jupyterapp.restored;
  await window.jupyterapp.commands.execute('docmanager:open', {path});
}"""

# Closes every document widget, marked unchanged first so that nothing asks to save it.
_CLOSE_DOCUMENTS_JS = """async () => {
  if (!window.jupyterapp) return;
  await window.jupyterapp.restored;
  for (const widget of [...window.jupyterapp.shell.widgets('main')]) {
    if (widget.context) widget.context.model.dirty = false;
    widget.dispose();
  }
}"""

# True once Run All has finished: the kernel is idle, no cell shows [*], and every code
# cell has run -- or one raised, after which JupyterLab runs nothing further.
_RUN_ALL_FINISHED_JS = f"""() => {{
  const nb = {NOTEBOOK};
  const code = [...nb.content.model.cells].filter(c => c.type === 'code');
  const queued = [...nb.content.node.querySelectorAll('.jp-InputPrompt')]
    .some(p => p.textContent.includes('*'));
  const raised = code.some(c => [...Array(c.outputs.length).keys()]
    .some(i => c.outputs.get(i).type === 'error'));
  return nb.sessionContext.kernelDisplayStatus === 'idle' && !queued
    && (raised || code.every(c => c.executionCount !== null));
}}"""

# SHA-256 of the bytes an <img> shows (the Image widget serves them from a blob: URL).
_IMAGE_DIGEST_JS = """async img => {
  const bytes = await (await fetch(img.src)).arrayBuffer();
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('');
}"""

# Lowest height the figure reaches until watching stops; a dip means that the figure
# collapsed (flickered, and the page jumped) while it was swapped.
_WATCH_HEIGHT_JS = """img => {
  img.__minHeight = img.getBoundingClientRect().height;
  img.__observer = new ResizeObserver(() => {
    img.__minHeight = Math.min(img.__minHeight, img.getBoundingClientRect().height);
  });
  img.__observer.observe(img);
  return img.__minHeight;
}"""
_STOP_WATCHING_JS = "img => { img.__observer.disconnect(); return img.__minHeight; }"

# Sets window.__kernelAnswered once the kernel has been busy and is idle again.
_WATCH_KERNEL_JS = f"""() => {{
  const session = {NOTEBOOK}.sessionContext;
  let busy = false;
  window.__kernelAnswered = false;
  const watch = (_, status) => {{
    if (status === 'busy') busy = true;
    else if (status === 'idle' && busy) window.__kernelAnswered = true;
  }};
  session.statusChanged.connect(watch);
  window.__stopWatchingKernel = () => session.statusChanged.disconnect(watch);
}}"""

# A dlcourse Panel as rendered by ipywidgets: a VBox of (HBox of controls, Image, HTML).
PANEL_SELECTOR = ".widget-vbox:has(> .widget-hbox):has(> img.widget-image)"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@dataclass
class Change:
    """One control moved on a panel and what the panel showed before and after."""

    control: str
    summary_before: str
    summary_after: str
    figure_height: float
    lowest_figure_height: float


class NotebookPage:
    """One notebook open in JupyterLab in a Playwright ``page``."""

    def __init__(self, page, base_url: str, token: str):
        self.page = page
        self.base_url = base_url
        self.token = token

    # -- opening and running ----------------------------------------------------------------

    def open(self, path: str, *, fresh: bool = False) -> None:
        """Open ``path`` (relative to the repository) as the only document; wait for its kernel.

        In a page that already shows this server's JupyterLab, the documents open there are
        closed (unsaved changes dropped) and ``path`` is opened in the same app: loading
        JupyterLab costs ~6 s of CPU (Chromium compiling and laying it out, the server
        sending it), as much as running a short chapter.  Otherwise, or with ``fresh``,
        JupyterLab is loaded on ``path`` in a fresh workspace.  ``fresh`` is for a lab whose
        first document may still be starting its kernel (a hub's learner just logged in):
        closing it then once left the next notebook's kernel never idle, under load."""
        if not fresh and self.page.evaluate(_SHOWS_LAB_OF_JS, self.base_url):
            self.close_documents()
            self.page.evaluate(_OPEN_JS, path)
        else:
            self.page.goto(f"{self.base_url}/lab/tree/{path}?reset&token={self.token}")
        self.page.wait_for_function(
            """name => {
              const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
              return !!(w && w.context && w.context.path.endsWith(name) && w.sessionContext
                        && w.sessionContext.kernelDisplayStatus === 'idle');
            }""", arg=path, timeout=KERNEL_READY_MS, polling=250)

    def close_documents(self) -> None:
        """Close every document open in the app without asking to save it (their kernels
        keep running: the caller shuts them down)."""
        self.page.evaluate(_CLOSE_DOCUMENTS_JS)

    def shows_a_dialog(self) -> bool:
        """Whether a JupyterLab dialog waits for an answer (a prompt a test left behind)."""
        return self.page.locator(".jp-Dialog").count() > 0

    def menu(self, menu: str, item: str) -> None:
        """Click ``menu`` in the menu bar, then its ``item``: ``menu("Run", "Run All Cells")``."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
        self.page.locator(".lm-Menu-itemLabel").get_by_text(item, exact=True).click()

    def run_all(self) -> None:
        """Run ▸ Run All Cells, then wait until every cell has run (or one raised)."""
        self.menu("Run", "Run All Cells")
        self.wait_until_finished()

    def wait_until_finished(self, timeout: int = RUN_ALL_MS) -> None:
        self.page.wait_for_function(_RUN_ALL_FINISHED_JS, timeout=timeout, polling=250)

    def wait_until_ran(self, indices, timeout: int = RUN_ALL_MS) -> None:
        """Wait until the kernel is idle and the code cells among ``indices`` have run."""
        self.page.wait_for_function(f"""indices => {{
            const nb = {NOTEBOOK};
            const queued = [...nb.content.node.querySelectorAll('.jp-InputPrompt')]
              .some(p => p.textContent.includes('*'));
            return nb.sessionContext.kernelDisplayStatus === 'idle' && !queued
              && indices.map(i => nb.content.model.cells.get(i))
                   .every(c => c.type !== 'code' || c.executionCount !== null);
        }}""", arg=list(indices), timeout=timeout, polling=250)

    def select(self, index: int) -> None:
        """Select cell ``index`` by clicking its prompt, as a learner does."""
        self.cell(index).locator(".jp-InputPrompt").click()

    def type_into(self, index: int, text: str) -> None:
        """Replace the code of cell ``index`` by ``text``, typed into its editor."""
        editor = self.cell(index).locator(".cm-content")
        editor.click()
        self.page.keyboard.press("ControlOrMeta+A")
        self.page.keyboard.insert_text(text)

    # -- reading cells and outputs ----------------------------------------------------------

    def cell_index(self, predicate_js: str) -> int:
        """Index of the first cell for which ``predicate_js`` (``cell => bool``) is true."""
        index = self.page.evaluate(
            f"() => [...{NOTEBOOK}.content.model.cells].findIndex({predicate_js})")
        assert index >= 0, f"no cell matches {predicate_js}"
        return index

    def cell(self, index: int):
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def source(self, index: int) -> str:
        return self.page.evaluate(
            f"i => {NOTEBOOK}.content.model.cells.get(i).sharedModel.getSource()", index)

    def outputs(self) -> list[dict]:
        return self.page.evaluate(_OUTPUTS_JS)

    def outputs_of(self, index: int) -> list[dict]:
        """The outputs of cell ``index`` as nbformat dicts (text only: each stream's text,
        each result's and display's text/plain), as :func:`dlcourse.nbtools.checked_text`
        reads them."""
        found = []
        for o in self.outputs():
            if o["cell"] != index:
                continue
            if o["type"] == "stream":
                found.append({"output_type": "stream", "name": o["name"], "text": o["text"]})
            else:
                data = {"text/plain": o["text"]} if "text/plain" in o["mimes"] else {}
                found.append({"output_type": o["type"], "data": data})
        return found

    def not_run(self) -> list[int]:
        """Indices of the code cells that have no execution count."""
        return self.page.evaluate(f"""() => [...{NOTEBOOK}.content.model.cells]
            .map((c, i) => c.type === 'code' && c.executionCount === null ? i : -1)
            .filter(i => i >= 0)""")

    def problems(self) -> list[str]:
        """Errors and stderr text, from the notebook model and from what the page shows."""
        found = [f"cell {o['cell']}: {o['type']} {o['name'] or ''}\n"
                 + ANSI_ESCAPE.sub("", o["text"])[-1500:]
                 for o in self.outputs() if o["type"] == "error" or o["name"] == "stderr"]
        if not found:  # the page as well: what the learner sees
            shown = self.page.locator(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
            found += [f"shown on the page: {text[-1500:]}" for text in shown.all_inner_texts()]
        broken = self.page.locator(".jp-OutputArea-output", has_text="Error displaying widget")
        found += [f"broken widget: {text[:300]}" for text in broken.all_inner_texts()]
        return found

    # -- widgets and panels -----------------------------------------------------------------

    def wait_for_widgets(self) -> int:
        """Wait until every widget output of the model is drawn on the page; their number."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        expected = sum(WIDGET_VIEW in o["mimes"] for o in self.outputs())
        drawn = "() => document.querySelectorAll('.jp-OutputArea-output > .jupyter-widgets').length"
        try:
            self.page.wait_for_function(f"n => ({drawn})() >= n", arg=expected,
                                        timeout=WIDGETS_MS, polling=250)
        except PlaywrightTimeoutError:
            raise AssertionError(
                f"only {self.page.evaluate(drawn)} of {expected} widgets were drawn after "
                f"{WIDGETS_MS // 1000} s: is the widget extension installed in this JupyterLab? "
                "(`dlcourse doctor` says)") from None
        return expected

    def panels(self):
        return self.page.locator(PANEL_SELECTOR)

    def wait_for_figure(self, panel) -> None:
        """Wait until the figure of ``panel`` is loaded and has a size."""
        self.page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().height",
            arg=panel.locator(":scope > img.widget-image").element_handle(),
            timeout=WIDGETS_MS, polling=100)

    def change_one_control(self, panel) -> Change:
        """Move the first control of ``panel`` that we know how to move; wait for the new figure.

        Asserts that the figure's bytes changed, and measures the figure's lowest height
        while it was swapped.
        """
        panel.scroll_into_view_if_needed()
        image = panel.locator(":scope > img.widget-image")
        summary = panel.locator(":scope > .widget-html")
        old_src = image.get_attribute("src")
        old_digest = image.evaluate(_IMAGE_DIGEST_JS)
        summary_before = summary.inner_text()
        figure_height = image.evaluate(_WATCH_HEIGHT_JS)
        self.page.evaluate(_WATCH_KERNEL_JS)
        controls = panel.locator(":scope > .widget-hbox > *")
        moved = None
        for k in range(controls.count()):
            moved = _move(controls.nth(k))
            if moved:
                break
        assert moved, ("the panel has no control that tests/browser/labpage.py knows how to "
                       "move (slider, dropdown, selection, checkbox, buttons, text); teach it: "
                       + panel.inner_html()[:500])
        # Wait for the new figure, or for the kernel to have handled the change (busy, then
        # idle) -- after which a new figure is a few milliseconds away, or never comes.
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        redrawn = "([img, old]) => img.src !== old && img.complete"
        args = [image.element_handle(), old_src]
        self.page.wait_for_function(f"a => ({redrawn})(a) || window.__kernelAnswered", arg=args,
                                    timeout=PANEL_UPDATE_MS, polling=100)
        try:
            self.page.wait_for_function(redrawn, arg=args, timeout=AFTER_ANSWER_MS, polling=100)
        except PlaywrightTimeoutError:
            raise AssertionError(
                f"the kernel handled {moved} but the figure did not change (an exception in "
                "the panel's callback shows under View > Show Log Console)") from None
        finally:
            self.page.evaluate("() => window.__stopWatchingKernel()")
        new_digest = image.evaluate(_IMAGE_DIGEST_JS)
        assert new_digest != old_digest, f"moving {moved} sent the same figure again"
        return Change(moved, summary_before, summary.inner_text(), figure_height,
                      image.evaluate(_STOP_WATCHING_JS))


def _move(control) -> str | None:
    """Change one ipywidgets control as a user would; a description of what was done."""
    classes = control.get_attribute("class") or ""
    labels = control.locator(".widget-label")
    label = labels.first.text_content() if labels.count() else "?"
    if "widget-slider" in classes:
        # The readout shows the value as the model holds it; the handle's aria-valuenow is
        # rounded to one decimal (0.3 and 0.35 both read "0.3"), so a step of 0.05 could
        # look like no move at all, and the slider was moved back and forth.
        handle = control.locator(".noUi-handle").first
        readout = control.locator(".widget-readout")
        before = readout.inner_text()
        handle.focus()
        for key in ("ArrowRight", "ArrowLeft"):          # ArrowLeft: at the right end
            handle.press(key)
            if readout.inner_text() != before:
                return f"slider {label!r} {before} -> {readout.inner_text()}"
        return None
    if "widget-dropdown" in classes:
        select = control.locator("select")
        options = select.locator("option").all_inner_texts()
        if len(options) < 2:
            return None
        current = options.index(select.locator("option:checked").inner_text())
        choice = options[(current + 1) % len(options)]
        select.select_option(label=choice)
        return f"dropdown {label!r} {options[current]!r} -> {choice!r}"
    if "widget-select-multiple" in classes:
        select = control.locator("select")
        options = select.locator("option").all_inner_texts()
        chosen = select.locator("option:checked").all_inner_texts()
        wanted = [o for o in options if o not in chosen][:1] + chosen[:1]
        if len(options) < 2 or sorted(wanted) == sorted(chosen):
            return None
        select.select_option(label=wanted)
        return f"selection {label!r} {chosen} -> {wanted}"
    if "widget-checkbox" in classes:
        box = control.locator("input[type=checkbox]")
        before = box.is_checked()
        box.click()
        return f"checkbox {label!r} {before} -> {not before}"
    if "widget-toggle-buttons" in classes or "widget-radio" in classes:
        other = control.locator("button:not(.mod-active), input:not(:checked)").first
        if not other.count():
            return None
        choice = other.evaluate("e => e.textContent || e.parentElement.textContent")
        other.click()
        return f"choice {label!r} -> {choice!r}"
    if "widget-text" in classes:
        box = control.locator("input")
        before = box.input_value()
        after = before[:-1] + ("1" if before[-1:] != "1" else "2")
        box.fill(after)
        box.press("Enter")
        return f"text {label!r} {before!r} -> {after!r}"
    return None
