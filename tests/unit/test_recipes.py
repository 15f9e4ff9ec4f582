"""The side-by-side training recipe: a quick run with each engine, from the same start."""

import numpy as np
import pytest
import torch

from dlcourse import data
from dlcourse.zoo.recipes import ENGINES, digits_split, train_cnn, train_digits_cnn

torch.set_num_threads(1)

QUICK = {"epochs": 1, "train_samples": 200, "width": 8, "progress": False}


@pytest.fixture(scope="module")
def results():
    return {engine: train_digits_cnn(engine, **QUICK) for engine in ENGINES}


@pytest.mark.parametrize("engine", ENGINES)
def test_one_quick_epoch_beats_chance_with_either_engine(results, engine):
    result = results[engine]
    assert result.engine == engine
    assert result.accuracy > 0.2            # ten balanced classes: chance is 0.1
    assert len(result.history) == 1 and result.seconds > 0
    assert not result.model.training        # returned in eval mode


def test_both_engines_take_the_same_steps_from_the_same_start(results):
    ours, theirs = results["dlcourse"].history, results["torch"].history
    # same weights, same batches, same Adam: only float32 rounding separates the runs
    np.testing.assert_allclose(ours.train_loss, theirs.train_loss, rtol=1e-4)
    assert ours.lr == theirs.lr == [0.01]


def test_train_cnn_takes_colour_images_and_both_engines_agree():
    rng = np.random.default_rng(0)
    X = rng.random((64, 3, 8, 8), dtype=np.float32)   # CIFAR-like: three channels
    y = (X[:, 0].mean(axis=(1, 2)) > 0.5).astype(np.int64)
    split = data.Split((X[:40], y[:40]), (X[40:52], y[40:52]), (X[52:], y[52:]))
    runs = [train_cnn(e, split, epochs=1, width=4, progress=False) for e in ENGINES]
    assert runs[0].model[0].weight.shape == (4, 3, 3, 3)
    np.testing.assert_allclose(runs[0].history.train_loss, runs[1].history.train_loss,
                               rtol=1e-4)


def test_split_is_stratified_70_15_15_and_reproducible():
    split = digits_split(seed=3)
    assert [len(part[0]) for part in split] == [1259, 269, 269]
    assert np.array_equal(split.test[1], digits_split(seed=3).test[1])
    assert np.bincount(split.test[1]).min() >= 25   # every digit present in the test set


def test_upsampled_digits_keep_the_label_order():
    small, large = digits_split(seed=0), digits_split(upsample=16, seed=0)
    assert large.train[0].shape[1:] == (1, 16, 16)
    assert np.array_equal(small.train[1], large.train[1])


@pytest.mark.parametrize(("kwargs", "match"), [({"engine": "jax"}, "engine must be one of"),
                                               ({"train_samples": 0}, "train_samples")])
def test_bad_arguments_are_rejected_with_a_clear_message(kwargs, match):
    kwargs = {"engine": "dlcourse", **kwargs}
    with pytest.raises(ValueError, match=match):
        train_digits_cnn(kwargs.pop("engine"), **{**QUICK, **kwargs})
