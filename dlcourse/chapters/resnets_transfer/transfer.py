"""Transfer learning inside the course: pretrain on digits 0-6, reuse the backbone for 7-9.

No downloads.  The *source* task is large: the digits 0-6, each shown in ten randomly varied
copies (shifted by up to a pixel, rotated up to 15 degrees, noisy), 10,110 training images.
The *target* task is small: tell apart the digits 7, 8 and 9, varied the same way, from only a
few labelled images per class.  The backbone is the zoo's ``small_cnn`` (PyTorch, width 16)
without its last linear layer; its pretrained weights ship with the package
(``digit_backbone.npz``, made by :func:`pretrain_source`, reproduced by a slow test), as
torchvision ships ImageNet weights.

Three ways to get a target classifier (:data:`STRATEGIES`):

* ``"scratch"`` -- a fresh ``small_cnn``, every weight learned from the few target labels;
* ``"feature extraction"`` -- the pretrained backbone **frozen** (eval mode, so its batch-norm
  statistics stay those of the source); only a new linear head learns.  Because the backbone
  never changes, its features are computed once and the head trains on them;
* ``"fine-tuning"`` -- start from the pretrained backbone with a new head and let every
  weight learn, with a smaller learning rate than from scratch.

:func:`transfer_experiment` measures test accuracy against the number of labelled target
images per class, averaged over seeds.

>>> source, target_pool, target_test = split_source_target(copies=2)
>>> len(source[1]), int(source[1].max()), int(target_pool[1].max())
(2022, 6, 2)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from dlcourse._validate import check_positive

__all__ = ["SOURCE_CLASSES", "STRATEGIES", "TARGET_CLASSES", "WEIGHTS", "TransferResult",
           "feature_extraction", "freeze", "labelled_subset", "load_backbone", "pretrain",
           "pretrain_source", "save_weights", "split_source_target", "target_model", "target_split",
           "train_classifier", "transfer_experiment", "vary"]

STRATEGIES = ("scratch", "feature extraction", "fine-tuning")
SOURCE_CLASSES = (0, 1, 2, 3, 4, 5, 6)
TARGET_CLASSES = (7, 8, 9)
WEIGHTS = Path(__file__).with_name("digit_backbone.npz")
WIDTH = 16                        # the shipped backbone's width: features (N, 2 * WIDTH)


def vary(X: np.ndarray, seed: int) -> np.ndarray:
    """One random variation of every image ``(N, 1, 8, 8)``: shift <= 1 px, rotation <= 15
    degrees, zoom 0.9-1.1, Gaussian noise of std 0.1 (clipped to [0, 1]); float32."""
    from dlcourse.data.augment import random_augment

    return random_augment(X, seed, max_shift=1, max_degrees=15.0, noise_std=0.1).astype(
        np.float32)


def _task(X, y, classes):
    keep = np.isin(y, classes)
    return X[keep], np.searchsorted(np.asarray(classes), y[keep])


def split_source_target(*, copies: int = 10, source_test_fraction: float = 0.2,
                        seed: int = 0):
    """Source training set, target pool and target test set as ``(X, y)`` torch pairs.

    Labels are renumbered ``0 .. len(classes) - 1`` within each task.  The source keeps
    ``source_test_fraction`` of its originals aside (see :func:`source_test`) and shows each
    of the others in ``copies`` varied versions (:func:`vary`).  Every target image is varied
    once; half of them form the pool to draw labels from, the other half the test set.
    """
    check_positive(copies, "copies")
    train, _ = _source_split(source_test_fraction, seed)
    X_s, y_s = train
    X_s = np.concatenate([vary(X_s, seed + 1 + k) for k in range(copies)])
    y_s = np.tile(y_s, copies)
    return (torch.from_numpy(X_s), torch.from_numpy(y_s)), *target_split(seed=seed)


def target_split(*, seed: int = 0):
    """The target task alone: ``pool`` and ``test`` as ``(X, y)`` torch pairs (see
    :func:`split_source_target`), without making the source images."""
    X, y = _target(seed)
    half = len(y) // 2
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    return (X[half:], y[half:]), (X[:half], y[:half])


def _source_split(test_fraction: float, seed: int):
    from dlcourse.data import digits

    X, y = _task(*digits(seed=seed), SOURCE_CLASSES)
    n_test = int(round(test_fraction * len(y)))
    return (X[n_test:], y[n_test:]), (X[:n_test], y[:n_test])


def _target(seed: int):
    from dlcourse.data import digits

    X, y = _task(*digits(seed=seed), TARGET_CLASSES)
    return vary(X, seed + 1000), y


def source_test(*, test_fraction: float = 0.2, seed: int = 0):
    """The held-out source digits 0-6, varied once, as a torch pair ``(X, y)``."""
    _, (X, y) = _source_split(test_fraction, seed)
    return torch.from_numpy(vary(X, seed + 2000)), torch.from_numpy(y)


def labelled_subset(X, y, per_class: int | None, *, seed: int = 0):
    """The first ``per_class`` examples of every class after a seeded shuffle (None: all of
    them, as many per class as the rarest class has).

    >>> X, y = torch.zeros(10, 1, 8, 8), torch.tensor([0, 1] * 5)
    >>> labelled_subset(X, y, 2)[1].tolist()
    [0, 0, 1, 1]
    """
    if per_class is None:
        per_class = int(torch.bincount(y).min())
    check_positive(per_class, "per_class")
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    picks = [order[y[order] == c][:per_class] for c in torch.unique(y)]
    if min(len(p) for p in picks) < per_class:
        raise ValueError(f"per_class={per_class} is more than some class has")
    index = torch.cat(picks)
    return X[index], y[index]


def train_classifier(model: nn.Module, X, y, *, steps: int = 80, lr: float = 0.05,
                     batch_size: int = 64, seed: int = 0) -> nn.Module:
    """Minibatch SGD with momentum on the cross-entropy of the *trainable* parameters.

    Frozen parameters (``requires_grad`` False) are left alone; so are modules the caller put
    in eval mode (``model.train()`` is not called here, so a frozen backbone stays frozen).
    """
    check_positive(steps, "steps")
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(trainable, lr=lr, momentum=0.9)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        index = torch.randperm(len(y), generator=generator)[:batch_size]
        loss = nn.functional.cross_entropy(model(X[index]), y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def pretrain(X, y, *, width: int = WIDTH, steps: int = 2000, lr: float = 0.05,
             batch_size: int = 128, seed: int = 0, progress: bool = False) -> nn.Sequential:
    """Train the zoo's ``small_cnn`` on the source task ``(X, y)``; return the whole net.

    Its backbone, ``net[:-1]`` (everything but the last linear layer), maps
    ``(N, 1, H, W)`` to features ``(N, 2 * width)``.  The steps run in 20 chunks, one tick
    of the progress bar each; every chunk starts a fresh SGD (momentum buffer at zero).
    """
    from dlcourse import zoo

    torch.manual_seed(seed)
    net = zoo.small_cnn(1, int(y.max()) + 1, width=width).train()
    chunk = max(steps // 20, 1)
    for k in tqdm(range(0, steps, chunk), desc="pretraining", disable=not progress):
        train_classifier(net, X, y, steps=min(chunk, steps - k), lr=lr,
                         batch_size=batch_size, seed=seed + k)
    return net.eval()


def pretrain_source(*, seed: int = 0, steps: int = 2000, progress: bool = True) -> nn.Sequential:
    """Pretrain the shipped source net: ``small_cnn`` (width 16) on the varied digits 0-6.

    ``python -m dlcourse.chapters.resnets_transfer.transfer`` runs it and writes
    :data:`WEIGHTS` (about a minute on two cores).
    """
    source, _, _ = split_source_target(seed=seed)
    return pretrain(*source, steps=steps, seed=seed, progress=progress)


def save_weights(net: nn.Module, path=WEIGHTS) -> Path:
    """Write ``net``'s ``state_dict`` (weights and batch-norm statistics) to an ``.npz``."""
    arrays = {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}
    np.savez_compressed(path, **arrays)
    return Path(path)


