"""Chapter 08: transfer learning from digits 0-4 to digits 5-9 (feature extraction, fine-tuning)."""

import numpy as np
import pytest
import torch

from dlcourse.chapters.resnets_transfer import transfer

torch.set_num_threads(1)


def test_source_and_target_split_the_digits_without_overlap():
    source, pool, test = transfer.split_source_target()
    sizes = [len(part[1]) for part in (source, pool, test)]
    assert sum(sizes) == 1797 and abs(sizes[1] - sizes[2]) <= 1
    for _, y in (source, pool, test):
        assert sorted(torch.unique(y).tolist()) == [0, 1, 2, 3, 4]    # renumbered per task
    # the target's label 0 is the digit 5: its images are none of the source's images
    flat = {tuple(x.flatten().tolist()) for x in source[0]}
    assert not any(tuple(x.flatten().tolist()) in flat for x in pool[0][:50])


def test_labelled_subset_takes_exactly_per_class_examples_deterministically():
    _, (X, y), _ = transfer.split_source_target()
    Xa, ya = transfer.labelled_subset(X, y, 7, seed=2)
    Xb, yb = transfer.labelled_subset(X, y, 7, seed=2)
    assert torch.equal(Xa, Xb) and torch.bincount(ya).tolist() == [7] * 5
    with pytest.raises(ValueError, match="per_class"):
        transfer.labelled_subset(X, y, 10_000)


def test_freeze_stops_learning_and_counts_parameters():
    layer = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4))
    assert transfer.freeze(layer) == 4 * 9 + 4 + 2 * 4
    assert not any(p.requires_grad for p in layer.parameters()) and not layer.training


@pytest.fixture(scope="module")
def backbone():
    source, _, _ = transfer.split_source_target()
    net = transfer.pretrain(*source, width=4, steps=40)
    return net[:-1]


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_pretrained_backbone_is_better_than_chance_on_its_source(backbone):
    source, _, _ = transfer.split_source_target()
    head = transfer.pretrain(*source, width=4, steps=40)       # same seed: same net
    with torch.no_grad():
        accuracy = (head(source[0]).argmax(1) == source[1]).float().mean().item()
        features = backbone(source[0][:3])
    assert accuracy > 0.5 and features.shape == (3, 8)


@pytest.mark.slow
@pytest.mark.parametrize("strategy, trainable", [
    ("scratch", None), ("feature extraction", 8 * 5 + 5), ("fine-tuning", None),
    ("freeze first block", None)])
def test_target_model_trains_only_what_the_strategy_allows(backbone, strategy, trainable):
    _, pool, _ = transfer.split_source_target()
    X, y = transfer.labelled_subset(*pool, 3)
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    model = transfer.target_model(strategy, backbone, 5)
    frozen = {n: p.clone() for n, p in model.named_parameters() if not p.requires_grad}
    transfer.train_classifier(model, X, y, steps=5)
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    if trainable is not None:
        assert count == trainable
    elif strategy == "freeze first block":
        assert count == total - (4 * 9 + 4 + 2 * 4)    # conv 1->4 3x3 with bias, BN gamma/beta
    else:
        assert count == total
    for name, p in model.named_parameters():           # frozen weights did not move
        if name in frozen:
            assert torch.equal(p, frozen[name])
    for k, v in backbone.state_dict().items():          # the source model is never changed
        assert torch.equal(v, before[k])


@pytest.mark.slow
def test_feature_extraction_keeps_the_source_batch_norm_statistics(backbone):
    model = transfer.target_model("feature extraction", backbone, 5)
    _, pool, _ = transfer.split_source_target()
    transfer.train_classifier(model, *transfer.labelled_subset(*pool, 3), steps=3)
    ours = model[0][1].running_mean
    np.testing.assert_array_equal(ours.numpy(), backbone[1].running_mean.numpy())


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_transfer_experiment_reports_every_strategy_and_size():
    result = transfer.transfer_experiment((2, 4), width=4, steps=10, pretrain_steps=20)
    assert result.per_class == [2, 4] and set(result.accuracy) == set(transfer.STRATEGIES)
    assert all(len(v) == 2 and all(0 <= a <= 1 for a in v) for v in result.accuracy.values())
    assert result.trainable["feature extraction"] < result.trainable["fine-tuning"]
    with pytest.raises(ValueError, match="strategy"):
        transfer.target_model("distillation", torch.nn.Sequential(), 5)
