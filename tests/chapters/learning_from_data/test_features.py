"""Hand-made features (dlcourse.chapters.learning_from_data.features): filtering vs torch conv2d,
Sobel and Gabor closed forms, HoG vs a loop-by-loop reference, PCA vs scikit-learn."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from sklearn.decomposition import PCA as SkPCA

from dlcourse.chapters.learning_from_data.features import (
    PCA,
    SOBEL_X,
    filter2d,
    gabor_features,
    gabor_kernel,
    gradient_magnitude,
    hog,
    knn_accuracy_by_feature,
    pixel_features,
    sobel,
)

torch.set_num_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(99)


@pytest.mark.parametrize("kernel_shape", [(3, 3), (1, 3), (5, 5), (7, 3)])
def test_filter2d_matches_torch_conv2d_with_same_padding(rng, kernel_shape):
    images = rng.standard_normal((4, 9, 11))
    kernel = rng.standard_normal(kernel_shape)
    kh, kw = kernel_shape
    expected = TF.conv2d(torch.tensor(images)[:, None], torch.tensor(kernel)[None, None],
                         padding=(kh // 2, kw // 2))[:, 0].numpy()
    np.testing.assert_allclose(filter2d(images, kernel), expected, rtol=1e-10, atol=1e-12)


def test_filter2d_keeps_float32_and_rejects_even_kernels(rng):
    images = rng.random((2, 5, 5)).astype(np.float32)
    assert filter2d(images, np.ones((3, 3))).dtype == np.float32
    with pytest.raises(ValueError, match="odd"):
        filter2d(images, np.ones((2, 2)))


def test_sobel_of_a_ramp_is_eight_times_its_slope_inside_the_image():
    # brightness 0.5 * column: Sobel x sums (1 + 2 + 1) rows of a central difference
    # (2 columns apart), so gx = 4 * 2 * 0.5 = 4; nothing changes downwards, so gy = 0
    ramp = np.tile(0.5 * np.arange(6.0), (6, 1))[None]
    gx, gy = sobel(ramp)
    np.testing.assert_allclose(gx[0, 1:-1, 1:-1], 4.0)
    np.testing.assert_allclose(gy[0, 1:-1, 1:-1], 0.0)
    np.testing.assert_allclose(gradient_magnitude(ramp), np.hypot(gx, gy))


def test_sobel_y_is_sobel_x_turned_a_quarter(rng):
    images = rng.random((3, 8, 8))
    gx, _ = sobel(images)
    _, gy_of_transposed = sobel(images.transpose(0, 2, 1))
    np.testing.assert_allclose(gy_of_transposed, gx.transpose(0, 2, 1), atol=1e-12)
    assert np.array(SOBEL_X).sum() == 0


def test_gabor_kernel_follows_its_formula():
    size, theta, sigma, lam, gamma, psi = 9, 0.3, 2.5, 5.0, 0.6, 0.4
    k = gabor_kernel(size, theta=theta, sigma=sigma, wavelength=lam, gamma=gamma, psi=psi)
    for row, col in [(4, 4), (0, 8), (2, 7), (6, 1)]:
        x, y = col - 4, row - 4
        xr = x * math.cos(theta) + y * math.sin(theta)
        yr = -x * math.sin(theta) + y * math.cos(theta)
        expected = math.exp(-(xr**2 + gamma**2 * yr**2) / (2 * sigma**2)) * math.cos(
            2 * math.pi * xr / lam + psi)
        assert k[row, col] == pytest.approx(expected)


def test_gabor_kernel_at_90_degrees_is_the_transpose_of_the_one_at_0():
    np.testing.assert_allclose(gabor_kernel(7, theta=math.pi / 2), gabor_kernel(7).T, atol=1e-12)


@pytest.mark.kernel_sensitive
def test_gabor_features_prefer_the_orientation_of_the_stripes():
    stripes = np.tile((np.arange(16) % 4 < 2).astype(float), (16, 1))[None]  # vertical stripes
    features = gabor_features(stripes, n_orientations=4, cell_size=8).reshape(4, -1)
    strength = features.mean(axis=1)                    # per orientation 0, 45, 90, 135 deg
    assert strength.argmax() == 0
    assert strength[0] > 3 * strength[2]


def hog_reference(image, cell, bins):
    """HoG of one image, one pixel at a time (independent of the vectorised version)."""
    h, w = image.shape
    padded = np.pad(image, 1, mode="edge")
    hist = np.zeros((h // cell, w // cell, bins))
    for r in range(h):
        for c in range(w):
            gx = padded[r + 1, c + 2] - padded[r + 1, c]
            gy = padded[r + 2, c + 1] - padded[r, c + 1]
            magnitude = math.hypot(gx, gy)
            degrees = math.degrees(math.atan2(gy, gx)) % 180.0
            position = degrees / (180.0 / bins) - 0.5
            low = math.floor(position)
            hist[r // cell, c // cell, low % bins] += magnitude * (1 - (position - low))
            hist[r // cell, c // cell, (low + 1) % bins] += magnitude * (position - low)
    v = hist.ravel()
    return v / (np.linalg.norm(v) + 1e-8)


@pytest.mark.parametrize("cell, bins", [(4, 9), (2, 6), (8, 4)])
def test_hog_matches_a_pixel_by_pixel_reference(rng, cell, bins):
    images = rng.random((3, 1, 8, 8))
    expected = np.stack([hog_reference(im[0], cell, bins) for im in images])
    np.testing.assert_allclose(hog(images, cell_size=cell, bins=bins), expected, atol=1e-10)


def test_hog_of_a_horizontal_edge_votes_for_90_degrees():
    edge = np.zeros((1, 8, 8))
    edge[:, 4:] = 1.0                                    # bright lower half: gradient points down
    descriptor = hog(edge, cell_size=8, bins=9)[0]       # one cell; bin 4 is centred at 90 deg
    assert descriptor.argmax() == 4
    assert np.linalg.norm(descriptor) == pytest.approx(1.0)


def test_hog_needs_whole_cells():
    with pytest.raises(ValueError, match="not a multiple of cell_size=3"):
        hog(np.zeros((1, 8, 8)), cell_size=3)
    with pytest.raises(ValueError, match="grey"):
        hog(np.zeros((1, 3, 8, 8)))


@pytest.mark.kernel_sensitive
def test_pca_matches_sklearn_up_to_the_sign_of_each_component(rng):
    X = rng.standard_normal((80, 6)) @ rng.standard_normal((6, 6))
    ours = PCA(4).fit(X)
    theirs = SkPCA(4, svd_solver="full").fit(X)
    np.testing.assert_allclose(ours.explained_variance_, theirs.explained_variance_, rtol=1e-10)
    np.testing.assert_allclose(ours.explained_variance_ratio_,
                               theirs.explained_variance_ratio_, rtol=1e-10)
    signs = np.sign((ours.components_ * theirs.components_).sum(axis=1))
    np.testing.assert_allclose(ours.components_, signs[:, None] * theirs.components_, atol=1e-10)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X) * signs, atol=1e-10)


def test_pca_with_all_components_reconstructs_exactly(rng):
    X = rng.standard_normal((20, 5))
    pca = PCA().fit(X)
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(X)), X, atol=1e-12)
    np.testing.assert_allclose(pca.components_ @ pca.components_.T, np.eye(5), atol=1e-12)
    assert pca.explained_variance_ratio_.sum() == pytest.approx(1.0)


def test_pca_checks_its_arguments(rng):
    with pytest.raises(ValueError, match="n_components=9"):
        PCA(9).fit(rng.standard_normal((5, 4)))
    with pytest.raises(RuntimeError, match="call fit"):
        PCA(2).transform(np.zeros((1, 3)))


def test_pixel_features_flatten_each_image():
    images = np.arange(2 * 1 * 3 * 3.0).reshape(2, 1, 3, 3)
    np.testing.assert_array_equal(pixel_features(images), images.reshape(2, 9))


@pytest.mark.kernel_sensitive
def test_knn_accuracy_by_feature_reports_dimension_and_accuracy_per_feature(rng):
    X = rng.random((40, 1, 8, 8))
    y = (X[:, 0, :, :4].mean(axis=(1, 2)) > X[:, 0, :, 4:].mean(axis=(1, 2))).astype(int)
    table = knn_accuracy_by_feature(X[:30], y[:30], X[30:], y[30:], n_components=5)
    assert {name: dim for name, (dim, _) in table.items()} == {
        "pixels": 64, "Sobel": 64, "Gabor": 16, "HoG": 36, "PCA": 5}
    assert all(0.0 <= accuracy <= 1.0 for _, accuracy in table.values())
    with pytest.raises(ValueError, match="unknown feature 'SIFT'"):
        knn_accuracy_by_feature(X, y, X, y, names=("SIFT",))
