"""Chapters 09-12 exercises: the references agree with PyTorch (values and gradients) and with
brute force (IoU, NMS), every hidden case is valid, the checks explain typical mistakes, a
library transposed convolution is refused, and the grader gives the solutions full marks and
the untouched exercises nothing."""

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from grading_helpers import CHAPTERS, FAST, ROOT, every_case, exercise_notebook

from dlcourse.detection import decode_yolo, encode_yolo_targets
from dlcourse.grading import exercises
from dlcourse.grading.checks import run_checks
from dlcourse.grading.exercises import ch09, ch10, ch11, ch12
from dlcourse.grading.grader import grade_file, hidden_rng
from dlcourse.grading.guard import scan_source

torch.set_num_threads(1)
rng = np.random.default_rng(9)
LATE = ("ch09", "ch10", "ch11", "ch12")


def test_chapters_09_to_12_have_at_least_ten_graded_functions_and_notebooks():
    late = [n for n in exercises.names() if n.split(".")[0] in LATE]
    assert len(late) >= 10
    assert set(LATE) <= set(exercises.chapters())
    assert {"09", "10", "11", "12"} <= set(CHAPTERS)


# --- the references agree with PyTorch ------------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_conv_transpose2d_matches_torch_on_random_shapes_strides_and_padding(seed):
    r = np.random.default_rng(seed)
    n, c_in, c_out = (int(v) for v in r.integers(1, 4, size=3))
    kh, kw, stride = int(r.integers(1, 5)), int(r.integers(1, 5)), int(r.integers(1, 4))
    h, w = int(r.integers(1, 6)), int(r.integers(1, 6))
    padding = int(r.integers(0, max(1, min((h - 1) * stride + kh, (w - 1) * stride + kw) // 2)))
    x, wt, b = r.normal(size=(n, c_in, h, w)), r.normal(size=(c_in, c_out, kh, kw)), \
        r.normal(size=c_out)
    expected = TF.conv_transpose2d(*map(torch.tensor, (x, wt, b)), stride=stride,
                                   padding=padding).numpy()
    np.testing.assert_allclose(ch09.conv_transpose2d(x, wt, b, stride, padding), expected,
                               rtol=1e-10, atol=1e-12)


def test_conv_transpose2d_matches_torch_on_every_fixed_and_hidden_case():
    ex, cases = every_case("ch09.conv_transpose2d")
    for case in cases:
        expected = TF.conv_transpose2d(*map(torch.from_numpy, case.args), **case.kwargs).numpy()
        got = ex.reference(*case.args, **case.kwargs)
        assert got.dtype == case.args[0].dtype
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=case.label)


def test_the_notes_transposed_convolution_is_5x5_without_padding_and_3x3_with_padding_1():
    zero = np.zeros(1)
    full = ch09.conv_transpose2d(ch09.NOTES_INPUT, ch09.NOTES_KERNEL, zero, stride=2)
    cropped = ch09.conv_transpose2d(ch09.NOTES_INPUT, ch09.NOTES_KERNEL, zero, 2, padding=1)
    assert full.shape == (1, 1, 5, 5) and cropped.shape == (1, 1, 3, 3)
    # the four stamps 1K, 2K, 3K, 4K at offsets (0,0), (0,2), (2,0), (2,2), added by hand
    by_hand = np.zeros((5, 5))
    for (i, j), v in zip([(0, 0), (0, 2), (2, 0), (2, 2)], [1, 2, 3, 4], strict=True):
        by_hand[i:i + 3, j:j + 3] += v * ch09.NOTES_KERNEL[0, 0]
    np.testing.assert_array_equal(full[0, 0], by_hand)
    np.testing.assert_array_equal(cropped[0, 0], by_hand[1:4, 1:4])


@pytest.mark.parametrize("shape, r", [((1, 4, 1, 1), 2), ((2, 18, 3, 2), 3), ((1, 3, 4, 5), 1),
                                      ((3, 32, 2, 2), 4)])
def test_pixel_shuffle_matches_torch(shape, r):
    x = rng.normal(size=shape)
    np.testing.assert_array_equal(ch09.pixel_shuffle(x, r),
                                  TF.pixel_shuffle(torch.tensor(x), r).numpy())


def test_pixel_shuffle_matches_torch_on_every_fixed_and_hidden_case():
    ex, cases = every_case("ch09.pixel_shuffle")
    for case in cases:
        x, r = case.args
        np.testing.assert_array_equal(ex.reference(x, r),
                                      TF.pixel_shuffle(torch.from_numpy(x), r).numpy())


def test_gan_references_match_torch_on_every_fixed_and_hidden_case():
    ex, cases = every_case("ch11.discriminator_loss")
    for case in cases:
        t_real, t_fake = (torch.tensor(a, dtype=torch.float64, requires_grad=True)
                          for a in case.args)
        loss = (TF.binary_cross_entropy_with_logits(t_real, torch.ones_like(t_real))
                + TF.binary_cross_entropy_with_logits(t_fake, torch.zeros_like(t_fake)))
        loss.backward()
        got = ex.reference(*case.args)
        assert got[0] == pytest.approx(loss.item(), rel=1e-6), case.label
        np.testing.assert_allclose(got[1], t_real.grad.numpy(), rtol=1e-5, atol=1e-12)
        np.testing.assert_allclose(got[2], t_fake.grad.numpy(), rtol=1e-5, atol=1e-12)
    ex, cases = every_case("ch11.generator_loss")
    for case in cases:
        t = torch.tensor(case.args[0], dtype=torch.float64, requires_grad=True)
        if case.kwargs.get("saturating", False):
            loss = -TF.binary_cross_entropy_with_logits(t, torch.zeros_like(t))
        else:
            loss = TF.binary_cross_entropy_with_logits(t, torch.ones_like(t))
        loss.backward()
        got = ex.reference(*case.args, **case.kwargs)
        assert got[0] == pytest.approx(loss.item(), rel=1e-6, abs=1e-12), case.label
        np.testing.assert_allclose(got[1], t.grad.numpy(), rtol=1e-5, atol=1e-12)


def torch_dice(probs, target, eps):
    axes = (0, 2, 3)
    ratio = (2 * (probs * target).sum(axes) + eps) / (probs.sum(axes) + target.sum(axes) + eps)
    return 1 - ratio.mean()


def test_dice_loss_and_its_gradient_match_torch_autograd_on_every_case():
    for name in ("ch09.dice_loss", "ch09.dice_loss_grad"):
        ex = exercises.get(name)
        cases = ex.public() + ex.edge() + ex.hidden(hidden_rng(3, ex), "s")
        for case in cases:
            probs, target = case.args
            eps = case.kwargs.get("eps", 1.0)
            p = torch.tensor(probs, dtype=torch.float64, requires_grad=True)
            loss = torch_dice(p, torch.tensor(target, dtype=torch.float64), eps)
            loss.backward()
            if name.endswith("grad"):
                got = ch09.dice_loss_grad(probs, target, eps)
                assert got.dtype == probs.dtype
                np.testing.assert_allclose(got, p.grad.numpy(), rtol=1e-5, atol=1e-7,
                                           err_msg=case.label)
            else:
                assert ch09.dice_loss(probs, target, eps) == pytest.approx(loss.item(), rel=1e-10,
                                                                           abs=1e-12)


def test_dice_loss_is_zero_for_a_perfect_mask_and_matches_the_course_module():
    from dlcourse.chapters.segmentation.training import dice_loss, dice_loss_backward

    probs = ch09._softmax(rng.normal(size=(2, 3, 5, 5)))
    target = ch09._one_hot(rng.integers(0, 3, size=(2, 5, 5)), 3)
    assert ch09.dice_loss(target, target) == 0.0
    assert ch09.dice_loss(probs, target, 0.5) == pytest.approx(float(dice_loss(probs, target,
                                                                               eps=0.5)))
    np.testing.assert_allclose(ch09.dice_loss_grad(probs, target, 0.5),
                               dice_loss_backward(1.0, probs, target, eps=0.5), rtol=1e-12)


@pytest.mark.parametrize("scale", [1.0, 50.0, 1000.0])
def test_gan_losses_and_gradients_match_torch_bce_with_logits(scale):
    real, fake = rng.normal(0, scale, size=(7, 1)), rng.normal(0, scale, size=5)
    t_real, t_fake = (torch.tensor(a, requires_grad=True) for a in (real, fake))
    loss = (TF.binary_cross_entropy_with_logits(t_real, torch.ones_like(t_real))
            + TF.binary_cross_entropy_with_logits(t_fake, torch.zeros_like(t_fake)))
    loss.backward()
    got_loss, d_real, d_fake = ch11.discriminator_loss(real, fake)
    assert got_loss == pytest.approx(loss.item(), rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(d_real, t_real.grad.numpy(), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(d_fake, t_fake.grad.numpy(), rtol=1e-10, atol=1e-15)

    for saturating in (False, True):
        t = torch.tensor(fake, requires_grad=True)
        if saturating:  # G minimises log(1 - D) = -BCE(fake, 0)
            g_loss = -TF.binary_cross_entropy_with_logits(t, torch.zeros_like(t))
        else:  # G minimises -log D = BCE(fake, 1)
            g_loss = TF.binary_cross_entropy_with_logits(t, torch.ones_like(t))
        g_loss.backward()
        got_loss, grad = ch11.generator_loss(fake, saturating=saturating)
        assert got_loss == pytest.approx(g_loss.item(), rel=1e-10, abs=1e-12)
        np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_gan_losses_keep_float32_and_stay_finite_for_extreme_logits():
    logits = np.array([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=np.float32)
    loss, d_real, d_fake = ch11.discriminator_loss(logits, logits)
    assert np.isfinite(loss) and d_real.dtype == d_fake.dtype == np.float32
    for saturating in (False, True):
        loss, grad = ch11.generator_loss(logits, saturating=saturating)
        assert np.isfinite(loss) and grad.dtype == np.float32 and np.isfinite(grad).all()


# --- IoU and NMS against brute force -----------------------------------------------------------

def brute_iou(a, b):
    """IoU of two integer boxes by counting the unit squares each one covers."""
    grid = np.zeros((2, 20, 20), bool)
    for k, (x1, y1, x2, y2) in enumerate((a, b)):
        grid[k, int(y1):int(y2), int(x1):int(x2)] = True
    union = (grid[0] | grid[1]).sum()
    return (grid[0] & grid[1]).sum() / union if union else 0.0


def integer_boxes(r, n):
    corners = r.integers(0, 15, size=(n, 2))
    return np.concatenate([corners, corners + r.integers(0, 6, size=(n, 2))], 1).astype(float)


@pytest.mark.parametrize("seed", range(4))
def test_box_iou_matches_counting_unit_squares(seed):
    r = np.random.default_rng(seed)
    a, b = integer_boxes(r, 6), integer_boxes(r, 5)  # some have zero width or height
    expected = np.array([[brute_iou(p, q) for q in b] for p in a])
    np.testing.assert_allclose(ch10.box_iou(a, b), expected, rtol=1e-12, atol=0)


def brute_nms(boxes, scores, threshold):
    """Suppression by its definition: a box survives iff no surviving box with a higher score
    overlaps it by more than the threshold; resolved by scanning every box by score."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    alive = []
    for i in order:
        if not any(brute_iou(boxes[i], boxes[k]) > threshold for k in alive):
            alive.append(i)
    return alive


@pytest.mark.parametrize("seed", range(5))
def test_nms_matches_the_definition_on_random_crowded_boxes(seed):
    r = np.random.default_rng(seed)
    boxes = integer_boxes(r, 15)
    boxes[:, 2:] += 1  # no empty boxes
    scores = r.permutation(15) / 15.0
    threshold = float(r.uniform(0.1, 0.7))
    kept = ch10.nms(boxes, scores, threshold)
    assert kept.dtype == np.int64 and kept.tolist() == brute_nms(boxes, scores, threshold)


def test_yolo_decode_agrees_with_the_course_decoder_and_round_trips_the_encoding():
    for _ in range(4):
        s, b, c = int(rng.integers(1, 5)), int(rng.integers(1, 3)), int(rng.integers(1, 4))
        out = ch10._grid(rng, s, b, c)
        size = (int(rng.integers(20, 100)), int(rng.integers(20, 100)))
        boxes, scores, labels = ch10.yolo_decode(out, b, size)
        ref = decode_yolo(out, S=s, B=b, C=c, image_size=size, conf_threshold=-1.0)
        for got, want in zip((boxes, scores, labels), ref, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12)
    truth = np.array([[4.0, 6.0, 20.0, 10.0], [30.0, 25.0, 38.0, 39.0]])
    target = encode_yolo_targets(truth, np.array([1, 0]), S=3, B=1, C=2, image_size=(40, 48))
    boxes, scores, labels = ch10.yolo_decode(target, 1, (40, 48))
    np.testing.assert_allclose(boxes[scores > 0.5], truth, rtol=1e-12)
    assert labels[scores > 0.5].tolist() == [1, 0]



@pytest.mark.parametrize("layout", ["v1", "anchors"])
def test_yolo_encode_agrees_with_the_course_encoder_and_decodes_back(layout):
    for _ in range(6):
        S, B, C = int(rng.integers(2, 8)), int(rng.integers(1, 4)), int(rng.integers(1, 6))
        n = int(rng.integers(1, min(S * S, 6) + 1))
        size = int(rng.choice([32, 64, 448]))
        boxes, labels = ch10._scene(rng, n, S, size), rng.integers(0, C, size=n)
        got = ch10.yolo_encode(boxes, labels, S, B, C, size, layout=layout)
        want = encode_yolo_targets(boxes, labels, S=S, B=B, C=C, image_size=size, layout=layout)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
        decoded, scores, _ = decode_yolo(got, S=S, B=B, C=C, image_size=size, layout=layout,
                                         conf_threshold=0.5)
        np.testing.assert_allclose(np.sort(decoded, axis=0), np.sort(boxes, axis=0), atol=1e-9)


def _ap_by_definition(pred, scores, gt, threshold=0.5):
    """AP from its definition, independently of both implementations: the greedy matching by
    brute force, then sum over each recall step of (step width) x (best precision at that
    recall or beyond), every maximum taken explicitly."""
    order = sorted(range(len(pred)), key=lambda i: -scores[i])
    free, hits = set(range(len(gt))), []
    for i in order:
        ious = [float(encode_iou(pred[i], g)) for g in gt]
        j = max(range(len(gt)), key=lambda k: (ious[k], -k))
        hits.append(ious[j] >= threshold and j in free)
        free.discard(j) if hits[-1] else None
    points = [(sum(hits[:k + 1]) / (k + 1), sum(hits[:k + 1]) / len(gt)) for k in range(len(hits))]
    area, previous = 0.0, 0.0
    for _, recall in points:
        if recall > previous:
            area += (recall - previous) * max(p for p, r in points if r >= recall)
            previous = recall
    return area


def encode_iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / union if union > 0 else 0.0


def test_average_precision_matches_its_definition_and_the_course_metric():
    from dlcourse.detection import average_precision
    cases = [c for c in ch10._ap_public() + ch10._ap_edge() + ch10._ap_hidden(rng, "s")]
    for case in cases:
        pred, scores, gt = case.args
        threshold = case.kwargs.get("iou_threshold", 0.5)
        got = ch10.average_precision(pred, scores, gt, **case.kwargs)
        assert got == pytest.approx(_ap_by_definition(pred, scores, gt, threshold), abs=1e-12)
        assert got == pytest.approx(average_precision(pred.reshape(-1, 4), scores, gt,
                                                      threshold), abs=1e-12), case.label


def test_yolo_encode_with_rows_and_columns_swapped_is_told_the_row_goes_with_y():
    def yolo_encode(boxes, labels, S, B, C, image_size, layout="v1"):
        cell = image_size / S
        target = np.zeros((S, S, B * 5 + C))
        for (x1, y1, x2, y2), label in zip(boxes, labels, strict=True):
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            row, col = int(cx // cell), int(cy // cell)  # swapped
            target[row, col, :5] = [cx / cell - col, cy / cell - row, (x2 - x1) / image_size,
                                    (y2 - y1) / image_size, 1.0]
            target[row, col, 5 * B + label] = 1.0
        return target

    report = run_checks("ch10.yolo_encode", yolo_encode).report()
    assert "row 0, column 1" in report and "the row goes with y" in report


def test_average_precision_that_counts_duplicates_as_hits_is_told_about_taken_boxes():
    def average_precision(pred_boxes, pred_scores, gt_boxes, iou_threshold=0.5):
        lo = np.maximum(pred_boxes[:, None, :2], gt_boxes[None, :, :2])
        hi = np.minimum(pred_boxes[:, None, 2:], gt_boxes[None, :, 2:])
        inter = np.prod(np.clip(hi - lo, 0, None), axis=-1)
        area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
        iou = inter / (area(pred_boxes)[:, None] + area(gt_boxes)[None] - inter)
        hits = [iou[i].max() >= iou_threshold for i in np.argsort(-pred_scores)]
        tp = np.cumsum(hits)
        precision, recall = tp / np.arange(1, len(hits) + 1), tp / len(gt_boxes)
        return float(np.sum(np.diff(np.concatenate([[0.0], recall])) * precision))

    report = run_checks("ch10.average_precision", average_precision).report()
    assert "duplicate" in report and "took that box already" in report

# --- the practice solver against PyTorch layers -----------------------------------------------

def torch_layers(text, *, average=False):
    """The layers of ``text`` as a torch network; ``average`` makes max pools average pools
    (whose gradient reaches every pixel of a window, for measuring receptive fields)."""
    layers = []
    for line in text.lower().splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        k = int(words[1].split("x")[0])
        options = dict(zip(words[2::2], map(int, words[3::2]), strict=True))
        if words[0] == "conv":
            layers.append(torch.nn.Conv2d(1, 1, k, options.get("stride", 1),
                                          options.get("padding", 0), bias=False))
        else:
            pool = torch.nn.MaxPool2d if words[0] == "maxpool" and not average else \
                torch.nn.AvgPool2d
            layers.append(pool(k, options.get("stride", k), options.get("padding", 0)))
    return torch.nn.Sequential(*layers)


def test_solve_layers_matches_torch_output_sizes_and_receptive_fields():
    ex = exercises.get("ch12.solve_layers")
    cases = ex.public() + ex.edge() + ex.hidden(hidden_rng(1, ex), "s")
    for case in cases:
        text, size = case.args
        net = torch_layers(text, average=True)
        for layer in net:
            if isinstance(layer, torch.nn.Conv2d):
                torch.nn.init.constant_(layer.weight, 1.0)
        # receptive field: the input rows the centre output unit depends on, measured on a
        # large input so that the padding cannot cut the field short
        x = torch.ones(1, 1, 512, 512, requires_grad=True)
        out = net(x)
        centre = out.shape[-1] // 2
        out[0, 0, centre, centre].backward()
        rows = torch.nonzero(x.grad[0, 0].sum(1))
        field = int(rows.max() - rows.min()) + 1
        expected = (torch_layers(text)(torch.zeros(1, 1, size, size)).shape[-1], field)
        assert ch12.solve_layers(text, size) == expected, case.label


def test_solve_layers_answers_the_notes_receptive_field_questions():
    # the notes: three 3x3 convs see 7x7; conv, conv, 2x2 pool, conv, conv see 14x14
    assert ch12.solve_layers("conv 3x3\nconv 3x3\nconv 3x3", 32) == (26, 7)
    assert ch12.solve_layers("conv 3x3\nconv 3x3\nmaxpool 2x2\nconv 3x3\nconv 3x3", 32)[1] == 14



# --- friendly messages for typical mistakes --------------------------------------------------

def test_nms_that_does_not_sort_by_score_is_told_to_start_from_the_best_box():
    def nms(boxes, scores, iou_threshold):
        lt = np.maximum(boxes[:, None, :2], boxes[None, :, :2])
        rb = np.minimum(boxes[:, None, 2:], boxes[None, :, 2:])
        inter = np.prod(np.clip(rb - lt, 0, None), axis=-1)
        area = np.prod(boxes[:, 2:] - boxes[:, :2], axis=-1)
        iou = inter / (area[:, None] + area[None, :] - inter)
        keep = []
        for i in range(len(boxes)):
            if all(iou[i, k] <= iou_threshold for k in keep):
                keep.append(i)
        return np.array(keep, dtype=np.int64)

    report = run_checks("ch10.nms", nms).report()
    assert "the second box has the best score" in report
    assert "highest score, not the first box" in report


def test_iou_with_the_plus_one_pixel_convention_is_told_to_drop_it():
    def box_iou(boxes1, boxes2):
        area1 = (boxes1[:, 2] - boxes1[:, 0] + 1) * (boxes1[:, 3] - boxes1[:, 1] + 1)
        area2 = (boxes2[:, 2] - boxes2[:, 0] + 1) * (boxes2[:, 3] - boxes2[:, 1] + 1)
        lt = np.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
        rb = np.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
        wh = np.clip(rb - lt + 1, 0, None)
        inter = wh[..., 0] * wh[..., 1]
        return inter / (area1[:, None] + area2[None] - inter)

    report = run_checks("ch10.box_iou", box_iou).report()
    assert "overlapping by half" in report and "no '+ 1'" in report


def test_iou_without_clipping_is_told_to_clip_each_side():
    def box_iou(boxes1, boxes2):
        area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
        area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
        wh = (np.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
              - np.maximum(boxes1[:, None, :2], boxes2[None, :, :2]))
        inter = wh[..., 0] * wh[..., 1]
        return inter / (area1[:, None] + area2[None] - inter)

    report = run_checks("ch10.box_iou", box_iou).report()
    assert "do not overlap" in report and "clip each side at 0" in report


def test_yolo_decode_without_the_cell_offset_is_told_to_add_the_cell_index():
    def yolo_decode(output, B, image_size):
        s = output.shape[0]
        height, width = image_size
        slots = output[..., :5 * B].reshape(s, s, B, 5)
        classes = output[..., 5 * B:]
        cx, cy = slots[..., 0] * width / s, slots[..., 1] * height / s  # forgot the cell
        w, h = slots[..., 2] * width, slots[..., 3] * height
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1).reshape(-1, 4)
        scores = (slots[..., 4] * classes.max(-1)[..., None]).reshape(-1)
        labels = np.repeat(classes.argmax(-1).reshape(-1), B).astype(np.int64)
        return boxes, scores, labels

    report = run_checks("ch10.yolo_decode", yolo_decode).report()
    assert "row 1, column 2" in report and "boxes is wrong" in report
    assert "add the cell's index before scaling" in report


def test_a_generator_loss_with_the_wrong_sign_is_told_which_loss_g_minimises():
    def generator_loss(fake_logits, *, saturating=False):
        sig = np.exp(-np.logaddexp(0, -fake_logits))
        n = fake_logits.size
        if saturating:  # wrong: the saturating loss's sign flipped
            return float(np.logaddexp(0, fake_logits).mean()), sig / n
        return float(np.logaddexp(0, -fake_logits).mean()), (sig - 1) / n

    report = run_checks("ch11.generator_loss", generator_loss).report()
    assert "saturating, D rejects the fakes: tiny gradients" in report
    assert "a NEGATIVE number" in report and "loss is 0.0185" in report
    assert "but should be -0.0185" in report


def test_a_non_saturating_loss_written_as_log_d_is_told_to_minimise_minus_log_d():
    def generator_loss(fake_logits, *, saturating=False):
        sig = 1 / (1 + np.exp(-fake_logits))
        return float(np.log(sig).mean()), (1 - sig) / fake_logits.size

    with np.errstate(all="ignore"):
        report = run_checks("ch11.generator_loss", generator_loss).report()
    assert "non-saturating, D undecided" in report and "MINIMISES -mean(log D(G(z)))" in report


def test_a_naive_discriminator_loss_overflows_and_is_told_to_use_softplus():
    def discriminator_loss(real_logits, fake_logits):
        dr, df = 1 / (1 + np.exp(-real_logits)), 1 / (1 + np.exp(-fake_logits))
        loss = -np.log(dr).mean() - np.log(1 - df).mean()
        return float(loss), (dr - 1) / dr.size, df / df.size

    with np.errstate(all="ignore"):
        report = run_checks("ch11.discriminator_loss", discriminator_loss).report()
    assert "one right and one wrong" in report and "np.logaddexp(0, -x)" in report


def test_pixel_shuffle_with_the_channels_in_the_wrong_order_gets_the_layout():
    def pixel_shuffle(x, r):
        n, c, h, w = x.shape
        c //= r * r
        return x.reshape(n, r, r, c, h, w).transpose(0, 3, 4, 1, 5, 2).reshape(n, c, h * r,
                                                                               w * r)

    report = run_checks("ch09.pixel_shuffle", pixel_shuffle).report()
    assert "8 channels -> 2 output channels" in report and "c*r*r + i*r + j" in report


def test_a_transposed_conv_that_pads_instead_of_cropping_is_told_what_padding_means():
    def conv_transpose2d(x, w, b, stride=1, padding=0):
        # pads x the way conv2d would, then scatters: the 'padding' grows the output
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        n, _, h, wd = x.shape
        kh, kw = w.shape[2:]
        out = np.zeros((n, w.shape[1], (h - 1) * stride + kh, (wd - 1) * stride + kw), x.dtype)
        for i in range(h):
            for j in range(wd):
                out[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw] += \
                    np.einsum("nc,cokl->nokl", x[:, :, i, j], w)
        return out + b.reshape(1, -1, 1, 1).astype(x.dtype)

    report = run_checks("ch09.conv_transpose2d", conv_transpose2d).report()
    assert "padding 1, as PyTorch defines it" in report and "crops `padding`" in report
    assert "shape (1, 1, 9, 9) but should have shape (1, 1, 3, 3)" in report


def test_a_dice_loss_over_all_classes_at_once_is_told_to_average_per_class():
    def dice_loss(probs, target, eps=1.0):
        return float(1 - (2 * (probs * target).sum() + eps) / (probs.sum() + target.sum() + eps))

    report = run_checks("ch09.dice_loss", dice_loss).report()
    assert "one Dice ratio per class" in report


def test_a_solver_that_gives_pools_stride_one_is_told_the_defaults():
    def solve_layers(text, input_size):
        size, field, jump = input_size, 1, 1
        for line in text.lower().splitlines():
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            k = int(words[1].split("x")[0])
            options = dict(zip(words[2::2], map(int, words[3::2]), strict=True))
            stride, padding = options.get("stride", 1), options.get("padding", 0)
            size = (size + 2 * padding - k) // stride + 1
            field += (k - 1) * jump
            jump *= stride
        return size, field

    report = run_checks("ch12.solve_layers", solve_layers).report()
    assert "a 2x2 pool" in report and "a pooling layer has stride K" in report


# --- library code is refused ---------------------------------------------------------------

@pytest.mark.parametrize("imports, call, refused", [
    ("import torch", "torch.nn.functional.conv_transpose2d(x, w, b)",
     "torch.nn.functional.conv_transpose2d"),
    ("from dlcourse.nn import functional as F", "F.conv_transpose2d(x, w, b)",
     "dlcourse.nn.functional.conv_transpose2d"),
    ("from dlcourse.chapters.segmentation import upsampling", "upsampling.notes_example()",
     "dlcourse.chapters.segmentation.upsampling.notes_example"),
    ("import numpy as np", "np.kron(x, w)", "numpy.kron"),
])
def test_library_transposed_convolutions_are_refused_by_the_static_scan(imports, call, refused):
    cells = [imports, f"def conv_transpose2d(x, w, b, stride=1, padding=0):\n    return {call}"]
    assert scan_source(cells, "conv_transpose2d",
                       exercises.get("ch09.conv_transpose2d").forbidden) == [refused]


def test_the_courses_own_detection_code_is_refused_by_the_check():
    from dlcourse import detection

    def nms(boxes, scores, iou_threshold):
        return detection.nms(boxes, scores, iou_threshold)

    report = run_checks("ch10.nms", nms).report()
    assert "uses dlcourse.detection" in report and "does not allow" in report


def test_a_torch_transposed_convolution_is_refused_by_the_check_at_runtime():
    def conv_transpose2d(x, w, b, stride=1, padding=0):
        f = getattr(TF, "conv_" + "transpose2d")
        return f(*map(torch.from_numpy, (x, w, b)), stride=stride, padding=padding).numpy()

    report = run_checks("ch09.conv_transpose2d", conv_transpose2d).report()
    assert "uses torch" in report and "does not allow" in report


def test_the_grader_gives_a_library_transposed_convolution_no_points(make_submission):
    cell = ("def conv_transpose2d(x, w, b, stride=1, padding=0):\n"
            "    import torch  # at the top of the cell, the import itself is refused\n"
            "    out = torch.nn.functional.conv_transpose2d(\n"
            "        *map(torch.from_numpy, (x, w, b)), stride=stride, padding=padding)\n"
            "    return out.numpy()")
    result = grade_file(make_submission("library", "09",
                                        replace={"ch09.conv_transpose2d": cell}),
                        seed=4242, limits=FAST)
    scores = {e.name: e.score for e in result.exercises}
    assert scores["ch09.conv_transpose2d"] == 0 and scores["ch09.pixel_shuffle"] == 2
    assert result.score == result.max_score - 3
    feedback = next(e.feedback for e in result.exercises if e.name == "ch09.conv_transpose2d")
    assert "torch.nn.functional.conv_transpose2d, which" in feedback


# --- the grader: solutions full marks, untouched exercises zero -------------------------------

@pytest.mark.parametrize("chapter", ["09", "10", "11", "12"])
def test_the_solutions_score_full_marks_and_the_untouched_exercises_zero(chapter,
                                                                         make_submission):
    path = ROOT / "solutions" / f"{CHAPTERS[chapter]}.ipynb"
    result = grade_file(path, seed=123456789, limits=FAST)
    assert result.status == "graded" and result.error is None
    assert result.score == result.max_score > 0, result.exercises
    assert all(e.feedback.startswith("all ") for e in result.exercises)
    untouched = grade_file(make_submission("untouched", chapter,
                                           base=exercise_notebook(chapter)),
                           seed=123456789, limits=FAST)
    assert untouched.status == "graded" and untouched.score == 0
    assert all("not written yet" in e.feedback for e in untouched.exercises)


def test_the_exercise_notebooks_keep_metadata_and_checks_but_no_solutions_or_answers():
    for chapter in ("09", "10", "11", "12"):
        nb = exercise_notebook(chapter)
        text = nbformat.writes(nb)
        assert "BEGIN SOLUTION" not in text and "NBVAL_CHECK_OUTPUT" not in text
        cells = [c for c in nb.cells if "exercise" in c.metadata.get("dlcourse", {})]
        assert cells and all("raise NotImplementedError" in c.source
                             and c.metadata["nbgrader"]["solution"] for c in cells)
        names = [c.metadata["dlcourse"]["exercise"] for c in cells]
        assert names == [e.name for e in exercises.chapter(f"ch{chapter}")]
        checks = [c.metadata["dlcourse"]["check"] for c in nb.cells
                  if "check" in c.metadata.get("dlcourse", {})]
        assert checks == names
