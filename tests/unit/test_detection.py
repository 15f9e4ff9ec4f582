"""Boxes, IoU, NMS, YOLO grids, sliding windows and AP, against independent references.

torchvision cannot be installed here, so IoU, NMS, anchor labels and RoI pooling are compared
with plain-Python reference implementations written below from the definitions, with hand-built
cases, and (RoI pooling inside the map) with torch's adaptive max pooling.
"""

import itertools

import numpy as np
import pytest

from dlcourse.detection import (
    anchor_shapes,
    average_precision,
    batched_nms,
    box_area,
    box_convert,
    box_iou,
    decode_deltas,
    decode_yolo,
    encode_deltas,
    encode_yolo_targets,
    generate_anchors,
    label_anchors,
    mean_average_precision,
    nms,
    precision_recall,
    responsible_cell,
    roi_pool,
    sliding_windows,
    yolo_output_size,
)
from dlcourse.sizing import conv_output_size

RNG = np.random.default_rng(0)


def _random_boxes(n, size=100.0, rng=RNG):
    xy = rng.uniform(0, size, size=(n, 2))
    wh = rng.uniform(1, size / 3, size=(n, 2))
    return np.concatenate([xy, xy + wh], axis=1)


def _reference_iou(a, b):
    """IoU of two xyxy boxes from the definition, one pair at a time."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _reference_nms(boxes, scores, threshold):
    """Textbook greedy NMS on Python lists."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    keep = []
    for i in order:
        if all(_reference_iou(boxes[i], boxes[k]) <= threshold for k in keep):
            keep.append(i)
    return keep


# ---- formats, areas, IoU ----

def test_box_convert_between_every_pair_of_formats_round_trips():
    boxes = _random_boxes(20)
    for a, b in itertools.permutations(("xyxy", "xywh", "cxcywh"), 2):
        there = box_convert(box_convert(boxes, "xyxy", a), a, b)
        assert np.allclose(box_convert(there, b, "xyxy"), boxes)


def test_box_convert_by_hand_and_preserves_float32():
    box = np.array([[10.0, 20.0, 30.0, 60.0]], dtype=np.float32)
    assert box_convert(box, "xyxy", "xywh").tolist() == [[10, 20, 20, 40]]
    assert box_convert(box, "xyxy", "cxcywh").tolist() == [[20, 40, 20, 40]]
    assert box_convert(box, "xyxy", "xywh").dtype == np.float32
    with pytest.raises(ValueError, match="out_fmt must be one of"):
        box_convert(box, "xyxy", "yolo")
    with pytest.raises(ValueError, match=r"shape \(N, 4\)"):
        box_convert(np.zeros((2, 3)), "xyxy", "xywh")


def test_box_area_and_iou_match_the_reference_on_random_boxes():
    a, b = _random_boxes(7), _random_boxes(5)
    assert np.allclose(box_area(a), (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]))
    iou = box_iou(a, b)
    assert iou.shape == (7, 5)
    want = [[_reference_iou(x, y) for y in b] for x in a]
    assert np.allclose(iou, want, rtol=1e-12, atol=0)


def test_iou_of_hand_built_boxes():
    square = np.array([[0.0, 0.0, 4.0, 4.0]])
    others = np.array([
        [2.0, 0.0, 6.0, 4.0],  # half overlaps: 8 / (16 + 16 - 8) = 1/3
        [0.0, 0.0, 4.0, 4.0],  # identical: 1
        [1.0, 1.0, 3.0, 3.0],  # inside: 4 / 16
        [4.0, 0.0, 8.0, 4.0],  # touching edge: 0
        [10.0, 10.0, 11.0, 11.0],  # far away: 0
    ])
    assert box_iou(square, others)[0].tolist() == pytest.approx([1 / 3, 1.0, 0.25, 0.0, 0.0])
    assert box_iou(others, square)[:, 0].tolist() == pytest.approx([1 / 3, 1, 0.25, 0, 0])


def test_iou_of_zero_area_boxes_is_zero_not_nan():
    point = np.array([[1.0, 1.0, 1.0, 1.0]])
    assert box_iou(point, point).tolist() == [[0.0]]


# ---- non-maximum suppression ----

