"""Chapter 12's "refute the notes" exercises: every reference agrees with an independent
oracle (PyTorch, SciPy, brute force or Monte Carlo), on every public, edge and hidden case,
and the notes' own answers fail the checks with a message that says what is wrong."""

import itertools

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as TF

from dlcourse.data.counterexamples import lesion_and_vessel, overfitting_curves
from dlcourse.detection import yolo_output_size
from dlcourse.grading import exercises
from dlcourse.grading.checks import run_checks
from dlcourse.grading.exercises import ch07, ch12
from dlcourse.grading.grader import hidden_rng

torch.set_num_threads(1)


def every_case(name, seeds=range(8)):
    ex = exercises.get(name)
    cases = ex.public() + ex.edge()
    for seed in seeds:
        cases += ex.hidden(hidden_rng(seed, ex), "s")
    return cases


def test_transposed_conv_cropped_matches_torch():
    for case in every_case("ch12.transposed_conv_cropped"):
        x, k, stride, padding = case.args
        expected = TF.conv_transpose2d(torch.tensor(x)[None, None], torch.tensor(k)[None, None],
                                       stride=stride, padding=padding)[0, 0].numpy()
        np.testing.assert_array_equal(ch12.transposed_conv_cropped(*case.args), expected)


def test_yolo_counts_count_the_entries_of_both_head_tensors():
    for case in every_case("ch12.yolo_counts"):
        S, B, C = case.args
        v1, anchors = ch12.yolo_counts(S, B, C)
        assert v1 == torch.zeros(S, S, 5 * B + C).numel() == yolo_output_size(S, B, C)
        assert anchors == torch.zeros(S, S, B, 5 + C).numel()
    assert ch12.yolo_counts(7, 2, 20)[0] == 1470  # the YOLOv1 paper's 7x7x30


def _brute_force_accuracy(clusters, mask):
    ids, classes = np.unique(clusters), np.unique(mask)
    return max(np.mean(np.select([clusters == c for c in ids], naming) == mask)
               for naming in itertools.product(classes, repeat=len(ids)))


def test_best_cluster_accuracy_is_the_best_of_every_renaming():
    for case in every_case("ch12.best_cluster_accuracy"):
        assert ch12.best_cluster_accuracy(*case.args) == pytest.approx(
            _brute_force_accuracy(*case.args), abs=1e-12)


def test_no_clustering_of_the_brightness_separates_lesion_and_vessel():
    image, mask = lesion_and_vessel()
    # every 2-cluster split of the two grey levels, and every split of the pixels by a
    # threshold, falls short of the labels: the classes are not in the intensities
    for threshold in np.unique(image):
        assert ch12.best_cluster_accuracy((image >= threshold).astype(int), mask) < 1
    assert ch12.best_cluster_accuracy(mask, mask) == 1


def test_chain_gradients_match_torch_autograd():
    activations = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "identity": lambda z: z}
    for case in every_case("ch12.chain_gradients"):
        w, b, x, name = case.args
        units = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True)]
        for wl, bl in zip(w, b, strict=True):
            units.append(activations[name](float(wl) * units[-1] + float(bl)))
            units[-1].retain_grad()
        units[-1].backward()
        expected = [float(u.grad) for u in units[:-1]] + [1.0]
        np.testing.assert_allclose(ch12.chain_gradients(*case.args), expected, rtol=1e-10,
                                   atol=1e-300)


def _stop_oracle(train, val, patience):
    n = len(val)
    stop = next((e for e in range(n) if e - int(np.argmin(val[:e + 1])) >= patience), n - 1)
    rise = next((e for e in range(1, len(train)) if train[e] > train[e - 1]), -1)
    return int(np.argmin(val[:stop + 1])), stop, rise


def test_early_stopping_matches_the_definition_and_never_uses_the_training_loss_to_stop():
    for case in every_case("ch12.early_stopping"):
        assert ch12.early_stopping(*case.args) == _stop_oracle(*case.args), case.label
        train, val, patience = case.args
        assert ch12.early_stopping(train[::-1], val, patience)[:2] == \
            ch12.early_stopping(train, val, patience)[:2]
    train, val = overfitting_curves()
    assert np.all(np.diff(train) < 0) and ch12.early_stopping(train, val, 3) == (6, 9, -1)


