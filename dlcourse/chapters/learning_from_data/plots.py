"""Plots for chapter 01: tasks, image grids, decision regions, hyperplanes, searches, entropy.

Every function draws into the ``Axes`` or ``Figure`` it is given and returns it (the
``Figure`` drawers used by the panels return a one-line summary instead).

Examples
--------
>>> import numpy as np
>>> from matplotlib.figure import Figure
>>> from dlcourse.chapters.learning_from_data.knn import decision_grid
>>> X, y = np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1])
>>> grid = decision_grid(lambda p: (p.sum(1) > 1).astype(int), X, resolution=20)
>>> ax = plot_decision_regions(Figure().add_subplot(), grid, X, y)
>>> ax.get_title()
'Decision regions'
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle

from dlcourse.backend import to_numpy
from dlcourse.chapters.learning_from_data.linear_classifier import (
    binary_entropy,
    cross_entropy_between,
)
from dlcourse.ui.images import show_images  # noqa: F401  (the chapter's image grids)

__all__ = ["CLASS_COLORS", "knn_summary", "knn_title", "plot_bandit", "plot_budget_curve",
           "plot_clusters", "plot_decision_regions", "plot_entropy", "plot_explained_variance",
           "plot_feature_comparison", "plot_hog", "plot_hyperplanes", "plot_knn_demo",
           "plot_knn_search", "plot_logistic", "plot_multilabel_fits", "plot_probabilities",
           "plot_probability_map", "plot_regression", "plot_search", "plot_search_trials",
           "plot_tasks", "random_search_band", "search_labels", "search_summary",
           "search_title", "show_images"]

CLASS_COLORS = ("tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange",
                "tab:brown", "tab:pink", "tab:gray", "tab:olive", "tab:cyan")
"""Colour of class 0, 1, 2, ... in every plot of the chapter."""


def _scatter_classes(ax, X, y, *, hollow: bool = False, label_prefix: str = "class ",
                     class_names=None, size: float = 18):
    X, y = to_numpy(X), to_numpy(y)
    for c in np.unique(y):
        name = class_names[c] if class_names is not None else f"{label_prefix}{c}"
        color = CLASS_COLORS[int(c) % len(CLASS_COLORS)]
        style = (dict(facecolors="none", edgecolors=color) if hollow
                 else dict(color=color, edgecolors="white", linewidths=0.4))
        ax.scatter(*X[y == c].T, s=size, label=name, **style)


def plot_decision_regions(ax, grid, X=None, y=None, *, title: str = "Decision regions",
                          class_names=None, legend: bool = True):
    """Colour the plane by predicted class (a :class:`~.knn.DecisionGrid` of labels) and draw
    the labelled points ``X`` ``(n, 2)``, ``y`` ``(n,)`` on top."""
    values = to_numpy(grid.values)
    n_classes = int(max(values.max(), 0 if y is None else to_numpy(y).max())) + 1
    cmap = ListedColormap(CLASS_COLORS[:n_classes])
    xx, yy = to_numpy(grid.xx), to_numpy(grid.yy)
    # an image of the label grid: as exact as filled contours, and several times faster
    ax.imshow(values, cmap=cmap, alpha=0.25, vmin=-0.5, vmax=n_classes - 0.5, origin="lower",
              extent=(xx.min(), xx.max(), yy.min(), yy.max()), aspect="auto",
              interpolation="nearest")
    if X is not None:
        _scatter_classes(ax, X, y, class_names=class_names)
        if legend:
            ax.legend(loc="upper right", fontsize="small", framealpha=0.9)
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
    return ax


def plot_knn_demo(fig, demo) -> str:
    """Draw a :class:`dlcourse.chapters.learning_from_data.knn.KNNDemo`: regions, training points
    (filled) and validation points (hollow); return a summary with both accuracies."""
    ax = fig.add_subplot()
    plot_decision_regions(ax, demo.grid, legend=False, title=knn_title(demo))
    _scatter_classes(ax, demo.X_train, demo.y_train, label_prefix="train, class ")
    _scatter_classes(ax, demo.X_val, demo.y_val, hollow=True, label_prefix="validation, class ")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return knn_summary(demo)


def knn_title(demo) -> str:
    """The title of :func:`plot_knn_demo`: k and the metric."""
    return f"k-NN decision regions (k = {demo.k}, {demo.metric})"


def knn_summary(demo) -> str:
    """The summary of :func:`plot_knn_demo`: both accuracies."""
    return (f"training accuracy {demo.train_accuracy:.1%} · "
            f"validation accuracy {demo.val_accuracy:.1%}")


def plot_hyperplanes(ax, weight, bias, X, y, grid, *, title: str = "Linear classifier"):
    """Regions of ``argmax(Wx + b)`` and, per class ``c``, the line ``w_c . x + b_c = 0``
    (dashed) with an arrow along ``w_c``, the direction in which the class score grows."""
    plot_decision_regions(ax, grid, X, y, title=title, legend=False)
    weight, bias = to_numpy(weight), to_numpy(bias)
    xx, yy = to_numpy(grid.xx), to_numpy(grid.yy)
    centre = np.array([xx.mean(), yy.mean()])
    span = 0.12 * (xx.max() - xx.min())
    for c, (w, b) in enumerate(zip(weight, bias, strict=True)):
        color = CLASS_COLORS[c % len(CLASS_COLORS)]
        ax.contour(xx, yy, w[0] * xx + w[1] * yy + b, levels=[0.0], colors=[color],
                   linestyles="--", linewidths=1.5)
        # foot of the perpendicular from the centre onto the line, then the arrow from there
        foot = centre - (w @ centre + b) / (w @ w) * w
        if xx.min() < foot[0] < xx.max() and yy.min() < foot[1] < yy.max():
            ax.annotate("", xy=foot + span * w / np.linalg.norm(w), xytext=foot,
                        arrowprops=dict(arrowstyle="->", color=color, lw=2))
        ax.plot([], [], ls="--", color=color, label=f"$w_{c} x + b_{c} = 0$")
    ax.set(xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax


def plot_tasks(fig, image, label: str, scene, boxes, box_labels, mask, class_names):
    """Three panels: classification (one label per image), detection (a box and label per
    object) and semantic segmentation (a class per pixel)."""
    ax_cls, ax_det, ax_seg = fig.subplots(1, 3)
    ax_cls.imshow(to_numpy(image).squeeze(), cmap="gray_r", vmin=0.0, vmax=1.0)
    ax_cls.set_title(f"classification\n'{label}'")
    ax_det.imshow(to_numpy(scene).squeeze(), cmap="gray_r", vmin=0.0, vmax=1.0)
    for (x1, y1, x2, y2), c in zip(to_numpy(boxes), to_numpy(box_labels), strict=True):
        color = CLASS_COLORS[int(c) + 1]
        ax_det.add_patch(Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False,
                                   edgecolor=color, lw=2))
        ax_det.text(x1 - 0.5, y1 - 1.5, class_names[int(c) + 1], color=color, fontsize="small")
    ax_det.set_title("detection\nboxes + labels")
    mask = to_numpy(mask)
    cmap = ListedColormap(("white",) + CLASS_COLORS[1:len(class_names)])
    ax_seg.imshow(mask, cmap=cmap, vmin=-0.5, vmax=len(class_names) - 0.5)
    for c in np.unique(mask):
        ax_seg.plot([], [], "s", color=cmap(int(c)), markeredgecolor="0.5",
                    label=class_names[int(c)])
    ax_seg.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    ax_seg.set_title("segmentation\na class per pixel")
    for ax in (ax_cls, ax_det, ax_seg):
        ax.set(xticks=[], yticks=[])
    return fig


def plot_regression(ax, x, y, weight, bias, *, title: str = "Regression: a number per input"):
    """Points ``(x, y)`` and the fitted line ``y = weight * x + bias`` (1-D inputs)."""
    x, y = to_numpy(x).ravel(), to_numpy(y)
    line = np.linspace(x.min(), x.max(), 2)
    ax.scatter(x, y, s=14, color="tab:blue", label="data")
    ax.plot(line, float(to_numpy(weight).ravel()[0]) * line + bias, color="tab:red",
            label="least-squares line")
    ax.set(title=title, xlabel="input x", ylabel="target y")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_clusters(ax, X, result, *, title: str = "Clustering: groups without labels"):
    """Points coloured by their k-means cluster, with the centres as crosses."""
    _scatter_classes(ax, X, result.labels, label_prefix="cluster ")
    ax.scatter(*to_numpy(result.centers).T, marker="X", s=120, color="black", label="centres")
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
    ax.legend(loc="upper right", fontsize="small")
    return ax


_SEARCHES = (("grid", "s", "white"), ("random", "o", "tab:orange"))  # name, marker, colour


def search_title(comparison) -> str:
    """The title of :func:`plot_search_trials`: the budget and the objective's range."""
    values = to_numpy(comparison.landscape.values)
    return (f"{len(comparison.random.points)} trials each; score {values.min():.2f} (dark) "
            f"to {values.max():.2f} (yellow)")


