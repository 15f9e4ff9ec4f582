"""Object detection: boxes and IoU, NMS, sliding windows, YOLO grids, anchors, RoI pooling, mAP.

Boxes are ``(x1, y1, x2, y2)`` in pixels unless a function says otherwise.

>>> import numpy as np
>>> from dlcourse import detection
>>> a = np.array([[0.0, 0.0, 4.0, 4.0]]); b = np.array([[2.0, 0.0, 6.0, 4.0]])
>>> detection.box_iou(a, b).item()  # overlap 8, union 16 + 16 - 8 = 24
0.3333333333333333
"""

from dlcourse.detection.anchors import (
    anchor_shapes,
    decode_deltas,
    encode_deltas,
    generate_anchors,
    label_anchors,
)
from dlcourse.detection.boxes import batched_nms, box_area, box_convert, box_iou, nms
from dlcourse.detection.metrics import (
    average_precision,
    mean_average_precision,
    precision_recall,
)
from dlcourse.detection.roi import roi_pool
from dlcourse.detection.sliding import sliding_windows
from dlcourse.detection.yolo import (
    decode_yolo,
    encode_yolo_targets,
    responsible_cell,
    yolo_output_size,
)

__all__ = [
    "anchor_shapes",
    "average_precision",
    "batched_nms",
    "box_area",
    "box_convert",
    "box_iou",
    "decode_deltas",
    "decode_yolo",
    "encode_deltas",
    "encode_yolo_targets",
    "generate_anchors",
    "label_anchors",
    "mean_average_precision",
    "nms",
    "precision_recall",
    "responsible_cell",
    "roi_pool",
    "sliding_windows",
    "yolo_output_size",
]
