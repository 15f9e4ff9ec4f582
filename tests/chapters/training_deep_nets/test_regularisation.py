"""Dropout scaling, L1 vs L2, early stopping, data-size/capacity curves, multi-task counts."""

import numpy as np
import pytest
import torch

from dlcourse import data, nn
from dlcourse.chapters.training_deep_nets import regularisation as rg

torch.set_num_threads(1)




@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_inverted_dropout_keeps_the_expected_value_and_unscaled_would_not(p):
    out = rg.dropout_expectation(p, value=2.0, seed=1)
    assert out["train_mean"] == pytest.approx(2.0, rel=0.03)
    assert out["eval_mean"] == 2.0
    assert out["kept_fraction"] == pytest.approx(1 - p, abs=0.01)    # p is the DROP probability
    assert out["unscaled_train_mean"] == pytest.approx(2.0 * (1 - p), rel=0.03)


def test_dropout_changes_training_outputs_but_not_eval_outputs():
    model = nn.mlp(8, (32,), 3, dropout=0.5, rng=0)
    x = np.ones(8, dtype=np.float32)
    train_out, eval_out = rg.dropout_mlp_outputs(model, x, samples=4)
    assert train_out.shape == (4, 3) and eval_out.shape == (3,)
    assert not np.allclose(train_out[0], train_out[1])
    assert model.training
    model.eval()
    np.testing.assert_array_equal(model(x[None])[0], eval_out)


@pytest.mark.kernel_sensitive
def test_sgd_with_l1_matches_torch_sgd_on_loss_plus_l1_penalty():
    rng = np.random.default_rng(0)
    p0, target = rng.standard_normal(6), rng.standard_normal(6)
    l1, l2, lr = 0.3, 0.1, 0.05
    p = nn.Parameter(p0.copy())
    opt = rg.SGDWithL1([p], lr=lr, l1=l1, weight_decay=l2, momentum=0.9)
    tp = torch.tensor(p0, requires_grad=True)
    topt = torch.optim.SGD([tp], lr=lr, momentum=0.9, weight_decay=l2)
    for _ in range(5):
        p.grad = 2 * (p.data - target)                # gradient of ||p - target||^2
        opt.step()
        topt.zero_grad()
        (((tp - torch.tensor(target)) ** 2).sum() + l1 * tp.abs().sum()).backward()
        topt.step()
    np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-12)


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_l1_makes_weights_sparser_than_l2_on_digits(digits):
    train, val = digits
    small = (train[0][:400], train[1][:400])
    l1_model, _ = rg.train_mlp(small, val, hidden=(32,), epochs=10, l1=1e-3)
    l2_model, _ = rg.train_mlp(small, val, hidden=(32,), epochs=10, l2=1e-3)
    w1, w2 = rg.linear_weights(l1_model), rg.linear_weights(l2_model)
    assert w1.shape == w2.shape == (64 * 32 + 32 * 10,)
    assert rg.sparsity(w1) > 5 * rg.sparsity(w2)


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_early_stopping_restores_the_epoch_with_the_lowest_validation_loss(digits):
    train, val = digits
    tiny = (train[0][:100], train[1][:100])
    model, history = rg.train_mlp(tiny, val, hidden=(64, 64), epochs=40, batch_size=16,
                                  lr=0.05, early_stopping_patience=5)
    val_loss = np.array(history.val_loss)
    assert history.best_epoch == int(val_loss.argmin())
    assert history.stopped_early and len(history) == history.best_epoch + 6
    from dlcourse.nn import CrossEntropyLoss
    from dlcourse.train import evaluate
    restored = evaluate(model, *val, loss_fn=CrossEntropyLoss())["loss"]
    assert restored == pytest.approx(val_loss.min(), rel=1e-5)


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_more_training_data_lowers_validation_error(digits):
    train, val = digits
    curve = rg.size_curve(train, val, [30, 600], hidden=(16,), epochs=8)
    assert curve["val_error"][1] < curve["val_error"][0]
    assert curve["train_error"].shape == (2,)


def test_capacity_curve_counts_parameters_of_one_hidden_layer(digits):
    train, val = digits
    curve = rg.capacity_curve((train[0][:200], train[1][:200]), val, [2, 16], epochs=5)
    np.testing.assert_array_equal(curve["params"], [64 * w + w + w * 10 + 10 for w in (2, 16)])
    assert curve["train_error"][1] < curve["train_error"][0]    # 2 units underfit


def test_multitask_counts_hard_sharing_trunk_once_and_soft_sharing_once_per_task():
    counts = rg.multitask_param_counts(64, (32, 16), (10, 2, 1))
    trunk = (64 * 32 + 32) + (32 * 16 + 16)
    heads = (16 * 10 + 10) + (16 * 2 + 2) + (16 + 1)
    assert counts == {"hard": trunk + heads, "soft": 3 * trunk + heads, "per_task_trunk": trunk}


def test_soft_sharing_penalty_is_the_squared_distance_between_parameters():
    a, b = nn.mlp(4, (3,), 2, rng=0), nn.mlp(4, (3,), 2, rng=1)
    expected = sum(float(((p.data - q.data) ** 2).sum())
                   for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert expected > 0
    assert rg.soft_sharing_penalty([a, b]) == pytest.approx(expected)
    assert rg.soft_sharing_penalty([a, a, b]) == pytest.approx(2 * expected)


def test_augmentation_gallery_keeps_shapes_and_shows_a_true_mirror():
    image = data.digits()[0][2, 0]
    gallery = rg.augmentation_gallery(image)
    assert all(im.shape == (8, 8) for im in gallery.values())
    np.testing.assert_array_equal(gallery["flip (wrong!)"], image[:, ::-1])
    np.testing.assert_array_equal(gallery["shift right 1"][:, 1:], image[:, :-1])


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_hard_shared_trunk_learns_the_auxiliary_parity_task_only_when_it_is_weighted(digits):
    train, val = digits
    small = (train[0][:200], train[1][:200])
    both = rg.train_multitask(small, val, hidden=(32,), aux_weight=1.0, epochs=8)
    alone = rg.train_multitask(small, val, hidden=(32,), aux_weight=0.0, epochs=8)
    assert both["parity_accuracy"] > 0.8 and alone["parity_accuracy"] < 0.7
    assert both["digit_accuracy"] > 0.8 and alone["digit_accuracy"] > 0.8
    assert both["params"] == rg.multitask_param_counts(64, (32,), (10, 2))["hard"]