def search_labels(comparison) -> list[str]:
    """The legend labels of :func:`plot_search_trials`: each search's best score."""
    return [f"{name}: best {getattr(comparison, name).best_score:.3f}"
            for name, _, _ in _SEARCHES]


def plot_search_trials(ax, comparison):
    """The objective as a contour map with the grid's and the random search's trials."""
    land = comparison.landscape
    xx, yy = to_numpy(land.xx), to_numpy(land.yy)
    ax.imshow(to_numpy(land.values), origin="lower", cmap="viridis", aspect="auto",
              extent=(xx.min(), xx.max(), yy.min(), yy.max()))
    for (name, marker, color), label in zip(_SEARCHES, search_labels(comparison), strict=True):
        ax.scatter(*getattr(comparison, name).points.T, marker=marker, s=28, color=color,
                   edgecolors="black", linewidths=0.5, label=label)
    ax.set(title=search_title(comparison), xlabel="important parameter",
           ylabel="unimportant parameter", xlim=(-0.04, 1.04), ylim=(-0.04, 1.04))
    ax.locator_params(nbins=5)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
    return ax


def random_search_band(ax, curve):
    """The 10-90 % band of random search's best score over repeated runs, in ``ax``."""
    return ax.fill_between(curve.budgets, curve.random_low, curve.random_high,
                           color="tab:orange", alpha=0.25, label="random search (10-90 %)")


