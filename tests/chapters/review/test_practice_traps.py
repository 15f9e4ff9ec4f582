"""The "refute the notes" practice kinds: every answer re-derived independently (torch, SciPy,
brute force, Monte Carlo), and every question quotes the notes' sentence it refutes."""

import itertools

import numpy as np
import pytest
import scipy.signal
import torch

from dlcourse.chapters.review import practice
from dlcourse.chapters.review.practice.traps import GENERATORS

torch.set_num_threads(1)
SEEDS = range(20)
SEED_NOTES = {"trap_tconv_padding": "001:1511", "trap_yolo": "001:1458",
              "trap_segmentation": "000:16", "trap_gradients": "002:35",
              "trap_early_stopping": "004:7", "trap_dropout": "002:200",
              "trap_uniform_init": "002:215", "trap_he": "002:220",
              "trap_full_conv": "004:49", "trap_25d": "001:1713"}


def problems(kind):
    return [practice.generate(kind, seed) for seed in SEEDS]


def test_every_trap_kind_is_a_practice_kind_and_quotes_its_line_of_the_notes():
    assert set(GENERATORS) == set(SEED_NOTES) and set(GENERATORS) <= set(practice.KINDS)
    for kind, source in SEED_NOTES.items():
        for p in problems(kind):
            assert p.question.startswith('The notes say "') and f"({source})" in p.question


def test_tconv_padding_matches_torch_and_is_smaller_than_the_notes_sum():
    for p in problems("trap_tconv_padding"):
        d = p.data
        x, w = torch.tensor(d["x"])[None, None], torch.tensor(d["w"])[None, None]
        expected = torch.nn.functional.conv_transpose2d(x, w, stride=d["stride"],
                                                        padding=d["padding"])[0, 0]
        np.testing.assert_array_equal(p.answer, expected.numpy())
        full = torch.nn.functional.conv_transpose2d(x, w, stride=d["stride"])[0, 0]
        assert p.answer.shape[0] == full.shape[0] - 2 * d["padding"]


def test_yolo_counts_the_entries_of_both_head_tensors():
    for p in problems("trap_yolo"):
        S, B, C = p.data["S"], p.data["B"], p.data["C"]
        assert p.answer == (torch.zeros(S, S, 5 * B + C).numel(),
                            torch.zeros(S, S, B, 5 + C).numel())


def test_segmentation_answer_is_the_best_naming_of_the_two_brightness_clusters():
    for p in problems("trap_segmentation"):
        clusters, mask = (p.data["image"] > 5).astype(int), p.data["mask"]
        best = max(np.mean(np.choose(clusters, naming) == mask)
                   for naming in itertools.product(range(3), repeat=2))
        assert p.answer == pytest.approx(best, abs=5e-4) and best < 1


def test_gradient_through_the_chain_matches_torch_autograd_whatever_the_learning_rate():
    for p in problems("trap_gradients"):
        x = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
        h = x
        for w in p.data["weights"]:
            h = float(w) * h
        h.backward()
        assert p.answer == pytest.approx(float(x.grad), rel=1e-12)
        assert f"{p.data['lr']:g}" in p.question


def test_early_stopping_epochs_match_the_argmin_definition_and_training_never_rises():
    for p in problems("trap_early_stopping"):
        train, val, patience = p.data["train"], p.data["val"], p.data["patience"]
        assert np.all(np.diff(train) <= 0)
        n = len(val)
        stop = next((e for e in range(n) if e - int(np.argmin(val[:e + 1])) >= patience), n - 1)
        assert p.answer == (int(np.argmin(val[:stop + 1])) + 1, stop + 1)


def test_dropout_means_match_torch_dropout_undone_of_its_scaling():
    generator = torch.Generator().manual_seed(0)
    for p in problems("trap_dropout")[:8]:
        a, drop = p.data["a"], p.data["p"]
        kept = torch.bernoulli(torch.full((200_000,), 1 - drop, dtype=torch.float64),
                               generator=generator)
        out = torch.nn.functional.dropout(a * kept.new_ones(200_000), drop, training=True)
        assert float(out.mean()) * (1 - drop) == pytest.approx(p.answer[0], rel=0.02)
        assert p.answer[1] == pytest.approx(a * drop)


def test_uniform_init_mean_matches_monte_carlo_with_torch_init():
    generator = torch.Generator().manual_seed(0)
    for p in problems("trap_uniform_init")[:8]:
        n, x_mean = p.data["n"], p.data["x_mean"]
        w = torch.nn.init.uniform_(torch.empty(2000, n, dtype=torch.float64), 0, 1,
                                   generator=generator)
        x = x_mean + torch.randn(2000, n, dtype=torch.float64, generator=generator)
        assert float((w * x).sum(1).mean()) == pytest.approx(p.answer, rel=0.05)


def test_relu_moments_match_monte_carlo():
    generator = torch.Generator().manual_seed(0)
    for p in problems("trap_he"):
        h = torch.relu(p.data["sigma"] * torch.randn(400_000, dtype=torch.float64,
                                                     generator=generator))
        assert float(h.mean()) == pytest.approx(p.answer[0], rel=0.01)
        assert float((h ** 2).mean()) == pytest.approx(p.answer[1], rel=0.02)


def test_full_convolution_is_scipys_full_mode():
    for p in problems("trap_full_conv"):
        expected = scipy.signal.correlate2d(p.data["x"], p.data["w"], mode="full")
        np.testing.assert_allclose(p.answer, expected, atol=1e-12)


def test_25d_counts_the_values_of_the_planes_and_of_the_slab():
    for p in problems("trap_25d"):
        volume = torch.zeros(p.data["D"], p.data["H"], p.data["W"])
        planes = volume[0].numel() + volume[:, 0].numel() + volume[:, :, 0].numel()
        assert p.answer == (planes, volume[:3].numel())