def test_nms_matches_the_reference_on_random_scenes():
    for threshold in (0.0, 0.3, 0.5, 0.7, 1.0):
        for _ in range(10):
            boxes = _random_boxes(30, size=60.0)
            scores = RNG.random(30)
            kept = nms(boxes, scores, threshold)
            assert kept.dtype == np.int64
            assert kept.tolist() == _reference_nms(boxes.tolist(), scores.tolist(), threshold)


def test_nms_keeps_boxes_sorted_by_descending_score():
    boxes = _random_boxes(40, size=200.0)
    scores = RNG.random(40)
    kept = nms(boxes, scores, 0.5)
    assert np.all(np.diff(scores[kept]) <= 0)


def test_nms_suppresses_only_overlaps_above_the_threshold():
    # Two 4x4 boxes sharing half their area: IoU exactly 1/3.
    boxes = np.array([[0.0, 0.0, 4.0, 4.0], [2.0, 0.0, 6.0, 4.0]])
    scores = np.array([0.6, 0.9])
    assert nms(boxes, scores, 0.3).tolist() == [1]  # 1/3 > 0.3: the weaker box goes
    assert nms(boxes, scores, 0.34).tolist() == [1, 0]  # 1/3 <= 0.34: both stay
    assert nms(boxes, scores, 1 / 3).tolist() == [1, 0]  # equal to the threshold stays


def test_nms_of_a_chain_keeps_a_box_whose_suppressor_was_suppressed():
    # A overlaps B, B overlaps C, A and C are disjoint: A suppresses B, so C survives.
    boxes = np.array([[0.0, 0, 4, 4], [2.0, 0, 6, 4], [4.0, 0, 8, 4]])
    assert nms(boxes, np.array([0.9, 0.8, 0.7]), 0.2).tolist() == [0, 2]


def test_nms_of_no_boxes_is_empty():
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).shape == (0,)


def test_batched_nms_equals_nms_run_per_class():
    boxes = _random_boxes(40, size=60.0)
    scores, classes = RNG.random(40), RNG.integers(0, 3, size=40)
    per_class = np.concatenate([
        np.flatnonzero(classes == c)[nms(boxes[classes == c], scores[classes == c], 0.4)]
        for c in range(3)
    ])
    want = per_class[np.argsort(-scores[per_class], kind="stable")]
    assert batched_nms(boxes, scores, classes, 0.4).tolist() == want.tolist()


# ---- YOLO ----

def test_yolo_output_sizes_for_both_layouts():
    # From the notes' question: B=2 anchors, C=5 classes -> per cell 2*5 + 5 = 15 (YOLOv1,
    # one class vector per cell) or 2*(5 + 5) = 20 (one class vector per anchor).
    assert yolo_output_size(1, 2, 5, "v1") == 15
    assert yolo_output_size(1, 2, 5, "anchors") == 20
    assert yolo_output_size(7, 2, 20) == 7 * 7 * 30 == 1470  # the YOLOv1 paper
    assert yolo_output_size(13, 5, 20, "anchors") == 13 * 13 * 125  # YOLOv2 on VOC
    with pytest.raises(ValueError, match="layout"):
        yolo_output_size(7, 2, 20, "v3")


def test_responsible_cell_is_the_one_containing_the_centre():
    assert responsible_cell((0, 0, 10, 10), S=4, image_size=40) == (0, 0)  # centre (5, 5)
    assert responsible_cell((20, 0, 40, 20), S=4, image_size=40) == (1, 3)  # centre (30, 10)
    assert responsible_cell((30, 30, 40, 40), S=4, image_size=40) == (3, 3)
    assert responsible_cell((38, 38, 40, 40), S=4, image_size=(40, 80)) == (3, 1)
    assert responsible_cell((40, 40, 40, 40), S=4, image_size=40) == (3, 3)  # on the border


