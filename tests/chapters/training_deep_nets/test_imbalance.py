"""Class weights, confusion matrices and balanced accuracy agree with scikit-learn."""

import numpy as np
import pytest
import torch
from sklearn.metrics import balanced_accuracy_score
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from sklearn.utils.class_weight import compute_class_weight

from dlcourse import data
from dlcourse.chapters.training_deep_nets import imbalance as im
from dlcourse.metrics import confusion_matrix
from dlcourse.nn import functional as F
from dlcourse.zoo import recipes

torch.set_num_threads(1)



def test_class_weights_equal_sklearn_balanced_weights():
    y = np.random.default_rng(0).choice(4, size=200, p=[0.7, 0.2, 0.07, 0.03])
    expected = compute_class_weight("balanced", classes=np.arange(4), y=y)
    np.testing.assert_allclose(im.class_weights(y, dtype="float64"), expected, rtol=1e-12)


def test_class_weights_of_an_absent_class_is_zero():
    assert im.class_weights(np.array([0, 0, 2]), 3).tolist() == [0.75, 0.0, 1.5]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_confusion_matrix_and_balanced_accuracy_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.integers(0, 5, 300), rng.integers(0, 5, 300)
    matrix = confusion_matrix(y_true, y_pred, 5)
    np.testing.assert_array_equal(matrix, sk_confusion_matrix(y_true, y_pred))
    assert im.balanced_accuracy(y_true, y_pred) == pytest.approx(
        balanced_accuracy_score(y_true, y_pred), rel=1e-12)


def test_balanced_accuracy_of_the_notebook_matrix_is_0_8542():
    # The notebook's answer cell: rows (50, 10) and (5, 35).  Rebuild the labels and ask
    # scikit-learn: recalls 50/60 and 35/40, mean 0.854166...
    y_true = np.repeat([0, 0, 1, 1], [50, 10, 5, 35])
    y_pred = np.repeat([0, 1, 0, 1], [50, 10, 5, 35])
    matrix = confusion_matrix(y_true, y_pred)
    assert matrix.tolist() == [[50, 10], [5, 35]]
    assert im.balanced_accuracy_from_confusion(matrix) == pytest.approx(
        balanced_accuracy_score(y_true, y_pred)) == pytest.approx(0.8542, abs=5e-5)
    assert im.accuracy_score(y_true, y_pred) == 0.85


def test_weighted_cross_entropy_with_class_weights_matches_torch():
    rng = np.random.default_rng(0)
    logits, y = rng.standard_normal((40, 3)), rng.choice(3, 40, p=[0.8, 0.15, 0.05])
    weight = im.class_weights(y, 3, dtype="float64")
    expected = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(y),
                                                 weight=torch.tensor(weight))
    assert float(F.cross_entropy(logits, y, weight=weight)) == pytest.approx(float(expected),
                                                                              rel=1e-10)


def test_mismatched_labels_are_refused():
    with pytest.raises(ValueError, match="non-empty"):
        im.class_weights(np.array([], dtype=int))


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_weights_and_oversampling_find_the_rare_class_that_plain_training_ignores():
    (X, y), _, (X_test, y_test) = recipes.digits_split()
    X, X_test = data.standardize(X.reshape(len(X), -1), X_test.reshape(len(X_test), -1))
    y, y_test = (y == 8).astype(np.int64), (y_test == 8).astype(np.int64)   # "is it an 8?"
    X, y = data.imbalance(X, y, [1.0, 0.1], seed=0)
    results = im.compare_strategies((X, y), (X_test, y_test), hidden=(16,), epochs=10)
    plain = results["plain"]
    assert plain["accuracy"] > 0.85                    # looks good ...
    assert plain["balanced_accuracy"] < 0.65          # ... but the 8s are mostly missed
    for name in ("class weights", "oversampling"):
        assert results[name]["balanced_accuracy"] > plain["balanced_accuracy"] + 0.1
        assert results[name]["confusion"].sum() == len(y_test)
