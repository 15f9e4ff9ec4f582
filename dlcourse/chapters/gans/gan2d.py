"""Generative adversarial networks: the losses of the minimax game and a 2-D GAN trainer.

A **generator** ``G`` maps noise ``z`` to samples; a **discriminator** ``D`` maps a sample to
the probability that it is real.  They play the minimax game

.. math::  \\min_G \\max_D \\; E_x[\\log D(x)] + E_z[\\log(1 - D(G(z)))].

The discriminators here output raw *logits* ``s`` with ``D = sigmoid(s)``; every loss is
written with ``softplus(s) = log(1 + e^s)``, which is exact and never takes ``log(0)``:

* discriminator loss (binary cross-entropy, real = 1, fake = 0)
  ``mean(softplus(-s_real)) + mean(softplus(s_fake))``;
* **minimax** generator loss ``mean(log(1 - D(G(z)))) = -mean(softplus(s_fake))`` (minimised);
* **non-saturating** generator loss ``-mean(log D(G(z))) = mean(softplus(-s_fake))``.

Both generator losses push ``D(G(z))`` up, but early in training, when ``D`` easily rejects
fakes (``D(G(z))`` near 0), the minimax loss is flat: its gradient w.r.t. the logit is
``-D(G(z))``, almost nothing, while the non-saturating one gives ``D(G(z)) - 1``, almost -1.

The loss functions are NumPy/CuPy (array in, same kind out) with ``*_backward`` twins w.r.t.
the logits; :func:`train_gan_2d` trains a small MLP GAN with PyTorch on
:func:`dlcourse.data.gaussian_mixture` and records what GAN Lab shows.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from dlcourse._validate import check_array, check_positive
from dlcourse.backend import array_module

__all__ = ["GENERATOR_LOSSES", "GanRun", "discriminator_loss", "discriminator_loss_backward",
           "gan_lab", "gan_lab_frames", "generator_loss", "generator_loss_backward",
           "generator_loss_curves", "mode_coverage", "optimal_discriminator", "train_gan_2d",
           "train_gan_2d_epochs"]

GENERATOR_LOSSES = ("non_saturating", "minimax")


def _softplus(xp, s):
    """``log(1 + e^s)`` without overflow."""
    return xp.logaddexp(0.0, s)


def _sigmoid(xp, s):
    """``1 / (1 + e^-s)`` without overflow (``tanh`` form)."""
    return 0.5 * (1.0 + xp.tanh(0.5 * s))


def _check_kind(kind: str) -> str:
    if kind not in GENERATOR_LOSSES:
        raise ValueError(f"kind must be one of {GENERATOR_LOSSES}, got {kind!r}")
    return kind


def discriminator_loss(real_logits, fake_logits):
    """Binary cross-entropy of D: real samples labelled 1, generated ones 0.

    ``-mean(log D(x)) - mean(log(1 - D(G(z))))`` with ``D = sigmoid(logit)``; shapes ``(N,)``
    and ``(M,)`` (any shape; each term is a mean over its own array).  At ``D = 0.5`` on
    everything it is ``2 log 2 = log 4``.

    >>> import numpy as np
    >>> round(float(discriminator_loss(np.zeros(3), np.zeros(5))), 4)   # log 4
    1.3863
    """
    check_array(real_logits, "real_logits", floating=True)
    check_array(fake_logits, "fake_logits", floating=True)
    xp = array_module(real_logits, fake_logits)
    return xp.mean(_softplus(xp, -real_logits)) + xp.mean(_softplus(xp, fake_logits))


def discriminator_loss_backward(dout, real_logits, fake_logits):
    """Gradients of :func:`discriminator_loss` w.r.t. ``real_logits`` and ``fake_logits``.

    ``(sigmoid(s_real) - 1) / N`` and ``sigmoid(s_fake) / M``, times ``dout``.

    >>> import numpy as np
    >>> g_real, g_fake = discriminator_loss_backward(1.0, np.zeros(2), np.zeros(2))
    >>> g_real.tolist(), g_fake.tolist()
    ([-0.25, -0.25], [0.25, 0.25])
    """
    check_array(real_logits, "real_logits", floating=True)
    check_array(fake_logits, "fake_logits", floating=True)
    xp = array_module(real_logits, fake_logits)
    grad_real = dout * (_sigmoid(xp, real_logits) - 1.0) / real_logits.size
    grad_fake = dout * _sigmoid(xp, fake_logits) / fake_logits.size
    return grad_real.astype(real_logits.dtype), grad_fake.astype(fake_logits.dtype)


def generator_loss(fake_logits, *, kind: str = "non_saturating"):
    """The generator's loss on D's logits for generated samples (to be minimised).

    ``kind="minimax"``: ``mean(log(1 - D(G(z))))``, the game's own objective;
    ``kind="non_saturating"``: ``-mean(log D(G(z)))``, the version used in practice.

    >>> import numpy as np
    >>> s = np.zeros(4)                       # D(G(z)) = 0.5
    >>> round(float(generator_loss(s, kind="minimax")), 4), round(float(generator_loss(s)), 4)
    (-0.6931, 0.6931)
    """
    check_array(fake_logits, "fake_logits", floating=True)
    xp = array_module(fake_logits)
    if _check_kind(kind) == "minimax":
        return -xp.mean(_softplus(xp, fake_logits))
    return xp.mean(_softplus(xp, -fake_logits))


def generator_loss_backward(dout, fake_logits, *, kind: str = "non_saturating"):
    """Gradient of :func:`generator_loss` w.r.t. ``fake_logits``.

    Minimax: ``-sigmoid(s) / M`` -- vanishes when D rejects the fakes (``D(G(z)) -> 0``).
    Non-saturating: ``(sigmoid(s) - 1) / M`` -- largest exactly then.

    >>> import numpy as np
    >>> s = np.array([np.log(0.01 / 0.99)])   # D(G(z)) = 0.01
    >>> [round(float(generator_loss_backward(1.0, s, kind=k)[0]), 4) for k in GENERATOR_LOSSES]
    [-0.99, -0.01]
    """
    check_array(fake_logits, "fake_logits", floating=True)
    xp = array_module(fake_logits)
    d = _sigmoid(xp, fake_logits)
    grad = -d if _check_kind(kind) == "minimax" else d - 1.0
    return (dout * grad / fake_logits.size).astype(fake_logits.dtype)


def generator_loss_curves(d):
    """Both generator losses and their gradients as functions of ``D(G(z)) = d``.

    Returns a dict of arrays shaped like ``d`` (values in (0, 1)): ``"minimax"`` and
    ``"non_saturating"`` (per-sample losses), ``"minimax_grad"`` and ``"non_saturating_grad"``
    (derivatives w.r.t. D's logit, so that both are bounded and comparable).

    >>> import numpy as np
    >>> c = generator_loss_curves(np.array([0.01]))
    >>> round(float(c["minimax_grad"][0]), 4), round(float(c["non_saturating_grad"][0]), 4)
    (-0.01, -0.99)
    """
    check_array(d, "d", floating=True)
    xp = array_module(d)
    if bool(xp.any((d <= 0) | (d >= 1))):
        raise ValueError("d = D(G(z)) must lie strictly between 0 and 1")
    return {"minimax": xp.log1p(-d), "non_saturating": -xp.log(d),
            "minimax_grad": -d, "non_saturating_grad": d - 1.0}


def optimal_discriminator(p_data, p_g):
    """The best D for a fixed generator: ``D*(x) = p_data(x) / (p_data(x) + p_g(x))``.

    Densities evaluated at the same points (same shape).  Where the generator matches the
    data everywhere, ``D* = 1/2``: D can only guess.

    >>> import numpy as np
    >>> optimal_discriminator(np.array([3.0, 1.0]), np.array([1.0, 1.0])).tolist()
    [0.75, 0.5]
    """
    check_array(p_data, "p_data", floating=True)
    check_array(p_g, "p_g", floating=True)
    if p_data.shape != p_g.shape:
        raise ValueError(f"p_data has shape {p_data.shape} but p_g has {p_g.shape}")
    return p_data / (p_data + p_g)


def mode_coverage(samples, centers, *, max_distance: float = 0.3,
                  min_fraction: float = 0.02) -> int:
    """How many mixture modes the generator covers.

    A mode counts when at least ``min_fraction`` of the ``(N, 2)`` ``samples`` lie within
    ``max_distance`` of its centre (``centers`` is ``(K, 2)``).  A GAN with mode collapse
    covers only a few of the K modes.

    >>> import numpy as np
    >>> mode_coverage(np.array([[0.0, 0.0], [0.1, 0.0]]), np.array([[0.0, 0.0], [5.0, 5.0]]))
    1
    """
    samples, centers = np.asarray(samples, dtype=float), np.asarray(centers, dtype=float)
    check_array(samples, "samples", ndim=2)
    check_array(centers, "centers", ndim=2)
    check_positive(max_distance, "max_distance")
    distance = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)  # (N, K)
    near = (distance < max_distance).sum(axis=0)                                 # (K,)
    return int((near >= min_fraction * len(samples)).sum())


@dataclass
class GanRun:
    """What :func:`train_gan_2d` recorded.

    ``data`` (N, 2) the real points, ``centers`` (K, 2) the modes, ``grid`` (G,) the
    coordinates of the decision-surface grid, ``steps_per_epoch`` the generator steps of an
    epoch; per snapshot (lists of the same length):
    ``epochs``, ``samples`` (S, 2) generated points, ``surfaces`` (G, G) ``D(x)`` on the grid
    (rows = y, columns = x), ``coverage`` the number of covered modes; per generator step:
    ``d_loss``, ``g_loss``, ``d_real`` and ``d_fake`` (mean D on real / generated points).
    """

    data: np.ndarray
    centers: np.ndarray
    grid: np.ndarray
    steps_per_epoch: int = 1
    epochs: list = field(default_factory=list)
    samples: list = field(default_factory=list)
    surfaces: list = field(default_factory=list)
    coverage: list = field(default_factory=list)
    d_loss: list = field(default_factory=list)
    g_loss: list = field(default_factory=list)
    d_real: list = field(default_factory=list)
    d_fake: list = field(default_factory=list)
    seconds: float = 0.0


def train_gan_2d(**settings) -> GanRun:
    """Train a small MLP GAN on a ring of Gaussians, recording snapshots as GAN Lab does.

    Takes the keyword arguments of :func:`train_gan_2d_epochs` and returns its run once
    training is over.

    Examples
    --------
    >>> run = train_gan_2d(epochs=2, n_snapshots=2, grid_size=5)
    >>> run.epochs, run.surfaces[-1].shape, len(run.g_loss)
    ([0, 2], (5, 5), 16)
    """
    *_, run = train_gan_2d_epochs(**settings)
    return run


def train_gan_2d_epochs(*, lr_d: float = 5e-3, lr_g: float = 5e-3, d_steps: int = 1,
                 noise_dim: int = 2, epochs: int = 100, loss: str = "non_saturating",
                 modes: int = 8, std: float = 0.05, n_data: int = 512, batch_size: int = 64,
                 hidden: int = 32, n_snapshots: int = 10, n_samples: int = 512,
                 grid_size: int = 41, extent: float = 3.0, seed: int = 0):
    """Train a small MLP GAN on a ring of Gaussians, yielding the run after every epoch.

    Alternating updates: per minibatch of real points, ``d_steps`` discriminator steps (each
    on a fresh real batch and fresh fakes), then one generator step with the chosen generator
    ``loss``.  An *epoch* is one pass over the ``n_data`` real points, i.e.
    ``n_data // batch_size`` generator steps.  Adam with ``betas=(0.5, 0.999)`` for both.
    PyTorch runs on one thread inside (restored afterwards), so a seed gives the same run.

    With the defaults 6 to 8 of the 8 modes are covered after 100 epochs (seeds 0 to 3;
    about 1 s); with ``lr_g=1e-2, lr_d=1e-3`` the generator outruns the discriminator and
    collapses: all its samples sit in one small blob that wanders around the ring (at most
    1 mode covered at any snapshot, same seeds).

    Yields
    ------
    GanRun
        The same run, growing: after epoch 0 (before training) and after every epoch.  At
        the end it holds ``n_snapshots`` snapshots evenly spaced over the epochs (the first
        after epoch 0) and the loss history of every generator step.  The random state is
        the training's own, so a consumer may stop and resume freely.

    Examples
    --------
    >>> [len(run.g_loss) for run in train_gan_2d_epochs(epochs=2, n_snapshots=2, grid_size=5)]
    [0, 8, 16]
    """
    import torch

    from dlcourse.data import gaussian_mixture, mixture_centers
    from dlcourse.zoo import gan_mlp_discriminator, gan_mlp_generator
    from dlcourse.zoo.torch_runs import reproducible

    for name, value in (("lr_d", lr_d), ("lr_g", lr_g), ("d_steps", d_steps),
                        ("noise_dim", noise_dim), ("epochs", epochs), ("n_data", n_data),
                        ("batch_size", batch_size), ("n_snapshots", n_snapshots)):
        check_positive(value, name)
    _check_kind(loss)
    data, _ = gaussian_mixture(n_data, modes=modes, std=std, seed=seed)
    grid = np.linspace(-extent, extent, grid_size)
    steps_per_epoch = max(1, n_data // batch_size)
    run = GanRun(data=data, centers=mixture_centers(modes), grid=grid,
                 steps_per_epoch=steps_per_epoch)
    snapshot_epochs = set(np.linspace(0, epochs, n_snapshots).round().astype(int).tolist())
    with reproducible(seed):
        G = gan_mlp_generator(noise_dim, 2, hidden)
        D = gan_mlp_discriminator(2, hidden)
        opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=(0.5, 0.999))
        X = torch.from_numpy(data.astype(np.float32))
        xx, yy = np.meshgrid(grid, grid)
        grid_points = torch.from_numpy(np.column_stack([xx.ravel(), yy.ravel()])
                                       .astype(np.float32))
        z_fixed = torch.randn(n_samples, noise_dim)     # the same noise for every snapshot
        gen = torch.Generator().manual_seed(seed)
        softplus = torch.nn.functional.softplus
        start = time.perf_counter()

        def snapshot(epoch):
            with torch.no_grad():
                samples = G(z_fixed).numpy().astype(np.float64)
                surface = torch.sigmoid(D(grid_points)).reshape(grid_size, grid_size).numpy()
            run.epochs.append(epoch)
            run.samples.append(samples)
            run.surfaces.append(surface.astype(np.float64))
            run.coverage.append(mode_coverage(samples, run.centers))

        snapshot(0)
        yield run
        for epoch in range(1, epochs + 1):
            for _ in range(steps_per_epoch):
                for _ in range(d_steps):             # discriminator: ascend its objective
                    real = X[torch.randint(n_data, (batch_size,), generator=gen)]
                    with torch.no_grad():
                        fake = G(torch.randn(batch_size, noise_dim, generator=gen))
                    s_real, s_fake = D(real), D(fake)
                    d_loss = softplus(-s_real).mean() + softplus(s_fake).mean()
                    opt_d.zero_grad()
                    d_loss.backward()
                    opt_d.step()
                s_fake = D(G(torch.randn(batch_size, noise_dim, generator=gen)))
                g_loss = (softplus(-s_fake).mean() if loss == "non_saturating"
                          else -softplus(s_fake).mean())
                opt_g.zero_grad()
                g_loss.backward()                    # D's grads are also filled: zeroed above
                opt_g.step()
                run.d_loss.append(d_loss.item())
                run.g_loss.append(g_loss.item())
                run.d_real.append(torch.sigmoid(s_real).mean().item())
                run.d_fake.append(torch.sigmoid(s_fake).mean().item())
            if epoch in snapshot_epochs:
                snapshot(epoch)
            run.seconds = time.perf_counter() - start
            yield run


_RUNS: OrderedDict = OrderedDict()   # the panel's finished runs, least recently used first
_MAX_RUNS = 64


def gan_lab_frames(*, lr_d: float = 5e-3, lr_g: float = 5e-3, d_steps: int = 1,
                   noise_dim: int = 2, loss: str = "non_saturating", snapshot: int = -1,
                   epochs: int = 100, seed: int = 0, frame_s: float = 0.02):
    """The compute of the GAN Lab panel, streamed: the results of :func:`gan_lab`, frame by frame.

    A setting seen before (one of the last 64) yields one result from its stored run.  A new
    one trains, yielding a partial result (the latest snapshot and the losses so far,
    ``done`` False) whenever ``frame_s`` seconds have passed since the last, then the final
    result; the finished run is stored.

    >>> frames = list(gan_lab_frames(epochs=2, seed=7, frame_s=0))
    >>> [(f["trained"], f["epoch"], f["done"], f["cached"]) for f in frames]
    [(0, 0, False, False), (1, 1, False, False), (2, 2, True, False)]
    >>> [(f["epoch"], f["cached"]) for f in gan_lab_frames(epochs=2, seed=7, snapshot=0)]
    [(0, True)]
    """
    key = (float(lr_d), float(lr_g), int(d_steps), int(noise_dim), loss, int(epochs), int(seed))
    if key in _RUNS:
        _RUNS.move_to_end(key)
        yield _lab_result(_RUNS[key], snapshot, epochs, epochs, cached=True)
        return
    shown = -float("inf")
    for trained, run in enumerate(train_gan_2d_epochs(
            lr_d=lr_d, lr_g=lr_g, d_steps=d_steps, noise_dim=noise_dim, loss=loss,
            epochs=epochs, seed=seed)):
        if trained < epochs and time.perf_counter() - shown >= frame_s:
            yield _lab_result(run, snapshot, trained, epochs, cached=False)
            shown = time.perf_counter()
    _RUNS[key] = run
    if len(_RUNS) > _MAX_RUNS:
        _RUNS.popitem(last=False)
    yield _lab_result(run, snapshot, epochs, epochs, cached=False)


def _lab_result(run: GanRun, snapshot: int, trained: int, epochs: int, *, cached: bool) -> dict:
    n = len(run.epochs)
    if snapshot < -n and trained == epochs:
        raise ValueError(f"snapshot must be at least -{n} (the first), got {snapshot}")
    done = trained == epochs
    index = min(snapshot, n - 1) % n if done else n - 1  # a short run has fewer: clip
    epoch = run.epochs[index]
    step = epoch * len(run.d_loss) // max(run.epochs[-1], 1) if done else len(run.d_loss)
    return {"run": run, "index": index, "epoch": epoch, "step": step,
            "coverage": run.coverage[index], "cached": cached, "trained": trained,
            "epochs": epochs, "done": done}


def gan_lab(**settings) -> dict:
    """The GAN Lab panel's result for one setting: the last of :func:`gan_lab_frames`.

    Training a new setting takes about a second, too slow for a live slider, so every run is
    kept (least recently used first out, 64 runs): going back to a setting, and moving the
    ``snapshot`` slider through the stored epochs, is instant.

    Returns a dict: ``run`` (:class:`GanRun`), ``index`` (the snapshot; ``-1`` and any index
    past the end mean the last), ``epoch``, ``step`` (generator steps so far), ``coverage``,
    ``cached`` (whether the run was already stored), ``trained`` and ``epochs`` (epochs
    trained, of how many: equal here), ``done`` (True here).

    >>> result = gan_lab(epochs=2, snapshot=0)
    >>> result["epoch"], result["step"]
    (0, 0)
    """
    *_, result = gan_lab_frames(**settings, frame_s=float("inf"))
    return result
