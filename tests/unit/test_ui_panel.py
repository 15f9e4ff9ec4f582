"""The panel base every chapter's widgets are built on, and the quiz."""

import asyncio
import gc
import io
import threading
import time
import uuid
import weakref

import ipywidgets as w
import numpy as np
import pytest
from matplotlib.layout_engine import ConstrainedLayoutEngine
from PIL import Image
from threadpoolctl import ThreadpoolController

from dlcourse.ui import Panel, text_cache
from dlcourse.ui import panel as panel_module
from dlcourse.ui.quiz import quiz_html


def _panel():
    def draw(fig, result):
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, result])
        return f"slope {result}"

    return Panel(lambda slope: slope, draw, {"slope": w.FloatSlider(value=1.0, min=0, max=2)})


def test_panel_renders_on_creation():
    p = _panel()
    assert bytes(p.image.value).startswith(b"\x89PNG") and p.summary.value == "slope 1.0"


def test_changing_a_control_recomputes_and_swaps_the_image():
    p = _panel()
    before = p.image.value
    p.controls["slope"].value = 2.0
    assert p.result == 2.0 and p.summary.value == "slope 2.0"
    assert p.image.value != before and p.last_update_ms > 0


@pytest.mark.slow
def test_the_figure_is_reused_not_recreated():
    p = _panel()
    fig = p.figure
    p.controls["slope"].value = 0.5
    assert p.figure is fig and len(fig.axes) == 1


class _Node:
    """An object that can sit in a reference cycle and be watched with a weak reference."""


def test_objects_alive_when_a_panel_is_built_are_left_out_of_later_collections():
    alive = [[] for _ in range(50_000)]  # as the libraries and a chapter's data are
    _panel()
    assert len(gc.get_objects()) < len(alive)  # what a full collection would walk
    assert not any(obj is alive[0] for obj in gc.get_objects())


def test_building_a_panel_frees_old_garbage_instead_of_freezing_it():
    node = _Node()
    node.cycle = node
    gc.collect()            # survives into the oldest generation, where only a full
    watch = weakref.ref(node)  # collection would find it once it is garbage
    del node
    _panel()
    gc.collect()
    assert watch() is None


def test_quiz_hides_answers_in_details_and_escapes_html():
    html = quiz_html([("Is 1 < 2?", "Yes")])
    assert "<details><summary>Show answer</summary><p>Yes</p></details>" in html
    assert "1 &lt; 2" in html


def test_empty_quiz_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        quiz_html([])


def _columns_panel():
    def draw(fig, n):
        for i, ax in enumerate(fig.subplots(1, n, squeeze=False)[0]):
            ax.plot([0, 1], [0, i])
            ax.set(title=f"axes {i}", xlabel="x", ylabel="y")

    return Panel(lambda n: n, draw, {"n": w.IntSlider(value=1, min=1, max=3)})


def test_layout_is_solved_once_and_reused_while_the_axes_stay_the_same(monkeypatch):
    solves = []
    execute = ConstrainedLayoutEngine.execute
    monkeypatch.setattr(ConstrainedLayoutEngine, "execute",
                        lambda self, fig: solves.append(fig) or execute(self, fig))
    p = _columns_panel()
    solved = p.figure.axes[0].get_position().bounds
    p.update()
    p.update()
    assert len(solves) == 1 and p.figure.axes[0].get_position().bounds == solved


def test_layout_is_solved_again_when_the_number_of_axes_changes():
    p = _columns_panel()
    p.controls["n"].value = 3
    boxes = [ax.get_position() for ax in p.figure.axes]
    assert len(boxes) == 3
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert left.x1 < right.x0  # side by side, not stacked on one another


def test_a_fixed_layout_keeps_the_axes_where_draw_put_them():
    def draw(fig, n):
        fig.add_axes((0.3, 0.2, 0.5, 0.6)).plot([0, 1], [0, n])

    p = Panel(lambda n: n, draw, {"n": w.IntSlider(value=1, min=1, max=3)},
              axes_layout="fixed")
    p.controls["n"].value = 2
    assert p.figure.axes[0].get_position().bounds == pytest.approx((0.3, 0.2, 0.5, 0.6))


