"""Chapter 01: softmax + cross-entropy (one label) vs sigmoid + binary cross-entropy (several)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

from dlcourse.chapters.learning_from_data import multilabel as M
from dlcourse.nn import functional as F

LOGITS = np.array([[2.0, -1.0, 0.5, 3.0], [0.0, 4.0, -2.0, 1.0], [-3.0, 0.2, 0.1, 0.0]])
ONE_LABEL = np.array([3, 1, 2])
SEVERAL = np.array([[1.0, 0, 0, 1], [0, 1, 1, 0], [0, 0, 0, 0]])   # multi-hot; none for row 2


def test_both_heads_match_torchs_softmax_and_sigmoid():
    heads = M.output_heads(LOGITS)
    t = torch.from_numpy(LOGITS)
    np.testing.assert_allclose(heads.softmax, torch.softmax(t, 1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(heads.sigmoid, torch.sigmoid(t).numpy(), rtol=1e-12)
    np.testing.assert_allclose(heads.softmax.sum(1), 1.0)
    assert heads.sigmoid.sum(1).max() > 1.5        # independent: no shared total


def test_categorical_cross_entropy_matches_torch_with_indices_and_with_distributions():
    onehot = np.eye(4)[ONE_LABEL]
    ours = M.categorical_cross_entropy(LOGITS, onehot)
    assert float(ours) == pytest.approx(
        tF.cross_entropy(torch.from_numpy(LOGITS), torch.from_numpy(ONE_LABEL)).item(), rel=1e-12)
    assert float(ours) == pytest.approx(float(F.cross_entropy(LOGITS, ONE_LABEL)), rel=1e-12)
    soft = SEVERAL[:2] / SEVERAL[:2].sum(1, keepdims=True)     # torch accepts probabilities too
    assert float(M.categorical_cross_entropy(LOGITS[:2], soft)) == pytest.approx(
        tF.cross_entropy(torch.from_numpy(LOGITS[:2]), torch.from_numpy(soft)).item(), rel=1e-12)


def test_binary_cross_entropies_match_torch_elementwise_and_as_a_mean():
    ours = M.binary_cross_entropies(LOGITS, SEVERAL)
    theirs = tF.binary_cross_entropy_with_logits(torch.from_numpy(LOGITS),
                                                 torch.from_numpy(SEVERAL), reduction="none")
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12)
    assert float(ours.mean()) == pytest.approx(
        float(F.binary_cross_entropy_with_logits(LOGITS, SEVERAL)), rel=1e-12)
    big = np.array([[800.0, -800.0]])                          # no overflow, no log 0
    np.testing.assert_allclose(M.binary_cross_entropies(big, np.array([[1.0, 0.0]])), 0.0)


def test_softmax_loss_refuses_a_row_with_two_labels_and_names_the_row():
    with pytest.raises(ValueError, match="row 0 of targets sums to 2"):
        M.categorical_cross_entropy(LOGITS[:2], SEVERAL[:2])
    with pytest.raises(ValueError, match="shape of logits"):
        M.binary_cross_entropies(LOGITS, SEVERAL[:2])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        M.binary_cross_entropies(LOGITS, SEVERAL * 2)


@pytest.mark.parametrize("head", ["softmax", "sigmoid"])
def test_fit_logits_gradient_is_torchs_autograd_gradient(head):
    target = np.array([1.0, 1.0, 0.0, 0.0])
    t = torch.from_numpy(target)[None]
    fit = M.fit_logits(target, head, steps=1, lr=0.1)   # one step from z = 0
    z0 = torch.zeros(1, 4, dtype=torch.float64, requires_grad=True)
    loss0 = (tF.cross_entropy(z0, t / t.sum()) if head == "softmax" else
             tF.binary_cross_entropy_with_logits(z0, t, reduction="sum"))
    loss0.backward()
    p1 = fit.probabilities[1]
    z1 = (-0.1 * z0.grad).detach()
    expected = torch.softmax(z1, 1) if head == "softmax" else torch.sigmoid(z1)
    np.testing.assert_allclose(p1, expected[0].numpy(), rtol=1e-12)
    assert fit.losses[0] == pytest.approx(loss0.item(), rel=1e-12)


def test_softmax_cannot_put_two_labels_above_one_half_but_sigmoids_can():
    target = np.array([1.0, 1.0, 0.0])
    soft = M.fit_logits(target, "softmax", steps=300)
    sig = M.fit_logits(target, "sigmoid", steps=300)
    np.testing.assert_allclose(soft.probabilities[-1], [0.5, 0.5, 0.0], atol=0.01)
    assert soft.losses[-1] == pytest.approx(np.log(2), abs=0.01)   # its floor: ln 2, not 0
    assert M.predict_labels(soft.probabilities[-1]).tolist() == [False, False, False]
    assert M.predict_labels(sig.probabilities[-1]).tolist() == [True, True, False]
    assert sig.losses[-1] < 0.1 and np.all(np.diff(sig.losses) < 0)


def test_with_one_label_both_heads_learn_it():
    target = np.array([0.0, 1.0, 0.0])
    for head in ("softmax", "sigmoid"):
        assert M.predict_labels(M.fit_logits(target, head, steps=300).probabilities[-1]
                                ).tolist() == [False, True, False]


@pytest.mark.parametrize("target, head, message", [
    (np.array([0.0, 0.0]), "softmax", "at least one 1"),
    (np.array([0.5, 1.0]), "sigmoid", "multi-hot"),
    (np.array([1.0, 0.0]), "tanh", "head must be"),
])
def test_fit_logits_rejects_bad_targets_and_heads(target, head, message):
    with pytest.raises(ValueError, match=message):
        M.fit_logits(target, head)


def test_multilabel_plot_draws_each_class_path_and_the_threshold():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dlcourse.chapters.learning_from_data import plots as viz

    target = np.array([1.0, 1.0, 0.0])
    fits = {head: M.fit_logits(target, head, steps=20) for head in ("softmax", "sigmoid")}
    fig = plt.figure()
    axes = viz.plot_multilabel_fits(fig, fits, ["cat", "dog", "car"], present=("cat", "dog"))
    for ax, fit in zip(axes, fits.values(), strict=True):
        lines = ax.get_lines()
        assert len(lines) == 4                               # three classes and the threshold
        np.testing.assert_allclose(lines[1].get_ydata(), fit.probabilities[:, 1])
        assert lines[2].get_linestyle() == "--" and list(lines[3].get_ydata()) == [0.5, 0.5]
    assert [t.get_text() for t in axes[0].get_legend().get_texts()][0] == "cat (present)"
    assert axes[0].get_ylabel() == "predicted probability" and axes[1].get_title() == "sigmoid"
    plt.close(fig)
