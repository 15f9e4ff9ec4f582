"""The text-caching canvas draws exactly what matplotlib's own Agg canvas draws."""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dlcourse.ui import text_cache
from dlcourse.ui.text_cache import TextCachingCanvas

pytestmark = pytest.mark.skipif(not text_cache.SUPPORTED,
                                reason="text is cached with matplotlib "
                                       f"{'.'.join(map(str, text_cache.TESTED_WITH))} only")


def _figure(shift: float = 0.0) -> Figure:
    """Ticks, a legend, titles, rotated, small, non-antialiased and math texts; ``shift``
    moves the free texts (in figure fractions) to other pixels and sub-pixel offsets."""
    fig = Figure(figsize=(4.0, 3.0), dpi=72)
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [0.5, -1.0, 2.0], label="a line −1")
    ax.plot([0, 2], [1, 1], label="another, √2")
    ax.legend(loc="upper left")
    ax.set(title="title: gj ÄÖ", xlabel=r"$x_1$", ylabel=r"$\frac{a}{b}$ (with a bar)")
    for i in range(12):
        ax.text(0.05 + 0.07 * i + shift, 0.1 + 0.013 * i + shift, f"t{i}.{7 * i}",
                transform=ax.transAxes, fontsize=6 + i, rotation=15 * i,
                antialiased=i % 3 != 0)
    return fig


def _pixels(canvas) -> np.ndarray:
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


@pytest.mark.parametrize("shift", [0.0, 0.0123, 0.25, 0.3711])
def test_cached_text_is_pixel_for_pixel_matplotlibs(shift):
    plain = _pixels(FigureCanvasAgg(_figure(shift)))
    cached = TextCachingCanvas(_figure(0.0))
    _pixels(cached)                                  # fills the caches at other places
    cached = TextCachingCanvas(_figure(shift))
    first, again = _pixels(cached), _pixels(cached)  # then drawn from them
    np.testing.assert_array_equal(first, plain)
    np.testing.assert_array_equal(again, plain)


def test_a_second_draw_renders_no_new_glyph_or_layout():
    canvas = TextCachingCanvas(_figure(0.1234))
    canvas.draw()
    sizes = len(text_cache._glyphs), len(text_cache._layouts)
    canvas.draw()
    assert (len(text_cache._glyphs), len(text_cache._layouts)) == sizes


def test_a_full_cache_is_emptied_and_drawing_stays_exact(monkeypatch):
    monkeypatch.setattr(text_cache, "CACHE_LIMIT", 5)
    monkeypatch.setattr(text_cache, "_glyphs", {})
    monkeypatch.setattr(text_cache, "_layouts", {})
    plain = _pixels(FigureCanvasAgg(_figure(0.05)))
    cached = TextCachingCanvas(_figure(0.05))
    np.testing.assert_array_equal(_pixels(cached), plain)
    assert len(text_cache._glyphs) <= 5 and len(text_cache._layouts) <= 5
