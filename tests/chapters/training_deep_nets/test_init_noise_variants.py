"""Xavier's two forms, gradient descent from several starts, DropConnect and alpha-dropout:
checked against torch.nn.init, closed forms and torch's own layers."""

import numpy as np
import pytest
import torch

from dlcourse.chapters.training_deep_nets import init_choices as ic
from dlcourse.chapters.training_deep_nets import noise_variants as nv


def test_xavier_uniform_and_normal_have_torchs_variance():
    r = ic.xavier_uniform_vs_normal(300, 100, samples=100_000)
    w_u, w_n = torch.empty(100, 300), torch.empty(100, 300)
    torch.nn.init.xavier_uniform_(w_u, generator=torch.Generator().manual_seed(0))
    torch.nn.init.xavier_normal_(w_n, generator=torch.Generator().manual_seed(0))
    assert float(w_u.abs().max()) <= r["uniform_bound"] < float(w_u.abs().max()) * 1.01
    assert r["variance"] == r["uniform_variance"] == pytest.approx(2 / 400)
    for sample in (r["uniform_sample"], r["normal_sample"], float(w_u.var()), float(w_n.var())):
        assert sample == pytest.approx(r["variance"], rel=0.03)
    with pytest.raises(ValueError, match="positive"):
        ic.xavier_uniform_vs_normal(0, 3)


def test_gradient_descent_meets_in_the_convex_minimum_and_splits_on_the_non_convex_one():
    convex = ic.gradient_descent_endpoints(ic.CONVEX[1], [-5.0, 0.0, 7.0])
    np.testing.assert_allclose(convex, 1.0, atol=1e-9)
    ends = ic.gradient_descent_endpoints(ic.NON_CONVEX[1], [-2.0, 2.0])
    f, grad = ic.NON_CONVEX
    np.testing.assert_allclose(grad(ends), 0, atol=1e-9)        # both are stationary points
    roots = np.roots([4, 0, -6, 1])                             # f'(w) = 4w^3 - 6w + 1
    minima = sorted(r.real for r in roots if 12 * r.real ** 2 - 6 > 0)
    np.testing.assert_allclose(ends, minima, atol=1e-9)
    assert f(ends[0]) < f(ends[1])                              # only one is the global one


def test_dropconnect_and_dropout_keep_the_mean_output_and_silence_what_they_should():
    r = nv.dropconnect_vs_dropout(in_features=6, out_features=3, p=0.3, samples=50_000)
    for name in ("dropout_mean", "dropconnect_mean"):
        np.testing.assert_allclose(r[name], r["clean"], atol=0.05 * np.abs(r["clean"]).max())
    assert r["dropout_zero_weights"] % 3 == 0                  # a dropped unit = a column
    with pytest.raises(ValueError, match="p must be"):
        nv.dropconnect_vs_dropout(p=1.0)


def test_alpha_dropout_keeps_selus_mean_and_variance_and_dropout_does_not():
    p = 0.2
    r = nv.alpha_dropout_statistics(p)
    assert r["selu"][0] == pytest.approx(0, abs=0.01) and r["selu"][1] == pytest.approx(1, abs=0.01)
    assert r["alpha_dropout"][1] == pytest.approx(1, abs=0.02)
    # inverted dropout: E[(a m / (1-p))^2] = E[a^2] / (1 - p) with E[a^2] ~ 1
    assert r["dropout"][1] == pytest.approx(1 / (1 - p), rel=0.02)


def test_covariate_shift_costs_accuracy_and_training_on_shifted_copies_wins_some_back():
    from dlcourse.chapters.training_deep_nets.distribution_shift import covariate_shift_accuracy
    from dlcourse.data import digits, shift, train_val_test_split

    r = covariate_shift_accuracy(dx=2, seed=0)
    # the labels' rule is unchanged, only the inputs moved: accuracy collapses, and training
    # on shifted copies recovers part of it
    assert r["shifted"] < 0.5 * r["clean"] and r["shifted"] < r["shifted_trained"]
    # independent check of the clean score: scikit-learn's NearestCentroid
    from sklearn.neighbors import NearestCentroid
    X, y = digits(seed=0)
    (X_tr, y_tr), _, (X_te, y_te) = train_val_test_split(X, y, seed=0)
    flat = lambda a: a.reshape(len(a), -1)  # noqa: E731
    model = NearestCentroid().fit(flat(X_tr), y_tr)
    assert r["clean"] == pytest.approx(model.score(flat(X_te), y_te))
    assert r["shifted"] == pytest.approx(model.score(flat(shift(X_te, 2, 0)), y_te))