def test_an_unknown_axes_layout_is_refused():
    with pytest.raises(ValueError, match="axes_layout"):
        Panel(lambda n: n, lambda fig, n: None, {"n": w.IntSlider()}, axes_layout="tight")


# -- draw once, then update ---------------------------------------------------------------

def _line_panel(*, update: bool, draws: list | None = None, computes: list | None = None):
    """The same picture drawn whole every time (update=False) or drawn once and updated."""
    def compute(slope):
        (computes if computes is not None else []).append(slope)
        return slope

    def draw_all(fig, slope):
        ax = fig.add_subplot()
        ax.set(xlim=(0, 1), ylim=(0, 2), title=f"slope {slope}")
        ax.plot([0, 1], [0, slope], lw=3)
        return f"slope {slope}"

    def draw_static(fig, slope):
        (draws if draws is not None else []).append(slope)
        ax = fig.add_subplot()
        ax.set(xlim=(0, 1), ylim=(0, 2), title=" ")
        (line,) = ax.plot([], [], lw=3)
        return {"line": line, "title": ax.title}

    def update_line(artists, slope):
        artists["line"].set_data([0, 1], [0, slope])
        artists["title"].set_text(f"slope {slope}")
        return f"slope {slope}"

    slider = {"slope": w.FloatSlider(value=1.0, min=0, max=2)}
    if update:
        return Panel(compute, draw_static, slider, update=update_line,
                     key=lambda slope: slope > 1.5)
    return Panel(compute, draw_all, slider)


def _pixels(panel) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(panel.image.value)).convert("RGB"))


def test_an_updated_figure_shows_what_a_whole_redraw_shows():
    whole, updated = _line_panel(update=False), _line_panel(update=True)
    for slope in (0.5, 1.25):
        whole.controls["slope"].value = updated.controls["slope"].value = slope
        a, b = _pixels(whole), _pixels(updated)
        assert a.shape == b.shape
        # the line is drawn over the axes frame, not under it: a few pixels may differ
        assert (a != b).any(axis=-1).mean() < 1e-3
        assert updated.summary.value == f"slope {slope}"
        assert updated.figure.axes[0].get_title() == f"slope {slope}"
        assert list(updated.figure.axes[0].lines[0].get_ydata()) == [0, slope]


def test_the_figure_is_drawn_again_only_when_the_key_changes():
    draws = []
    p = _line_panel(update=True, draws=draws)
    p.controls["slope"].value = 0.5
    p.controls["slope"].value = 1.0
    assert draws == [1.0]                   # drawn once, updated twice
    p.controls["slope"].value = 2.0         # the key changes: drawn afresh
    assert draws == [1.0, 2.0] and p.figure.axes[0].get_title() == "slope 2.0"


def test_going_back_to_an_earlier_key_reuses_its_figure_and_shows_the_new_values():
    draws = []
    p = _line_panel(update=True, draws=draws)
    first = p.figure
    p.controls["slope"].value = 2.0                    # another key: a figure of its own
    assert draws == [1.0, 2.0] and p.figure is not first
    p.controls["slope"].value = 0.5                    # back: no redraw, its figure updated
    assert draws == [1.0, 2.0] and p.figure is first
    fresh = _line_panel(update=True)
    fresh.controls["slope"].value = 0.5
    assert (_pixels(p) == _pixels(fresh)).all() and p.summary.value == "slope 0.5"


