"""The digits MLP trained by every optimiser: the engine's curve equals torch.optim's."""

import numpy as np
import pytest

from dlcourse.chapters.optimisation.digits_comparison import (
    DIGITS_LR,
    compare_optimizers_on_digits,
    digits_batches,
)
from dlcourse.chapters.optimisation.race import OPTIMIZERS


@pytest.fixture(scope="module")
def runs():
    return compare_optimizers_on_digits(epochs=2, batch_size=128)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_engine_and_torch_optim_give_the_same_loss_curve(runs, name):
    run = runs[name]
    assert run.lr == DIGITS_LR[name]
    assert run.engine_loss.shape == run.torch_loss.shape == (2 * 10,)  # ceil(1259 / 128)
    np.testing.assert_allclose(run.engine_loss, run.torch_loss, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(run.engine_val_loss, run.torch_val_loss, rtol=1e-6)
    np.testing.assert_array_equal(run.engine_val_accuracy, run.torch_val_accuracy)
    assert run.max_difference < 1e-9


def test_every_optimiser_starts_from_the_same_weights_and_learns(runs):
    first = {name: run.engine_loss[0] for name, run in runs.items()}
    assert len(set(np.round(list(first.values()), 12))) == 1    # same weights, same batch
    for run in runs.values():
        assert run.engine_train_loss[-1] < run.engine_loss[0]
        assert run.engine_val_accuracy[-1] > 0.5


def test_epoch_loss_is_the_batch_size_weighted_mean(runs):
    run = runs["Adam"]
    sizes = [len(b) for b in digits_batches(1259, epochs=1, batch_size=128)[0]]
    per_epoch = np.split(run.engine_loss, 2)
    np.testing.assert_allclose(run.engine_train_loss,
                               [np.average(losses, weights=sizes) for losses in per_epoch])


def test_batches_cover_every_sample_once_per_epoch():
    epochs = digits_batches(50, epochs=3, batch_size=16, seed=1)
    assert [len(b) for b in epochs[0]] == [16, 16, 16, 2]
    for batches in epochs:
        assert sorted(np.concatenate(batches).tolist()) == list(range(50))
    assert not np.array_equal(epochs[0][0], epochs[1][0])


def test_unknown_optimiser_or_bad_lr_is_refused():
    with pytest.raises(ValueError, match="unknown optimiser"):
        compare_optimizers_on_digits(["LBFGS"], epochs=1)
    with pytest.raises(ValueError, match="learning rate of SGD"):
        compare_optimizers_on_digits(["SGD"], epochs=1, lr=-1.0)
