"""Chapter 08: the pretrained digit backbone under segmentation and detection heads."""

import pytest
import torch

from dlcourse import zoo
from dlcourse.chapters.resnets_transfer import heads, transfer

torch.set_num_threads(1)


def test_digit_pairs_label_every_ink_pixel_with_its_own_digit():
    X = torch.rand(6, 1, 8, 8)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    images, masks = heads.digit_pairs(X, y, seed=3)
    partner = torch.randperm(6, generator=torch.Generator().manual_seed(3))
    assert torch.equal(images[:, :, :, :8], X) and torch.equal(images[:, :, :, 8:], X[partner])
    ink = images[:, 0] > heads.INK
    assert torch.equal(masks == 0, ~ink)
    for i in range(6):
        assert set(masks[i, :, :8][ink[i, :, :8]].tolist()) <= {1 + int(y[i])}
        assert set(masks[i, :, 8:][ink[i, :, 8:]].tolist()) <= {1 + int(y[partner[i]])}


def test_mean_iou_counts_only_classes_that_occur():
    truth = torch.tensor([[0, 0, 1, 1, 2]])
    assert heads.mean_iou(truth, truth, 4) == 1.0          # class 3 is absent: not counted
    predicted = torch.tensor([[0, 1, 1, 1, 2]])
    # class 0: 1/2, class 1: 2/3, class 2: 1
    assert heads.mean_iou(predicted, truth, 4) == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)


def test_feature_maps_and_head_table_shapes_and_parameters():
    backbone = zoo.small_cnn(1, 7, width=4)[:-1]
    maps = heads.feature_maps(backbone, torch.zeros(2, 1, 8, 16))
    assert maps.shape == (2, 8, 4, 8)                      # 2w channels, half the size
    rows = {r.task: r for r in heads.head_table(backbone, 3)}
    assert rows["classification"].output_shape == (1, 3)
    assert rows["classification"].head_parameters == 8 * 3 + 3
    assert rows["segmentation"].output_shape == (1, 4, 8, 16)     # background + 3 classes
    assert rows["segmentation"].head_parameters == 8 * 4 + 4
    detection = rows["detection (one box per cell)"]
    assert detection.output_shape == (1, 5 + 3, 2, 4)
    assert detection.head_parameters == 8 * 8 + 8


def test_segmentation_head_learns_a_mask_that_its_maps_determine():
    # maps whose channel 0 is the mask itself: a 1x1 head can read it off exactly
    masks = (torch.rand(10, 4, 4) > 0.5).long()
    maps = torch.stack([masks.float(), torch.ones(10, 4, 4)], dim=1)
    head = heads.train_segmentation_head(maps, masks, 2, steps=100)
    with torch.no_grad():
        assert torch.equal(head(maps).argmax(1), masks)
    assert sum(p.numel() for p in head.parameters()) == 2 * 2 + 2
    with pytest.raises(ValueError, match="steps"):
        heads.train_segmentation_head(maps, masks, 2, steps=0)


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_pretrained_maps_segment_digits_much_better_than_random_ones():
    pool, test = transfer.target_split()
    train, held_out = heads.digit_pairs(*pool, seed=0), heads.digit_pairs(*test, seed=1)
    torch.manual_seed(0)
    result = heads.segmentation_transfer(
        {"pretrained": transfer.load_backbone()[:-1],
         "random": zoo.small_cnn(1, 7, width=16)[:-1]}, train, held_out)
    assert result.mean_iou["pretrained"] > result.mean_iou["random"] + 0.1
    assert result.ink_accuracy["pretrained"] > 0.36        # above chance (1/3) on the digits
    assert result.ink_accuracy["pretrained"] > result.ink_accuracy["random"] + 0.15
    assert result.trainable == 32 * 4 + 4