def test_only_the_last_kept_figures_are_kept(monkeypatch):
    monkeypatch.setattr(panel_module, "KEPT_FIGURES", 2)
    draws = []

    def draw(fig, n):
        draws.append(n)
        return [fig.add_subplot().set_title(str(n))]

    p = Panel(lambda n: n, draw, {"n": w.IntSlider(value=0, min=0, max=9)},
              update=lambda artists, n: None, key=lambda n: n)
    for n in (1, 0, 2):      # keeps 0 and 2: 1 was shown least recently
        p.controls["n"].value = n
    figures = {id(p.figure)}
    for n in (0, 2, 1):
        p.controls["n"].value = n
        figures.add(id(p.figure))
    assert draws == [0, 1, 2, 1] and len(figures) == 2   # 1's figure is 0's, reused


def test_a_key_or_background_without_update_is_refused():
    for setting in ("key", "background"):
        with pytest.raises(ValueError, match="key and background need update"):
            Panel(lambda n: n, lambda fig, n: None, {"n": w.IntSlider()},
                  **{setting: lambda n: n})


def _zoom_panel(draws: list, *, background: bool = True):
    """A line whose y limits follow the slope (in steps of 1): the axis is background."""
    def draw(fig, slope):
        draws.append(slope)
        ax = fig.add_subplot()
        ax.set(xlim=(0, 1), ylim=(0, 1 + int(slope)))
        (line,) = ax.plot([], [], lw=3)
        return [line]

    def update(artists, slope):
        artists[0].set_data([0, 1], [0, slope])
        artists[0].axes.set_ylim(0, 1 + int(slope))

    return Panel(lambda slope: slope, draw, {"slope": w.FloatSlider(value=0.5, min=0, max=3)},
                 update=update, background=(lambda slope: int(slope)) if background else None)


def test_a_new_background_is_rasterised_again_from_the_same_figure():
    draws = []
    p = _zoom_panel(draws)
    figure = p.figure
    for slope in (0.7, 2.5, 1.2):
        p.controls["slope"].value = slope
        fresh = _zoom_panel([])
        fresh.controls["slope"].value = slope
        assert (_pixels(p) == _pixels(fresh)).all(), slope
    assert draws == [0.5] and p.figure is figure and p.figure.axes[0].get_ylim() == (0, 2)
    stale = _zoom_panel([], background=False)   # without it, the old ticks would stay
    stale.controls["slope"].value = 2.5
    fresh.controls["slope"].value = 2.5
    assert (_pixels(stale) != _pixels(fresh)).any()


def test_a_background_seen_lately_is_pasted_not_rasterised_again(monkeypatch):
    p = _zoom_panel([])
    rasterised = []
    draw = p.figure.canvas.draw
    monkeypatch.setattr(p.figure.canvas, "draw", lambda: rasterised.append(1) or draw())
    for slope in (2.5, 0.7, 2.2, 0.2):   # limits 3, 1, 3, 1: the last two seen before
        p.controls["slope"].value = slope
        assert (_pixels(p) == _pixels(_zoom_at(slope))).all(), slope
    assert len(rasterised) == 1


def test_only_the_last_kept_backgrounds_are_kept(monkeypatch):
    monkeypatch.setattr(panel_module, "KEPT_BACKGROUNDS", 2)
    p = _zoom_panel([])
    rasterised = []
    draw = p.figure.canvas.draw
    monkeypatch.setattr(p.figure.canvas, "draw", lambda: rasterised.append(1) or draw())
    # backgrounds 1, 2, 1 (kept), 0 (2 is forgotten), 1 (kept), 2 (rasterised again)
    for slope in (1.5, 2.5, 1.5, 0.5, 1.5, 2.5):
        p.controls["slope"].value = slope
    assert len(rasterised) == 4 and (_pixels(p) == _pixels(_zoom_at(2.5))).all()


