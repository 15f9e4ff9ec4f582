"""Imbalanced classes: class weights, oversampling, the confusion matrix, balanced accuracy.

When one class is rare, plain accuracy flatters a model that ignores it: predicting
"majority" everywhere is right most of the time.  Two remedies change what the training
loss pays attention to -- weighting each class's loss by the inverse of its frequency
(:func:`class_weights`), or repeating the rare samples until the classes are equal
(:func:`dlcourse.data.oversample`) -- and one metric stops the flattery:
:func:`balanced_accuracy`, the mean of the per-class recalls, read off the
:func:`dlcourse.metrics.confusion_matrix`.

Examples
--------
>>> import numpy as np
>>> y_true = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
>>> y_pred = np.zeros(10, dtype=int)                  # always predict the majority class
>>> accuracy_score(y_true, y_pred), balanced_accuracy(y_true, y_pred)
(0.8, 0.5)
"""

from __future__ import annotations

import numpy as np

from dlcourse import data, metrics, nn, optim
from dlcourse.backend import array_module, to_numpy
from dlcourse.nn import CrossEntropyLoss
from dlcourse.train import fit, predict

__all__ = [
    "STRATEGIES",
    "accuracy_score",
    "balanced_accuracy",
    "balanced_accuracy_from_confusion",
    "class_weights",
    "compare_strategies",
    "per_class_recall",
]

#: The training strategies compared by :func:`compare_strategies`.
STRATEGIES = ("plain", "class weights", "oversampling")


def class_weights(y, num_classes: int | None = None, *, dtype="float32"):
    """Weight of each class: ``n / (C * n_c)`` -- rare classes weigh more.

    ``n`` samples, ``n_c`` of class ``c``, ``C`` classes present.  With these weights every
    class contributes the same total weight ``n / C`` to the loss (scikit-learn's
    ``class_weight="balanced"``).  Classes absent from ``y`` get weight 0.

    >>> class_weights(np.array([0, 0, 0, 1]), dtype="float64").round(4).tolist()
    [0.6667, 2.0]
    """
    y = to_numpy(y).astype(np.int64)
    if y.ndim != 1 or len(y) == 0:
        raise ValueError(f"y must be a non-empty 1-D array of labels, got shape {y.shape}")
    num_classes = int(y.max()) + 1 if num_classes is None else num_classes
    counts = np.bincount(y, minlength=num_classes).astype(np.float64)
    present = int((counts > 0).sum())
    weights = np.divide(len(y), present * counts, out=np.zeros(num_classes),
                        where=counts > 0)
    return weights.astype(dtype)


def per_class_recall(matrix) -> np.ndarray:
    """Recall of each class, ``C[i, i] / sum_j C[i, j]`` (NaN for a class with no samples).

    >>> per_class_recall(np.array([[8, 2], [1, 1]])).tolist()
    [0.8, 0.5]
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    support = matrix.sum(axis=1)
    return np.divide(np.diag(matrix), support, out=np.full(len(matrix), np.nan),
                     where=support > 0)


def balanced_accuracy_from_confusion(matrix) -> float:
    """Mean recall over the classes that occur (rows with at least one sample).

    >>> balanced_accuracy_from_confusion(np.array([[8, 2], [1, 1]]))
    0.65
    """
    return float(np.nanmean(per_class_recall(matrix)))


def balanced_accuracy(y_true, y_pred) -> float:
    """Mean per-class recall of the predictions (scikit-learn's ``balanced_accuracy_score``);
    the labels may live on either backend."""
    matrix = metrics.confusion_matrix(to_numpy(y_true), to_numpy(y_pred))
    return balanced_accuracy_from_confusion(matrix)


def accuracy_score(y_true, y_pred) -> float:
    """Fraction of correct predictions (what imbalance makes misleading).

    >>> accuracy_score(np.array([0, 1]), np.array([0, 0]))
    0.5
    """
    return float((to_numpy(y_true) == to_numpy(y_pred)).mean())


def compare_strategies(train, test, *, hidden=(32,), epochs: int = 20, lr: float = 0.05,
                       batch_size: int = 32, seed=0) -> dict:
    """Train the same MLP three ways on imbalanced ``train`` and score each on ``test``.

    ``"plain"``: ordinary cross-entropy; ``"class weights"``: cross-entropy weighted by
    :func:`class_weights`; ``"oversampling"``: ordinary cross-entropy on
    :func:`dlcourse.data.oversample` of the training set (same number of epochs, so this
    one sees more minibatches).

    Returns
    -------
    dict
        Per strategy a dict with ``confusion`` (matrix on ``test``), ``accuracy`` and
        ``balanced_accuracy``.
    """
    (X, y), (X_test, y_test) = train, test
    X, X_test = X.reshape(len(X), -1), X_test.reshape(len(X_test), -1)
    num_classes = int(max(to_numpy(y).max(), to_numpy(y_test).max())) + 1
    results = {}
    for strategy in STRATEGIES:
        X_fit, y_fit, weight = X, y, None
        if strategy == "class weights":
            weight = array_module(X).asarray(class_weights(y, num_classes))  # on X's device
        elif strategy == "oversampling":                 # resampled on the host
            X_host, y_host = data.oversample(to_numpy(X), to_numpy(y), seed=seed)
            X_fit, y_fit = array_module(X).asarray(X_host), array_module(y).asarray(y_host)
        model = nn.mlp(X.shape[1], hidden, num_classes, rng=seed)
        opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        fit(model, CrossEntropyLoss(weight=weight), opt, (X_fit, y_fit), epochs=epochs,
            batch_size=batch_size, seed=seed, progress=False)
        results[strategy] = _scores(model, X_test, y_test, num_classes)
    return results


def _scores(model: nn.Module, X, y, num_classes: int) -> dict:
    predicted, y = to_numpy(predict(model, X)).argmax(axis=1), to_numpy(y)  # scored on the host
    matrix = metrics.confusion_matrix(y, predicted, num_classes)
    return {"confusion": matrix, "accuracy": accuracy_score(y, predicted),
            "balanced_accuracy": balanced_accuracy_from_confusion(matrix)}
