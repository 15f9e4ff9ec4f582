"""Chapter 12 demos: 2-D / 2.5-D / 3-D CNN inputs, agreement between annotators, fairness.

>>> rows = cnn_dimensionality_table(out_channels=32)
>>> [row.params for row in rows]  # 3x3 on 1 slice, on 3 slices, on 3 planes; 3x3x3 on the volume
[320, 896, 896, 896]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dlcourse import sizing
from dlcourse.metrics import dice_per_class, iou_per_class


class DimRow(NamedTuple):
    """One way to feed a CT/MR volume ``(D, H, W)`` to a CNN."""

    name: str
    input_shape: tuple[int, ...]   # what one forward pass sees (torch layout, batch 1)
    weight_shape: tuple[int, ...]  # the first layer's weight
    params: int                    # weights + biases of the first layer (counted by torch)
    passes: int                    # forward passes to cover the whole volume
    output_shape: tuple[int, ...]  # output of one pass ('same' padding)


def cnn_dimensionality_table(depth: int = 64, height: int = 128, width: int = 128, *,
                             out_channels: int = 32, kernel_size: int = 3,
                             patch: int = 32) -> list[DimRow]:
    """First conv layer of a 2-D, two 2.5-D and a 3-D CNN on a ``depth x height x width`` volume.

    2-D: each slice alone, ``(1, 1, H, W)``; 2.5-D by adjacent slices: a slice and its two
    neighbours stacked as 3 channels, ``(1, 3, H, W)``, one pass per slice; 2.5-D by
    orthogonal planes (the notes' definition): the axial, coronal and sagittal ``patch x patch``
    patches through one voxel as 3 channels, ``(1, 3, patch, patch)``, one pass per voxel to
    classify; 3-D: the whole volume with a ``k x k x k`` kernel, ``(1, 1, D, H, W)``.
    Parameters are counted on ``torch.nn.Conv2d`` / ``Conv3d``.
    """
    import torch

    k, pad = kernel_size, sizing.same_padding(kernel_size)
    layers = [("2-D (slice by slice)", torch.nn.Conv2d(1, out_channels, k, padding=pad),
               (1, 1, height, width), depth),
              ("2.5-D adjacent (3 slices as channels)",
               torch.nn.Conv2d(3, out_channels, k, padding=pad), (1, 3, height, width), depth),
              ("2.5-D orthogonal (3 planes; notes')",
               torch.nn.Conv2d(3, out_channels, k, padding=pad), (1, 3, patch, patch),
               depth * height * width),
              ("3-D (volume)", torch.nn.Conv3d(1, out_channels, k, padding=pad),
               (1, 1, depth, height, width), 1)]
    rows = []
    for name, layer, shape, passes in layers:
        spatial = tuple(sizing.conv_output_size(n, k, padding=pad) for n in shape[2:])
        rows.append(DimRow(name, shape, tuple(layer.weight.shape),
                           sum(p.numel() for p in layer.parameters()), passes,
                           (1, out_channels, *spatial)))
    return rows


def ball_and_tube(depth: int = 24, size: int = 32) -> np.ndarray:
    """A synthetic scan ``(depth, size, size)``: a bright ball (a lesion) and a tube (a vessel)
    running through all slices, on a dark background; float64 in [0, 1]."""
    z, y, x = np.mgrid[:depth, :size, :size]
    ball = ((z - depth / 2) / (depth / 5)) ** 2 + ((y - size / 2) ** 2 + (x - size / 3) ** 2) \
        / (size / 6) ** 2 < 1
    tube = (y - size / 3) ** 2 + (x - 0.75 * size + 0.2 * (z - depth / 2)) ** 2 < (size / 12) ** 2
    return np.where(ball | tube, 0.9, 0.1)


def inputs_25d(volume, z: int, y: int, x: int) -> dict[str, np.ndarray]:
    """Both 2.5-D inputs for the voxel ``(z, y, x)`` of a volume ``(D, H, W)``.

    Returns ``{"axial": (H, W), "coronal": (D, W), "sagittal": (D, H), "adjacent": (3, H, W)}``:
    the three orthogonal planes through the voxel (the notes' 2.5-D) and slices z - 1, z, z + 1
    (the other 2.5-D; an edge slice repeats where a neighbour is missing).

    >>> parts = inputs_25d(np.zeros((4, 5, 6)), 0, 1, 2)
    >>> {name: part.shape for name, part in parts.items()}
    {'axial': (5, 6), 'coronal': (4, 6), 'sagittal': (4, 5), 'adjacent': (3, 5, 6)}
    """
    volume = np.asarray(volume)
    if volume.ndim != 3:
        raise ValueError(f"volume must be (D, H, W), got shape {volume.shape}")
    if not all(0 <= i < n for i, n in zip((z, y, x), volume.shape, strict=True)):
        raise ValueError(f"voxel {(z, y, x)} lies outside a volume of shape {volume.shape}")
    slab = np.clip([z - 1, z, z + 1], 0, volume.shape[0] - 1)
    return {"axial": volume[z], "coronal": volume[:, y], "sagittal": volume[:, :, x],
            "adjacent": volume[slab]}


def two_annotators(seed: int = 0, *, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Two binary masks of the same synthetic lesion: a careful and a hasty annotator.

    The careful one traces the shape; the hasty one draws it one pixel too large on some
    sides and misses a small part, as real annotators disagree at boundaries.
    """
    from dlcourse.data import shapes_segmentation

    _, masks = shapes_segmentation(1, size=size, max_shapes=1, seed=seed)
    careful = masks[0] > 0
    hasty = careful.copy()
    hasty[:, 1:] |= careful[:, :-1]            # one pixel wider to the right
    hasty[1:, :] |= careful[:-1, :]            # and one pixel lower
    rows = np.flatnonzero(careful.any(axis=1))
    hasty[rows[0]:rows[0] + 2] = False         # misses the top two rows
    return careful.astype(np.int64), hasty.astype(np.int64)


def agreement(mask_a, mask_b) -> dict:
    """Dice, IoU and Cohen's kappa between two binary masks (kappa: chance-corrected)."""
    a, b = np.asarray(mask_a).astype(np.int64), np.asarray(mask_b).astype(np.int64)
    if a.shape != b.shape:
        raise ValueError(f"masks differ in shape: {a.shape} vs {b.shape}")
    observed = float((a == b).mean())
    pa, pb = a.mean(), b.mean()
    chance = float(pa * pb + (1 - pa) * (1 - pb))
    kappa = (observed - chance) / (1 - chance) if chance < 1 else 1.0
    return {"dice": float(dice_per_class(a, b, 2)[1]), "iou": float(iou_per_class(a, b, 2)[1]),
            "pixel_agreement": observed, "kappa": float(kappa)}


def subgroup_accuracy(y_true, y_pred, groups) -> dict:
    """Accuracy and size of every subgroup, plus the gap between the best and the worst."""
    y_true, y_pred, groups = map(np.asarray, (y_true, y_pred, groups))
    result = {str(g): {"n": int((groups == g).sum()),
                       "accuracy": float((y_true[groups == g] == y_pred[groups == g]).mean())}
              for g in np.unique(groups)}
    accuracies = [r["accuracy"] for r in result.values()]
    result["gap"] = max(accuracies) - min(accuracies)
    return result


def fairness_demo(*, minority_fraction: float = 0.03, seed: int = 0) -> dict:
    """Digits from two 'scanners': B (images one pixel to the right) is rare in training.

    A logistic-regression classifier is trained on a split where only ``minority_fraction``
    of the images come from scanner B, then tested on a balanced set: the overall accuracy
    hides that group B is served much worse.
    """
    from sklearn.linear_model import LogisticRegression

    from dlcourse.data import digits

    X, y = digits(flatten=True, normalize=False)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X))
    X, y = X[order], y[order]
    n_test = len(X) // 3
    groups = np.where(rng.random(len(X)) < 0.5, "B", "A")
    train = np.arange(n_test, len(X))
    groups[train] = np.where(rng.random(len(train)) < minority_fraction, "B", "A")
    X = X / X.max()
    scanner_b = groups == "B"  # scanner B places the digit one pixel further right
    X[scanner_b] = np.roll(X[scanner_b].reshape(-1, 8, 8), 1, axis=2).reshape(-1, 64)
    model = LogisticRegression(max_iter=300).fit(X[train], y[train])
    test = np.arange(n_test)
    scores = subgroup_accuracy(y[test], model.predict(X[test]), groups[test])
    scores["overall"] = float((model.predict(X[test]) == y[test]).mean())
    scores["train_counts"] = {g: int((groups[train] == g).sum()) for g in ("A", "B")}
    return scores