def test_idle_work_rasterises_the_pictures_ahead_and_leaves_the_figure_as_shown(monkeypatch):
    p = _zoom_panel([])                       # slope 0.5: y limits (0, 1)
    p.prefetch = lambda values: [{"slope": 2.5}, {"slope": 1.5}, {"slope": 0.2}]
    rasterised = []
    draw = p.figure.canvas.draw
    monkeypatch.setattr(p.figure.canvas, "draw", lambda: rasterised.append(1) or draw())
    list(p.idle_work())
    assert len(rasterised) == 2               # limits 3 and 2; 1 is the one on show
    ax = p.figure.axes[0]
    assert ax.get_ylim() == (0, 1) and list(ax.lines[0].get_ydata()) == [0, 0.5]
    rasterised.clear()
    for slope in (2.5, 1.5):                  # a frame each, as a fresh panel draws it
        p.controls["slope"].value = slope
        assert (_pixels(p) == _pixels(_zoom_at(slope))).all(), slope
    assert rasterised == []


def _label_panel(token: str, draw_ahead=True):
    """A title that names the value and ``token``: texts never shown before."""
    def draw(fig, n):
        return [fig.add_subplot().set_title("")]

    def update(artists, n):
        artists[0].set_text(f"ahead {n} {token}")

    return Panel(lambda n: n, draw, {"n": w.IntSlider(value=0, min=0, max=5)}, update=update,
                 prefetch=lambda values: [{"n": n} for n in (1, 2, 3)],
                 draw_ahead=draw_ahead)


def _laid_out(text: str) -> bool:
    return any(text in key for key in text_cache._layouts)


@pytest.mark.skipif(not text_cache.SUPPORTED, reason="the text caches need matplotlib 3.11")
def test_idle_work_draws_the_frames_ahead_once_and_leaves_the_figure_as_shown():
    token = uuid.uuid4().hex
    p = _label_panel(token)
    shown = p.image.value
    steps = list(p.idle_work())
    assert len(steps) == 2 * 3                   # a compute and a drawing for each value
    assert all(_laid_out(f"ahead {n} {token}") for n in (1, 2, 3))
    assert p.figure.axes[0].title.get_text() == f"ahead 0 {token}" and p.image.value == shown
    assert len(list(p.idle_work())) == 3         # each drawn once: now the computes only
    for n in (2, 3):                             # frames as a fresh panel draws them
        p.controls["n"].value = n
        fresh = _label_panel(token, draw_ahead=False)
        fresh.controls["n"].value = n
        assert (_pixels(p) == _pixels(fresh)).all(), n


@pytest.mark.skipif(not text_cache.SUPPORTED, reason="the text caches need matplotlib 3.11")
def test_without_draw_ahead_idle_work_draws_no_frame():
    token = uuid.uuid4().hex
    p = _label_panel(token, draw_ahead=False)
    assert len(list(p.idle_work())) == 3        # the computes only
    assert _laid_out(f"ahead 0 {token}")        # the one on show
    assert not any(_laid_out(f"ahead {n} {token}") for n in (1, 2, 3))


def test_draw_ahead_needs_update_and_prefetch():
    with pytest.raises(ValueError, match="draw_ahead needs update and prefetch"):
        Panel(lambda n: n, lambda fig, n: None, {"n": w.IntSlider()}, draw_ahead=True)
    with pytest.raises(ValueError, match="draw_ahead needs update and prefetch"):
        Panel(lambda n: n, lambda fig, n: [], {"n": w.IntSlider()}, update=lambda a, n: None,
              draw_ahead=True)


def test_a_new_keys_background_shows_the_limits_that_update_sets():
    """``update`` runs before a new key's figure is rasterised: ``draw`` need not repeat it."""
    def draw_without_limits(fig, slope):
        (line,) = fig.add_subplot().plot([], [], lw=3)
        return [line]

    def update(artists, slope):
        artists[0].set_data([0, 1], [0, slope])
        artists[0].axes.set(xlim=(0, 1), ylim=(0, 1 + int(slope)))

    p = Panel(lambda slope: slope, draw_without_limits,
              {"slope": w.FloatSlider(value=2.5, min=0, max=3)}, update=update,
              background=lambda slope: int(slope))
    assert (_pixels(p) == _pixels(_zoom_at(2.5))).all()   # draw sets the limits there


