"""Chapter 05 sizing and convolution demos, checked against PyTorch as the oracle."""

from fractions import Fraction

import numpy as np
import pytest
import torch

from dlcourse.chapters.convolutions.geometry import (
    conv_modes,
    convolution_geometry,
    convolve2d,
    dense_vs_conv_params,
    edge_filters,
    exact_output_size,
    locally_connected_params,
    shift,
)
from dlcourse.nn import functional as F

torch.set_num_threads(1)

# The 4x4 input of the notes' max-pooling question (seeds/001, "2x2 max-pooling ... stride 2").
POOL_EXAMPLE = np.array([[1.0, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])


def _torch_out_size(n, k, s=1, p=0, d=1):
    x = torch.zeros(1, 1, n, n)
    return torch.nn.functional.conv2d(x, torch.zeros(1, 1, k, k), stride=s, padding=p,
                                      dilation=d).shape[-1]


def test_output_sizes_on_32x32x3_for_f_1_3_7_11_32_are_the_notes_answers():
    # seeds/000: stride 1, no padding -> 32, 30, 26, 22 and 1x1 for F = 32
    sizes = [convolution_geometry(32, f, in_channels=3).output_size for f in (1, 3, 7, 11, 32)]
    x = torch.zeros(1, 3, 32, 32)
    oracle = [torch.nn.Conv2d(3, 1, f)(x).shape[-1] for f in (1, 3, 7, 11, 32)]
    assert sizes == oracle == [32, 30, 26, 22, 1]


def test_same_padding_keeps_32_for_every_odd_kernel():
    for f in (1, 3, 7, 11):
        g = convolution_geometry(32, f, padding=(f - 1) // 2)
        assert g.output_size == 32 == _torch_out_size(32, f, p=(f - 1) // 2)


@pytest.mark.parametrize(("c_in", "c_out", "k", "bias", "expected"), [
    (3, 10, 5, True, 760),       # seeds/000: ten 5x5x3 filters, 76 each
    (3, 32, 3, False, 864),      # seeds/001: 3*3*3*32 weights
    (32, 64, 3, False, 18_432),  # seeds/001: 3*3*32*64 weights
])
def test_parameter_counts_match_torch_and_the_notes(c_in, c_out, k, bias, expected):
    layer = torch.nn.Conv2d(c_in, c_out, k, bias=bias)
    oracle = sum(p.numel() for p in layer.parameters())
    g = convolution_geometry(10, k, in_channels=c_in, out_channels=c_out)
    assert (g.params if bias else g.weights) == oracle == expected


def test_geometry_matches_torch_on_random_settings():
    rng = np.random.default_rng(5)
    checked = 0
    while checked < 40:
        n, k, s, p, d = (int(v) for v in (rng.integers(3, 13), rng.integers(1, 6),
                                          rng.integers(1, 4), rng.integers(0, 3),
                                          rng.integers(1, 3)))
        if d * (k - 1) + 1 > n + 2 * p:
            continue
        g = convolution_geometry(n, k, s, p, d)
        ones = torch.ones(1, 1, n, n, dtype=torch.float64)
        out = torch.nn.functional.conv2d(ones, torch.ones(1, 1, k, k, dtype=torch.float64),
                                         stride=s, padding=p, dilation=d)[0, 0]
        assert g.output_size == out.shape[-1]
        np.testing.assert_array_equal(g.output, out.numpy())
        assert g.fits == ((n + 2 * p - d * (k - 1) - 1) % s == 0)
        checked += 1


def test_pixels_never_reached_do_not_change_the_torch_output():
    g = convolution_geometry(8, 3, stride=2)
    assert not g.fits and g.exact_output_size == Fraction(7, 2) and g.unused == 1
    x = torch.randn(1, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    w = torch.randn(1, 1, 3, 3, generator=torch.Generator().manual_seed(1))
    changed = x.clone()
    changed[..., -g.unused:, :] = 100.0
    changed[..., :, -g.unused:] = -100.0
    conv = torch.nn.functional.conv2d
    assert torch.equal(conv(x, w, stride=2), conv(changed, w, stride=2))


def test_exact_output_size_is_the_unrounded_formula():
    assert exact_output_size(7, 3, stride=2) == 3
    assert exact_output_size(7, 3, stride=3) == Fraction(7, 3)
    assert exact_output_size(10, 3, stride=2, padding=1, dilation=2) == Fraction(9, 2)


def test_geometry_refuses_a_kernel_wider_than_the_padded_input():
    with pytest.raises(ValueError, match="kernel covers"):
        convolution_geometry(4, 3, dilation=2)


def test_dense_layer_on_256x256x3_has_196_million_parameters():
    # torch on the meta device: counts without allocating 786 MB
    dense = torch.nn.Linear(256 * 256 * 3, 1000, device="meta")
    conv = torch.nn.Conv2d(3, 1000, 5, device="meta")
    counts = dense_vs_conv_params(256, 3, 1000, kernel_size=5)
    assert counts["dense"] == sum(p.numel() for p in dense.parameters()) == 196_609_000
    assert counts["conv"] == sum(p.numel() for p in conv.parameters())


def test_locally_connected_layer_has_one_filter_bank_per_output_position():
    positions = torch.nn.Unfold(5)(torch.zeros(1, 3, 32, 32)).shape[-1]  # 28 * 28
    assert locally_connected_params(32, 3, 10, 5) == positions * 760


def test_convolve2d_matches_numpy_convolve_on_rows_and_flipped_cross_correlation():
    rng = np.random.default_rng(0)
    row, k = rng.normal(size=(1, 9)), rng.normal(size=(1, 4))
    np.testing.assert_allclose(convolve2d(row, k)[0], np.convolve(row[0], k[0]), rtol=1e-12)
    image, kernel = rng.normal(size=(6, 7)), rng.normal(size=(3, 2))
    flipped = torch.from_numpy(kernel[::-1, ::-1].copy())[None, None]
    oracle = torch.nn.functional.conv2d(torch.from_numpy(image)[None, None], flipped,
                                        padding=(2, 1))[0, 0].numpy()
    np.testing.assert_allclose(convolve2d(image, kernel), oracle, rtol=1e-12)


def test_cross_correlation_differs_from_convolution_for_an_asymmetric_kernel():
    image = np.arange(16.0).reshape(4, 4)
    kernel = edge_filters()["vertical edge"]
    correlation = F.conv2d(image[None, None], kernel[None, None], padding=2)[0, 0]
    np.testing.assert_allclose(correlation, -convolve2d(image, kernel))  # antisymmetric kernel


def test_shifting_the_input_shifts_the_output():
    rng = np.random.default_rng(1)
    image = np.zeros((1, 1, 16, 16))
    image[..., 4:10, 4:10] = rng.normal(size=(6, 6))   # zero margin: nothing leaves the image
    w = rng.normal(size=(2, 1, 3, 3))
    conv = lambda x: F.conv2d(x, w, padding=1)  # noqa: E731
    np.testing.assert_allclose(conv(shift(image, 2, 3)), shift(conv(image), 2, 3), atol=1e-12)
    assert shift(image, -2, 1).shape == image.shape
    with pytest.raises(ValueError, match="out of"):
        shift(image, 16, 0)


def test_edge_filters_respond_only_where_the_image_changes():
    step = np.zeros((1, 1, 8, 8))
    step[..., 4:] = 1.0                                  # a vertical edge between columns 3, 4
    filters = edge_filters()
    vertical = F.conv2d(step, filters["vertical edge"][None, None])[0, 0]
    horizontal = F.conv2d(step, filters["horizontal edge"][None, None])[0, 0]
    assert np.all(vertical[:, 2:4] == 4.0) and np.all(vertical[:, [0, 1, 4, 5]] == 0.0)
    assert np.all(horizontal == 0.0)


def test_conv_modes_sizes_match_torch():
    for name, s, p, d, size in conv_modes(9, 3):
        assert size == _torch_out_size(9, 3, s, p, d), name
    assert [row[0] for row in conv_modes()] == ["valid", "same", "full", "strided", "dilated"]


def test_max_pool_example_from_the_notes_gives_6_8_3_4():
    # seeds/001 answer: [[6, 8], [3, 4]]; torch is the oracle
    x = POOL_EXAMPLE[None, None]
    oracle = torch.nn.functional.max_pool2d(torch.from_numpy(x), 2, stride=2)[0, 0].numpy()
    np.testing.assert_array_equal(F.max_pool2d(x, 2, stride=2)[0, 0], oracle)
    np.testing.assert_array_equal(oracle, [[6, 8], [3, 4]])


def test_max_unpool_puts_the_maxima_back_like_torch():
    x = torch.from_numpy(POOL_EXAMPLE[None, None])
    pooled, idx = torch.nn.functional.max_pool2d(x, 2, return_indices=True)
    oracle = torch.nn.functional.max_unpool2d(pooled, idx, 2)
    out, indices = F.max_pool2d_with_indices(POOL_EXAMPLE[None, None], 2)
    np.testing.assert_array_equal(F.max_unpool2d(out, indices, 2), oracle.numpy())
