"""An Agg canvas that remembers laid-out strings and rasterised glyphs between draws.

A panel redraws the same texts frame after frame -- tick labels, titles, legend entries --
and matplotlib (3.11) shapes every string with FreeType/HarfBuzz and rasterises every glyph
anew each time: most of a panel's frame.  :class:`TextCachingCanvas` keeps

* each string's layout (which glyph goes where), keyed by the font, its size, the dpi and
  the string; and
* each glyph's bitmap, keyed by the font, size, dpi, glyph, rotation and the glyph's
  position *within a pixel* (FreeType places glyphs in 1/64 pixel steps; moving a glyph by
  whole pixels moves its bitmap by whole pixels and changes nothing else),

and blends the remembered bitmaps exactly as matplotlib does, so the picture is the same
pixel for pixel (``tests/unit/test_ui_text_cache.py`` checks it against the plain canvas).
It also remembers each font's height metrics, which matplotlib looks up again (the font
found, its tables read) for every text it lays out or measures: a tenth of rasterising a
figure with ticks and a legend.

It relies on matplotlib's private text-rendering steps (``FT2Font._layout``,
``_set_transform``, ``_render_glyph``, and the renderer's ``_get_font_height_metrics`` that
``Text._get_layout`` asks for, as in matplotlib 3.11); with another matplotlib release the
canvas draws text the ordinary way.
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.font_manager import fontManager, get_font
from matplotlib.ft2font import FT2Font

try:
    from matplotlib.ft2font import RenderMode
except ImportError:  # an older matplotlib: text is drawn the ordinary way
    RenderMode = None

__all__ = ["CACHE_LIMIT", "SUPPORTED", "TESTED_WITH", "TextCachingCanvas",
           "TextCachingRenderer"]

CACHE_LIMIT = 20_000
"""Entries each cache holds before it is emptied (a glyph's bitmap is ~100 bytes)."""

TESTED_WITH = (3, 11)
"""The matplotlib release (major, minor) whose private text steps this module reproduces;
``tests/unit/test_ui_text_cache.py`` checks the pixels against it (constraints.txt pins it)."""

SUPPORTED = (RenderMode is not None
             and tuple(map(int, matplotlib.__version__.split(".")[:2])) == TESTED_WITH
             and all(hasattr(FT2Font, name)
                     for name in ("_layout", "_set_transform", "_render_glyph")))
"""Whether this matplotlib renders text as the caches expect: the tested release only, so
that a newer matplotlib that changed its private steps draws text the ordinary way."""

_layouts: dict = {}   # (font, size, dpi, string, flags, features, language) -> items
_glyphs: dict = {}    # (font, size, dpi, glyph, flags, antialiased, matrix, subpixel) -> bitmap
_heights: dict = {}   # (font properties, dpi, font lists) -> ascent, descent, line gap

# the settings, besides a text's font properties, that decide which font file it gets
_FONT_LISTS = ("font.serif", "font.sans-serif", "font.cursive", "font.fantasy",
               "font.monospace")


def _remember(cache: dict, key, value):
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


class TextCachingRenderer(RendererAgg):
    """:class:`~matplotlib.backends.backend_agg.RendererAgg` drawing plain (non-TeX) text
    from the caches described in the module docstring."""

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath:
            return self.draw_mathtext(gc, x, y, s, prop, angle)
        font = self._prepare_font(prop)
        size = prop.get_size_in_points()
        flags = get_hinting_flag()
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        key = (font, size, self.dpi, s, flags,
               None if features is None else tuple(features), language)
        items = _layouts.get(key)
        if items is None:
            items = _remember(_layouts, key, [
                (item.ft_object, item.glyph_index, item.x, item.y)
                for item in font._layout(s, flags=flags, features=features, language=language)])
        self._draw_text_glyphs_and_boxes(
            gc, x, y, angle, ((face, size, glyph, 0, 1, dx, dy) for face, glyph, dx, dy in items),
            [])

    def _get_font_height_metrics(self, prop):
        """The ascent, descent and line gap (pixels) of the font ``prop`` finds, as
        matplotlib 3.11's ``Text._get_layout`` reads them from the font's tables, remembered.
        ``(None, None, None)``: no such table, measure as matplotlib does."""
        lists = tuple(tuple(matplotlib.rcParams[name]) for name in _FONT_LISTS)
        metrics = _heights.get((prop, self.dpi, lists))
        if metrics is None:
            metrics = _remember(_heights, (prop.copy(), self.dpi, lists),
                                _height_metrics(prop, self.dpi))
        return metrics

    def _draw_text_glyphs_and_boxes(self, gc, x, y, angle, glyphs, boxes):
        if boxes:  # mathtext's fraction bars and roots: matplotlib's own way
            return super()._draw_text_glyphs_and_boxes(gc, x, y, angle, glyphs, boxes)
        # as matplotlib 3.11's RendererAgg._draw_text_glyphs_and_boxes, each glyph's bitmap
        # looked up first (y is downwards here, FreeType's y upwards)
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        flags = get_hinting_flag()
        antialiased = gc.get_antialiased()
        mode = RenderMode.NORMAL if antialiased else RenderMode.MONO
        shapes = {}
        for font, size, glyph, slant, extend, dx, dy in glyphs:
            matrix = shapes.get((slant, extend))
            if matrix is None:
                matrix = shapes[slant, extend] = (
                    0x10000 * np.array([[cos, -sin], [sin, cos]]) @ [[extend, extend * slant],
                                                                     [0, 1]]).round().astype(int)
            delta = (round(0x40 * (x + dx * cos - dy * sin)),
                     round(0x40 * (self.height - y + dx * sin + dy * cos)))
            key = (font, size, self.dpi, glyph, flags, antialiased, matrix.tobytes(),
                   delta[0] & 0x3F, delta[1] & 0x3F)
            cached = _glyphs.get(key)
            if cached is None:
                font.set_size(size, self.dpi)
                font._set_transform(matrix, list(delta))
                bitmap = font._render_glyph(glyph, flags, mode)
                buffer = bitmap.buffer
                if not antialiased:
                    buffer *= 0xFF
                # the bitmap's corner relative to the glyph's whole-pixel position
                cached = _remember(_glyphs, key, (buffer, bitmap.left - (delta[0] >> 6),
                                                  bitmap.top - (delta[1] >> 6)))
            buffer, left, top = cached
            self._renderer.draw_text_image(
                buffer, left + (delta[0] >> 6),
                int(self.height) - top - (delta[1] >> 6) + buffer.shape[0], 0, gc)


def _height_metrics(prop, dpi):
    """As matplotlib 3.11's ``Text._get_layout`` computes them, in the same order (the same
    floats)."""
    font = get_font(fontManager._find_fonts_by_props(prop))
    for table_name, gap_key, ascent_key, descent_key in (
            ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
            ("hhea", "lineGap", "ascent", "descent")):
        table = font.get_sfnt_table(table_name)
        if table is not None:
            units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
            scale = 1 / units_per_em * prop.get_size_in_points() * dpi / 72
            return table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale
    return None, None, None


class TextCachingCanvas(FigureCanvasAgg):
    """:class:`~matplotlib.backends.backend_agg.FigureCanvasAgg` whose renderer is a
    :class:`TextCachingRenderer` (a plain ``RendererAgg`` where :data:`SUPPORTED` is false).

    >>> from matplotlib.figure import Figure
    >>> canvas = TextCachingCanvas(Figure(figsize=(2, 1)))
    >>> _ = canvas.figure.text(0.5, 0.5, "drawn, then remembered")
    >>> canvas.draw()
    """

    def get_renderer(self):
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if self._lastKey != key:
            renderer = TextCachingRenderer if SUPPORTED else RendererAgg
            self.renderer = renderer(w, h, self.figure.dpi)
            self._lastKey = key
        return self.renderer
