"""dlcourse.chapters.gans.anomaly: digit GAN, z* search, ROC and AUC (vs scikit-learn)."""

import numpy as np
import pytest
import torch
from sklearn import metrics

from dlcourse.chapters.gans import anomaly as ga

torch.set_num_threads(1)


@pytest.mark.parametrize("seed", range(5))
def test_roc_curve_and_auc_match_sklearn_including_ties(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, 40)
    labels[:2] = (0, 1)
    scores = np.round(rng.normal(size=40) + labels, 1)       # rounding makes ties
    fpr, tpr, thresholds = ga.roc_curve(scores, labels)
    s_fpr, s_tpr, s_thr = metrics.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, s_fpr)
    np.testing.assert_allclose(tpr, s_tpr)
    np.testing.assert_allclose(thresholds[1:], s_thr[1:])
    assert ga.auc(fpr, tpr) == pytest.approx(metrics.roc_auc_score(labels, scores))


def test_auc_is_one_for_a_perfect_ranking_and_one_half_for_constant_scores():
    labels = np.array([0, 0, 1, 1])
    assert ga.auc(*ga.roc_curve(np.array([0.1, 0.2, 0.8, 0.9]), labels)[:2]) == 1.0
    assert ga.auc(*ga.roc_curve(np.zeros(4), labels)[:2]) == 0.5


def test_roc_curve_needs_both_classes():
    with pytest.raises(ValueError, match="both classes"):
        ga.roc_curve(np.arange(3.0), np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        ga.roc_curve(np.arange(3.0), np.array([0, 1]))


def test_anomaly_split_trains_on_normal_digits_only():
    split = ga.anomaly_split((0, 6), n_anomalies=50)
    assert split.train.shape[1] == 64 and len(split.test) == len(split.labels)
    assert int(split.labels.sum()) == 50
    assert set(split.digits[split.labels == 0].tolist()) <= {0, 6}
    assert not set(split.digits[split.labels == 1].tolist()) & {0, 6}
    with pytest.raises(ValueError, match="normal"):
        ga.anomaly_split((42,))


@pytest.mark.slow
@pytest.mark.kernel_sensitive
def test_gan_trained_on_zeros_scores_other_digits_as_anomalies():
    split = ga.anomaly_split((0,))
    gan = ga.train_digit_gan(split.train, steps=400)
    recon, scores = ga.reconstruct(gan, split.test, steps=100)
    assert recon.shape == split.test.shape and (0 <= recon).all() and (recon <= 1).all()
    fpr, tpr, _ = ga.roc_curve(scores, split.labels)
    assert ga.auc(fpr, tpr) > 0.9
    assert all(p.requires_grad for p in gan.generator.parameters())   # restored


@pytest.mark.kernel_sensitive
def test_reconstruct_keeps_the_best_restart():
    split = ga.anomaly_split((0,), n_anomalies=5)
    gan = ga.train_digit_gan(split.train, steps=20, hidden=16)
    _, one = ga.reconstruct(gan, split.test[:6], steps=10, restarts=1)
    _, four = ga.reconstruct(gan, split.test[:6], steps=10, restarts=4)
    assert (four <= one + 1e-12).all()      # restart 0 is the same start in both
