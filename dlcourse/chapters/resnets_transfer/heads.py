"""One pretrained backbone, other tasks: a segmentation head and a detection head on it.

The backbone of :mod:`.transfer` is convolutional up to its global average pooling, so it
accepts any image size and yields *feature maps*: ``backbone[:7]`` (conv-BN-ReLU-pool-conv-
BN-ReLU) maps ``(N, 1, H, W)`` to ``(N, 32, H/2, W/2)``.  A classification head pools them
into one vector; a segmentation head classifies every position (a 1x1 convolution, then
bilinear upsampling to the input size); a one-stage detection head predicts, per grid cell,
an objectness score, a box and class scores (a 1x1 convolution, YOLO-style).

The computed example: images of **two** varied target digits side by side, ``(N, 1, 8, 16)``,
with a mask that gives every ink pixel the class of the digit it belongs to (0 background,
``1 + c`` for digit ``7 + c``).  Only the 1x1 segmentation head learns, on the frozen maps
of the pretrained backbone or of a randomly initialised one.

>>> X, masks = digit_pairs(torch.zeros(4, 1, 8, 8), torch.tensor([0, 1, 2, 0]), seed=0)
>>> X.shape, masks.shape
(torch.Size([4, 1, 8, 16]), torch.Size([4, 8, 16]))
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from dlcourse._validate import check_positive

__all__ = ["HeadRow", "SegmentationResult", "digit_pairs", "feature_maps", "head_table",
           "mean_iou", "segmentation_transfer", "train_segmentation_head"]

INK = 0.4           # a pixel above this (images in [0, 1], noise std 0.1) belongs to the digit


def digit_pairs(X, y, *, seed: int = 0, ink: float = INK):
    """Each image ``X[i]`` ``(N, 1, 8, 8)`` beside a randomly drawn other one, and masks.

    Returns images ``(N, 1, 8, 16)`` and masks ``(N, 8, 16)`` (int64): 0 where the pixel is
    at most ``ink``, otherwise ``1 + y`` of the digit that pixel comes from.
    """
    partner = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    images = torch.cat([X, X[partner]], dim=3)
    labels = torch.cat([y[:, None].expand(-1, 8), y[partner][:, None].expand(-1, 8)], dim=1)
    masks = torch.where(images[:, 0] > ink, 1 + labels[:, None, :].expand(-1, 8, -1), 0)
    return images, masks


def feature_maps(backbone: nn.Sequential, X) -> torch.Tensor:
    """The backbone's last feature maps before pooling, ``(N, 2w, H/2, W/2)``, no gradient."""
    backbone.eval()
    with torch.no_grad():
        return backbone[:7](X)


def _segmenter(channels: int, classes: int, size) -> nn.Sequential:
    """1x1 convolution (a linear classifier at every position), upsampled to ``size``."""
    return nn.Sequential(nn.Conv2d(channels, classes, kernel_size=1),
                         nn.Upsample(size=tuple(size), mode="bilinear", align_corners=False))


def train_segmentation_head(maps, masks, classes: int, *, steps: int = 300, lr: float = 0.5,
                            seed: int = 0) -> nn.Sequential:
    """Train a 1x1-conv head on fixed ``maps`` ``(N, C, h, w)`` for ``masks`` ``(N, H, W)``.

    Full-batch SGD with momentum on the per-pixel cross-entropy; returns the head, which maps
    ``(N, C, h, w)`` to logits ``(N, classes, H, W)``.
    """
    check_positive(steps, "steps")
    torch.manual_seed(seed)
    head = _segmenter(maps.shape[1], classes, masks.shape[1:])
    optimizer = torch.optim.SGD(head.parameters(), lr=lr, momentum=0.9)
    for _ in range(steps):
        loss = nn.functional.cross_entropy(head(maps), masks)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return head


def mean_iou(predicted, masks, classes: int) -> float:
    """Mean over classes (those present in prediction or truth) of |P & T| / |P | T|.

    >>> mean_iou(torch.tensor([[0, 1, 1]]), torch.tensor([[0, 1, 0]]), 2)
    0.5
    """
    ious = []
    for c in range(classes):
        p, t = predicted == c, masks == c
        union = (p | t).sum().item()
        if union:
            ious.append((p & t).sum().item() / union)
    return sum(ious) / len(ious)


@dataclass
class SegmentationResult:
    """Test scores of the 1x1 segmentation head on each frozen backbone."""

    mean_iou: dict[str, float]            # backbone name -> mean IoU over the 4 classes
    ink_accuracy: dict[str, float]        # backbone name -> accuracy on the digit pixels
    trainable: int                        # parameters of the head (the same for both)
    predictions: dict[str, torch.Tensor] = field(repr=False)   # name -> test masks (N, H, W)


def segmentation_transfer(backbones: dict, train, test, *, steps: int = 300,
                          seed: int = 0) -> SegmentationResult:
    """Train the 1x1 head on the frozen maps of every backbone; score it on ``test``.

    ``train`` and ``test`` are ``(images, masks)`` pairs from :func:`digit_pairs`;
    ``backbones`` maps a name to a ``small_cnn`` backbone (``net[:-1]``).
    """
    classes = int(max(train[1].max(), test[1].max())) + 1
    scores, ink, predictions = {}, {}, {}
    for name, backbone in backbones.items():
        head = train_segmentation_head(feature_maps(backbone, train[0]), train[1], classes,
                                       steps=steps, seed=seed)
        with torch.no_grad():
            predicted = head(feature_maps(backbone, test[0])).argmax(1)
        predictions[name] = predicted
        scores[name] = mean_iou(predicted, test[1], classes)
        on_ink = test[1] > 0
        ink[name] = (predicted[on_ink] == test[1][on_ink]).float().mean().item()
    return SegmentationResult(scores, ink, sum(p.numel() for p in head.parameters()),
                              predictions)


@dataclass
class HeadRow:
    """One task's head on the shared backbone."""

    task: str
    head: str
    output_shape: tuple[int, ...]
    head_parameters: int


def head_table(backbone: nn.Sequential, classes: int, image_shape=(1, 1, 8, 16)):
    """Output shape and parameter count of a classification, segmentation and detection head
    on ``backbone``'s maps, computed by running them on a zero image of ``image_shape``.

    The detection head predicts per cell of the pooled grid ``(N, 2w, H/4, W/4)`` one box:
    objectness, ``(x, y, w, h)`` and ``classes`` scores, ``5 + classes`` channels.
    """
    x = torch.zeros(image_shape)
    maps = feature_maps(backbone, x)                       # (1, 2w, H/2, W/2)
    channels = maps.shape[1]
    heads = [
        ("classification", "global average pool + linear",
         nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, classes))),
        ("segmentation", "1x1 conv + bilinear upsample",
         _segmenter(channels, classes + 1, image_shape[2:])),
        ("detection (one box per cell)", "max pool + 1x1 conv",
         nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(channels, 5 + classes, kernel_size=1))),
    ]
    rows = []
    for task, name, head in heads:
        with torch.no_grad():
            shape = tuple(head(maps).shape)
        rows.append(HeadRow(task, name, shape, sum(p.numel() for p in head.parameters())))
    return rows
