"""Practical recipes: overfit one batch, LR range test, warm-up, AdamW vs L2, label smoothing."""

import math

import numpy as np
import pytest
import torch

from dlcourse import nn
from dlcourse.chapters.training_deep_nets import practical as prac

torch.set_num_threads(1)




# --- overfit one batch --------------------------------------------------------------------

@pytest.mark.kernel_sensitive
def test_one_batch_is_memorised_unless_labels_and_inputs_stop_pairing_up(digits):
    (X, y), _ = digits
    final = {bug: prac.overfit_one_batch(X[:32], y[:32], bug=bug)[-1] for bug in prac.BUGS}
    assert final[None] < 0.01
    assert final["fixed_shuffle"] < 0.05          # a consistent wrong labelling is learned too
    assert final["reshuffled"] > 0.6 * math.log(10)


def test_overfit_one_batch_names_the_known_bugs():
    with pytest.raises(ValueError, match="bug must be one of"):
        prac.overfit_one_batch(np.zeros((4, 2)), np.zeros(4, dtype=np.int64), bug="typo")


# --- learning-rate range test -------------------------------------------------------------

@pytest.mark.kernel_sensitive
def test_range_test_grows_the_rate_geometrically_and_stops_at_the_blow_up(digits):
    (X, y), _ = digits
    r = prac.lr_range_test(X, y, lr_min=1e-4, lr_max=10.0, steps=100)
    ratios = r["lrs"][1:] / r["lrs"][:-1]
    np.testing.assert_allclose(ratios, (10.0 / 1e-4) ** (1 / 99))
    assert len(r["lrs"]) < 100                          # stopped before reaching lr_max
    assert r["smoothed"][-1] > 4 * r["smoothed"].min() or not np.isfinite(r["smoothed"][-1])
    assert r["suggested"] == pytest.approx(r["best_lr"] / 10)
    assert 1e-3 < r["suggested"] < r["lrs"][-1] / 10


def test_range_test_smooths_with_a_bias_corrected_moving_average(digits):
    (X, y), _ = digits
    r = prac.lr_range_test(X[:256], y[:256], steps=20, lr_max=1e-2)
    average, want = 0.0, []
    for t, loss in enumerate(r["losses"], start=1):
        average = 0.9 * average + 0.1 * loss
        want.append(average / (1 - 0.9**t))
    np.testing.assert_allclose(r["smoothed"], want)
    assert r["smoothed"][0] == r["losses"][0]           # bias correction: no pull towards 0


def test_range_test_refuses_an_empty_range():
    X, y = np.zeros((4, 2)), np.zeros(4, dtype=np.int64)
    with pytest.raises(ValueError, match="lr_min < lr_max"):
        prac.lr_range_test(X, y, lr_min=1.0, lr_max=0.1)
    with pytest.raises(ValueError, match="steps must be an integer >= 2"):
        prac.lr_range_test(X, y, steps=1)


# --- warm-up -------------------------------------------------------------------------------

@pytest.mark.parametrize("start_factor", [1.0, 0.01])
def test_adams_first_step_moves_every_weight_by_the_rate(start_factor):
    layer = nn.Linear(64, 128, rng=0, dtype="float64")        # the same init as the function
    w = layer.weight.data
    want = 0.05 * start_factor * math.sqrt(w.size) / np.linalg.norm(w)
    got = prac.first_step_size(64, 128, lr=0.05, start_factor=start_factor, seed=0)
    assert got == pytest.approx(want, rel=1e-6)


@pytest.mark.kernel_sensitive
def test_warm_up_ramps_the_rate_and_removes_the_early_loss_spike(digits):
    kwargs = {"lr": 0.05, "steps": 30, "hidden": (128, 128, 128)}
    cold = prac.warmup_run(*digits, **kwargs)
    warm = prac.warmup_run(*digits, warmup_steps=20, **kwargs)
    assert (cold["lr"] == 0.05).all()
    ramp = 0.05 * (0.01 + 0.99 * np.minimum(np.arange(30), 20) / 20)
    np.testing.assert_allclose(warm["lr"], ramp)
    assert cold["loss"].max() > 4.0                       # log(10) = 2.3 at the start
    assert warm["loss"].max() < 2.6
    assert 0 <= warm["dead"] <= 1 and 0 <= warm["accuracy"] <= 1


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_warm_up_leaves_fewer_dead_relus_at_a_high_rate(digits):
    # The notebook's setting: six ReLU layers of 64, Adam at 0.02, 200 steps, 50 of warm-up.
    for seed in (0, 1, 2):
        cold = prac.warmup_run(*digits, lr=0.02, seed=seed)
        warm = prac.warmup_run(*digits, lr=0.02, warmup_steps=50, seed=seed)
        assert warm["dead"] < cold["dead"] - 0.04, seed


