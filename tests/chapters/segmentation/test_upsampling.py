"""The notes' transposed convolution, the stamps, the explorer and the four upsamplings.

Oracle: torch.nn.functional (conv_transpose2d, interpolate); literals from the exam notes.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from dlcourse.chapters.segmentation.upsampling import (
    NOTES_INPUT,
    NOTES_KERNEL,
    bilinear_phase_kernels,
    notes_example,
    stamps,
    transposed_conv_explorer,
    upsample_four_ways,
)
from dlcourse.sizing import conv_transpose_output_size

RNG = np.random.default_rng(0)


def _torch_transposed(x, k, **options):
    out = TF.conv_transpose2d(torch.tensor(x)[None, None], torch.tensor(k)[None, None],
                              **options)
    return out[0, 0].numpy()


def test_notes_example_without_padding_is_the_full_5x5_scatter_add():
    # the handwritten 5x5 answer of the exam notes (correct for padding 0)
    notes_answer = [[0, 1, 0, 2, 0], [1, 2, 3, 4, 2], [1, 4, 3, 6, 2], [3, 6, 7, 8, 4],
                    [3, 3, 7, 4, 4]]
    np.testing.assert_array_equal(notes_example(), notes_answer)
    np.testing.assert_array_equal(notes_example(), _torch_transposed(NOTES_INPUT, NOTES_KERNEL,
                                                                     stride=2))


def test_notes_example_with_the_stated_padding_1_is_the_3x3_centre():
    out = notes_example(padding=1)
    np.testing.assert_array_equal(out, _torch_transposed(NOTES_INPUT, NOTES_KERNEL, stride=2,
                                                         padding=1))
    np.testing.assert_array_equal(out, notes_example()[1:4, 1:4])
    assert out.tolist() == [[2, 3, 4], [4, 3, 6], [6, 7, 8]]


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_stamps_sum_to_torch_conv_transpose_without_padding(stride):
    x, k = RNG.standard_normal((3, 4)), RNG.standard_normal((2, 3))
    parts = stamps(x, k, stride)
    assert parts.shape == (3, 4, 2 * stride + 2, 3 * stride + 3)
    np.testing.assert_allclose(parts.sum(axis=(0, 1)), _torch_transposed(x, k, stride=stride),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("in_size, kernel_size, stride, padding, output_padding, kernel", [
    (2, 3, 2, 0, 0, "notes"), (2, 3, 2, 1, 0, "notes"), (2, 3, 2, 1, 1, "notes"),
    (3, 4, 2, 1, 0, "ones"), (4, 2, 3, 2, 2, "ones"), (1, 5, 1, 2, 0, "ones"),
])
def test_explorer_output_is_the_padding_crop_of_the_canvas_and_matches_torch(
        in_size, kernel_size, stride, padding, output_padding, kernel):
    r = transposed_conv_explorer(in_size, kernel_size, stride, padding, output_padding, kernel)
    expected = _torch_transposed(r["x"], r["w"], stride=stride, padding=padding,
                                 output_padding=output_padding)
    np.testing.assert_allclose(r["output"], expected, rtol=1e-12)
    top, left, size = r["crop"]
    np.testing.assert_array_equal(r["output"], r["canvas"][top:top + size, left:left + size])
    k = r["w"].shape[0]
    assert size == conv_transpose_output_size(in_size, k, stride, padding, output_padding)
    assert r["formula"].endswith(f"= {size}")


def test_explorer_reports_invalid_settings_instead_of_raising():
    r = transposed_conv_explorer(stride=1, output_padding=1)
    assert "output_padding" in r["error"] and "output" not in r
    assert "crops the whole output" in transposed_conv_explorer(1, 1, 1, 2, 0, "ones")["error"]
    with pytest.raises(ValueError, match="kernel must be one of"):
        transposed_conv_explorer(kernel="gauss")


def test_nearest_upsampling_of_the_notes_2x2_is_the_4x4_block_matrix():
    out = upsample_four_ways(NOTES_INPUT)["nearest"]
    # the notes' answer
    assert out.tolist() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]


def test_four_ways_match_torch_and_the_learnable_ones_equal_bilinear_inside():
    image = RNG.random((6, 7))
    out = upsample_four_ways(image)
    x = torch.tensor(image)[None, None]
    np.testing.assert_allclose(out["nearest"], TF.interpolate(x, scale_factor=2)[0, 0])
    bilinear = TF.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)[0, 0]
    np.testing.assert_allclose(out["bilinear"], bilinear, rtol=1e-12)
    for name in ("transposed", "pixel shuffle"):
        assert out[name].shape == (12, 14)
        np.testing.assert_allclose(out[name][1:-1, 1:-1], bilinear[1:-1, 1:-1], rtol=1e-12)
        assert not np.allclose(out[name][0], bilinear[0])   # zero padding at the border


def test_bilinear_phase_kernels_each_sum_to_one():
    np.testing.assert_allclose(bilinear_phase_kernels().sum(axis=(1, 2, 3)), 1.0)


def test_four_ways_keep_float32():
    out = upsample_four_ways(RNG.random((4, 4)).astype(np.float32))
    assert {a.dtype for a in out.values()} == {np.dtype(np.float32)}


def test_four_ways_and_stamps_on_cupy_match_numpy(cupy):
    image = RNG.random((5, 6))
    for name, out in upsample_four_ways(cupy.asarray(image)).items():
        np.testing.assert_allclose(cupy.asnumpy(out), upsample_four_ways(image)[name],
                                   rtol=1e-12, atol=1e-12)
    parts = stamps(cupy.asarray(NOTES_INPUT), cupy.asarray(NOTES_KERNEL), 2)
    np.testing.assert_array_equal(cupy.asnumpy(parts.sum(axis=(0, 1))), notes_example())
