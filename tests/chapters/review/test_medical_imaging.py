"""Chapter 12 demos: dimensionality table, annotator agreement, subgroup accuracy, plots."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from sklearn.metrics import cohen_kappa_score

from dlcourse.chapters.review import medical_imaging as review
from dlcourse.chapters.review.plots import plot_annotators, plot_cams
from dlcourse.zoo import cam, small_cnn_engine

torch.set_num_threads(1)


def test_dimensionality_table_counts_match_the_formula_and_torch_shapes():
    rows = review.cnn_dimensionality_table(depth=6, height=10, width=12, out_channels=4)
    # k*k*C_in*K + K (2-D: C_in = 1; 2.5-D: C_in = 3) and k*k*k*1*K + K for 3-D
    assert [row.params for row in rows] == [3 * 3 * 1 * 4 + 4, 3 * 3 * 3 * 4 + 4,
                                            3 * 3 * 3 * 4 + 4, 3 * 3 * 3 * 4 + 4]
    assert [row.passes for row in rows] == [6, 6, 6 * 10 * 12, 1]
    conv3d = torch.nn.Conv3d(1, 4, 3, padding=1)
    assert rows[3].output_shape == tuple(conv3d(torch.zeros(rows[3].input_shape)).shape)
    conv2d = torch.nn.Conv2d(3, 4, 3, padding=1)
    assert rows[1].output_shape == tuple(conv2d(torch.zeros(rows[1].input_shape)).shape)


def test_agreement_matches_sklearn_kappa_and_hand_dice():
    a, b = review.two_annotators(seed=1)
    scores = review.agreement(a, b)
    overlap = (a & b).sum()
    assert scores["dice"] == pytest.approx(2 * overlap / (a.sum() + b.sum()))
    assert scores["iou"] == pytest.approx(overlap / (a | b).sum())
    assert scores["kappa"] == pytest.approx(cohen_kappa_score(a.ravel(), b.ravel()))
    assert scores["pixel_agreement"] > scores["dice"]  # background inflates plain agreement
    with pytest.raises(ValueError, match="shape"):
        review.agreement(a, b[:-1])


def test_subgroup_accuracy_reports_each_group_and_the_gap():
    result = review.subgroup_accuracy([0, 1, 1, 0], [0, 1, 0, 1], ["a", "a", "b", "b"])
    assert result["a"] == {"n": 2, "accuracy": 1.0} and result["b"]["accuracy"] == 0.0
    assert result["gap"] == 1.0


def test_a_rare_subgroup_gets_worse_accuracy_than_with_balanced_training():
    rare = review.fairness_demo(minority_fraction=0.03, seed=0)
    balanced = review.fairness_demo(minority_fraction=0.5, seed=0)
    assert rare["B"]["accuracy"] < rare["A"]["accuracy"] - 0.1
    assert rare["gap"] > balanced["gap"] + 0.1


def test_plots_draw_one_axes_per_panel():
    a, b = review.two_annotators()
    assert len(plot_annotators(Figure(), a, b).axes) == 3
    net = small_cnn_engine(width=4, rng=0).eval()
    images = np.random.default_rng(0).random((3, 1, 8, 8)).astype(np.float32)
    fig = plot_cams(Figure(), images, [0, 1, 2], cam.class_activation_maps(net, images))
    assert len(fig.axes) == 6 and fig.axes[0].get_title() == "label 0"
    assert fig.axes[3].get_title().startswith("CAM of")


def test_both_25d_inputs_are_the_planes_through_the_voxel_and_the_neighbouring_slices():
    volume = review.ball_and_tube(depth=7, size=9)
    t = torch.tensor(volume)
    for z, y, x in [(3, 4, 2), (0, 0, 8), (6, 8, 0)]:
        parts = review.inputs_25d(volume, z, y, x)
        for axis, (index, name) in enumerate(zip((z, y, x), ("axial", "coronal", "sagittal"),
                                                 strict=True)):
            expected = t.select(axis, index).numpy()
            np.testing.assert_array_equal(parts[name], expected)
        slab = torch.tensor([z - 1, z, z + 1]).clamp(0, 6)
        np.testing.assert_array_equal(parts["adjacent"], t.index_select(0, slab).numpy())
        # the two definitions share only the axial plane
        np.testing.assert_array_equal(parts["adjacent"][1], parts["axial"])


def test_inputs_25d_names_a_voxel_outside_the_volume():
    with pytest.raises(ValueError, match=r"voxel \(5, 0, 0\) lies outside"):
        review.inputs_25d(np.zeros((5, 2, 2)), 5, 0, 0)
    with pytest.raises(ValueError, match="must be"):
        review.inputs_25d(np.zeros((5, 2)), 0, 0, 0)


def test_cam_masks_keep_the_pixels_above_a_fraction_of_each_maximum_and_iou_is_jaccard():
    from sklearn.metrics import jaccard_score

    cams = np.random.default_rng(0).random((3, 5, 5))
    masks = review.cam_masks(cams, 0.6)
    for one_map, mask in zip(cams, masks, strict=True):
        np.testing.assert_array_equal(mask, one_map >= 0.6 * one_map.max())
    truth = np.random.default_rng(1).random((3, 5, 5)) > 0.5
    expected = [jaccard_score(t.ravel(), m.ravel()) for t, m in zip(truth, masks, strict=True)]
    np.testing.assert_allclose(review.mask_iou(masks, truth), expected)
    with pytest.raises(ValueError, match="fraction"):
        review.cam_masks(cams, 0)


def test_autoencoder_errors_match_sklearn_pca_and_the_auc_matches_roc_auc():
    from sklearn.decomposition import PCA
    from sklearn.metrics import roc_auc_score

    from dlcourse.data import digits, train_val_test_split

    r = review.autoencoder_anomaly(code_size=8, unseen=9, seed=0)
    X, y = digits(flatten=True, seed=0)
    (X_tr, y_tr), _, (X_te, y_te) = train_val_test_split(X.astype(np.float64), y, seed=0)
    pca = PCA(8, svd_solver="full").fit(X_tr[y_tr != 9])
    errors = ((pca.inverse_transform(pca.transform(X_te)) - X_te) ** 2).mean(axis=1)
    np.testing.assert_allclose(np.sort(r["normal"]), np.sort(errors[y_te != 9]), rtol=1e-8)
    np.testing.assert_allclose(np.sort(r["anomalous"]), np.sort(errors[y_te == 9]), rtol=1e-8)
    assert r["auc"] == pytest.approx(roc_auc_score(y_te == 9, errors)) and r["auc"] > 0.6


def test_mixup_mixes_inputs_and_one_hot_labels_and_names_bad_arguments():
    from dlcourse.data.mixing import mixup

    a, b = np.full((2, 2), 2.0), np.full((2, 2), 6.0)
    x, t = mixup(a, 1, b, 1, lam=0.25, num_classes=3)
    np.testing.assert_allclose(x, 5.0)
    assert t.tolist() == [0.0, 1.0, 0.0]
    for kwargs, words in [(dict(lam=1.5, num_classes=3), "lam"),
                          (dict(lam=0.5, num_classes=1), "outside")]:
        with pytest.raises(ValueError, match=words):
            mixup(a, 1, b, 0, **kwargs)
    with pytest.raises(ValueError, match="differ in shape"):
        mixup(a, 0, np.ones(3), 0, lam=0.5, num_classes=2)