def plot_budget_curve(ax, curve, budget: int | None = None):
    """Best score found against the budget: grid search and random search (mean and the
    10-90 % band over repeated runs)."""
    ax.plot(curve.budgets, curve.grid, color="black", drawstyle="steps-post", label="grid search")
    ax.plot(curve.budgets, curve.random_mean, color="tab:orange", label="random search (mean)")
    random_search_band(ax, curve)
    if budget is not None:
        ax.axvline(budget, color="0.5", ls=":", label=f"budget = {budget}")
    ax.set(title="Best score found vs budget", xlabel="budget (number of trials)",
           ylabel="best validation score")
    ax.locator_params(nbins=5)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def search_summary(comparison) -> str:
    """The summary of :func:`plot_search`: trials, distinct important values, best scores."""
    g, r = comparison.grid, comparison.random
    return (f"grid: {len(g.points)} trials, {len(np.unique(g.points[:, 0]))} distinct values of "
            f"the important parameter, best {g.best_score:.3f} · random: {len(r.points)} trials, "
            f"{len(np.unique(r.points[:, 0]))} distinct values, best {r.best_score:.3f}")


def plot_search(fig, comparison) -> str:
    """Panel drawer: trials on the landscape (left), best score vs budget (right)."""
    ax_trials, ax_curve = fig.subplots(1, 2)
    plot_search_trials(ax_trials, comparison)
    plot_budget_curve(ax_curve, comparison.curve, len(comparison.random.points))
    values = to_numpy(comparison.landscape.values)      # every best score lies in its range
    low, high = values.min(), values.max()
    ax_curve.set_ylim(low - 0.05 * (high - low), high + 0.05 * (high - low))
    return search_summary(comparison)


def plot_knn_search(ax, search):
    """Validation accuracy against k, one line per distance metric; the best is starred."""
    for i, metric in enumerate(search.metrics):
        ax.plot(search.ks, search.accuracy[i], marker="o", label=metric)
    k, metric = search.best
    ax.plot(k, search.accuracy[search.metrics.index(metric), search.ks.index(k)], marker="*",
            ms=16, color="gold", markeredgecolor="black", ls="none",
            label=f"best: k = {k}, {metric}")
    ax.set(title="k-NN hyperparameter search on the validation set", xlabel="k",
           ylabel="validation accuracy", xticks=search.ks)
    ax.legend(loc="lower left", fontsize="small")
    return ax


