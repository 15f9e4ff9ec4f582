"""Checks shared by the chapters' panel tests."""

import io

import numpy as np
from PIL import Image


def shown_pixels(panel) -> np.ndarray:
    """The picture the panel sends to the browser, as an ``(H, W, 3)`` array."""
    return np.asarray(Image.open(io.BytesIO(panel.image.value)).convert("RGB"))


def assert_shows_like_a_fresh_panel(panel, build, changes):
    """After ``changes`` (``(control, value)`` pairs, applied in order), ``panel`` shows
    exactly the picture and summary of ``build(**final values)``, a panel that drew them first.

    Drawing in place must leave nothing of an earlier setting behind (a stale label, a
    curve, an axis limit) and must not miss anything a fresh drawing has.
    """
    for name, value in changes:
        panel.controls[name].value = value
    fresh = build(**panel.values())
    assert panel.summary.value == fresh.summary.value
    mine, theirs = shown_pixels(panel), shown_pixels(fresh)
    assert mine.shape == theirs.shape
    differ = np.argwhere((mine != theirs).any(axis=-1))
    assert len(differ) == 0, (f"{len(differ)} pixels differ from a fresh panel's, e.g. at "
                              f"(row, col) {differ[:5].tolist()}")
