"""Chapter 08: transfer learning from the varied digits 0-6 to the varied digits 7-9."""

import numpy as np
import pytest
import torch

from dlcourse.chapters.resnets_transfer import transfer

torch.set_num_threads(1)


def _accuracy(net, X, y) -> float:
    with torch.no_grad():
        return (net(X).argmax(1) == y).float().mean().item()


def test_source_and_target_split_the_digits_without_overlap():
    source, pool, test = transfer.split_source_target(copies=2)
    n_source = 1264 - round(0.2 * 1264)                # digits 0-6, minus the held-out fifth
    assert len(source[1]) == 2 * n_source and len(pool[1]) + len(test[1]) == 1797 - 1264
    assert abs(len(pool[1]) - len(test[1])) <= 1
    assert sorted(torch.unique(source[1]).tolist()) == list(range(7))
    for _, y in (pool, test):
        assert sorted(torch.unique(y).tolist()) == [0, 1, 2]      # 7, 8, 9 renumbered
    # the two copies of a source image are different variations of it
    assert not torch.equal(source[0][0], source[0][n_source])
    assert torch.equal(source[1][:n_source], source[1][n_source:])
    pool_again, test_again = transfer.target_split()
    assert torch.equal(pool_again[0], pool[0]) and torch.equal(test_again[1], test[1])
    held_out = transfer.source_test()
    assert len(held_out[1]) == round(0.2 * 1264)


def test_vary_keeps_shape_and_range_and_depends_only_on_the_seed():
    from dlcourse.data import digits

    X = digits()[0][:20]
    a, b, c = transfer.vary(X, 1), transfer.vary(X, 1), transfer.vary(X, 2)
    assert a.shape == X.shape and a.dtype == np.float32
    assert a.min() >= 0 and a.max() <= 1
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).mean() > 0.02 and np.abs(a - X).mean() > 0.02


def test_labelled_subset_takes_exactly_per_class_examples_deterministically():
    (X, y), _ = transfer.target_split()
    Xa, ya = transfer.labelled_subset(X, y, 7, seed=2)
    Xb, yb = transfer.labelled_subset(X, y, 7, seed=2)
    assert torch.equal(Xa, Xb) and torch.bincount(ya).tolist() == [7] * 3
    rarest = int(torch.bincount(y).min())
    assert torch.bincount(transfer.labelled_subset(X, y, None)[1]).tolist() == [rarest] * 3
    with pytest.raises(ValueError, match="per_class"):
        transfer.labelled_subset(X, y, 10_000)


def test_freeze_stops_learning_and_counts_parameters():
    layer = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4))
    assert transfer.freeze(layer) == 4 * 9 + 4 + 2 * 4
    assert not any(p.requires_grad for p in layer.parameters()) and not layer.training


def test_saved_weights_load_back_into_the_same_net(tmp_path):
    from dlcourse import zoo

    torch.manual_seed(3)
    net = zoo.small_cnn(1, 7, width=4)
    net[1].running_mean += 0.5                        # batch-norm statistics travel too
    path = transfer.save_weights(net, tmp_path / "w.npz")
    back = transfer.load_backbone(path)
    x = torch.randn(5, 1, 8, 8)
    assert torch.equal(back(x), net.eval()(x)) and not back.training


def test_shipped_backbone_recognises_held_out_source_digits():
    net = transfer.load_backbone()
    assert net[0].out_channels == transfer.WIDTH
    assert transfer.WEIGHTS.stat().st_size < 100_000
    assert _accuracy(net, *transfer.source_test()) > 0.9      # 7 classes: chance is 0.14


@pytest.fixture(scope="module")
def backbone():
    return transfer.load_backbone()[:-1]


@pytest.mark.parametrize("strategy, trainable", [
    ("scratch", None), ("feature extraction", 32 * 3 + 3), ("fine-tuning", None)])
