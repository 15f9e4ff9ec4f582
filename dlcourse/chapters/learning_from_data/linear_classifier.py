"""Parametric linear models: class scores ``Wx + b``, softmax classifier, logistic regression.

A *parametric* model squeezes what it learned from the training set into parameters
``theta = (W, b)``; afterwards the training set can be thrown away (k-NN must keep it).

* The score of class ``c`` is ``s_c = w_c . x + b_c`` (row ``c`` of ``W``).  In 2-D,
  ``s_c = 0`` is a line, the class's *hyperplane*; the score grows with the signed distance
  from it, ``s_c / ||w_c||``.  The prediction is the class with the largest score.
* Softmax turns scores into probabilities; the *cross-entropy* with the true label is the
  loss; gradient descent lowers it.  With two classes and one score this is *logistic
  regression*: ``P(y = 1 | x) = sigmoid(w . x + b)``.

Every forward and backward step uses the engine's :mod:`dlcourse.nn.functional`.
"""

from __future__ import annotations

import math

from dlcourse._validate import check_array, check_positive
from dlcourse.backend import array_module, default_rng
from dlcourse.nn import functional as F

__all__ = ["LogisticRegression", "SoftmaxClassifier", "binary_entropy", "cross_entropy_between",
           "entropy", "linear_regression", "signed_distances"]


# --- information: entropy and cross-entropy of probability vectors -----------------------

def _xlogy(x, y, base: float):
    """``x * log_base(y)`` with the convention ``0 * log(0) = 0``."""
    xp = array_module(x, y)
    safe = xp.where(x == 0, 1.0, y)                         # log is never taken of 0 where x = 0
    return xp.where(x == 0, 0.0, x * xp.log(safe)) / math.log(base)


def entropy(p, *, base: float = math.e, axis: int = -1):
    """Entropy ``H(p) = -sum_t p_t log p_t`` of probability vectors along ``axis``.

    ``base=2`` measures in bits, the default ``e`` in nats (the unit of the loss).

    >>> import numpy as np
    >>> float(entropy(np.array([0.5, 0.5]), base=2)), float(entropy(np.array([1.0, 0.0])))
    (1.0, 0.0)
    """
    check_array(p, "p", floating=True)
    return -_xlogy(p, p, base).sum(axis=axis) + 0.0          # + 0.0 turns -0.0 into 0.0


def cross_entropy_between(u, v, *, base: float = math.e, axis: int = -1):
    """Cross-entropy ``H(u, v) = -sum_t u_t log v_t`` of the true ``u`` and predicted ``v``.

    It is smallest, equal to ``H(u)``, when ``v = u``; with a one-hot ``u`` it is
    ``-log v_true``, the cross-entropy loss of one sample.

    >>> import numpy as np
    >>> round(float(cross_entropy_between(np.array([0.0, 1.0]), np.array([0.5, 0.5]))), 4)
    0.6931
    """
    check_array(u, "u", floating=True)
    check_array(v, "v", floating=True)
    if tuple(u.shape) != tuple(v.shape):
        raise ValueError(f"u has shape {tuple(u.shape)} but v has shape {tuple(v.shape)}")
    return -_xlogy(u, v, base).sum(axis=axis) + 0.0


def binary_entropy(p, *, base: float = 2.0):
    """Entropy of a coin with ``P(heads) = p``, i.e. ``H((p, 1 - p))``; 1 bit at ``p = 0.5``.

    This is the ``T = 2`` case: the curve rises from 0 at ``p = 0`` to its maximum at
    ``p = 0.5`` and falls back to 0 at ``p = 1``.

    >>> import numpy as np
    >>> binary_entropy(np.array([0.0, 0.5, 1.0])).tolist()
    [0.0, 1.0, 0.0]
    """
    check_array(p, "p", floating=True)
    xp = array_module(p)
    return entropy(xp.stack([p, 1 - p], axis=-1), base=base)


# --- regression: the continuous-output sibling ---------------------------------------------

def linear_regression(X, y):
    """Least-squares fit of ``y ~ X w + b``: the weight ``(d,)`` and the bias (a float).

    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0], [2.0]])
    >>> w, b = linear_regression(x, 2 * x[:, 0] + 3)
    >>> np.round(w, 6).tolist(), round(b, 6)
    ([2.0], 3.0)
    """
    check_array(X, "X", ndim=2, floating=True)
    check_array(y, "y", ndim=1, floating=True)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)} targets")
    xp = array_module(X, y)
    design = xp.concatenate([X, xp.ones((len(X), 1), dtype=X.dtype)], axis=1)  # (n, d + 1)
    solution = xp.linalg.lstsq(design, y, rcond=None)[0]
    return solution[:-1], float(solution[-1])


# --- classification -------------------------------------------------------------------------

def signed_distances(X, weight, bias):
    """Signed distance of each point to each class's hyperplane ``w_c . x + b_c = 0``.

    Equals the class score divided by ``||w_c||``: the score grows linearly with the
    distance, positive on the side ``w_c`` points to.

    Parameters
    ----------
    X : (n, d); weight : (C, d); bias : (C,)

    Returns
    -------
    ndarray, shape (n, C)

    >>> import numpy as np
    >>> signed_distances(np.array([[3.0, 4.0]]), np.array([[2.0, 0.0]]), np.array([-2.0]))
    array([[2.]])
    """
    xp = array_module(X, weight)
    return F.linear(X, weight, bias) / xp.linalg.norm(weight, axis=1)


