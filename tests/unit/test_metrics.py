"""The confusion matrix and the scores read off it (dlcourse.metrics), truth first.

Oracles: scikit-learn's confusion matrix, Jaccard and F1 scores.
"""

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from sklearn.metrics import f1_score, jaccard_score

from dlcourse.metrics import (
    confusion_matrix,
    dice_per_class,
    iou_per_class,
    mean_dice,
    mean_iou,
    pixel_accuracy,
)

RNG = np.random.default_rng(0)


def _random_maps(shape=(3, 7, 5), num_classes=4):
    target = RNG.integers(num_classes, size=shape)
    pred = np.where(RNG.random(shape) < 0.6, target, RNG.integers(num_classes, size=shape))
    return pred, target


def test_confusion_matrix_matches_sklearn_rows_true_columns_predicted():
    pred, target = _random_maps()
    expected = sk_confusion_matrix(target.ravel(), pred.ravel(), labels=range(4))
    np.testing.assert_array_equal(confusion_matrix(target, pred, 4), expected)


def test_iou_and_dice_per_class_match_sklearn_jaccard_and_f1():
    for seed in range(5):
        pred, target = _random_maps()
        labels = list(range(4))
        jaccard = jaccard_score(target.ravel(), pred.ravel(), labels=labels, average=None)
        f1 = f1_score(target.ravel(), pred.ravel(), labels=labels, average=None)
        np.testing.assert_allclose(iou_per_class(target, pred, 4), jaccard, rtol=1e-12)
        np.testing.assert_allclose(dice_per_class(target, pred, 4), f1, rtol=1e-12)
        assert pixel_accuracy(target, pred) == pytest.approx((pred == target).mean()), seed


def test_dice_is_two_iou_over_one_plus_iou_for_every_class():
    pred, target = _random_maps(num_classes=3)
    iou, dice = iou_per_class(target, pred, 3), dice_per_class(target, pred, 3)
    np.testing.assert_allclose(dice, 2 * iou / (1 + iou), rtol=1e-12)


def test_class_absent_from_both_maps_is_nan_and_skipped_by_the_means():
    target, pred = np.array([[0, 1], [0, 1]]), np.array([[0, 1], [1, 1]])
    iou = iou_per_class(target, pred, 3)
    assert np.isnan(iou[2])
    np.testing.assert_allclose(iou[:2], [1 / 2, 2 / 3])   # TP/(TP+FP+FN): 1/2, 2/3
    assert mean_iou(target, pred, 3) == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert mean_dice(target, pred, 3) == pytest.approx((2 / 3 + 4 / 5) / 2)


def test_metrics_reject_mismatched_shapes_float_labels_and_bad_classes():
    with pytest.raises(ValueError, match="shape"):
        pixel_accuracy(np.zeros((2, 3), int), np.zeros((3, 2), int))
    with pytest.raises(TypeError, match="integer"):
        mean_iou(np.zeros(4, int), np.zeros(4), 2)
    with pytest.raises(ValueError, match="outside 0..1"):
        iou_per_class(np.array([0, 1]), np.array([0, 2]), 2)


def test_confusion_matrix_counts_classes_up_to_the_largest_label_when_not_told():
    y_true, y_pred = np.array([0, 2, 2]), np.array([0, 0, 1])
    assert confusion_matrix(y_true, y_pred).tolist() == [[1, 0, 0], [0, 0, 0], [1, 1, 0]]


def test_confusion_matrix_names_mismatched_shapes():
    with pytest.raises(ValueError, match="shape"):
        confusion_matrix(np.array([0, 1]), np.array([0]))


def test_metrics_on_cupy_match_numpy(cupy):
    pred, target = _random_maps()
    for function in (iou_per_class, dice_per_class, confusion_matrix):
        on_gpu = function(cupy.asarray(target), cupy.asarray(pred), 4)
        np.testing.assert_allclose(cupy.asnumpy(on_gpu), function(target, pred, 4))
    assert mean_iou(cupy.asarray(target), cupy.asarray(pred), 4) == pytest.approx(
        mean_iou(target, pred, 4))
