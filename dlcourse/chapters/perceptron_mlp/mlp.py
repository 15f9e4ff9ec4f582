"""Small multilayer perceptrons on 2-D toy data, built from :mod:`dlcourse.nn` modules.

An MLP stacks ``Linear -> activation`` blocks and ends in a ``Linear`` output layer:
one logit and a sigmoid cross-entropy for two classes, ``C`` logits and a softmax
cross-entropy for ``C`` classes.  Training is full-batch gradient descent with
:class:`dlcourse.optim.SGD`; one epoch is one forward, one backward, one step::

    logits = net(X)                       # (n, 1) or (n, C)
    history[epoch] = loss(logits, y)
    net.backward(loss_backward(1.0, logits, y))
    optimizer.step()

The same file holds the small experiments of the chapter that need a trained net: the
symmetry of hidden units after a constant initialisation, dead ReLUs after a large step,
and a recurrent cell's forward pass for comparison with feedforward and residual nets.

Examples
--------
>>> from dlcourse.data import moons, xor_truth_table
>>> run = train_xor_mlp(hidden=4, epochs=500, data=xor_truth_table())
>>> run.predict(run.X).tolist()
[0, 1, 1, 0]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from dlcourse import nn
from dlcourse._validate import check_array, check_non_negative, check_positive
from dlcourse.backend import array_module, to_numpy
from dlcourse.data import moons, xor_truth_table
from dlcourse.nn import functional as F
from dlcourse.optim import SGD

__all__ = [
    "DecisionGrid",
    "MLPRun",
    "decision_grid",
    "dead_unit_fraction",
    "dying_relu_demo",
    "hidden_unit_spread",
    "rnn_forward",
    "start_weights",
    "train_mlp",
    "train_mlp_frames",
    "train_xor_mlp",
    "train_xor_mlp_frames",
]

def start_weights(net, *, init_scale=1.0, init_constant=None):
    """Move an MLP's starting point: scale PyTorch's initial weights, or make them constant.

    Parameters
    ----------
    net : nn.Sequential, e.g. from :func:`dlcourse.nn.mlp`
    init_scale : float, keyword-only
        Factor on every initial weight and bias (PyTorch's default, uniform on
        ``±1/sqrt(fan_in)``): 1 keeps them, 0 starts every parameter at zero.
    init_constant : float, optional, keyword-only
        Start every weight and bias at this one value instead -- the symmetry problem:
        all hidden units of a layer then compute, and keep computing, the same thing.

    Returns
    -------
    net, changed in place.

    Examples
    --------
    >>> net = start_weights(nn.mlp(2, [4], 1, rng=0), init_constant=0.5)
    >>> {float(v) for p in net.parameters() for v in p.data.ravel()}
    {0.5}
    """
    check_non_negative(init_scale, "init_scale")
    for param in net.parameters():
        if init_constant is None:
            param.data *= init_scale
        else:
            param.data[...] = init_constant
    return net


def _loss_and_grad(logits, y):
    """Loss and dL/dlogits: sigmoid cross-entropy for one logit, softmax for several."""
    if logits.shape[1] == 1:
        target = y.astype(logits.dtype).reshape(-1, 1)
        return (F.binary_cross_entropy_with_logits(logits, target),
                F.binary_cross_entropy_with_logits_backward(1.0, logits, target))
    return F.cross_entropy(logits, y), F.cross_entropy_backward(1.0, logits, y)


@dataclass
class DecisionGrid:
    """A model's class probabilities on a regular grid over the data.

    Attributes
    ----------
    xs, ys : ndarray, shapes (R,) and (R,)
        Grid coordinates along the two input axes.
    proba : ndarray, shape (R, R, C)
        ``proba[i, j]`` are the class probabilities at the point ``(xs[j], ys[i])``.
    """

    xs: np.ndarray
    ys: np.ndarray
    proba: np.ndarray


def decision_grid(predict_proba, X, *, resolution=60, margin=0.5) -> DecisionGrid:
    """Evaluate ``predict_proba`` on a ``resolution x resolution`` grid covering ``X``.

    Parameters
    ----------
    predict_proba : callable
        ``(m, 2) array -> (m, C)`` class probabilities.
    X : ndarray, shape (n, 2)
        The data the grid should cover, plus ``margin`` on every side.

    Returns
    -------
    DecisionGrid

    Examples
    --------
    >>> import numpy as np
    >>> grid = decision_grid(lambda P: np.ones((len(P), 2)) / 2, np.zeros((3, 2)), resolution=5)
    >>> grid.proba.shape
    (5, 5, 2)
    """
    check_array(X, "X", ndim=2)
    check_positive(resolution, "resolution")
    X = to_numpy(X)
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs, ys = np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    points = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2).astype(X.dtype)
    proba = to_numpy(predict_proba(points))
    return DecisionGrid(xs, ys, proba.reshape(resolution, resolution, -1))


@dataclass
class MLPRun:
    """A trained MLP, its loss per epoch, its data and its decision grid.

    Attributes
    ----------
    net : nn.Sequential
    history : ndarray, shape (epochs,)
        Training loss *before* each epoch's update (``history[0]`` is the initial loss).
    X, y : ndarray
        The training data.
    grid : DecisionGrid
    epochs : int or None
        How many epochs the training runs: more than ``len(history)`` in a run that
        :func:`train_mlp_frames` yields while it trains.
    """

    net: nn.Sequential
    history: np.ndarray
    X: np.ndarray
    y: np.ndarray
    grid: DecisionGrid | None = None
    epochs: int | None = None

    @property
    def done(self) -> bool:
        """Whether the training is over (every epoch is in ``history``)."""
        return self.epochs is None or len(self.history) == self.epochs

    def predict_proba(self, X):
        """Class probabilities, shape ``(n, C)`` (two columns for a one-logit net)."""
        weight = self.net[0].weight
        xp = array_module(weight.data)                  # compute where the network lives
        logits = self.net(self.net.place(X).astype(weight.dtype, copy=False))
        if logits.shape[1] == 1:
            p = F.sigmoid(logits)
            return xp.concatenate([1 - p, p], axis=1)
        return F.softmax(logits, dim=1)

    def predict(self, X):
        """The most probable class of each row of ``X``, shape ``(n,)``."""
        return self.predict_proba(X).argmax(axis=1)

    @property
    def accuracy(self) -> float:
        """Fraction of training points classified correctly."""
        return float((to_numpy(self.predict(self.X)) == to_numpy(self.y)).mean())


def train_mlp(X, y, *, hidden_sizes=(4,), activation="tanh", lr=0.5, epochs=500,
              init_scale=1.0, init_constant=None, momentum=0.0, seed=0,
              grid_resolution=60) -> MLPRun:
    """Train an MLP classifier on ``(X, y)`` by full-batch gradient descent.

    Two classes get one output logit and a sigmoid cross-entropy; ``C > 2`` classes get
    ``C`` logits and a softmax cross-entropy -- the multiclass output layer.

    Parameters
    ----------
    X : ndarray, shape (n, d), float
    y : ndarray of int, shape (n,), classes ``0 .. C-1``
    hidden_sizes : sequence of int, keyword-only
    activation : str, keyword-only
        A key of :data:`dlcourse.nn.ACTIVATIONS`.
    lr, momentum : float, keyword-only
        Of :class:`dlcourse.optim.SGD`.
    epochs : int, keyword-only
    init_scale, init_constant : float, keyword-only
        See :func:`start_weights`.
    seed : int, keyword-only
    grid_resolution : int or None, keyword-only
        Size of the :class:`DecisionGrid` to compute for 2-D data (None: none).

    Returns
    -------
    MLPRun

    Examples
    --------
    >>> from dlcourse.data import blobs
    >>> X, y = blobs(60, centers=3, std=0.5)
    >>> run = train_mlp(X, y, hidden_sizes=[8], lr=0.1, epochs=200)
    >>> run.history.shape, run.accuracy
    ((200,), 1.0)
    """
    *_, run = train_mlp_frames(X, y, every=epochs, hidden_sizes=hidden_sizes,
                               activation=activation, lr=lr, epochs=epochs,
                               init_scale=init_scale, init_constant=init_constant,
                               momentum=momentum, seed=seed, grid_resolution=grid_resolution)
    return run


def train_mlp_frames(X, y, *, every=100, hidden_sizes=(4,), activation="tanh", lr=0.5,
                     epochs=500, init_scale=1.0, init_constant=None, momentum=0.0, seed=0,
                     grid_resolution=60) -> Iterator[MLPRun]:
    """:func:`train_mlp`, watched: an :class:`MLPRun` after every ``every`` epochs.

    The last run yielded, after epoch ``epochs``, is the one :func:`train_mlp` returns.
    Each earlier one has the loss history and the decision grid so far; its ``net`` is the
    network being trained, which changes when the next run is asked for.

    Parameters
    ----------
    every : int, keyword-only
        Epochs between two runs yielded.
    Others
        As in :func:`train_mlp`.

    Examples
    --------
    >>> from dlcourse.data import xor_truth_table
    >>> runs = train_mlp_frames(*xor_truth_table(), every=40, epochs=100)
    >>> [(len(run.history), run.done) for run in runs]
    [(40, False), (80, False), (100, True)]
    """
    check_array(X, "X", ndim=2, floating=True)
    check_array(y, "y", ndim=1)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)} labels")
    if y.dtype.kind not in "iu":
        raise TypeError(f"y must hold integer class labels, got dtype {y.dtype}")
    check_positive(epochs, "epochs")
    check_positive(every, "every")
    num_classes = max(int(y.max()) + 1, 2)
    net = nn.mlp(X.shape[1], hidden_sizes, 1 if num_classes == 2 else num_classes,
                 activation=activation, rng=seed, dtype=X.dtype)
    start_weights(net, init_scale=init_scale, init_constant=init_constant)
    X, y = net.place(X, y)                           # the data go where the network lives
    optimizer = SGD(net.parameters(), lr=lr, momentum=momentum)
    history = array_module(X).empty(epochs, dtype=X.dtype)   # on X's device: no sync per epoch
    for epoch in range(epochs):
        optimizer.zero_grad()
        logits = net(X)
        loss, dlogits = _loss_and_grad(logits, y)
        history[epoch] = loss
        net.backward(dlogits)
        optimizer.step()
        if (epoch + 1) % every == 0 or epoch + 1 == epochs:
            run = MLPRun(net, to_numpy(history[:epoch + 1]).astype(np.float64), X, y,
                         epochs=epochs)
            if grid_resolution is not None and X.shape[1] == 2:
                run.grid = decision_grid(run.predict_proba, X, resolution=grid_resolution)
            yield run


def train_xor_mlp(hidden=4, activation="tanh", lr=0.5, epochs=500, init_scale=1.0, seed=0,
                  data=None) -> MLPRun:
    """Train a one-hidden-layer MLP on XOR: the network a single perceptron cannot replace.

    Parameters
    ----------
    hidden : int
        Number of hidden units (2 is the minimum that can solve XOR).
    activation, lr, epochs, init_scale, seed
        As in :func:`train_mlp`.
    data : (X, y), optional
        Training data; the four points of the XOR truth table by default.

    Returns
    -------
    MLPRun
        With ``history`` (loss per epoch), ``predict``/``predict_proba`` and ``grid``.

    Examples
    --------
    >>> run = train_xor_mlp(hidden=4, activation="identity")   # no nonlinearity: stuck
    >>> round(float(run.history[-1]), 4)                        # log 2, a coin flip
    0.6931
    """
    *_, run = train_xor_mlp_frames(hidden, activation, lr, epochs, init_scale, seed,
                                   data=data, every=epochs)
    return run


def train_xor_mlp_frames(hidden=4, activation="tanh", lr=0.5, epochs=500, init_scale=1.0,
                         seed=0, data=None, *, every=100) -> Iterator[MLPRun]:
    """:func:`train_xor_mlp`, watched: its run after every ``every`` epochs and after the
    last, as :func:`train_mlp_frames` yields them.

    Examples
    --------
    >>> runs = list(train_xor_mlp_frames(epochs=250))
    >>> [len(run.history) for run in runs], runs[-1].accuracy
    ([100, 200, 250], 1.0)
    """
    check_positive(hidden, "hidden")
    X, y = xor_truth_table() if data is None else data
    return train_mlp_frames(X, y, every=every, hidden_sizes=(hidden,), activation=activation,
                            lr=lr, epochs=epochs, init_scale=init_scale, seed=seed)


def hidden_unit_spread(net) -> float:
    """Largest difference between any two hidden units of the first layer.

    Each unit ``j`` is the row ``(w_j, b_j)`` of the first Linear layer; the result is
    ``max_j max |row_j - row_0|``.  It is 0 exactly when every hidden unit is a copy of the
    first -- then the layer computes one feature, however wide it is.

    >>> hidden_unit_spread(start_weights(nn.mlp(2, [3], 1), init_scale=0.0))
    0.0
    """
    first = net[0]
    w, b = first.weight.data, first.bias.data
    units = array_module(w).concatenate([w, b[:, None]], axis=1)
    return float(abs(units - units[:1]).max())


def dead_unit_fraction(net, X) -> float:
    """Fraction of the first hidden layer's ReLU units that output 0 for every row of ``X``.

    A dead unit gets zero gradient from every sample, so gradient descent cannot revive it.

    >>> import numpy as np
    >>> net = nn.mlp(2, [4], 1, activation="relu")
    >>> net[0].bias.data[...] = -100.0             # pushed far below zero: all dead
    >>> dead_unit_fraction(net, np.ones((5, 2), dtype=np.float32))
    1.0
    """
    check_array(X, "X", ndim=2, floating=True)
    h = F.relu(net[0](X))                           # (n, hidden)
    return float((h == 0).all(axis=0).mean())


def dying_relu_demo(lr, *, steps=5, hidden=200, seed=0, data=None) -> tuple[float, float]:
    """Dead ReLU fraction before and after ``steps`` full-batch SGD steps with rate ``lr``.

    Too large a step moves some units' weights and biases so far that ``w . x + b < 0``
    for every input: those units are dead for good.

    Parameters
    ----------
    lr : float
    steps, hidden : int, keyword-only
    seed : int, keyword-only
    data : (X, y), optional
        Two-class data; by default 200 points of :func:`dlcourse.data.moons`.

    Returns
    -------
    (before, after) : tuple of float

    Examples
    --------
    >>> before, after = dying_relu_demo(0.1)
    >>> before == after
    True
    """
    X, y = moons(200, noise=0.1, seed=seed) if data is None else data
    net = nn.mlp(X.shape[1], [hidden], 1, activation="relu", rng=seed, dtype=X.dtype)
    X, y = net.place(X, y)
    before = dead_unit_fraction(net, X)
    optimizer = SGD(net.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        _, dlogits = _loss_and_grad(net(X), y)
        net.backward(dlogits)
        optimizer.step()
    return before, dead_unit_fraction(net, X)


def rnn_forward(x, w_ih, w_hh, b, h0=None):
    """Forward pass of a simple (Elman) recurrent layer: ``h_t = tanh(W x_t + U h_{t-1} + b)``.

    The same weights are used at every time step; the hidden state carries memory.
    (A feedforward layer computes ``y = f(x)``, a residual one ``y = x + f(x)``.)

    Parameters
    ----------
    x : ndarray, shape (T, N, d)
        A batch of ``N`` sequences of length ``T`` (torch's ``nn.RNN`` layout).
    w_ih : ndarray, shape (H, d)
        ``W``, input-to-hidden weights.
    w_hh : ndarray, shape (H, H)
        ``U``, hidden-to-hidden weights.
    b : ndarray, shape (H,)
    h0 : ndarray, shape (N, H), optional
        Initial state, zeros by default.

    Returns
    -------
    ndarray, shape (T, N, H)
        The hidden state after every step.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((3, 1, 1))                      # one sequence, 3 steps, 1 feature
    >>> h = rnn_forward(x, np.ones((1, 1)), np.ones((1, 1)), np.zeros(1))
    >>> h[:, 0, 0].round(3).tolist()                # the state accumulates over time
    [0.762, 0.943, 0.96]
    """
    check_array(x, "x", ndim=3, floating=True)
    check_array(w_ih, "w_ih", ndim=2)
    check_array(w_hh, "w_hh", ndim=2)
    if w_ih.shape[1] != x.shape[2]:
        raise ValueError(f"x has {x.shape[2]} features but w_ih expects {w_ih.shape[1]}")
    if w_hh.shape != (w_ih.shape[0], w_ih.shape[0]):
        raise ValueError(f"w_hh must have shape {(w_ih.shape[0],) * 2}, got {w_hh.shape}")
    xp = array_module(x)
    h = xp.zeros((x.shape[1], w_ih.shape[0]), dtype=x.dtype) if h0 is None else h0
    states = []
    for x_t in x:
        h = F.tanh(F.linear(x_t, w_ih, b) + F.linear(h, w_hh))
        states.append(h)
    return xp.stack(states)