def plot_feature_comparison(ax, table):
    """Horizontal bars of ``{name: (dimension, accuracy)}``."""
    names = list(table)
    accuracy = [table[n][1] for n in names]
    bars = ax.barh(names, accuracy, color="tab:blue")
    for bar, name in zip(bars, names, strict=True):
        ax.text(bar.get_width() - 0.002, bar.get_y() + bar.get_height() / 2,
                f"{table[name][1]:.1%} ({table[name][0]} dims)", va="center", ha="right",
                color="white", fontsize="small")
    low = min(accuracy)
    ax.set(title="k-NN validation accuracy by feature", xlabel="validation accuracy",
           xlim=(max(0.0, low - 0.1), 1.0))
    ax.invert_yaxis()
    return ax


def plot_explained_variance(ax, pca):
    """Cumulative share of the variance kept by the first ``n`` principal components."""
    ratio = np.cumsum(to_numpy(pca.explained_variance_ratio_))
    n = np.arange(1, len(ratio) + 1)
    ax.plot(n, ratio, marker=".", label="cumulative explained variance")
    for share in (0.8, 0.95):
        needed = int(np.searchsorted(ratio, share) + 1)
        ax.axhline(share, color="0.7", ls=":")
        ax.annotate(f"{share:.0%} with {needed} components", (needed, share),
                    xytext=(8, -14), textcoords="offset points", fontsize="small")
    ax.set(title="PCA: how many directions are needed", xlabel="number of components",
           ylabel="share of the variance", ylim=(0, 1.02))
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_probabilities(ax, rows, class_names, *, title: str = "Softmax outputs"):
    """Grouped bars: ``rows`` maps a label (e.g. ``"softmax(10 x)"``) to a probability vector."""
    width = 0.8 / len(rows)
    positions = np.arange(len(class_names))
    for i, (label, p) in enumerate(rows.items()):
        ax.bar(positions + (i - (len(rows) - 1) / 2) * width, to_numpy(p), width, label=label)
    ax.set_xticks(positions, class_names)
    ax.set(title=title, xlabel="class", ylabel="probability", ylim=(0, 1.05))
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_entropy(ax):
    """Binary entropy ``H(p)`` in bits and the cross-entropy ``H(u, v)`` for ``u = (1, 0)``
    against the predicted ``v = (p, 1 - p)`` (in nats): the ``T = 2`` pictures."""
    p = np.linspace(0.0, 1.0, 401)
    both = np.stack([p, 1 - p], axis=1)
    truth = np.broadcast_to([1.0, 0.0], both.shape)
    with np.errstate(divide="ignore"):
        ce = cross_entropy_between(truth, both)
    ax.plot(p, binary_entropy(p), label="entropy $H((p, 1-p))$ [bits]")
    ax.plot(p, ce, label="cross-entropy $H((1, 0), (p, 1-p))$ [nats]")
    ax.plot(0.5, 1.0, "o", color="tab:blue")
    ax.annotate("H(0.5) = 1 bit", (0.5, 1.0), xytext=(0, 8), textcoords="offset points",
                ha="center", fontsize="small")
    ax.set(title="Entropy and cross-entropy for T = 2 classes", xlabel="p",
           ylabel="H", ylim=(0, 4))
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_bandit(ax, runs):
    """Average reward so far against the step, one line per run (``{label: BanditRun}``),
    with the best arm's true mean as the ceiling."""
    for label, run in runs.items():
        steps = np.arange(1, len(run.rewards) + 1)
        ax.plot(steps, np.cumsum(run.rewards) / steps, label=label)
    best = max(float(run.true_means.max()) for run in runs.values())
    ax.axhline(best, color="0.4", ls="--", label="best arm's mean reward")
    ax.set(title="Reinforcement learning: a bandit learns from rewards", xlabel="step",
           ylabel="average reward so far")
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_probability_map(ax, grid, X, y, *, title: str = "Logistic regression: P(class 1 | x)"):
    """Colour the plane by a probability in [0, 1] (a :class:`~.knn.DecisionGrid`), draw its
    0.5 contour (the decision boundary) and the labelled points."""
    xx, yy, values = to_numpy(grid.xx), to_numpy(grid.yy), to_numpy(grid.values)
    image = ax.imshow(values, origin="lower", cmap="coolwarm", vmin=0.0, vmax=1.0, alpha=0.35,
                      extent=(xx.min(), xx.max(), yy.min(), yy.max()), aspect="auto")
    ax.figure.colorbar(image, ax=ax, label="P(class 1 | x)")
    ax.contour(xx, yy, values, levels=[0.5], colors="black", linewidths=1.5)
    _scatter_classes(ax, X, y)
    ax.plot([], [], color="black", label="P = 0.5 (boundary)")
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_hog(ax, image, descriptor, *, cell_size: int, bins: int,
             title: str = "HoG: gradient orientations per cell"):
    """The image with, in each cell, one line per orientation bin along the *edge* direction
    (perpendicular to the gradient), its length the bin's share of the cell's votes."""
    image = to_numpy(image).squeeze()
    ax.imshow(image, cmap="gray_r", vmin=0.0, vmax=1.0, alpha=0.5)
    h, w = image.shape
    hist = to_numpy(descriptor).reshape(h // cell_size, w // cell_size, bins)
    hist = hist / max(hist.max(), 1e-12)
    angles = (np.arange(bins) + 0.5) * np.pi / bins + np.pi / 2      # edge = gradient + 90 deg
    half = 0.5 * cell_size * hist[..., None] * np.stack([np.cos(angles), np.sin(angles)], -1)
    for r in range(hist.shape[0]):
        for c in range(hist.shape[1]):
            centre = np.array([(c + 0.5) * cell_size - 0.5, (r + 0.5) * cell_size - 0.5])
            for dx, dy in half[r, c]:
                ax.plot([centre[0] - dx, centre[0] + dx], [centre[1] - dy, centre[1] + dy],
                        color="tab:red", lw=1.2)
    ax.set(title=title, xticks=[], yticks=[], xlabel=f"{cell_size}x{cell_size} cells, {bins} bins")
    return ax


def plot_logistic(fig, model, X, y, grid):
    """Three panels for logistic regression: the sigmoid, ``P(class 1 | x)`` over the plane
    (``grid`` of ``model.predict_proba``) and the training loss."""
    ax_sig, ax_map, ax_loss = fig.subplots(1, 3, width_ratios=(1.0, 1.3, 1.0))
    z = np.linspace(-6.0, 6.0, 241)
    ax_sig.plot(z, 1 / (1 + np.exp(-z)), label=r"$\sigma(z) = 1 / (1 + e^{-z})$")
    ax_sig.axhline(0.5, color="0.7", ls=":")
    ax_sig.set(title="The sigmoid squashes a score into (0, 1)", xlabel="score z = w x + b",
               ylabel=r"$\sigma(z)$")
    ax_sig.legend(loc="upper left", fontsize="small")
    plot_probability_map(ax_map, grid, X, y)
    losses = np.asarray(model.loss_history)
    ax_loss.plot(np.arange(1, len(losses) + 1), losses)
    ax_loss.set(title="Training loss (gradient descent)", xlabel="epoch",
                ylabel="binary cross-entropy", ylim=(0, None))
    return fig


def plot_multilabel_fits(fig, fits, class_names, *, present=()):
    """One panel per head: each class's probability over the gradient-descent steps.

    ``fits`` maps a title to a :class:`.multilabel.Fit`; ``present`` names the labels of the
    target (drawn solid, the absent ones dashed).  The 0.5 line is the usual decision threshold.
    """
    axes = np.atleast_1d(fig.subplots(1, len(fits), sharey=True))
    for ax, (title, fit) in zip(axes, fits.items(), strict=True):
        steps = np.arange(len(fit.losses))
        for c, name in enumerate(class_names):
            ax.plot(steps, fit.probabilities[:, c], color=CLASS_COLORS[c],
                    ls="-" if name in present else "--",
                    label=f"{name} ({'present' if name in present else 'absent'})")
        ax.axhline(0.5, color="black", lw=0.8, ls=":", label="threshold 0.5")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("gradient-descent step")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("predicted probability")
    axes[0].legend(fontsize="small", loc="center right")
    return axes

