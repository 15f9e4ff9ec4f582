"""Convolution from its formula, template matching, and the cheaper convolution variants:
checked against NumPy's convolve, torch, np.corrcoef and hand formulas."""

import numpy as np
import pytest
import torch

from dlcourse.chapters.convolutions import similarity, variants
from dlcourse.data import digits

rng = np.random.default_rng(5)


@pytest.mark.parametrize("n, m", [(1, 1), (5, 3), (3, 5), (8, 2)])
def test_convolve1d_is_numpys_full_convolution_and_torchs_flipped_correlation(n, m):
    x, k = rng.normal(size=n), rng.normal(size=m)
    out = similarity.convolve1d(x, k)
    np.testing.assert_allclose(out, np.convolve(x, k, mode="full"), atol=1e-12)
    flipped = torch.tensor(k[::-1].copy())[None, None]
    torch_out = torch.nn.functional.conv1d(torch.tensor(x)[None, None], flipped,
                                           padding=m - 1)[0, 0].numpy()
    np.testing.assert_allclose(out, torch_out, atol=1e-12)


def test_convolve1d_names_bad_shapes():
    with pytest.raises(ValueError, match="non-empty 1-D"):
        similarity.convolve1d(np.ones((2, 2)), np.ones(2))


def test_template_match_scores_are_correlation_coefficients():
    image, template = rng.normal(size=(7, 9)), rng.normal(size=(3, 4))
    scores, best = similarity.template_match(image, template)
    assert scores.shape == (5, 6)
    for i, j in np.ndindex(*scores.shape):
        window = image[i:i + 3, j:j + 4]
        assert scores[i, j] == pytest.approx(np.corrcoef(window.ravel(), template.ravel())[0, 1])
    assert best == np.unravel_index(np.argmax(scores), scores.shape)


def test_template_match_finds_a_digit_planted_darker_in_a_noisy_canvas():
    X, _ = digits()
    template = X[0, 0].astype(np.float64)
    canvas = np.random.default_rng(0).uniform(0, 0.3, size=(30, 30))
    canvas[11:19, 17:25] += 0.5 * template          # dimmer than the template: still found
    scores, best = similarity.template_match(canvas, template)
    assert best == (11, 17) and scores[best] > 0.9


def test_template_match_refuses_a_constant_or_too_large_template():
    with pytest.raises(ValueError, match="constant"):
        similarity.template_match(np.ones((4, 4)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="larger than the image"):
        similarity.template_match(np.ones((2, 2)), np.eye(3))


def test_depthwise_separable_counts_match_torch_parameters_and_the_formulas():
    c_in, c_out, k, n = 8, 12, 3, 10
    standard, depthwise, pointwise = variants.separable_vs_standard(c_in, c_out, k, n)
    assert standard.params == sum(p.numel() for p in torch.nn.Conv2d(c_in, c_out, k,
                                                                     bias=False).parameters())
    assert (depthwise.params, pointwise.params) == (k * k * c_in, c_in * c_out)
    assert standard.macs == n * n * k * k * c_in * c_out
    assert depthwise.macs + pointwise.macs == n * n * (k * k * c_in + c_in * c_out)
    assert pointwise.output_shape == standard.output_shape == (1, c_out, n, n)


def test_a_strided_convolution_halves_like_pooling_at_a_quarter_of_the_multiply_adds():
    conv, pool, strided = variants.strided_conv_vs_pool(4, 12)
    x = torch.zeros(1, 4, 12, 12)
    expected = torch.nn.Conv2d(4, 4, 3, stride=2, padding=1)(x).shape
    assert pool.output_shape == strided.output_shape == tuple(expected) == (1, 4, 6, 6)
    assert pool.params == 0 and strided.params == conv.params == 4 * 4 * 9 + 4
    assert strided.macs * 4 == conv.macs
