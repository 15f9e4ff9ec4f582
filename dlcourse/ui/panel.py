"""A control panel whose figure is redrawn in place when a control changes.

The figure is rendered to PNG and shown in an ``ipywidgets.Image``: updating the image's
bytes swaps the picture without clearing the output area, so nothing flickers or jumps,
and the panel works in any frontend (no ipympl needed).

Speed: most of a redraw is matplotlib laying out and rasterising text (ticks, titles,
legends), not the data.  So a panel can draw its figure once and then only *update* it:

* ``draw(fig, result)`` builds the figure and returns the artists that change (lines,
  images, texts); ``update(artists, result)`` sets their data (``set_data``, ``set_array``,
  ``set_text``) for every frame.  Everything else -- axes, ticks, legends -- is rasterised
  once into a background; a frame pastes the background back and draws only the changing
  artists on top (blitting).  ``key(result)`` names what the static part depends on (the
  axes limits, the number of curves): when it changes, the figure is drawn afresh -- into
  a figure of its own, and the last :data:`KEPT_FIGURES` such figures are kept, so that
  going back to an earlier key (another surface and back, a depth and back) is a frame,
  not a whole redraw.  ``background(result)`` names what the static picture's pixels
  depend on while its artists stay the same (axes limits that follow a control): when it
  changes, the figure is updated and rasterised again, not rebuilt.  The last
  :data:`KEPT_BACKGROUNDS` such pictures are kept too, so that a value seen lately (a
  depth dragged past and back) pastes its picture instead of rasterising it again.
* Without ``update``, ``draw(fig, result)`` draws the whole (cleared) figure every time.

Either way, matplotlib's constrained layout is solved once, when the figure is first drawn
or its number of axes changes, and the PNG is written by :func:`dlcourse.ui.png.encode_rgb`
(rows unfiltered, deflated at level 1): twice as fast as Pillow's encoder, as small ±25 %.
The canvas remembers laid-out strings and rasterised glyphs (:mod:`dlcourse.ui.text_cache`):
a label drawn again, in the same place or another, costs a fraction of the first time.

Pauses: Python's cyclic garbage collector now and then walks every object the kernel holds
-- with PyTorch, matplotlib and a chapter loaded, 200,000 to 450,000 of them, 120-280 ms on
a fast core -- and whichever update is running then waits for it.  So building a panel
collects the garbage there is and freezes what survives (:func:`gc.freeze`): the libraries,
the chapter's data, the panel itself, which live as long as the kernel anyway.  Later
collections walk only the objects made since.  Reference counting still frees frozen
objects; only a reference cycle among them that becomes garbage later is kept.

Fast input: a change that comes from the browser (a slider being dragged, a key held down)
does not redraw at once but at the kernel's next turn, once the messages already waiting
have been read; so a burst of changes gives one redraw, of the last values.  A change made
from Python (a notebook cell, a test) redraws at once.  A ``compute`` that is a generator
streams: every result it yields is shown as a frame, and a newer change from the browser
abandons it.

Idle time: a panel whose ``compute`` remembers its results may name the settings a learner
is likely to try next (``prefetch``, e.g. the depths next to the current one).  While the
panel is idle in a running kernel, it computes them, one per turn of the loop, nearest
first, and for each whose static picture would be new (its ``background`` value: another
depth, other axes limits), it rasterises that picture too.  Any change stops that, so it
waits for one step at most, and choosing a setting computed already costs a frame, neither
a computation nor a raster.  A panel whose settings show many texts never shown before (the
architecture explorer's layer names) may also draw their frames ahead (``draw_ahead``),
out of sight, once each: the canvas then keeps those texts laid out and their glyphs
rasterised, and the frame, when it is chosen, draws them from there.

Then, if it has dropped a kept figure since, it collects the garbage: the figure's artists
refer to each other, so only the cyclic collector frees them, and left to itself the
collector would do that inside a later update, once the garbage of a few figures has piled
up (a 35-90 ms pause).  One figure at a time, a collection takes a few ms, plus the walk
over every object made since the panel was built (15 ms at the end of chapter 12's
notebook).  A learner who gives it no idle time (a new problem, and another at once) gets
that collection in the update that drops the next figure, never a pile.

Threads: JupyterLab (4.4 and later) may send the controls' messages to a kernel *subshell*,
whose own thread and event loop handle them while the main thread draws.  So the panel has
one home: the event loop it was built on (the kernel's main loop, in a notebook).  Every
redraw, and every change to the redraw that waits or the frames that stream, happens there;
a change that arrives on another thread is handed over (``call_soon_threadsafe``), and a
button's callback asks for a redraw with :meth:`Panel.refresh` for the same reason.  Without
this a change could arrive while another thread is drawing the previous one, try to abandon
frames that are being computed, fail, and be lost: the panel would keep showing the
earlier value.

BLAS threads: while it computes, a panel keeps NumPy's BLAS (OpenBLAS) on one thread.  A
panel's arrays are small: a second thread saves it a tenth of the time (the signal
explorer's 30 layers: 25 instead of 28 ms) for as much CPU again, and then spins, waiting
for more work, for about a tenth of a second after every product.  On a 2-core laptop that
is the core the browser needs to show the picture: on a machine emulating one, the kernel's
spinning threads made the time from a key press to the new picture 2.5 times as long.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import html
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import GeneratorType

import ipywidgets as widgets
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from threadpoolctl import ThreadpoolController

from dlcourse.ui.png import encode_rgb
from dlcourse.ui.text_cache import TextCachingCanvas

# seconds a change from the browser waits before it is drawn: one pass of the kernel's loop,
# to read the messages already waiting.  Not longer: ipywidgets in the browser already sends
# one change at a time (the next once the kernel is idle again), so a longer wait only adds
# to every update's delay.  20 ms did, and postponed pictures while a slider kept moving:
# with a step every 16 ms, the first came 186 ms into a 208 ms run of steps (104 ms now).
COALESCE_S = 0.002

# static figures a panel keeps, one per key, the least recently shown dropped first
KEPT_FIGURES = 8

# rasterised backgrounds a panel keeps, one per key and background value (~0.6 MB each)
KEPT_BACKGROUNDS = 32


def _changing_artists(artists) -> list[Artist]:
    """The matplotlib artists in ``artists``: one artist, or sequences (lists, tuples, an
    axes' ``ax.lines``) or dicts of them."""
    if isinstance(artists, Artist):
        return [artists]
    if isinstance(artists, Mapping):
        artists = list(artists.values())
    if isinstance(artists, Sequence) and not isinstance(artists, str):
        return [a for item in artists for a in _changing_artists(item)]
    return []


class Panel(widgets.VBox):
    """Controls above, a figure and a one-line summary below.

    Parameters
    ----------
    compute : callable
        ``compute(**values)`` -> result, where ``values`` maps each control's name to its
        value.  A plain function of dlcourse, unit-tested and benchmarked on its own.  A
        generator function streams: each result it yields is shown, the last one stays.
    draw : callable
        Without ``update``: ``draw(fig, result)`` draws ``result`` into the (cleared)
        matplotlib ``fig`` and may return a short text summary shown under the figure.
        With ``update``: ``draw(fig, result)`` draws everything that stays and returns the
        artists that ``update`` changes (an artist, or a list, tuple or dict of them).
    controls : mapping of str to ipywidgets.ValueWidget
        The controls, in display order.
    update : callable, optional
        ``update(artists, result)`` sets the data of the artists ``draw`` returned and may
        return the text summary.  It may replace artists (a legend, a list of texts) inside
        the returned list or dict; it changes nothing else in the figure, except what
        ``background`` names.  It also runs before a new key's figure is rasterised, so
        ``draw`` need not set what ``update`` sets (texts, data, limits).
    key : callable, optional
        ``key(result)`` -> a hashable value on which the static part of the figure depends;
        a key not among the last :data:`KEPT_FIGURES` shown is drawn afresh, in a figure of
        its own.  Only with ``update``.
    background : callable, optional
        ``background(result)`` -> a value on which the static part's pixels depend, but not
        its artists: e.g. axes limits that ``update`` sets.  When it changes, ``update`` is
        applied and the figure rasterised again (no ``draw``).  Only with ``update``.
    prefetch : callable, optional
        ``prefetch(values)`` -> the control values (dicts, nearest first) to compute while
        the panel is idle, given the current ones.  Only for a ``compute`` that is not a
        generator and remembers its results (``functools.lru_cache``).  A value whose
        computation fails ends the idle work; choosing it shows the error as usual.
    draw_ahead : bool
        Also draw the frame of each prefetched value, once, out of sight (see "Idle time"
        above): for settings that show many new texts.  Only with ``update`` and
        ``prefetch``.
    figsize : (float, float)
        Figure size in inches.
    dpi : int
        Resolution of the rendered PNG.
    axes_layout : {"constrained", "fixed"}
        ``"constrained"``: matplotlib's constrained layout places the axes (solved once, see
        above).  ``"fixed"``: ``draw`` places them itself (``fig.subplotpars``,
        ``fig.add_axes``), e.g. with margins wide enough for every tick label it may show.

    Attributes
    ----------
    result
        What ``compute`` returned (its last frame) for the current control values.
    last_update_ms : float
        Wall time of the last whole update (compute, draw, PNG), for the benchmarks.
    timings : dict
        Of the last update, in ms: ``png`` (rasterising and encoding, summed over its
        frames), ``longest_wait`` (the longest time without a new frame), and ``frames``.

    Examples
    --------
    >>> import ipywidgets as w
    >>> p = Panel(lambda n: n ** 2, lambda fig, r: f"n² = {r}",
    ...           {"n": w.IntSlider(value=3, min=0, max=9)})
    >>> p.result, p.summary.value
    (9, 'n² = 9')
    >>> p.controls["n"].value = 4; p.result
    16
    """

    def __init__(self, compute: Callable, draw: Callable,
                 controls: Mapping[str, widgets.ValueWidget], *, update: Callable | None = None,
                 key: Callable | None = None, background: Callable | None = None,
                 prefetch: Callable | None = None, draw_ahead: bool = False,
                 figsize: tuple[float, float] = (8.0, 3.6), dpi: int = 90,
                 axes_layout: str = "constrained"):
        if axes_layout not in ("constrained", "fixed"):
            raise ValueError(f'axes_layout must be "constrained" or "fixed", '
                             f'got {axes_layout!r}')
        if (key is not None or background is not None) and update is None:
            raise ValueError("key and background need update: without it every frame is "
                             "drawn afresh")
        if draw_ahead and (update is None or prefetch is None):
            raise ValueError("draw_ahead needs update and prefetch: it draws the frames of "
                             "the prefetched values")
        self.compute = compute
        self.draw = draw
        self.update_artists = update
        self.key = key
        self.background = background
        self.prefetch = prefetch
        self.draw_ahead = draw_ahead
        self._drawn_ahead = set()   # (static picture, values) whose frames were drawn ahead
        self.controls = dict(controls)
        self.axes_layout = axes_layout
        self._figsize, self._dpi = figsize, dpi
        self.figure = self._new_figure()
        self._positions = None  # solved axes positions, reused while the axes stay the same
        # with update: key -> (figure, artists, the result first drawn); the result stays
        # alive, so that a key made of id()s cannot come back for another object
        self._statics = OrderedDict()
        # with update: (key, background(result)) -> the pixels of that static picture
        self._backgrounds = OrderedDict()
        self._pending = None    # the loop's handle of what waits: a redraw, or idle work
        self._idle_steps = iter(())  # what is left of the idle work
        self._dropped_figure = False  # a kept figure was cleared: its artists are garbage
        self._stream = None     # the frames of a streaming compute, shown one per turn
        self._loop = _running_loop()  # the panel's home: all drawing happens on it
        self._thread = threading.get_ident()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.summary = widgets.HTML()
        self.result = None
        self.last_update_ms = 0.0
        self.timings = {}
        box = widgets.HBox(list(self.controls.values()),
                           layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([box, self.image, self.summary])
        for control in self.controls.values():
            control.style = {"description_width": "initial"}
            control.observe(self._on_change, names="value")
        self.update()
        _freeze_survivors()

    def values(self) -> dict:
        """Current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self) -> None:
        """Recompute and show the result now (every frame of a streaming compute)."""
        self._cancel()
        for _ in self.frames():
            pass

    def frames(self) -> Iterator[None]:
        """Recompute, showing each frame as it comes; yields after each frame is shown."""
        start = last = time.perf_counter()
        self.timings = {"png": 0.0, "longest_wait": 0.0, "frames": 0}
        for result in self._computed(self.values()):
            self._show(result)
            now = time.perf_counter()
            self.timings["longest_wait"] = max(self.timings["longest_wait"], 1000 * (now - last))
            self.timings["frames"] += 1
            last = now
            self.last_update_ms = 1000 * (now - start)
            yield
        self._when_idle()

    def _computed(self, values: dict) -> Iterator:
        """The results of ``compute(**values)``: one, or the frames of a streaming compute,
        each computed with BLAS on one thread (see "BLAS threads" above)."""
        with _one_blas_thread():
            results = self.compute(**values)
        if not isinstance(results, GeneratorType):
            yield results
            return
        try:
            while True:
                with _one_blas_thread():
                    result = next(results, _END)
                if result is _END:
                    return
                yield result
        finally:
            results.close()   # abandoned: the compute's own clean-up runs now

    def _show(self, result) -> None:
        """Draw ``result`` and swap the image and the summary."""
        self.result = result
        if self.update_artists is None:
            self.figure.clear()
            text = self.draw(self.figure, result)
            self._lay_out()
            png = time.perf_counter()
            self.figure.canvas.draw()
        else:
            key, shown = self._static_picture(result)
            if key in self._statics:      # drawn before: its figure, its artists updated
                self._statics.move_to_end(key)
                self.figure, artists, _ = self._statics[key]
                text = self._update_artists(artists, result)
            else:
                text, artists = self._draw_static(key, result)
            if shown in self._backgrounds:
                self._backgrounds.move_to_end(shown)
            else:                         # the same artists, other limits: rasterised again
                self._keep_background(shown)
            png = time.perf_counter()
            canvas = self.figure.canvas
            canvas.restore_region(self._backgrounds[shown])
            renderer = canvas.get_renderer()
            for artist in _changing_artists(artists):
                artist.draw(renderer)
        self.image.value = self._png()
        self.timings["png"] += 1000 * (time.perf_counter() - png)
        self.summary.value = text or ""

    def _new_figure(self) -> Figure:
        figure = Figure(figsize=self._figsize, dpi=self._dpi)
        TextCachingCanvas(figure)  # the same pixels as Agg's canvas, texts drawn from a cache
        return figure

    def _draw_static(self, key, result):
        """Draw, update and lay out the figure of a new key, and keep it for when the key
        comes back.  Returns ``update``'s summary and the changing artists."""
        if len(self._statics) >= KEPT_FIGURES:       # the least recently shown makes room
            old_key, (self.figure, *_) = self._statics.popitem(last=False)
            if self._dropped_figure:  # no idle time since the last drop: its garbage now
                gc.collect()
            self._dropped_figure = True
            for shown in [shown for shown in self._backgrounds if shown[0] == old_key]:
                del self._backgrounds[shown]
        elif self._statics:
            self.figure = self._new_figure()
        self.figure.clear()
        artists = self.draw(self.figure, result)
        text = self._update_artists(artists, result)  # laid out and rasterised with it
        self._lay_out()
        self._statics[key] = (self.figure, artists, result)
        return text, artists

    def _keep_background(self, shown) -> None:
        """Rasterise the figure without its changing artists; keep the pixels as the
        background of ``shown`` (the key, and what ``background`` says they show)."""
        if len(self._backgrounds) >= KEPT_BACKGROUNDS:
            self._backgrounds.popitem(last=False)
        self.figure.canvas.draw()
        self._backgrounds[shown] = self.figure.canvas.copy_from_bbox(self.figure.bbox)

    def _prepare_ahead(self, values: dict, result) -> bool:
        """Prepare, out of sight, what showing ``result`` (the panel's ``values``) will
        need, if it belongs to the figure on show: rasterise and keep its static picture if
        that is new, and with ``draw_ahead`` draw its frame, once (the canvas keeps its
        texts).  Then set the artists back to the result shown.  Whether it did anything."""
        if self.update_artists is None or self.result is None:
            return False
        key, shown = self._static_picture(result)
        if key not in self._statics:
            return False
        figure, artists, _ = self._statics[key]
        if figure is not self.figure:
            return False
        new_background = self.background is not None and shown not in self._backgrounds
        frame = (shown, tuple(sorted(values.items())))
        draw = self.draw_ahead and frame not in self._drawn_ahead
        if not (new_background or draw):
            return False
        self._update_artists(artists, result)
        if new_background:
            self._keep_background(shown)
        if draw:
            self._drawn_ahead.add(frame)
            renderer = figure.canvas.get_renderer()
            for artist in _changing_artists(artists):
                artist.draw(renderer)   # over whatever is there: a frame restores first
        self._update_artists(artists, self.result)
        return True

    def _static_picture(self, result) -> tuple:
        """The static picture ``result`` is shown on: its figure's key, and the key of its
        kept pixels, ``(key, background(result))``."""
        key = None if self.key is None else self.key(result)
        return key, (key, None if self.background is None else self.background(result))

    def _update_artists(self, artists, result):
        """``update``, then every changing artist -- those it made anew too (a legend, a
        text in a list) -- left out of ``canvas.draw()``: drawn by each frame, never into
        a background."""
        text = self.update_artists(artists, result)
        for artist in _changing_artists(artists):
            artist.set_animated(True)
        return text

    def _lay_out(self) -> None:
        """Place the axes just drawn: as last time, or solved anew if they changed in number."""
        axes = self.figure.axes
        if self.axes_layout == "fixed":
            return
        if self._positions is not None and len(self._positions) == len(axes):
            for ax, position in zip(axes, self._positions, strict=True):
                ax.set_position(position)
        else:
            self.figure.set_layout_engine("constrained")
            self.figure.canvas.draw()  # solves the layout
            self._positions = [ax.get_position() for ax in axes]
        self.figure.set_layout_engine(None)  # no engine: a draw does not solve it again

    def _png(self) -> bytes:
        """The canvas as PNG bytes: RGB (the figure is opaque), compression level 1."""
        return encode_rgb(self.figure.canvas.buffer_rgba(), level=1)

    # -- changes from the browser: coalesced, streamed --------------------------------------

    def refresh(self) -> None:
        """Redraw with the current values as a change from the browser does: on the panel's
        own loop, once the messages already waiting are read.  Safe from any thread (a
        button's ``on_click``, a callback of another control); without a running loop it
        redraws at once."""
        loop = self._home()
        if loop is None or not loop.is_running():
            self.update()
        elif threading.get_ident() == self._thread:
            self._schedule(loop)
        else:
            loop.call_soon_threadsafe(self._schedule, loop)

    def _on_change(self, change) -> None:
        # from the browser, ipywidgets holds the property lock while it applies a message
        from_browser = bool(change.owner._property_lock)
        if not from_browser and (self._home() is None or threading.get_ident() == self._thread):
            self.update()  # from Python (a cell, a test) on the panel's own thread: now
        else:
            self.refresh()

    def _home(self):
        """The event loop the panel draws on: the one it was built on, or else the first
        one that delivers a change (a panel built outside any loop, as in a test)."""
        if self._loop is None or self._loop.is_closed():
            self._loop, self._thread = _running_loop(), threading.get_ident()
        return self._loop

    def _schedule(self, loop) -> None:
        """Wait for the messages already queued, then draw the last values once."""
        self._cancel()
        self._pending = loop.call_later(COALESCE_S, self._start, loop)

    def _start(self, loop) -> None:
        self._pending = None
        self._stream = self.frames()
        self._next_frame(loop)

    def _next_frame(self, loop) -> None:
        """Show the stream's next frame; the one after it at the loop's next turn."""
        stream = self._stream
        if stream is None:
            return
        try:
            next(stream)
        except StopIteration:
            self._stream = None
            return
        except Exception:  # outside a comm message nobody else would show it: say it here
            self._stream = None
            self.summary.value = ("<b style='color:#b00'>this update failed:</b><pre>"
                                  f"{html.escape(traceback.format_exc())}</pre>")
            return
        self._pending = loop.call_soon(self._next_frame, loop)

    def idle_work(self) -> Iterator[None]:
        """What the panel does while idle, a step at a time (see "Idle time" above): compute
        ``prefetch``'s values, nearest first, rasterise the static pictures they would need
        and draw their frames ahead (``draw_ahead``), then collect the garbage of a dropped
        figure.  In a running kernel the loop takes one step per turn; any change stops
        them."""
        for values in self.prefetch(self.values()) if self.prefetch is not None else ():
            with _one_blas_thread():
                result = self.compute(**values)
            yield
            if self._prepare_ahead(values, result):
                yield
        if self._dropped_figure:
            self._dropped_figure = False
            gc.collect()
            yield

    def _when_idle(self) -> None:
        """Start the idle work, if the panel's loop is running here."""
        loop = self._home()
        if loop is not None and loop.is_running() and threading.get_ident() == self._thread:
            self._idle_steps = self.idle_work()
            self._pending = loop.call_soon(self._next_idle_step, loop)

    def _next_idle_step(self, loop) -> None:
        """Take the next step of the idle work; the one after it at the loop's next turn,
        once the messages waiting are read."""
        self._pending = None
        try:
            next(self._idle_steps)
        except Exception:  # StopIteration, or a value that fails (shown if chosen, as usual)
            return
        self._pending = loop.call_soon(self._next_idle_step, loop)

    def _cancel(self) -> None:
        """Drop a redraw or idle work that waits, and abandon the frames of a streaming
        compute."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self._stream is not None:
            self._stream.close()
            self._stream = None


_END = object()   # what ``next`` returns at the end of a streaming compute's frames


@functools.cache
def _blas_threads() -> ThreadpoolController:
    """The BLAS libraries loaded (NumPy's), found once: the first panel's build."""
    return ThreadpoolController()


def _one_blas_thread():
    """A context in which the BLAS libraries use one thread."""
    return _blas_threads().limit(limits=1, user_api="blas")


def _freeze_survivors() -> None:
    """Collect the garbage, then leave every object alive out of later collections (see
    "Pauses" above)."""
    gc.collect()
    gc.freeze()


def _running_loop():
    """The running asyncio loop (the kernel's), or None outside one."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
