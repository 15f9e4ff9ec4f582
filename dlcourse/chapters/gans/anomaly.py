"""A small GAN on 8x8 digits, and anomaly detection with it (AnoGAN-style).

The idea from medical imaging (e.g. retina scans): train a GAN on *normal* images only, so
its generator can only produce normal-looking images.  For a new image ``x`` search the
noise space for the generated image closest to it,

.. math::  z^* = \\arg\\min_z \\; \\lVert x - G(z) \\rVert_1,

by gradient descent on ``z`` (the networks stay fixed).  A normal image is reconstructed
well; an anomalous one is not, so the **residual** ``|x - G(z*)|`` -- its mean is the
anomaly score -- is large, and its map shows *where* the anomaly is.  The scores are judged
with a ROC curve and its area (AUC), written here from scratch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from dlcourse._validate import check_array, check_positive

__all__ = ["AnomalySplit", "DigitGan", "anomaly_split", "auc", "reconstruct", "roc_curve",
           "train_digit_gan"]


@dataclass
class DigitGan:
    """A trained digit GAN: torch ``generator`` (noise -> (N, 64) in [0, 1]),
    ``discriminator`` ((N, 64) -> logits), ``noise_dim``, losses per generator step."""

    generator: object
    discriminator: object
    noise_dim: int
    d_loss: list = field(default_factory=list)
    g_loss: list = field(default_factory=list)
    seconds: float = 0.0

    def sample(self, n: int, *, seed: int = 0) -> np.ndarray:
        """``n`` generated digits, ``(n, 64)`` float64."""
        import torch

        z = torch.randn(n, self.noise_dim, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            return self.generator(z).double().numpy()


@dataclass
class AnomalySplit:
    """``train`` (N, 64) normal digits only; ``test`` (M, 64) with ``labels`` (M,) 1 for an
    anomaly, 0 for a normal digit, and ``digits`` (M,) their classes."""

    train: np.ndarray
    test: np.ndarray
    labels: np.ndarray
    digits: np.ndarray


def anomaly_split(normal=(0,), *, test_fraction: float = 0.3, n_anomalies: int = 100,
                  seed: int = 0) -> AnomalySplit:
    """Split :func:`dlcourse.data.digits` for anomaly detection.

    The digits of the classes in ``normal`` are split into training and test images; the
    test set also gets ``n_anomalies`` digits of the other classes.

    >>> split = anomaly_split((0,), n_anomalies=10)
    >>> split.train.shape, int(split.labels.sum()), set(split.digits[split.labels == 0].tolist())
    ((125, 64), 10, {0})
    """
    from dlcourse.data import digits

    check_positive(n_anomalies, "n_anomalies")
    X, y = digits(flatten=True, seed=seed)
    is_normal = np.isin(y, np.asarray(normal))
    if not is_normal.any():
        raise ValueError(f"normal must name digit classes 0..9, got {normal!r}")
    normal_idx, other_idx = np.flatnonzero(is_normal), np.flatnonzero(~is_normal)
    n_test = int(round(test_fraction * len(normal_idx)))
    train_idx, test_normal = normal_idx[n_test:], normal_idx[:n_test]
    test_idx = np.concatenate([test_normal, other_idx[:n_anomalies]])
    labels = np.concatenate([np.zeros(len(test_normal), np.int64),
                             np.ones(len(test_idx) - len(test_normal), np.int64)])
    return AnomalySplit(X[train_idx], X[test_idx], labels, y[test_idx])


def train_digit_gan(images, *, noise_dim: int = 16, hidden: int = 128, steps: int = 1000,
                    batch_size: int = 64, lr: float = 2e-3, seed: int = 0) -> DigitGan:
    """Train an MLP GAN on flattened digits ``images`` ``(N, 64)`` in [0, 1].

    Generator: :func:`dlcourse.zoo.gan_mlp_generator` followed by a sigmoid; discriminator:
    :func:`dlcourse.zoo.gan_mlp_discriminator`.  Alternating updates (one D step, one G step
    with the non-saturating loss), Adam ``betas=(0.5, 0.999)``, PyTorch on one thread inside.

    >>> from dlcourse.data import digits
    >>> X, _ = digits(flatten=True)
    >>> gan = train_digit_gan(X[:64], steps=2, hidden=16)
    >>> gan.sample(3).shape, len(gan.g_loss)
    ((3, 64), 2)
    """
    import torch

    from dlcourse.zoo import gan_mlp_discriminator, gan_mlp_generator
    from dlcourse.zoo.torch_runs import reproducible

    check_array(np.asarray(images), "images", ndim=2)
    for name, value in (("noise_dim", noise_dim), ("steps", steps), ("batch_size", batch_size)):
        check_positive(value, name)
    with reproducible(seed):
        dim = images.shape[1]
        G = torch.nn.Sequential(gan_mlp_generator(noise_dim, dim, hidden), torch.nn.Sigmoid())
        D = gan_mlp_discriminator(dim, hidden)
        opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
        X = torch.as_tensor(np.asarray(images, dtype=np.float32))
        gen = torch.Generator().manual_seed(seed)
        softplus = torch.nn.functional.softplus
        gan = DigitGan(G, D, noise_dim)
        start = time.perf_counter()
        for _ in range(steps):
            real = X[torch.randint(len(X), (batch_size,), generator=gen)]
            with torch.no_grad():
                fake = G(torch.randn(batch_size, noise_dim, generator=gen))
            d_loss = softplus(-D(real)).mean() + softplus(D(fake)).mean()
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            g_loss = softplus(-D(G(torch.randn(batch_size, noise_dim, generator=gen)))).mean()
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            gan.d_loss.append(d_loss.item())
            gan.g_loss.append(g_loss.item())
        gan.seconds = time.perf_counter() - start
        G.eval()
    return gan


def reconstruct(gan: DigitGan, images, *, steps: int = 200, lr: float = 0.05,
                restarts: int = 4, seed: int = 0):
    """Find ``z*`` for each image by gradient descent; return reconstructions and scores.

    Minimises the mean absolute residual ``mean|x - G(z)|`` over ``z`` (Adam, ``steps``
    steps) from ``restarts`` random starts per image and keeps the best.  The networks are
    not changed.

    Returns
    -------
    reconstructions : (N, 64) ndarray
        ``G(z*)``.
    scores : (N,) ndarray
        Anomaly scores: the mean absolute residual of each image.

    >>> from dlcourse.data import digits
    >>> X, _ = digits(flatten=True)
    >>> gan = train_digit_gan(X[:64], steps=2, hidden=16)
    >>> recon, scores = reconstruct(gan, X[:5], steps=3, restarts=1)
    >>> recon.shape, scores.shape
    ((5, 64), (5,))
    """
    import torch

    from dlcourse.zoo.torch_runs import reproducible

    images = check_array(np.asarray(images), "images", ndim=2)
    for name, value in (("steps", steps), ("restarts", restarts)):
        check_positive(value, name)
    gan.generator.requires_grad_(False)      # only z is optimised
    try:
        with reproducible():
            X = torch.as_tensor(images, dtype=torch.float32).repeat(restarts, 1)    # (R*N, 64)
            gen = torch.Generator().manual_seed(seed)
            z = torch.randn(len(X), gan.noise_dim, generator=gen).requires_grad_(True)
            optimizer = torch.optim.Adam([z], lr=lr)
            for _ in range(steps):
                # a sum over images: each z moves only its own image, so gets its own gradient
                loss = (X - gan.generator(z)).abs().mean(dim=1).sum()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            with torch.no_grad():
                recon = gan.generator(z).double()
                residual = (X.double() - recon).abs().mean(dim=1).reshape(restarts, -1)  # (R, N)
            best = residual.argmin(dim=0)                                                 # (N,)
            n = len(images)
            recon = recon.reshape(restarts, n, -1)[best, torch.arange(n)]
            scores = residual[best, torch.arange(n)]
    finally:
        gan.generator.requires_grad_(True)
    return recon.numpy(), scores.numpy()


def roc_curve(scores, labels):
    """False and true positive rates for every threshold on ``scores`` (higher = anomaly).

    ``labels`` are 1 for positives (anomalies) and 0 for negatives.  Thresholds run from
    ``inf`` (nothing flagged: (0, 0)) down through every distinct score (the last flags
    everything: (1, 1)); tied scores move together.  Same as
    ``sklearn.metrics.roc_curve(labels, scores, drop_intermediate=False)``.

    >>> fpr, tpr, thresholds = roc_curve(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    """
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels)
    check_array(scores, "scores", ndim=1)
    if labels.shape != scores.shape:
        raise ValueError(f"labels has shape {labels.shape} but scores has {scores.shape}")
    if not np.isin(labels, (0, 1)).all() or labels.min() == labels.max():
        raise ValueError("labels must be 0 or 1, with both classes present")
    order = np.argsort(-scores, kind="stable")           # most anomalous first
    scores, labels = scores[order], labels[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tp = np.cumsum(labels)[last_of_tie]                  # flagged positives at each threshold
    fp = (last_of_tie + 1) - tp                          # flagged negatives
    fpr = np.r_[0.0, fp / (len(labels) - labels.sum())]
    tpr = np.r_[0.0, tp / labels.sum()]
    return fpr, tpr, np.r_[np.inf, scores[last_of_tie]]


def auc(x, y) -> float:
    """Area under a curve by the trapezoidal rule (``x`` sorted, e.g. ROC's fpr).

    1.0 is a perfect ranking (every anomaly scores above every normal image), 0.5 chance.

    >>> auc(np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0]))
    1.0
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-D of equal length, got {x.shape} and {y.shape}")
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))