def test_dropout_means_agree_with_the_pytorch_checked_dropout_and_with_expectations():
    for case in every_case("ch12.dropout_means"):
        x, u, p = case.args
        mixed_train, mixed_test, inverted_train, inverted_test = ch12.dropout_means(x, u, p)
        torchlike = np.mean([ch07.dropout(x, p, row) for row in u], axis=0)
        np.testing.assert_allclose(inverted_train, torchlike, rtol=1e-12)
        np.testing.assert_allclose(mixed_train, torchlike * (1 - p), rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(inverted_test, x)
        np.testing.assert_allclose(mixed_test, x * p)
    # over many passes: inverted dropout keeps the mean (as torch's does); the mixed rule's
    # training mean is (1 - p) x but its test output p x
    x, p = np.array([1.0, 2.0, -0.5, 4.0]), 0.2
    u = np.random.default_rng(1).random((200_000, 4))
    mixed_train, mixed_test, inverted_train, _ = ch12.dropout_means(x, u, p)
    ones = TF.dropout(torch.ones(200_000, dtype=torch.float64), p, training=True)
    assert float(ones.mean()) == pytest.approx(1.0, abs=0.01)
    np.testing.assert_allclose(inverted_train, x, atol=0.02)
    np.testing.assert_allclose(mixed_train / mixed_test, (1 - p) / p, rtol=0.01)


def test_uniform_init_moments_match_monte_carlo_with_torch_init():
    generator = torch.Generator().manual_seed(0)
    for case in every_case("ch12.uniform_init_moments", seeds=range(2)):
        n_in, low, high, x_mean, x_var = case.args
        w = torch.empty(5000, n_in, dtype=torch.float64)
        torch.nn.init.uniform_(w, low, high, generator=generator)
        x = x_mean + np.sqrt(x_var) * torch.randn(5000, n_in, dtype=torch.float64,
                                                  generator=generator)
        z = (w * x).sum(1)
        mean, std = ch12.uniform_init_moments(*case.args)
        assert float(z.std()) == pytest.approx(std, rel=0.06), case.label
        assert float(z.mean()) == pytest.approx(mean, abs=5 * std / np.sqrt(5000))


def test_relu_moments_and_he_variance_match_a_torch_layer():
    generator = torch.Generator().manual_seed(0)
    for case in every_case("ch12.relu_he_moments", seeds=range(3)):
        (sigma,) = case.args
        mean, mean_square, var_he, var_lecun = ch12.relu_he_moments(sigma)
        h = torch.relu(sigma * torch.randn(4000, 256, dtype=torch.float64,
                                           generator=generator))
        assert float(h.mean()) == pytest.approx(mean, rel=0.02)
        assert float((h ** 2).mean()) == pytest.approx(mean_square, rel=0.02)
        he = torch.empty(256, 256, dtype=torch.float64)
        torch.nn.init.kaiming_normal_(he, nonlinearity="relu", generator=generator)
        lecun = torch.empty(256, 256, dtype=torch.float64)
        torch.nn.init.normal_(lecun, std=1 / 16, generator=generator)  # 1 / sqrt(256)
        # the next pre-activations have mean zero over random weights: their variance is
        # their mean square (10 % absorbs one weight draw; the two answers differ by 2x)
        assert float(((h @ he.T) ** 2).mean()) == pytest.approx(var_he, rel=0.1)
        assert float(((h @ lecun.T) ** 2).mean()) == pytest.approx(var_lecun, rel=0.1)


def test_full_correlation_is_scipys_full_mode_and_zero_padding_of_k_minus_1():
    for case in every_case("ch12.full_correlation"):
        x, k = case.args
        out = ch12.full_correlation(x, k)
        np.testing.assert_allclose(out, scipy.signal.correlate2d(x, k, mode="full"), atol=1e-12)
        padded = TF.conv2d(torch.tensor(x)[None, None], torch.tensor(k)[None, None],
                           padding=(k.shape[0] - 1, k.shape[1] - 1))[0, 0].numpy()
        np.testing.assert_allclose(out, padded, atol=1e-12)


def test_input_25d_selects_the_planes_through_the_voxel_and_its_neighbours():
    for case in every_case("ch12.input_25d"):
        volume, z, y, x = case.args
        t = torch.tensor(volume)
        axial, coronal, sagittal, adjacent = ch12.input_25d(*case.args)
        for axis, (index, plane) in enumerate(zip((z, y, x), (axial, coronal, sagittal),
                                                  strict=True)):
            expected = t.index_select(axis, torch.tensor([index])).squeeze(axis).numpy()
            np.testing.assert_array_equal(plane, expected)
        neighbours = torch.tensor([z - 1, z, z + 1]).clamp(0, volume.shape[0] - 1)
        np.testing.assert_array_equal(adjacent, t.index_select(0, neighbours).numpy())
        assert not np.shares_memory(axial, volume)


# --- the notes' own answers fail, with a message that points at the error ---------------------

def test_the_notes_unpadded_transposed_convolution_is_told_its_shape():
    def transposed_conv_cropped(x, k, stride, padding):  # the notes: padding ignored
        (h, w), (kh, kw) = x.shape, k.shape
        out = np.zeros(((h - 1) * stride + kh, (w - 1) * stride + kw))
        for i, j in np.ndindex(h, w):
            out[i * stride:i * stride + kh, j * stride:j * stride + kw] += x[i, j] * k
        return out

    report = run_checks("ch12.transposed_conv_cropped", transposed_conv_cropped).report()
    assert "has shape (5, 5) but should have shape (3, 3)" in report


def test_the_notes_yolo_formula_is_told_the_v1_count():
    def yolo_counts(S, B, C):
        return S * S * B * (5 + C), S * S * B * (5 + C)

    report = run_checks("ch12.yolo_counts", yolo_counts).report()
    assert "v1 is 980 but should be 735" in report


def test_stopping_on_the_training_loss_is_told_the_stop_epoch():
    def early_stopping(train_losses, val_losses, patience):
        rises = np.flatnonzero(np.diff(train_losses) > 0)
        stop = int(rises[0]) + 1 if rises.size else len(train_losses) - 1
        return stop, stop, int(rises[0]) + 1 if rises.size else -1

    report = run_checks("ch12.early_stopping", early_stopping).report()
    assert "best is 11 but should be 6" in report


def test_he_for_zero_mean_outputs_is_told_the_mean_of_relu():
    def relu_he_moments(sigma):
        return 0.0, sigma ** 2, sigma ** 2, sigma ** 2

    report = run_checks("ch12.relu_he_moments", relu_he_moments).report()
    assert "mean is 0 but should be 0.398942" in report