def cam_masks(cams, fraction: float = 0.5) -> np.ndarray:
    """Turn class activation maps into masks: the pixels at or above ``fraction`` of each
    map's maximum.  An image-level label ("this is a 3") becomes a rough pixel mask -- weak
    supervision for segmentation.

    Parameters
    ----------
    cams : (N, H, W) array, already at the image's resolution
    fraction : float in (0, 1]

    Returns
    -------
    (N, H, W) bool array
    """
    cams = np.asarray(cams, dtype=np.float64)
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    return cams >= fraction * cams.max(axis=(1, 2), keepdims=True)


def mask_iou(pred, truth) -> np.ndarray:
    """IoU of two stacks of binary masks, one value per image: (N, H, W) -> (N,)."""
    pred, truth = np.asarray(pred, bool), np.asarray(truth, bool)
    union = (pred | truth).sum(axis=(1, 2))
    return np.where(union > 0, (pred & truth).sum(axis=(1, 2)) / np.maximum(union, 1), 1.0)


def autoencoder_anomaly(*, code_size: int = 8, unseen: int = 9, seed: int = 0) -> dict:
    """A linear autoencoder (PCA, learned without labels) on the digits except ``unseen``,
    used to flag the ``unseen`` digit by its reconstruction error -- the unsupervised route to
    medical anomalies (a lesion the healthy training scans never showed).

    Returns
    -------
    dict
        ``normal`` and ``anomalous`` (reconstruction errors of the held-out test digits, mean
        squared error per image) and ``auc`` (the probability that an anomalous digit has the
        larger error than a normal one, counted over all pairs).
    """
    from dlcourse.data import digits, train_val_test_split

    X, y = digits(flatten=True, seed=seed)
    (X_tr, y_tr), _, (X_te, y_te) = train_val_test_split(X.astype(np.float64), y, seed=seed)
    healthy = X_tr[y_tr != unseen]
    mean = healthy.mean(axis=0)
    _, _, vt = np.linalg.svd(healthy - mean, full_matrices=False)
    encoder = vt[:code_size]                       # (code_size, 64): encode, decode = its T

    def error(images):
        codes = (images - mean) @ encoder.T
        return ((codes @ encoder + mean - images) ** 2).mean(axis=1)

    normal, anomalous = error(X_te[y_te != unseen]), error(X_te[y_te == unseen])
    greater = (anomalous[:, None] > normal[None]).mean() + 0.5 * (anomalous[:, None]
                                                                 == normal[None]).mean()
    return dict(normal=normal, anomalous=anomalous, auc=float(greater))