def test_target_model_trains_only_what_the_strategy_allows(backbone, strategy, trainable):
    pool, _ = transfer.target_split()
    X, y = transfer.labelled_subset(*pool, 3)
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    model = transfer.target_model(strategy, backbone, 3)
    frozen = {n: p.clone() for n, p in model.named_parameters() if not p.requires_grad}
    transfer.train_classifier(model, X, y, steps=5)
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    assert count == (total if trainable is None else trainable)
    for name, p in model.named_parameters():           # frozen weights did not move
        if name in frozen:
            assert torch.equal(p, frozen[name])
    for k, v in backbone.state_dict().items():          # the source model is never changed
        assert torch.equal(v, before[k])
    with pytest.raises(ValueError, match="strategy"):
        transfer.target_model("distillation", backbone, 3)


def test_feature_extraction_on_cached_features_is_the_frozen_backbone_model(backbone):
    pool, _ = transfer.target_split()
    X, y = transfer.labelled_subset(*pool, 4, seed=1)
    model = transfer.target_model("feature extraction", backbone, 3, seed=1)
    transfer.train_classifier(model, X, y, steps=20, seed=1)
    with torch.no_grad():
        features = backbone(X)
    head = transfer.feature_extraction(features, y, 3, steps=20, seed=1)
    torch.testing.assert_close(head.weight, model[1].weight)
    # the frozen backbone kept the source batch-norm statistics
    assert torch.equal(model[0][1].running_mean, backbone[1].running_mean)


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_transfer_experiment_reports_every_strategy_size_and_seed(backbone):
    result = transfer.transfer_experiment((1, None), seeds=(0, 1), steps=5, progress=False)
    rarest = int(torch.bincount(transfer.target_split()[0][1]).min())
    assert result.per_class == [1, rarest]
    assert set(result.accuracy) == set(transfer.STRATEGIES)
    assert all(a.shape == (2, 2) and ((0 <= a) & (a <= 1)).all()
               for a in result.accuracy.values())
    assert result.trainable["feature extraction"] == 32 * 3 + 3
    # conv 1->16 3x3 + BN(16), conv 16->32 3x3 + BN(32), linear 32->3: all of them learn
    whole = (16 * 9 + 16) + 2 * 16 + (16 * 32 * 9 + 32) + 2 * 32 + (32 * 3 + 3)
    assert result.trainable["scratch"] == result.trainable["fine-tuning"] == whole
    only = transfer.transfer_experiment((1,), seeds=(0,), strategies=("feature extraction",),
                                        progress=False)
    assert list(only.accuracy) == ["feature extraction"]
    assert only.accuracy["feature extraction"][0, 0] == result.accuracy["feature extraction"][0, 0]
    with pytest.raises(ValueError, match="distillation"):
        transfer.transfer_experiment((1,), strategies=("distillation",), progress=False)


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_with_few_labels_both_transfer_strategies_beat_scratch_and_scratch_catches_up():
    result = transfer.transfer_experiment((1, 2, None), progress=False)
    scratch, fe, ft = (result.mean(s) for s in transfer.STRATEGIES)
    assert (fe[:2] > scratch[:2] + 0.04).all() and (ft[:2] > scratch[:2] + 0.03).all()
    assert fe[2] < ft[2]                     # with every label, fine-tuning overtakes FE
    assert scratch[2] > scratch[0] + 0.2     # and scratch closes most of the gap


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_pretraining_again_reproduces_the_shipped_backbone_in_behaviour():
    net = transfer.pretrain_source(progress=False)
    held_out = transfer.source_test()
    shipped = _accuracy(transfer.load_backbone(), *held_out)
    assert abs(_accuracy(net, *held_out) - shipped) < 0.03
    result = transfer.transfer_experiment((2,), backbone=net[:-1], progress=False)
    scratch, fe, ft = (result.mean(s)[0] for s in transfer.STRATEGIES)
    assert fe > scratch + 0.04 and ft > scratch + 0.03
