"""Transfer learning inside the course: pretrain on digits 0-4, reuse the features for 5-9.

No downloads: the "large source task" is the digits 0-4 (about 900 images), the "small target
task" is telling apart the digits 5-9 from only a few labelled examples per class.  The
backbone is the zoo's ``small_cnn`` (PyTorch, for speed) without its last linear layer.

Four ways to get a target classifier (:data:`STRATEGIES`):

* ``"scratch"`` -- a fresh ``small_cnn``, every weight learned from the few target labels;
* ``"feature extraction"`` -- the pretrained backbone **frozen** (and kept in eval mode, so
  its batch-norm statistics stay those of the source task); only a new linear head learns.
  Only a few hundred weights learn, so it is also the cheapest;
* ``"freeze first block"`` -- freeze only the first conv-BN-ReLU-pool block (the most
  generic features: strokes and edges) and let the rest learn;
* ``"fine-tuning"`` -- start from the pretrained backbone with a new head and let every
  weight learn (usually with a smaller learning rate than from scratch).

:func:`transfer_experiment` measures test accuracy against the number of labelled target
examples per class for each strategy.

>>> source, target_pool, target_test = split_source_target()
>>> len(source[1]), int(source[1].max()), int(target_pool[1].max())
(901, 4, 4)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from dlcourse._validate import check_positive

__all__ = ["STRATEGIES", "TransferResult", "freeze", "labelled_subset", "pretrain",
           "split_source_target", "target_model", "train_classifier", "transfer_experiment"]

STRATEGIES = ("scratch", "feature extraction", "freeze first block", "fine-tuning")


def split_source_target(source_classes=(0, 1, 2, 3, 4), target_classes=(5, 6, 7, 8, 9), *,
                        test_fraction: float = 0.5, seed: int = 0):
    """Digits as ``(X, y)`` torch pairs: ``source``, target ``pool`` and target ``test``.

    Labels are renumbered ``0 .. len(classes) - 1`` within each task.  The target images are
    split into a pool to draw labelled examples from and a test set of ``test_fraction``.
    """
    from dlcourse.data import digits

    X, y = digits(seed=seed)

    def task(classes):
        keep = np.isin(y, classes)
        relabel = np.searchsorted(np.asarray(classes), y[keep])
        return torch.from_numpy(X[keep]), torch.from_numpy(relabel)

    source = task(sorted(source_classes))
    X_t, y_t = task(sorted(target_classes))
    n_test = int(round(test_fraction * len(y_t)))
    return source, (X_t[n_test:], y_t[n_test:]), (X_t[:n_test], y_t[:n_test])


def labelled_subset(X, y, per_class: int, *, seed: int = 0):
    """The first ``per_class`` examples of every class after a seeded shuffle.

    >>> X, y = torch.zeros(10, 1, 8, 8), torch.tensor([0, 1] * 5)
    >>> labelled_subset(X, y, 2)[1].tolist()
    [0, 0, 1, 1]
    """
    check_positive(per_class, "per_class")
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    picks = [order[y[order] == c][:per_class] for c in torch.unique(y)]
    if min(len(p) for p in picks) < per_class:
        raise ValueError(f"per_class={per_class} is more than some class has")
    index = torch.cat(picks)
    return X[index], y[index]


def train_classifier(model: nn.Module, X, y, *, steps: int = 150, lr: float = 0.05,
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


def pretrain(X, y, *, width: int = 8, steps: int = 300, lr: float = 0.05,
             seed: int = 0) -> nn.Sequential:
    """Train the zoo's ``small_cnn`` on the source task ``(X, y)``; return the whole net.

    Its backbone, ``net[:-1]`` (everything but the last linear layer), maps
    ``(N, 1, H, W)`` to features ``(N, 2 * width)``.
    """
    from dlcourse import zoo

    torch.manual_seed(seed)
    net = zoo.small_cnn(1, int(y.max()) + 1, width=width).train()
    return train_classifier(net, X, y, steps=steps, lr=lr, seed=seed).eval()


def freeze(module: nn.Module) -> int:
    """Stop ``module``'s parameters from learning and put it in eval mode; count them.

    >>> freeze(nn.Linear(3, 2))
    8
    """
    for p in module.parameters():
        p.requires_grad_(False)
    module.eval()
    return sum(p.numel() for p in module.parameters())


def target_model(strategy: str, backbone: nn.Sequential, num_classes: int, *,
                 seed: int = 0) -> nn.Sequential:
    """A classifier for the target task built by ``strategy`` (see :data:`STRATEGIES`).

    ``backbone`` (a pretrained ``small_cnn`` without its head) is copied, never changed.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    width = [m for m in backbone.modules() if isinstance(m, nn.BatchNorm2d)][0].num_features
    torch.manual_seed(seed)
    if strategy == "scratch":
        from dlcourse import zoo

        return zoo.small_cnn(1, num_classes, width=width).train()
    body = copy.deepcopy(backbone)
    body.train()
    if strategy == "feature extraction":
        freeze(body)
    elif strategy == "freeze first block":
        freeze(body[:4])            # conv-BN-ReLU-pool: the most generic features
    return nn.Sequential(body, nn.Linear(2 * width, num_classes))


@dataclass
class TransferResult:
    """Test accuracy per strategy for each number of labelled target examples per class."""

    per_class: list[int]
    accuracy: dict[str, list[float]]      # strategy -> one accuracy per entry of per_class
    trainable: dict[str, int]             # strategy -> trainable parameters
    source_accuracy: float                # the pretrained net on held-out source digits


def _test_accuracy(model, X, y) -> float:
    model.eval()
    with torch.no_grad():
        return (model(X).argmax(1) == y).float().mean().item()


def transfer_experiment(per_class=(2, 5, 10, 25, 50), *, width: int = 8, steps: int = 150,
                        lr: float = 0.05, fine_tune_lr: float = 0.01, pretrain_steps: int = 300,
                        seed: int = 0) -> TransferResult:
    """Pretrain on digits 0-4, then compare the strategies on 5-9 for each labelled size.

    Every target model trains ``steps`` minibatch steps at ``lr`` (``fine_tune_lr`` for
    fine-tuning, so that the pretrained weights are adjusted rather than overwritten) on
    ``per_class`` labelled examples of each digit 5-9 and is tested on held-out ones.
    """
    source, pool, test = split_source_target(seed=seed)
    n_source = int(0.8 * len(source[1]))     # the rest checks the pretrained net
    net = pretrain(source[0][:n_source], source[1][:n_source], width=width,
                   steps=pretrain_steps, seed=seed)
    source_acc = _test_accuracy(net, source[0][n_source:], source[1][n_source:])
    backbone, classes = net[:-1], int(pool[1].max()) + 1
    accuracy = {s: [] for s in STRATEGIES}
    trainable = {}
    for n in per_class:
        X, y = labelled_subset(*pool, n, seed=seed)
        for strategy in STRATEGIES:
            model = target_model(strategy, backbone, classes, seed=seed)
            rate = fine_tune_lr if strategy == "fine-tuning" else lr
            train_classifier(model, X, y, steps=steps, lr=rate, seed=seed)
            accuracy[strategy].append(_test_accuracy(model, *test))
            trainable[strategy] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return TransferResult(list(per_class), accuracy, trainable, source_acc)
