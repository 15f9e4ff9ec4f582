"""Chapter 10 compute (dlcourse.chapters.detection.experiments), checked against brute-force
references.

torchvision is not available here, so IoU and NMS are checked against plain-Python loops
written below from the definitions, not against torchvision.ops.
"""

from fractions import Fraction

import numpy as np
import pytest
import torch

from dlcourse.chapters.detection import experiments as demo
from dlcourse.data import shapes_detection
from dlcourse.detection import box_iou, decode_yolo, encode_yolo_targets, yolo_output_size

# --- brute-force references -----------------------------------------------------------------

def iou_reference(a, b):
    """IoU of two xyxy boxes by the definition: overlap area / (area a + area b - overlap)."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def nms_reference(boxes, scores, iou_threshold):
    """Greedy NMS in plain Python: visit boxes best first, keep one unless it overlaps a
    kept box by more than the threshold."""
    kept = []
    for i in sorted(range(len(scores)), key=lambda k: -scores[k]):
        if all(iou_reference(boxes[i], boxes[j]) <= iou_threshold for j in kept):
            kept.append(i)
    return kept


# --- crowded scene and NMS ------------------------------------------------------------------

def test_crowded_scene_is_fixed_and_holds_duplicates_of_three_objects():
    boxes, scores, objects = demo.crowded_scene()
    boxes2, scores2, _ = demo.crowded_scene()
    np.testing.assert_array_equal(boxes, boxes2)
    np.testing.assert_array_equal(scores, scores2)
    assert boxes.shape == (17, 4) and objects.shape == (3, 4)
    assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
    # every detection of object k overlaps it well
    for k, obj in enumerate(objects):
        for box in boxes[5 * k:5 * k + 5]:
            assert iou_reference(box, obj) > 0.6


@pytest.mark.parametrize("score_threshold", [0.0, 0.3, 0.6, 0.9])
@pytest.mark.parametrize("iou_threshold", [0.0, 0.1, 0.3, 0.5, 0.7, 1.0])
def test_nms_explorer_keeps_what_brute_force_greedy_nms_keeps(score_threshold, iou_threshold):
    r = demo.nms_explorer(score_threshold, iou_threshold)
    boxes, scores = r["boxes"].tolist(), r["scores"].tolist()
    candidates = [i for i, s in enumerate(scores) if s >= score_threshold]
    expected = [candidates[k] for k in nms_reference([boxes[i] for i in candidates],
                                                     [scores[i] for i in candidates],
                                                     iou_threshold)]
    assert r["kept"].tolist() == expected
    assert sorted(r["kept"].tolist() + r["suppressed"].tolist()) == candidates
    assert sorted(candidates + r["dropped"].tolist()) == list(range(len(scores)))


def test_default_nms_finds_exactly_the_three_objects():
    r = demo.nms_explorer()
    assert r["kept"].tolist() == [10, 0, 5]
    for i, obj in zip(r["kept"], r["objects"][[2, 0, 1]], strict=True):
        assert iou_reference(r["boxes"][i], obj) > 0.8


def test_nms_explorer_rejects_thresholds_outside_0_1():
    with pytest.raises(ValueError, match="iou_threshold"):
        demo.nms_explorer(iou_threshold=1.5)


def test_iou_worked_example_is_9_over_51():
    # A = (2, 2, 8, 6), B = (5, 3, 11, 9): overlap 3 x 3 = 9, areas 24 and 36,
    # union 24 + 36 - 9 = 51 (counted by hand).
    a, b = [2, 2, 8, 6], [5, 3, 11, 9]
    expected = Fraction(9, 51)
    assert iou_reference(a, b) == pytest.approx(float(expected))
    got = box_iou(np.array([a], float), np.array([b], float))[0, 0]
    assert got == pytest.approx(float(expected), abs=1e-15)


# --- sliding windows ------------------------------------------------------------------------

def test_sliding_window_cost_counts_every_position_by_enumeration():
    cost = demo.sliding_window_cost(64, windows=(16, 24), stride_fraction=0.25,
                                    aspect_ratios=(1.0, 2.0), classifier_macs=10)
    total = 0
    for (h, w), stride, count in cost["rows"]:
        positions = [(y, x) for y in range(0, 64, stride) for x in range(0, 64, stride)
                     if y + h <= 64 and x + w <= 64]
        assert count == len(positions)
        total += count
    assert cost["windows"] == total and cost["macs"] == 10 * total
    # (64 - 16) // 4 + 1 = 13 positions per axis for the 16 x 16 window
    assert cost["rows"][0] == ((16, 16), 4, 169)


# --- the YOLO grid --------------------------------------------------------------------------

def test_grid_example_cells_contain_the_box_centres():
    g = demo.grid_example()
    step = g["size"] / g["S"]
    for (row, col), (cx, cy) in zip(g["cells"], g["centres"], strict=True):
        assert col * step <= cx < (col + 1) * step
        assert row * step <= cy < (row + 1) * step


def test_best_anchor_picks_the_anchor_of_the_same_shape():
    anchors = np.array([[20.0, 20.0], [10.0, 30.0], [30.0, 10.0]])
    index, ious = demo.best_anchor((12, 28), anchors)
    assert index == 1
    # centred boxes: IoU = overlap (min w * min h) / union
    expected = [min(12, w) * min(28, h) / (12 * 28 + w * h - min(12, w) * min(28, h))
                for w, h in anchors]
    np.testing.assert_allclose(ious, expected)


# --- output sizes and encoding round trips --------------------------------------------------

def test_output_sizes_for_B2_C5_are_15_and_20_per_cell_and_735_980_for_S7():
    # YOLOv1 paper: each cell predicts B boxes of 5 numbers and ONE class vector (B*5 + C);
    # anchor-based YOLOs: a class vector per box (B*(5 + C)).  Shapes of real target arrays:
    box = np.array([[0.0, 0.0, 10.0, 10.0]])
    v1 = encode_yolo_targets(box, np.array([0]), S=7, B=2, C=5, image_size=70)
    anchors = encode_yolo_targets(box, np.array([0]), S=7, B=2, C=5, image_size=70,
                                  layout="anchors")
    assert v1.size // 49 == 2 * 5 + 5 == 15 and anchors.size // 49 == 2 * (5 + 5) == 20
    assert (v1.size, anchors.size) == (735, 980)
    assert yolo_output_size(7, 2, 5) == 735
    assert yolo_output_size(7, 2, 5, layout="anchors") == 980


@pytest.mark.parametrize("layout", ["v1", "anchors"])
def test_encode_then_decode_gives_back_every_box_and_label(layout):
    _, boxes, labels = shapes_detection(40, size=64, overlap=False, seed=5)
    checked = 0
    for b, lab in zip(boxes, labels, strict=True):
        b = b.astype(np.float64)
        try:
            t = encode_yolo_targets(b, lab, S=8, B=2, C=3, image_size=64, layout=layout)
        except ValueError:      # two classes in one cell: YOLOv1 cannot hold it
            continue
        got, scores, got_labels = decode_yolo(t, S=8, B=2, C=3, image_size=64, layout=layout)
        order = np.lexsort((got[:, 1], got[:, 0]))
        expected = np.lexsort((b[:, 1], b[:, 0]))
        np.testing.assert_allclose(got[order], b[expected], atol=1e-9)
        np.testing.assert_array_equal(got_labels[order], lab[expected])
        np.testing.assert_array_equal(scores, 1.0)
        checked += 1
    assert checked >= 30


# --- activation and the loss ----------------------------------------------------------------

def test_activate_matches_torch_sigmoid_and_softmax_on_numpy_and_torch():
    raw = np.random.default_rng(0).normal(size=(2, 3, 3, 13))
    expected = torch.cat([torch.sigmoid(torch.from_numpy(raw[..., :10])),
                          torch.softmax(torch.from_numpy(raw[..., 10:]), -1)], -1).numpy()
    np.testing.assert_allclose(demo.activate(raw, B=2, C=3), expected, rtol=1e-12)
    np.testing.assert_allclose(demo.activate(torch.from_numpy(raw), B=2, C=3).numpy(), expected,
                               rtol=1e-12)


def _one_example():
    # one object in cell (0, 1) of a 2 x 2 grid, slot 0, class 1 of 2
    target = np.zeros((1, 2, 2, 12))
    target[0, 0, 1, :5] = [0.5, 0.5, 0.25, 0.36, 1.0]
    target[0, 0, 1, 11] = 1.0
    pred = target.copy()
    pred[0, 0, 1, :5] = [0.6, 0.5, 0.16, 0.36, 0.8]    # x off by 0.1, sqrt w off by 0.1
    pred[0, 0, 1, 5:10] = [0, 0, 0, 0, 0.2]            # slot 1 of that cell: p = 0.2
    pred[0, 1, 0, 4] = 0.4                             # an empty cell says 0.4
    pred[0, 0, 1, 10:] = [0.3, 0.7]
    return pred, target


def test_yolo_loss_terms_on_one_example_match_a_hand_computation():
    pred, target = _one_example()
    terms = demo.yolo_loss(pred, target, B=2, C=2)
    # by hand: 5 * 0.1^2; 5 * (0.4 - 0.5)^2; (0.8 - 1)^2; 0.5 * (0.2^2 + 0.4^2);
    # (0.3 - 0)^2 + (0.7 - 1)^2
    expected = {"xy": 0.05, "wh": 0.05, "obj": 0.04, "noobj": 0.1, "cls": 0.18}
    for name, value in expected.items():
        assert terms[name] == pytest.approx(value, abs=1e-12), name
    assert terms["total"] == pytest.approx(sum(expected.values()))
    assert demo.yolo_loss(target, target, B=2, C=2)["total"] == 0.0


def test_yolo_loss_on_torch_equals_numpy_and_has_finite_gradients():
    pred, target = _one_example()
    p = torch.tensor(pred, requires_grad=True)
    terms = demo.yolo_loss(p, torch.from_numpy(target), B=2, C=2)
    assert terms["total"].item() == pytest.approx(demo.yolo_loss(pred, target, 2, 2)["total"])
    terms["total"].backward()
    # d xy / d x = 2 * 5 * (0.6 - 0.5) = 1.0 on the responsible slot
    assert p.grad[0, 0, 1, 0].item() == pytest.approx(1.0)
    assert torch.isfinite(p.grad).all()


# --- training -------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_train_yolo_is_deterministic_and_learns():
    kwargs = dict(n_train=256, n_test=32, epochs=3, hidden=64, width=8, lr=3e-3)
    run = demo.train_yolo(**kwargs)
    again = demo.train_yolo(**kwargs)
    assert run.train_loss == again.train_loss and run.map50 == again.map50
    assert run.train_loss[-1] < 0.75 * run.train_loss[0]
    assert len(run.pred_boxes) == len(run.gt_boxes) == 32 == run.images.shape[0]
    assert 0.0 <= run.map50 <= 1.0
    assert torch.get_num_threads() >= 1


def test_detect_on_a_perfect_model_output_gives_map_1():
    # A model whose output is the encoded target (as logits) must score mAP 1: checks detect's
    # decode + NMS + the pooled mAP together.
    _, boxes, labels = shapes_detection(6, size=32, overlap=False, seed=2)
    targets, ok = demo._encodable(boxes, labels, 4, 2, 3, 32)

    class Oracle(torch.nn.Module):
        S, B, C, image_size = 4, 2, 3, 32

        def forward(self, x):
            t = torch.from_numpy(targets).double()
            boxes_part = torch.logit(t[..., :10].clamp(1e-6, 1 - 1e-6))
            return torch.cat([boxes_part, 20 * t[..., 10:]], -1)

    out = demo.detect(Oracle(), np.zeros((len(ok), 1, 32, 32), np.float32))
    run = demo.DetectionRun(None, gt_boxes=[boxes[i] for i in ok],
                            gt_labels=[labels[i] for i in ok])
    run.pred_boxes, run.pred_scores, run.pred_labels = out
    assert demo._pooled_map(run) == pytest.approx(1.0)


def test_activate_and_loss_name_the_wrong_cell_size():
    with pytest.raises(ValueError, match="B \\* 5 \\+ C = 13"):
        demo.activate(np.zeros((1, 4, 4, 12)), B=2, C=3)
    with pytest.raises(ValueError, match="same shape"):
        demo.yolo_loss(np.zeros((1, 4, 4, 13)), np.zeros((1, 4, 4, 12)), B=2, C=3)