# --- AdamW vs L2 ---------------------------------------------------------------------------

def test_decoupled_decay_is_l2_for_sgd_but_not_for_adam():
    paths = prac.weight_decay_paths(steps=300, lr=0.01, weight_decay=0.1,
                                    grad_scales=(1.0, 0.01))
    np.testing.assert_allclose(paths["SGD + L2"], paths["SGD, decoupled"], rtol=1e-12)
    # SGD by hand: p <- p - lr (g + wd p), with g flipping sign every step
    p = np.ones(2)
    for step in range(300):
        p = p - 0.01 * (np.array([1.0, 0.01]) * (-1.0) ** step + 0.1 * p)
    np.testing.assert_allclose(paths["SGD + L2"][-1], p, rtol=1e-12)
    shrink = 0.999**300                                   # (1 - lr wd)^steps
    adamw, adam = paths["AdamW"][-1], paths["Adam + L2"][-1]
    np.testing.assert_allclose(adamw, shrink, atol=0.02)  # every weight decays alike
    assert adam[0] == pytest.approx(adamw[0], abs=0.02)   # large gradients hide the decay ...
    assert adam[1] < 0.01                                 # ... small ones let it take all


# --- label smoothing -----------------------------------------------------------------------

def test_smoothed_targets_by_hand_and_their_rows_sum_to_one():
    q = prac.smooth_targets(np.array([2, 0]), 5, 0.1)
    np.testing.assert_allclose(q[0], [0.02, 0.02, 0.92, 0.02, 0.02])
    np.testing.assert_allclose(q.sum(axis=1), 1.0)
    np.testing.assert_array_equal(prac.smooth_targets(np.array([1]), 3, 0.0), [[0, 1, 0]])


@pytest.mark.parametrize(("classes", "smoothing"), [(2, 0.1), (10, 0.1), (10, 0.0), (7, 0.5),
                                                    (4, 1.0)])
def test_smoothed_cross_entropy_matches_torch_label_smoothing(classes, smoothing):
    rng = np.random.default_rng(classes)
    logits, y = rng.normal(size=(16, classes)) * 3, rng.integers(0, classes, size=16)
    want = torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(y),
                                             label_smoothing=smoothing).item()
    assert prac.smoothed_cross_entropy(logits, y, smoothing) == pytest.approx(want, rel=1e-12)
    # and torch's soft-target cross-entropy with our targets gives the same number
    soft = torch.from_numpy(prac.smooth_targets(y, classes, smoothing))
    assert torch.nn.functional.cross_entropy(torch.from_numpy(logits), soft).item() == \
        pytest.approx(want, rel=1e-12)


def test_the_smoothed_loss_is_smallest_at_a_finite_logit_gap():
    gaps = np.linspace(0, 15, 1501)
    y = np.array([0])

    def loss(gap, smoothing):
        return prac.smoothed_cross_entropy(np.array([[gap] + [0.0] * 9]), y, smoothing)

    smoothed = [loss(g, 0.1) for g in gaps]
    assert gaps[int(np.argmin(smoothed))] == pytest.approx(prac.best_logit_gap(10, 0.1),
                                                           abs=0.01)
    plain = [loss(g, 0.0) for g in gaps]
    assert np.all(np.diff(plain) < 0)                      # without smoothing: ever lower


@pytest.mark.parametrize(("call", "message"), [
    (lambda: prac.smooth_targets(np.array([0.5]), 3, 0.1), "class indices"),
    (lambda: prac.smooth_targets(np.array([3]), 3, 0.1), "classes in 0..2"),
    (lambda: prac.smooth_targets(np.array([0]), 3, 1.5), "smoothing must be in"),
    (lambda: prac.smoothed_cross_entropy(np.zeros(3), np.array([0]), 0.1), r"\(N, C\)"),
    (lambda: prac.best_logit_gap(10, 0.0), "finite gap"),
])
def test_label_smoothing_refuses_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