def _check_xy(X, y):
    check_array(X, "X", ndim=2, floating=True)
    check_array(y, "y", ndim=1)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)} labels")


class _GradientDescentModel:
    """Shared by both classifiers: ``fit`` runs full-batch gradient descent on ``weight``
    and ``bias`` for ``epochs`` steps of size ``lr`` times the gradient."""

    def __init__(self, *, lr: float = 0.5, epochs: int = 200, init_scale: float = 0.01,
                 seed: int = 0):
        check_positive(lr, "lr")
        check_positive(epochs, "epochs")
        self.lr, self.epochs, self.init_scale, self.seed = lr, int(epochs), init_scale, seed

    def _fit(self, X, target, out_features: int):
        rng = default_rng(self.seed, like=X)
        xp = array_module(X)
        self.weight = (self.init_scale * rng.standard_normal((out_features, X.shape[1]))
                       ).astype(X.dtype)
        self.bias = xp.zeros(out_features, dtype=X.dtype)
        self.loss_history = []
        for _ in range(self.epochs):
            scores = F.linear(X, self.weight, self.bias)             # forward
            loss, dscores = self._loss_and_grad(scores, target)      # loss and dL/dscores
            _, dweight, dbias = F.linear_backward(dscores, X, self.weight, self.bias)
            self.weight -= self.lr * dweight                         # gradient step
            self.bias -= self.lr * dbias
            self.loss_history.append(float(loss))
        return self

    def score(self, X, y) -> float:
        """Accuracy on ``(X, y)``."""
        return float((self.predict(X) == y).mean())


class SoftmaxClassifier(_GradientDescentModel):
    """Multiclass linear classifier: scores ``X W^T + b``, softmax, cross-entropy loss.

    Parameters
    ----------
    lr : float
        Learning rate of gradient descent.
    epochs : int
        Number of full-batch steps.
    init_scale : float
        Standard deviation of the random initial weights (the biases start at 0).
    seed : int

    Attributes
    ----------
    weight : (C, d), bias : (C,)
        The learned ``W`` and ``b``; row ``c`` scores class ``c``.
    loss_history : list of float
        Training loss before each step.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]]); y = np.array([0, 1, 2])
    >>> model = SoftmaxClassifier(lr=0.5, epochs=100).fit(X, y)
    >>> model.predict(X).tolist(), model.loss_history[0] > model.loss_history[-1]
    ([0, 1, 2], True)
    """

    def fit(self, X, y):
        """Train on ``X`` ``(n, d)`` and labels ``y`` ``(n,)`` in ``0 .. C-1``."""
        _check_xy(X, y)
        return self._fit(X, y, int(y.max()) + 1)

    @staticmethod
    def _loss_and_grad(scores, y):
        return F.cross_entropy(scores, y), F.cross_entropy_backward(1.0, scores, y)

    def decision_function(self, X):
        """Class scores ``X W^T + b``, shape ``(n, C)``."""
        return F.linear(X, self.weight, self.bias)

    def predict_proba(self, X):
        """Softmax of the class scores, ``(n, C)``; rows sum to 1."""
        return F.softmax(self.decision_function(X), dim=1)

    def predict(self, X):
        """The class with the largest score, ``(n,)``."""
        return self.decision_function(X).argmax(axis=1)


class LogisticRegression(_GradientDescentModel):
    """Binary linear classifier: ``P(y = 1 | x) = sigmoid(w . x + b)``, binary cross-entropy.

    The softmax classifier with two classes says the same thing: ``softmax((s_0, s_1))_1 =
    sigmoid(s_1 - s_0)``, so one score, the difference, is enough.  Parameters and
    attributes as in :class:`SoftmaxClassifier`, with ``weight`` of shape ``(1, d)``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]]); y = np.array([0, 0, 1, 1])
    >>> LogisticRegression(epochs=50).fit(X, y).predict(X).tolist()
    [0, 0, 1, 1]
    """

    def fit(self, X, y):
        """Train on ``X`` ``(n, d)`` and labels ``y`` ``(n,)`` in ``{0, 1}``."""
        _check_xy(X, y)
        if not bool(((y == 0) | (y == 1)).all()):
            raise ValueError("LogisticRegression needs labels 0 and 1")
        return self._fit(X, y.astype(X.dtype)[:, None], 1)

    @staticmethod
    def _loss_and_grad(scores, target):
        return (F.binary_cross_entropy_with_logits(scores, target),
                F.binary_cross_entropy_with_logits_backward(1.0, scores, target))

    def decision_function(self, X):
        """The score ``w . x + b`` (the *logit*), shape ``(n,)``."""
        return F.linear(X, self.weight, self.bias)[:, 0]

    def predict_proba(self, X):
        """``P(y = 1 | x) = sigmoid(score)``, shape ``(n,)``."""
        return F.sigmoid(self.decision_function(X))

    def predict(self, X):
        """1 where the score is positive (probability above 1/2), else 0; ``(n,)``."""
        return (self.decision_function(X) > 0).astype(int)