def load_backbone(path=WEIGHTS) -> nn.Sequential:
    """The pretrained source net from ``path`` (eval mode); ``net[:-1]`` is the backbone.

    >>> net = load_backbone()
    >>> net[:-1](torch.zeros(2, 1, 8, 8)).shape, net[-1].out_features
    (torch.Size([2, 32]), 7)
    """
    from dlcourse import zoo

    with np.load(path) as arrays:
        state = {k: torch.from_numpy(arrays[k]) for k in arrays.files}
    net = zoo.small_cnn(1, len(SOURCE_CLASSES), width=state["0.weight"].shape[0])
    net.load_state_dict(state)
    return net.eval()


def freeze(module: nn.Module) -> int:
    """Stop ``module``'s parameters from learning and put it in eval mode; count them.

    >>> freeze(nn.Linear(3, 2))
    8
    """
    for p in module.parameters():
        p.requires_grad_(False)
    module.eval()
    return sum(p.numel() for p in module.parameters())


def _width(backbone: nn.Sequential) -> int:
    return [m for m in backbone.modules() if isinstance(m, nn.BatchNorm2d)][0].num_features


def target_model(strategy: str, backbone: nn.Sequential, num_classes: int, *,
                 seed: int = 0) -> nn.Sequential:
    """A classifier for the target task built by ``strategy`` (see :data:`STRATEGIES`).

    ``backbone`` (a pretrained ``small_cnn`` without its head) is copied, never changed.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    width = _width(backbone)
    torch.manual_seed(seed)
    if strategy == "scratch":
        from dlcourse import zoo

        return zoo.small_cnn(1, num_classes, width=width).train()
    body = copy.deepcopy(backbone)
    body.train()
    if strategy == "feature extraction":
        freeze(body)
    return nn.Sequential(body, nn.Linear(2 * width, num_classes))


def feature_extraction(features, y, num_classes: int, *, steps: int = 300, lr: float = 0.05,
                       seed: int = 0) -> nn.Linear:
    """Train only a linear head on fixed backbone ``features`` ``(N, F)``; return the head.

    The same model as ``target_model("feature extraction", ...)``: a frozen backbone in eval
    mode computes the same features every step, so computing them once is exact and cheap.
    """
    torch.manual_seed(seed)
    head = nn.Linear(features.shape[1], num_classes)
    return train_classifier(head, features, y, steps=steps, lr=lr, seed=seed)


@dataclass
class TransferResult:
    """Test accuracy per strategy for each number of labelled target images per class."""

    per_class: list[int]                  # labelled images per class (the last may be "all")
    accuracy: dict[str, np.ndarray]       # strategy -> (len(per_class), len(seeds))
    trainable: dict[str, int]             # strategy -> trainable parameters

    def mean(self, strategy: str) -> np.ndarray:
        """Accuracy averaged over seeds, one entry per ``per_class``."""
        return self.accuracy[strategy].mean(axis=1)


def _test_accuracy(model, X, y) -> float:
    model.eval()
    with torch.no_grad():
        return (model(X).argmax(1) == y).float().mean().item()


def transfer_experiment(per_class=(1, 2, 5, 10, 25, None), *, seeds=(0, 1, 2), steps: int = 80,
                        lr: float = 0.05, fine_tune_lr: float = 0.01, backbone=None,
                        strategies=STRATEGIES, progress: bool = True) -> TransferResult:
    """Compare the strategies on the varied digits 7-9 for each labelled size and seed.

    ``per_class`` entries of ``None`` mean every labelled pool image (about 86 per class).
    ``backbone`` defaults to the shipped pretrained one.  Scratch and fine-tuning train
    ``steps`` minibatch steps (``lr``, and ``fine_tune_lr`` for fine-tuning so that the
    pretrained weights are adjusted rather than overwritten); the feature-extraction head
    trains on the frozen features.  Each seed draws other labelled images and initialises
    the heads differently; the pretrained backbone is the same.  ``strategies`` picks a
    subset of :data:`STRATEGIES` to run.
    """
    unknown = set(strategies) - set(STRATEGIES)
    if unknown:
        raise ValueError(f"strategies must be among {STRATEGIES}, got {sorted(unknown)}")
    backbone = load_backbone()[:-1] if backbone is None else backbone
    pool, test = target_split()
    classes = len(TARGET_CLASSES)
    with torch.no_grad():
        pool_features, test_features = backbone(pool[0]), backbone(test[0])
    sizes = [int(torch.bincount(pool[1]).min()) if n is None else n for n in per_class]
    accuracy = {s: np.zeros((len(sizes), len(seeds))) for s in strategies}
    trainable = {}
    runs = [(i, j) for i in range(len(sizes)) for j in range(len(seeds))]
    for i, j in tqdm(runs, desc="labels x seeds", disable=not progress):
        n, seed = sizes[i], seeds[j]
        index = labelled_subset(torch.arange(len(pool[1])), pool[1], n, seed=seed)[0]
        X, y = pool[0][index], pool[1][index]
        if "feature extraction" in strategies:
            head = feature_extraction(pool_features[index], y, classes, seed=seed)
            accuracy["feature extraction"][i, j] = _test_accuracy(head, test_features, test[1])
            trainable["feature extraction"] = sum(p.numel() for p in head.parameters())
        for strategy, rate in (("scratch", lr), ("fine-tuning", fine_tune_lr)):
            if strategy in strategies:
                model = target_model(strategy, backbone, classes, seed=seed)
                train_classifier(model, X, y, steps=steps, lr=rate, seed=seed)
                accuracy[strategy][i, j] = _test_accuracy(model, *test)
                trainable[strategy] = sum(p.numel() for p in model.parameters()
                                          if p.requires_grad)
    return TransferResult(sizes, accuracy, trainable)


if __name__ == "__main__":      # regenerate the shipped weights
    torch.set_num_threads(1)    # a tiny net: more threads only contend for the cores
    print("wrote", save_weights(pretrain_source()))
