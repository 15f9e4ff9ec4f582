"""The panels' PNG encoder writes files any decoder reads back pixel for pixel."""

import io
import zlib

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from dlcourse.ui.png import encode_rgb


def _decoded(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    image.load()                                   # checks the chunks' CRCs and the data
    assert image.mode == "RGB"
    return np.asarray(image)


@pytest.mark.parametrize("shape", [(1, 1, 4), (7, 5, 3), (64, 33, 4)])
def test_random_pixels_come_back_exactly(shape):
    pixels = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    np.testing.assert_array_equal(_decoded(encode_rgb(pixels)), pixels[..., :3])


def test_a_rendered_figure_comes_back_exactly_and_compressed():
    fig = Figure(figsize=(4, 3), dpi=72)
    fig.add_subplot().plot([0, 1, 2], [2, 0, 1], label="a line")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    png = encode_rgb(canvas.buffer_rgba())
    np.testing.assert_array_equal(_decoded(png), rgba[..., :3])
    assert len(png) < rgba[..., :3].size / 10      # a plot is mostly flat colour


def test_the_header_says_8_bit_rgb_of_the_right_size():
    png = encode_rgb(np.zeros((3, 5, 3), np.uint8))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert png[16:29] == bytes([0, 0, 0, 5, 0, 0, 0, 3, 8, 2, 0, 0, 0])
    assert zlib.crc32(png[12:29]).to_bytes(4, "big") == png[29:33]
    assert png.endswith(b"IEND\xae\x42\x60\x82")


@pytest.mark.parametrize("bad", [np.zeros((2, 2), np.uint8), np.zeros((2, 2, 2), np.uint8),
                                 np.zeros((2, 2, 3), np.float32)])
def test_what_is_not_an_rgb_image_is_refused(bad):
    with pytest.raises(ValueError, match="pixels must be uint8"):
        encode_rgb(bad)
