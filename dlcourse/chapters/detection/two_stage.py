"""Two-stage detection for notebook 10: R-CNN -> Fast R-CNN -> Faster R-CNN, on our scenes.

The engine parts (anchors, box deltas, anchor labels, RoI pooling) live in
:mod:`dlcourse.detection`; here they are applied to a shapes scene, and the three papers'
pipelines are compared: what runs per proposal, and what runs once per image.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlcourse import data, detection, sizing

__all__ = ["PIPELINES", "Pipeline", "anchor_example", "proposal_costs", "roi_example"]


class Pipeline(NamedTuple):
    """One detector of the family, as published."""

    name: str
    source: str           # the paper
    proposals: str        # where the candidate boxes come from
    passes: str           # network passes per image
    seconds: float        # published test time per image, seconds (GPU)
    note: str             # which setting the time belongs to


PIPELINES: tuple[Pipeline, ...] = (
    Pipeline("R-CNN", "Girshick et al., CVPR 2014",
             "selective search, ~2000 boxes, each warped to 227x227",
             "~2000 CNN passes (one per warped proposal)", 47.0,
             "VGG-16, test time per image in Girshick 2015, Table 4 (13 s with AlexNet, "
             "R-CNN paper)"),
    Pipeline("Fast R-CNN", "Girshick, ICCV 2015",
             "selective search, ~2000 boxes, RoI-pooled from one feature map",
             "1 backbone pass + ~2000 small RoI-head passes", 1.83,
             "VGG-16: 0.32 s network + 1.5 s selective search on a CPU "
             "(Ren et al. 2015, Table 5)"),
    Pipeline("Faster R-CNN", "Ren, He, Girshick and Sun, NeurIPS 2015",
             "region proposal network on ~20k anchors, ~300 boxes kept",
             "1 backbone pass + RPN head + ~300 RoI-head passes", 0.198,
             "VGG-16, all steps, 5 frames/s (Ren et al. 2015, Table 5)"),
    Pipeline("YOLO (one stage)", "Redmon et al., CVPR 2016",
             "none: a fixed grid of box predictors", "1 pass", 1 / 45,
             "45 frames/s (Redmon et al. 2016)"),
)


def anchor_example(*, seed: int = 3, size: int = 64, stride: int = 8, scales=(8, 16, 24),
                   ratios=(0.5, 1.0, 2.0), pos_iou: float = 0.7, neg_iou: float = 0.3) -> dict:
    """A shapes scene with every RPN anchor of a stride-``stride`` feature map, labelled.

    Returns
    -------
    dict
        ``image`` (size, size); ``boxes`` (G, 4) and ``labels`` (G,) of the objects;
        ``anchors`` (A, 4) with ``A = ceil(size/stride)**2 * k``; ``k`` shapes per cell;
        ``anchor_labels`` (A,) in {1, 0, -1}; ``matched`` (A,); ``targets`` (P, 4), the
        box deltas of the ``P`` positive anchors towards their objects.
    """
    images, boxes, labels = data.shapes_detection(1, size=size, overlap=False, seed=seed)
    gt = boxes[0].astype(np.float64)
    anchors = detection.generate_anchors(size, stride, scales, ratios)
    anchor_labels, matched = detection.label_anchors(anchors, gt, pos_iou=pos_iou,
                                                     neg_iou=neg_iou)
    positive = anchor_labels == 1
    targets = detection.encode_deltas(gt[matched[positive]], anchors[positive])
    return {"image": images[0, 0], "boxes": gt, "labels": labels[0], "anchors": anchors,
            "k": len(scales) * len(ratios), "anchor_labels": anchor_labels,
            "matched": matched, "targets": targets}


def roi_example(image, boxes, *, stride: int = 4, output_size: int = 4) -> dict:
    """RoI-pool every box of a scene from one stride-``stride`` map of the image.

    The "feature map" is the image averaged over ``stride x stride`` blocks (a stand-in
    for one backbone pass); each box becomes an ``output_size x output_size`` grid,
    whatever its size.

    Returns
    -------
    dict
        ``features`` (H/stride, W/stride); ``pooled`` (G, output_size, output_size).
    """
    h, w = image.shape
    fmap = image[: h - h % stride, : w - w % stride]
    fmap = fmap.reshape(h // stride, stride, w // stride, stride).mean(axis=(1, 3))
    rois = np.concatenate([np.zeros((len(boxes), 1)), boxes], axis=1)
    pooled = detection.roi_pool(fmap[None, None].astype(np.float64), rois, output_size,
                                spatial_scale=1 / stride)
    return {"features": fmap, "pooled": pooled[:, 0]}


def proposal_costs(classifier, *, image_size: int = 64, crop_size: int = 16,
                   proposals: int = 2000, backbone_layers: int = 8) -> dict:
    """Multiply-adds of R-CNN vs Fast R-CNN with the same small CNN.

    The first ``backbone_layers`` layers of ``classifier`` (a ``torch.nn.Sequential``) are
    the backbone, the rest the head.  R-CNN runs the whole classifier on every warped
    ``crop_size`` crop; Fast R-CNN runs the backbone once on the image and the head on
    every RoI-pooled proposal (pooled to the backbone's output size for one crop).

    Returns
    -------
    dict
        ``rcnn``, ``fast_rcnn`` (multiply-adds per image) and their ``ratio``.
    """
    backbone, head = classifier[:backbone_layers], classifier[backbone_layers:]
    crop = sizing.summary(backbone, (1, 1, crop_size, crop_size))
    pooled_shape = (1, *crop.rows[-1].output_shape[1:])
    head_macs = sizing.summary(head, pooled_shape).total_macs
    whole = sizing.summary(backbone, (1, 1, image_size, image_size)).total_macs
    rcnn = proposals * (crop.total_macs + head_macs)
    fast = whole + proposals * head_macs
    return {"rcnn": rcnn, "fast_rcnn": fast, "ratio": rcnn / fast, "head": head_macs,
            "backbone_crop": crop.total_macs, "backbone_image": whole}