def _zoom_at(slope):
    p = _zoom_panel([])
    p.controls["slope"].value = slope
    return p


def _note_panel():
    """``update`` replaces a text (as a legend is made anew) and moves the y limits."""
    def draw(fig, n):
        ax = fig.add_subplot()
        return {"note": ax.text(0.5, 0.5, "?")}

    def update(artists, n):
        ax = artists["note"].axes
        artists["note"].remove()
        artists["note"] = ax.text(0.2, 0.5, f"n = {n}", fontsize=20)
        ax.set_ylim(0, 1 + n // 2)

    return Panel(lambda n: n, draw, {"n": w.IntSlider(value=1, min=0, max=9)},
                 update=update, background=lambda n: n // 2)


def test_artists_that_update_makes_anew_never_stay_in_the_background():
    p = _note_panel()
    for n in (2, 3):         # 2: the limits change, the figure is rasterised again; 3: not
        p.controls["n"].value = n
    fresh = _note_panel()
    fresh.controls["n"].value = 3
    assert (_pixels(p) == _pixels(fresh)).all()   # no "n = 2" left under "n = 3"


# -- changes from the browser: the last value wins -----------------------------------------

async def _until(condition, timeout=30.0):
    """Let the loop run until ``condition()`` (the kernel's loop, in a notebook)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "the panel did not redraw"
        await asyncio.sleep(0.005)


def test_a_burst_of_changes_from_the_browser_is_drawn_once_with_the_last_value():
    computes = []
    p = _line_panel(update=True, computes=computes)

    async def browser_burst():
        for slope in (0.25, 0.5, 0.75, 1.25):
            p.controls["slope"].set_state({"value": slope})  # what a comm message does
        assert p.result == 1.0                               # nothing drawn yet
        await _until(lambda: p.result == 1.25)

    asyncio.run(browser_burst())
    assert computes == [1.0, 1.25]          # the first frame, then only the last value
    assert p.figure.axes[0].get_title() == "slope 1.25"
    whole = _line_panel(update=False)
    whole.controls["slope"].value = 1.25
    assert (_pixels(p) != _pixels(whole)).any(axis=-1).mean() < 1e-3


def test_a_change_from_python_redraws_at_once_even_inside_the_kernels_loop():
    p = _line_panel(update=True)

    async def cell():
        p.controls["slope"].value = 0.5
        return p.result, p.summary.value

    assert asyncio.run(cell()) == (0.5, "slope 0.5")


# -- idle time: the settings a learner may try next ------------------------------------------

def _prefetching_panel(computes, prefetch):
    def compute(n):
        computes.append(n)
        time.sleep(0.001)              # a computation takes time
        return n

    return Panel(compute, lambda fig, n: str(n), {"n": w.IntSlider(value=1, min=1, max=10**6)},
                 prefetch=prefetch)


def test_an_idle_panel_computes_the_values_prefetch_names_nearest_first():
    computes = []

    async def cell():   # built in a cell: the kernel's loop runs
        _prefetching_panel(computes, lambda values: [{"n": values["n"] + i} for i in (1, 2)])
        await _until(lambda: len(computes) == 3)
        await asyncio.sleep(0.05)

    asyncio.run(cell())
    assert computes == [1, 2, 3]       # shown, then the two named, and nothing more


def test_a_change_stops_the_idle_work_and_starts_it_again_from_the_new_values():
    computes = []

    async def browser():
        p = _prefetching_panel(computes, lambda values: [{"n": 1000 * values["n"] + i}
                                                         for i in range(1, 1000)])
        await _until(lambda: len(computes) > 3)
        p.controls["n"].set_state({"value": 2})
        await _until(lambda: 2003 in computes)

    asyncio.run(browser())
    first_after_the_change = computes.index(2)
    assert all(n < 2000 for n in computes[:first_after_the_change])
    assert all(n == 2 or n > 2000 for n in computes[first_after_the_change:])
    assert first_after_the_change < 1000   # the idle work for n = 1 stopped at the change


def test_a_value_that_fails_to_compute_ends_the_idle_work_quietly():
    computes, unhandled = [], []

    def compute(n):
        computes.append(n)
        if n == 2:
            raise ValueError("no such setting")
        return n

    async def cell():
        asyncio.get_running_loop().set_exception_handler(lambda loop, context:
                                                         unhandled.append(context))
        Panel(compute, lambda fig, n: str(n), {"n": w.IntSlider(value=1)},
              prefetch=lambda values: [{"n": 2}, {"n": 3}])
        await asyncio.sleep(0.1)

    asyncio.run(cell())
    assert computes == [1, 2] and unhandled == []


def _two_figure_panel(monkeypatch):
    """A figure per value of ``n``, two of them kept: a third value drops one."""
    monkeypatch.setattr(panel_module, "KEPT_FIGURES", 2)
    return Panel(lambda n: n, lambda fig, n: [fig.add_subplot().set_title(str(n))],
                 {"n": w.IntSlider(value=0, min=0, max=9)},
                 update=lambda artists, n: None, key=lambda n: n)


def test_an_idle_panel_frees_the_figure_it_dropped(monkeypatch):
    p = _two_figure_panel(monkeypatch)
    p.controls["n"].value = 1                  # keeps 0 (frozen with the panel) and 1
    axes = weakref.ref(p._statics[1][1][0].axes)  # 1's axes: in cycles with their artists

    async def browser():
        p.controls["n"].set_state({"value": 2})  # shows 2, drops 0; then 3 drops 1
        await _until(lambda: p.result == 2)
        p.controls["n"].set_state({"value": 3})
        await _until(lambda: axes() is None)

    gc.disable()        # only the panel collects: the collector's own timing is chance
    try:
        asyncio.run(browser())
    finally:
        gc.enable()
    steps = list(p.idle_work())
    assert steps == []                         # collected once, not at every idle time


def test_without_idle_time_a_dropped_figure_is_freed_when_the_next_one_is_dropped(
        monkeypatch):
    p = _two_figure_panel(monkeypatch)
    p.controls["n"].value = 1
    axes = weakref.ref(p._statics[1][1][0].axes)
    gc.disable()        # only the panel collects
    try:
        for n in (2, 3):                       # drops 0, then 1: 1's garbage waits
            p.controls["n"].value = n
        assert axes() is not None
        p.controls["n"].value = 4              # drops 2: 1's garbage is collected first
        assert axes() is None
    finally:
        gc.enable()


def test_idle_work_outside_a_loop_is_its_steps():
    computes = []
    p = _prefetching_panel(computes, lambda values: [{"n": values["n"] + i} for i in (1, 2)])
    assert len(list(p.idle_work())) == 2 and computes == [1, 2, 3]


def test_without_a_running_loop_nothing_is_computed_ahead():
    computes = []
    p = _prefetching_panel(computes, lambda values: [{"n": 7}])
    p.controls["n"].value = 2          # a change from Python, outside any loop
    assert computes == [1, 2]


def test_a_panel_computes_with_blas_on_one_thread_and_gives_the_threads_back():
    blas = ThreadpoolController()

    def threads():
        return {pool["num_threads"] for pool in blas.info() if pool["user_api"] == "blas"}

    seen = []

    def frames(n):                       # streams: each frame computed on one thread too
        for i in range(n):
            seen.append(threads())
            yield i

    with blas.limit(limits=2, user_api="blas"):
        p = Panel(frames, lambda fig, i: str(i), {"n": w.IntSlider(value=2, min=1, max=5)})
        p.controls["n"].value = 3
        seen_idle = []
        p.compute, p.prefetch = (lambda n: seen_idle.append(threads())), (lambda v: [{"n": 4}])
        list(p.idle_work())
        assert threads() == {2}          # given back after each computation
    assert seen == [{1}] * 5 and seen_idle == [{1}]


# -- streaming ------------------------------------------------------------------------------

def _streaming_panel(log):
    def frames(n):
        try:
            for i in range(1, n + 1):
                log.append((n, i))
                yield (n, i)
        finally:
            log.append((n, "closed"))

    def draw(fig, result):
        fig.add_subplot().set_title(f"{result[1]} of {result[0]}")
        return f"{result[1]} of {result[0]}"

    return Panel(frames, draw, {"n": w.IntSlider(value=2, min=1, max=100)})


def test_a_streaming_compute_shows_every_frame_and_keeps_the_last():
    log = []
    p = _streaming_panel(log)
    assert p.result == (2, 2) and p.summary.value == "2 of 2" and p.timings["frames"] == 2
    p.controls["n"].value = 3
    assert p.result == (3, 3) and p.figure.axes[0].get_title() == "3 of 3"


def test_a_newer_change_from_the_browser_abandons_a_stream():
    log = []
    p = _streaming_panel(log)

    async def browser():
        p.controls["n"].set_state({"value": 100})
        await _until(lambda: p.result is not None and p.result[0] == 100)
        p.controls["n"].set_state({"value": 4})             # while the 100 frames stream
        await _until(lambda: p.result == (4, 4))

    asyncio.run(browser())
    assert (100, "closed") in log and (100, 100) not in log  # abandoned, not finished
    assert p.figure.axes[0].get_title() == "4 of 4"


def test_changes_that_arrive_on_a_subshells_thread_are_drawn_by_the_panels_own_loop():
    """JupyterLab may send the controls' messages to a kernel subshell: another thread with
    its own loop, running while the main loop streams the panel's frames.  The changes must
    be handed to the main loop (the panel's home), and the last one must win."""
    computed_on = set()

    def frames(n):
        for i in range(1, n + 1):
            computed_on.add(threading.get_ident())
            yield (n, i)

    def subshell(panel):
        async def deliver():
            for n in (50, 7):
                panel.controls["n"].set_state({"value": n})
            await asyncio.sleep(0.2)       # a subshell's loop keeps running

        asyncio.run(deliver())

    async def kernel():
        p = Panel(frames, lambda fig, r: f"{r[1]} of {r[0]}",
                  {"n": w.IntSlider(value=2, min=1, max=100)})     # built on the main loop
        p.controls["n"].set_state({"value": 100})
        await _until(lambda: p.result is not None and p.result[0] == 100)   # streaming now
        thread = threading.Thread(target=subshell, args=(p,))
        thread.start()
        while thread.is_alive():                                   # the main loop runs on
            await asyncio.sleep(0.005)
        await _until(lambda: p.result == (7, 7))
        return p

    p = asyncio.run(kernel())
    assert computed_on == {threading.get_ident()}
    assert p.summary.value == "7 of 7"


def test_an_update_from_the_browser_that_fails_says_so_under_the_figure():
    def compute(n):
        if n == 0:
            raise ZeroDivisionError("n must not be 0")
        return n

    p = Panel(compute, lambda fig, n: f"n = {n}", {"n": w.IntSlider(value=1, min=0, max=3)})

    async def browser():
        p.controls["n"].set_state({"value": 0})
        await _until(lambda: "failed" in p.summary.value)

    asyncio.run(browser())
    assert "ZeroDivisionError: n must not be 0" in p.summary.value and p.result == 1


def test_the_changing_artists_may_be_an_axes_own_artist_list():
    """``draw`` may return ``ax.lines`` (matplotlib's ArtistList, not a list): every line in
    it is redrawn per frame, and a string is no sequence of artists."""
    from matplotlib.figure import Figure

    from dlcourse.ui.panel import _changing_artists

    ax = Figure().add_subplot()
    lines = [ax.plot([0, 1], [0, k])[0] for k in range(3)]
    text = ax.set_title("t")
    assert _changing_artists(ax.lines) == lines
    assert _changing_artists({"curves": ax.lines, "title": text, "label": "x"}) == [*lines, text]