def _scene(n, S, image_size, rng):
    """Boxes with centres in ``n`` distinct cells, inside an image of ``(H, W)``."""
    height, width = image_size
    cells = rng.choice(S * S, size=n, replace=False)
    centres = np.stack([(cells % S + rng.uniform(0.05, 0.95, n)) * width / S,
                        (cells // S + rng.uniform(0.05, 0.95, n)) * height / S], axis=1)
    sizes = rng.uniform(4, 30, size=(n, 2))
    return np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1)


@pytest.mark.parametrize("layout", ["v1", "anchors"])
def test_encode_then_decode_gives_back_the_boxes_and_labels(layout):
    S, B, C, image_size = 5, 2, 4, (80, 120)
    for _ in range(10):
        boxes = _scene(6, S, image_size, RNG)
        labels = RNG.integers(0, C, size=6)
        target = encode_yolo_targets(boxes, labels, S, B, C, image_size, layout)
        assert target.shape == ((S, S, B * 5 + C) if layout == "v1" else (S, S, B, 5 + C))
        assert target.size == yolo_output_size(S, B, C, layout)
        got, scores, got_labels = decode_yolo(target, S, B, C, image_size, layout)
        order = np.lexsort(got.T[::-1])
        want = np.lexsort(boxes.T[::-1])
        assert np.allclose(got[order], boxes[want], rtol=0, atol=1e-9)
        assert got_labels[order].tolist() == labels[want].tolist()
        assert scores.tolist() == [1.0] * 6


def test_encoded_targets_hold_offsets_in_the_cell_and_sizes_relative_to_the_image():
    # One 40 x 20 box centred at (70, 30) in a 100 x 100 image, 4 x 4 grid of 25 px cells:
    # cell (row 1, col 2); x = 70/25 - 2 = 0.8, y = 30/25 - 1 = 0.2, w = 0.4, h = 0.2.
    boxes = np.array([[50.0, 20.0, 90.0, 40.0]])
    t = encode_yolo_targets(boxes, np.array([2]), S=4, B=2, C=3, image_size=100)
    assert t[1, 2].tolist() == pytest.approx([0.8, 0.2, 0.4, 0.2, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    assert np.count_nonzero(t) == 6  # everything else stays 0
    a = encode_yolo_targets(boxes, np.array([2]), S=4, B=2, C=3, image_size=100,
                            layout="anchors")
    assert a[1, 2, 0].tolist() == pytest.approx([0.8, 0.2, 0.4, 0.2, 1, 0, 0, 1])
    assert not a[1, 2, 1].any()


def test_two_boxes_in_one_cell_fill_both_slots_and_a_third_is_an_error():
    boxes = np.array([[0.0, 0, 10, 10], [2.0, 2, 8, 8], [1.0, 1, 9, 9]])
    labels = np.array([0, 0, 0])
    t = encode_yolo_targets(boxes[:2], labels[:2], S=2, B=2, C=2, image_size=40)
    assert t[0, 0, 4] == t[0, 0, 9] == 1.0
    with pytest.raises(ValueError, match="more than B=2 boxes .* cell \\(0, 0\\)"):
        encode_yolo_targets(boxes, labels, S=2, B=2, C=2, image_size=40)


def test_yolo_v1_cannot_hold_two_classes_in_one_cell_but_anchors_can():
    boxes = np.array([[0.0, 0, 10, 10], [2.0, 2, 8, 8]])
    labels = np.array([0, 1])
    with pytest.raises(ValueError, match="one class per cell"):
        encode_yolo_targets(boxes, labels, S=2, B=2, C=2, image_size=40, layout="v1")
    t = encode_yolo_targets(boxes, labels, S=2, B=2, C=2, image_size=40, layout="anchors")
    assert t[0, 0, :, 5:].tolist() == [[1, 0], [0, 1]]


def test_decode_scores_are_confidence_times_class_probability_above_the_threshold():
    S, B, C = 2, 2, 3
    out = np.zeros((S, S, B * 5 + C))
    out[0, 1, :5] = [0.5, 0.5, 0.25, 0.5, 0.9]  # slot 0 of cell (0, 1)
    out[0, 1, 5:10] = [0.5, 0.5, 0.1, 0.1, 0.4]  # slot 1: 0.4 * 0.7 = 0.28, too weak
    out[0, 1, 10:] = [0.2, 0.7, 0.1]
    boxes, scores, labels = decode_yolo(out.reshape(-1), S, B, C, 40, conf_threshold=0.3)
    # centre ((1 + 0.5) * 20, (0 + 0.5) * 20) = (30, 10); size (0.25 * 40, 0.5 * 40) = (10, 20)
    assert boxes.tolist() == [[25.0, 0.0, 35.0, 20.0]]
    assert scores.tolist() == pytest.approx([0.9 * 0.7])
    assert labels.tolist() == [1]
    assert decode_yolo(out, S, B, C, 40, conf_threshold=0.7)[0].shape == (0, 4)
    with pytest.raises(ValueError, match="needs"):
        decode_yolo(np.zeros(10), S, B, C, 40)


def test_encode_rejects_labels_outside_the_classes():
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        encode_yolo_targets(np.array([[0.0, 0, 5, 5]]), np.array([2]), 2, 1, 2, 10)


# ---- sliding windows ----

def test_sliding_window_count_is_the_convolution_output_size_squared():
    for size, window, stride in [(32, 8, 4), (100, 30, 7), ((48, 64), (16, 24), (8, 10))]:
        boxes, count = sliding_windows(size, window, stride)
        height, width = size if isinstance(size, tuple) else (size, size)
        rows, cols = conv_output_size((height, width), window, stride)
        assert count == len(boxes) == rows * cols
        assert boxes[:, [0, 1]].min() == 0
        assert boxes[:, 2].max() <= width and boxes[:, 3].max() <= height
        w = window[1] if isinstance(window, tuple) else window
        assert np.all(boxes[:, 2] - boxes[:, 0] == w)


def test_sliding_windows_by_hand():
    boxes, count = sliding_windows((3, 4), window=2, stride=1)
    assert count == 2 * 3
    assert boxes.tolist() == [[0, 0, 2, 2], [1, 0, 3, 2], [2, 0, 4, 2],
                              [0, 1, 2, 3], [1, 1, 3, 3], [2, 1, 4, 3]]
    with pytest.raises(ValueError, match="does not fit"):
        sliding_windows(4, window=5, stride=1)


# ---- average precision ----

GT = np.array([[0.0, 0, 10, 10], [20.0, 0, 30, 10], [40.0, 0, 50, 10]])


def test_average_precision_of_a_hand_built_ranking():
    # Three ground-truth boxes; five detections, by score:
    #   0.9 hits GT0     -> TP: precision 1/1, recall 1/3
    #   0.8 misses        -> FP: precision 1/2, recall 1/3
    #   0.7 hits GT1     -> TP: precision 2/3, recall 2/3
    #   0.6 GT0 again     -> FP (duplicate): precision 2/4, recall 2/3
    #   0.5 hits GT2 (IoU 0.81) -> TP: precision 3/5, recall 3/3
    # Interpolated precision (best at this recall or higher): 1 up to recall 1/3,
    # 2/3 up to 2/3, 3/5 up to 1.  AP = 1/3 * 1 + 1/3 * 2/3 + 1/3 * 3/5 = 34/45.
    pred = np.array([[0.0, 0, 10, 10], [60.0, 60, 70, 70], [20.0, 0, 30, 10],
                     [0.0, 0, 10, 10], [40.0, 0, 49, 9]])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    p, r = precision_recall(pred, scores, GT)
    assert p.tolist() == pytest.approx([1, 1 / 2, 2 / 3, 2 / 4, 3 / 5])
    assert r.tolist() == pytest.approx([1 / 3, 1 / 3, 2 / 3, 2 / 3, 1])
    assert average_precision(pred, scores, GT) == pytest.approx(34 / 45)
    shuffle = RNG.permutation(5)
    assert average_precision(pred[shuffle], scores[shuffle], GT) == pytest.approx(34 / 45)
    # At IoU 0.9 the last detection (IoU 81/100) misses: AP = 1/3 + 1/3 * 2/3 = 5/9.
    assert average_precision(pred, scores, GT, iou_threshold=0.9) == pytest.approx(5 / 9)


def test_average_precision_extremes():
    assert average_precision(GT, np.array([0.3, 0.2, 0.1]), GT) == 1.0  # all found, no FP
    # Found everything, but only after a false positive: precision 1/2, 2/3, 3/4 at
    # recall 1/3, 2/3, 1; interpolated 3/4 everywhere: AP = 3/4.
    pred = np.concatenate([[[90.0, 90, 95, 95]], GT])
    assert average_precision(pred, np.array([0.9, 0.8, 0.7, 0.6]), GT) == pytest.approx(0.75)
    assert average_precision(np.zeros((0, 4)), np.zeros(0), GT) == 0.0
    assert np.isnan(average_precision(GT, np.array([0.3, 0.2, 0.1]), np.zeros((0, 4))))


def test_detections_only_match_ground_truth_of_their_own_image():
    pred, scores = GT[:1], np.array([0.9])
    same = average_precision(pred, scores, GT[:1], pred_image_ids=np.array([0]),
                             gt_image_ids=np.array([0]))
    other = average_precision(pred, scores, GT[:1], pred_image_ids=np.array([1]),
                              gt_image_ids=np.array([0]))
    assert (same, other) == (1.0, 0.0)


def _voc_reference_ap(pred, scores, gt, threshold):
    """The PASCAL VOC devkit's procedure, transcribed step by step (VOC 2010+ AP)."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    detected = [False] * len(gt)
    tp, fp = [], []
    for i in order:
        overlaps = [_reference_iou(pred[i], g) for g in gt]
        jmax = max(range(len(gt)), key=lambda j: overlaps[j])
        if overlaps[jmax] >= threshold and not detected[jmax]:
            detected[jmax] = True
            tp.append(1)
            fp.append(0)
        else:
            tp.append(0)
            fp.append(1)
    tp, fp = np.cumsum(tp), np.cumsum(fp)
    mrec = [0.0, *(tp / len(gt)), 1.0]
    mpre = [0.0, *(tp / (tp + fp)), 0.0]
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    return sum((mrec[i + 1] - mrec[i]) * mpre[i + 1] for i in range(len(mrec) - 1)
               if mrec[i + 1] != mrec[i])


def test_average_precision_matches_the_voc_devkit_procedure_on_random_scenes():
    for _ in range(30):
        gt = _random_boxes(6, size=50.0)
        pred = np.concatenate([gt + RNG.normal(0, 3, gt.shape), _random_boxes(6, size=50.0)])
        scores = RNG.random(12)
        for threshold in (0.3, 0.5, 0.7):
            want = _voc_reference_ap(pred.tolist(), scores.tolist(), gt.tolist(), threshold)
            assert average_precision(pred, scores, gt, threshold) == pytest.approx(want)


def test_mean_average_precision_averages_the_classes_with_ground_truth():
    # Class 0: GT0 and GT1, found with no false positive -> AP 1.
    # Class 1: GT2, found only by the second detection after a miss -> AP 1/2.
    # Class 2: a detection but no ground truth -> ignored.  mAP = (1 + 1/2) / 2 = 3/4.
    gt_labels = np.array([0, 0, 1])
    pred = np.array([[0.0, 0, 10, 10], [20.0, 0, 30, 10], [70.0, 70, 80, 80],
                     [40.0, 0, 50, 10], [5.0, 5, 6, 6]])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    pred_labels = np.array([0, 0, 1, 1, 2])
    got = mean_average_precision(pred, scores, pred_labels, GT, gt_labels)
    assert got == pytest.approx(0.75)
    per_class = [average_precision(pred[pred_labels == c], scores[pred_labels == c],
                                   GT[gt_labels == c]) for c in (0, 1)]
    assert per_class == pytest.approx([1.0, 0.5])


def test_box_ops_on_cupy_arrays_match_numpy(cupy):
    boxes, scores = _random_boxes(30, size=60.0), RNG.random(30)
    gpu_boxes, gpu_scores = cupy.asarray(boxes), cupy.asarray(scores)
    assert np.allclose(box_iou(gpu_boxes, gpu_boxes).get(), box_iou(boxes, boxes))
    assert nms(gpu_boxes, gpu_scores, 0.5).get().tolist() == nms(boxes, scores, 0.5).tolist()
    target = encode_yolo_targets(gpu_boxes[:1], cupy.asarray([1]), 4, 2, 3, 60)
    assert isinstance(target, cupy.ndarray)
    assert np.allclose(decode_yolo(target, 4, 2, 3, 60)[0].get(), boxes[:1])


# --- Two-stage detection: anchors, box deltas, anchor labels, RoI pooling -------------------

def test_anchor_shapes_keep_the_area_and_set_the_ratio():
    shapes = anchor_shapes([8, 16, 32], [0.5, 1.0, 2.0])
    w, h = shapes[:, 0], shapes[:, 1]
    assert shapes.shape == (9, 2)
    np.testing.assert_allclose(w * h, np.tile([64.0, 256.0, 1024.0], 3))
    np.testing.assert_allclose(h / w, np.repeat([0.5, 1.0, 2.0], 3))


@pytest.mark.parametrize(("size", "stride"), [((64, 64), 8), ((600, 1000), 16), ((37, 50), 8),
                                              (33, 16)])
def test_anchor_count_is_cells_of_the_feature_map_times_shapes(size, stride):
    height, width = (size, size) if isinstance(size, int) else size
    # Cells counted by walking the image in steps of the stride: a partial step is a cell.
    cells = sum(1 for _ in range(0, height, stride)) * sum(1 for _ in range(0, width, stride))
    anchors = generate_anchors(size, stride, scales=[16, 32, 64], ratios=[0.5, 1.0, 2.0])
    assert anchors.shape == (cells * 9, 4)


def test_faster_rcnn_image_has_about_twenty_thousand_anchors():
    # Ren et al. (2015): a ~1000 x 600 image, stride 16, 9 anchors: "~20000" in total;
    # ceil(600/16) * ceil(1000/16) * 9 = 38 * 63 * 9.
    anchors = generate_anchors((600, 1000), 16, scales=[128, 256, 512], ratios=[0.5, 1, 2])
    assert len(anchors) == 38 * 63 * 9 == 21546


def test_anchors_are_centred_on_their_cells():
    anchors = generate_anchors((24, 40), 8, scales=[4, 10], ratios=[1.0, 3.0])
    centres = box_convert(anchors, "xyxy", "cxcywh")[:, :2].reshape(3, 5, 4, 2)
    for i, j in itertools.product(range(3), range(5)):
        assert (centres[i, j] == [8 * j + 4, 8 * i + 4]).all()


def test_encode_then_decode_gives_the_boxes_back():
    boxes, anchors = _random_boxes(200), _random_boxes(200)
    deltas = encode_deltas(boxes, anchors)
    np.testing.assert_allclose(decode_deltas(deltas, anchors), boxes, atol=1e-9)
    np.testing.assert_allclose(encode_deltas(decode_deltas(deltas, anchors), anchors), deltas,
                               atol=1e-9)


def test_deltas_by_hand_and_their_scale_invariance():
    anchor = np.array([[10.0, 20.0, 30.0, 60.0]])          # centre (20, 40), 20 x 40
    box = np.array([[15.0, 10.0, 45.0, 50.0]])             # centre (30, 30), 30 x 40
    want = [(30 - 20) / 20, (30 - 40) / 40, np.log(30 / 20), np.log(40 / 40)]
    np.testing.assert_allclose(encode_deltas(box, anchor)[0], want)
    np.testing.assert_allclose(encode_deltas(3 * box, 3 * anchor), encode_deltas(box, anchor))
    assert (encode_deltas(anchor, anchor) == 0).all()


def test_deltas_refuse_boxes_without_area_and_unpaired_rows():
    good = np.array([[0.0, 0.0, 4.0, 4.0]])
    flat = np.array([[0.0, 0.0, 4.0, 0.0]])
    with pytest.raises(ValueError, match="positive width and height"):
        encode_deltas(good, flat)
    with pytest.raises(ValueError, match="positive width and height"):
        decode_deltas(np.zeros((1, 4)), flat)
    with pytest.raises(ValueError, match="pair up row by row"):
        encode_deltas(np.tile(good, (2, 1)), good)
    with pytest.raises(ValueError, match="pair up row by row"):
        decode_deltas(np.zeros((1, 3)), good)


def test_generate_anchors_refuses_bad_sizes():
    with pytest.raises(ValueError, match="stride"):
        generate_anchors(64, 0, [8], [1.0])
    with pytest.raises(ValueError, match="scales"):
        generate_anchors(64, 8, [], [1.0])
    with pytest.raises(ValueError, match="ratios"):
        generate_anchors(64, 8, [8], [1.0, -2.0])
    with pytest.raises(ValueError, match="image_size"):
        generate_anchors((0, 64), 8, [8], [1.0])


def _reference_anchor_labels(anchors, gt, pos, neg):
    """The RPN rule from Ren et al. (2015), anchor by anchor, with the IoU reference above."""
    iou = [[_reference_iou(a, g) for g in gt] for a in anchors]
    best_for_gt = [max(iou[i][j] for i in range(len(anchors))) for j in range(len(gt))]
    labels = []
    for i in range(len(anchors)):
        top = max(iou[i])
        if top >= pos or any(iou[i][j] == best_for_gt[j] > 0 for j in range(len(gt))):
            labels.append(1)
        elif top < neg:
            labels.append(0)
        else:
            labels.append(-1)
    return labels


@pytest.mark.parametrize("seed", range(5))
def test_anchor_labels_follow_the_rpn_rule(seed):
    rng = np.random.default_rng(seed)
    anchors = generate_anchors(64, 8, scales=[8, 16, 24], ratios=[0.5, 1.0, 2.0])
    gt = _random_boxes(3, size=48.0, rng=rng)
    labels, matched = label_anchors(anchors, gt, pos_iou=0.7, neg_iou=0.3)
    assert labels.tolist() == _reference_anchor_labels(anchors, gt, 0.7, 0.3)
    np.testing.assert_array_equal(matched, box_iou(anchors, gt).argmax(axis=1))
    # every true box is the best match of at least one positive anchor
    assert set(matched[labels == 1].tolist()) == {0, 1, 2}


def test_anchor_labels_without_objects_and_with_bad_thresholds():
    anchors = generate_anchors(16, 8, scales=[8], ratios=[1.0])
    labels, matched = label_anchors(anchors, np.zeros((0, 4)))
    assert labels.tolist() == [0, 0, 0, 0] and matched.tolist() == [-1, -1, -1, -1]
    with pytest.raises(ValueError, match="neg_iou <= pos_iou"):
        label_anchors(anchors, anchors, pos_iou=0.3, neg_iou=0.7)


def _reference_roi_pool(features, rois, out_h, out_w, scale):
    """RoI max pooling from its definition, one output number at a time, cell by cell.

    Coordinates in the tests never end in exactly .5 after scaling, so Python's round()
    (half to even) agrees with C's round (half away from zero).
    """
    _, channels, height, width = features.shape
    out = np.zeros((len(rois), channels, out_h, out_w))
    for k, (n, x1, y1, x2, y2) in enumerate(rois):
        c1, r1, c2, r2 = (round(v * scale) for v in (x1, y1, x2, y2))
        span_w, span_h = max(c2 - c1 + 1, 1), max(r2 - r1 + 1, 1)
        for c, i, j in itertools.product(range(channels), range(out_h), range(out_w)):
            cells = [features[int(n), c, h, w] for h in range(height) for w in range(width)
                     if np.floor(i * span_h / out_h) <= h - r1 < np.ceil((i + 1) * span_h / out_h)
                     and np.floor(j * span_w / out_w) <= w - c1 < np.ceil((j + 1) * span_w / out_w)]
            out[k, c, i, j] = max(cells) if cells else 0.0
    return out


def _random_rois(rng, n_images, height, width, scale, k, margin):
    """RoIs in image pixels, some reaching ``margin`` feature cells past the map's edges."""
    lo, hi = -margin / scale, (max(height, width) + margin) / scale
    corners = rng.uniform(lo, hi, size=(k, 4))
    corners[:, 2:] = corners[:, :2] + rng.uniform(0, hi / 2, size=(k, 2))
    return np.concatenate([rng.integers(0, n_images, size=(k, 1)), corners], axis=1)


@pytest.mark.parametrize("seed", range(6))
def test_roi_pool_matches_the_loop_reference_on_random_shapes(seed):
    rng = np.random.default_rng(seed)
    n, c, h, w = rng.integers(1, 3), rng.integers(1, 4), rng.integers(3, 11), rng.integers(3, 11)
    scale = float(rng.choice([1.0, 0.5, 0.25]))
    out_h, out_w = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    features = rng.normal(size=(n, c, h, w))
    rois = _random_rois(rng, n, h, w, scale, k=6, margin=3)
    got = roi_pool(features, rois, (out_h, out_w), spatial_scale=scale)
    np.testing.assert_allclose(got, _reference_roi_pool(features, rois, out_h, out_w, scale))


@pytest.mark.parametrize("seed", range(6))
def test_roi_pool_inside_the_map_is_torch_adaptive_max_pool_of_the_crop(seed):
    # Inside the map, RoI pooling is adaptive max pooling of the cropped cells: an
    # independent implementation (PyTorch's) of the same bins.
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(100 + seed)
    features = rng.normal(size=(2, 3, 12, 14))
    out = (int(rng.integers(1, 8)), int(rng.integers(1, 8)))
    for _ in range(5):
        r1, c1 = int(rng.integers(0, 8)), int(rng.integers(0, 9))
        r2, c2 = int(rng.integers(r1, 12)), int(rng.integers(c1, 14))
        n = int(rng.integers(0, 2))
        roi = np.array([[n, 4 * c1 + 1, 4 * r1 - 1, 4 * c2, 4 * r2 + 1]], dtype=float)
        got = roi_pool(features, roi, out, spatial_scale=0.25)[0]
        crop = torch.from_numpy(features[n, :, r1:r2 + 1, c1:c2 + 1])
        want = torch.nn.functional.adaptive_max_pool2d(crop, out).numpy()
        np.testing.assert_allclose(got, want)


def test_roi_pool_matches_torchvision_when_it_is_installed():
    torch = pytest.importorskip("torch")
    ops = pytest.importorskip("torchvision.ops")
    rng = np.random.default_rng(7)
    features = rng.normal(size=(2, 3, 9, 11)).astype(np.float32)
    rois = _random_rois(rng, 2, 9, 11, 0.5, k=20, margin=3).astype(np.float32)
    want = ops.roi_pool(torch.from_numpy(features), torch.from_numpy(rois), (3, 4), 0.5)
    np.testing.assert_allclose(roi_pool(features, rois, (3, 4), 0.5), want.numpy())


def test_roi_pool_gives_the_same_grid_for_every_box_size():
    features = np.arange(2 * 16 * 16, dtype=float).reshape(1, 2, 16, 16)
    rois = np.array([[0, 0, 0, 3, 3], [0, 2, 1, 15, 6], [0, 0, 0, 15, 15]], dtype=float)
    pooled = roi_pool(features, rois, 2)
    assert pooled.shape == (3, 2, 2, 2)
    # values grow along rows and columns: each bin's maximum is its bottom-right cell
    assert pooled[2, 0].tolist() == [[7 * 16 + 7, 7 * 16 + 15], [15 * 16 + 7, 15 * 16 + 15]]


def test_roi_pool_refuses_bad_input():
    features = np.zeros((2, 1, 4, 4))
    with pytest.raises(ValueError, match=r"\(K, 5\)"):
        roi_pool(features, np.zeros((1, 4)), 2)
    with pytest.raises(ValueError, match="batch indices"):
        roi_pool(features, np.array([[2.0, 0, 0, 1, 1]]), 2)
    with pytest.raises(ValueError, match="batch indices"):
        roi_pool(features, np.array([[0.5, 0, 0, 1, 1]]), 2)
    with pytest.raises(ValueError, match="output_size"):
        roi_pool(features, np.array([[0.0, 0, 0, 1, 1]]), (0, 2))
    with pytest.raises(ValueError, match="spatial_scale"):
        roi_pool(features, np.array([[0.0, 0, 0, 1, 1]]), 2, spatial_scale=0)
    with pytest.raises(ValueError, match="4-dimensional"):
        roi_pool(features[0], np.array([[0.0, 0, 0, 1, 1]]), 2)


def test_anchor_ops_and_roi_pool_on_cupy_arrays_match_numpy(cupy):
    boxes, anchors = _random_boxes(20), _random_boxes(20)
    deltas = encode_deltas(cupy.asarray(boxes), cupy.asarray(anchors))
    assert isinstance(deltas, cupy.ndarray)
    np.testing.assert_allclose(deltas.get(), encode_deltas(boxes, anchors))
    np.testing.assert_allclose(decode_deltas(deltas, cupy.asarray(anchors)).get(), boxes)
    labels, _ = label_anchors(cupy.asarray(anchors), cupy.asarray(boxes[:3]))
    assert labels.get().tolist() == label_anchors(anchors, boxes[:3])[0].tolist()
    features, rois = RNG.normal(size=(1, 2, 8, 8)), np.array([[0, 1.2, 0.3, 6.7, 5.1]])
    np.testing.assert_allclose(roi_pool(cupy.asarray(features), cupy.asarray(rois), 3).get(),
                               roi_pool(features, rois, 3))
