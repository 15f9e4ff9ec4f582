"""The text-caching canvas draws exactly what matplotlib's own Agg canvas draws."""

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

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


@pytest.mark.parametrize("family", ["sans-serif", "serif", "monospace"])
@pytest.mark.parametrize("weight", ["normal", "bold"])
@pytest.mark.parametrize("dpi", [72, 90, 150])
def test_a_texts_layout_is_matplotlibs_with_font_heights_remembered(family, weight, dpi):
    def layout(canvas):
        text = canvas.figure.text(0.1, 0.5, "two lines,\ngj ÄÖ", family=family,
                                  weight=weight, fontsize=11.5, linespacing=1.7)
        bbox, lines, descent = text._get_layout(canvas.get_renderer())
        return bbox.bounds, lines, descent

    plain = layout(FigureCanvasAgg(Figure(figsize=(3, 2), dpi=dpi)))
    for _ in ("the heights computed", "then remembered"):
        assert layout(TextCachingCanvas(Figure(figsize=(3, 2), dpi=dpi))) == plain


def test_remembered_font_heights_follow_the_font_lists(monkeypatch):
    renderer = TextCachingCanvas(Figure(dpi=100)).get_renderer()
    prop = FontProperties(family="serif", size=20)     # DejaVu Serif, shipped with matplotlib
    first = renderer._get_font_height_metrics(prop)
    monkeypatch.setitem(matplotlib.rcParams, "font.serif", ["STIXGeneral"])
    assert renderer._get_font_height_metrics(prop) == text_cache._height_metrics(prop, 100)
    assert renderer._get_font_height_metrics(prop) != first  # another font: other heights


def test_a_fonts_heights_are_looked_up_once(monkeypatch):
    lookups = []
    look_up = text_cache._height_metrics
    monkeypatch.setattr(text_cache, "_height_metrics",
                        lambda prop, dpi: lookups.append(prop) or look_up(prop, dpi))
    monkeypatch.setattr(text_cache, "_heights", {})
    canvas = TextCachingCanvas(_figure(0.1))
    canvas.draw()
    first = len(lookups)
    canvas.draw()                    # every text measured and laid out again: no lookup
    assert len(lookups) == first > 0
