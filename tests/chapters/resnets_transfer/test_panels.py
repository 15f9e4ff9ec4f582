"""Chapter 08 panel and plots: depth -> plain vs residual loss curves and gradient norms."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from dlcourse.chapters.resnets_transfer import residual
from dlcourse.chapters.resnets_transfer.panels import (
    depth_comparison,
    depth_panel,
    shared_limits,
)
from dlcourse.chapters.resnets_transfer.plots import plot_degradation, plot_transfer, smooth
from dlcourse.chapters.resnets_transfer.transfer import TransferResult
from tests.chapters.panel_checks import assert_shows_like_a_fresh_panel

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def runs():
    X, y, X_test, y_test = residual.digits_split(seed=0)
    data = (X[:256], y[:256], X_test[:100], y_test[:100])
    return residual.degradation_experiment((8, 14), width=4, epochs=2, data=data)


def test_depth_comparison_reports_both_kinds_of_the_chosen_depth(runs):
    out = depth_comparison(runs, 14, "trained")
    assert out["runs"] is runs[14] and set(out["summary"]) == {"plain", "residual"}
    plain = runs[14]["plain"]
    assert out["summary"]["plain"]["final_loss"] == pytest.approx(plain.epoch_losses[-1])
    ratio = plain.grad_norms_trained[0] / plain.grad_norms_trained[-1]
    assert out["summary"]["plain"]["first_to_last"] == pytest.approx(ratio)
    with pytest.raises(ValueError, match="trained depths"):
        depth_comparison(runs, 20)
    with pytest.raises(ValueError, match="when"):
        depth_comparison(runs, 8, "never")


def test_depth_panel_redraws_for_another_depth_and_moment(runs):
    panel = depth_panel(runs)
    assert panel.result["depth"] == 14 and "plain-14" in panel.summary.value
    image, summary = panel.image.value, panel.summary.value
    panel.controls["depth"].value = 8
    assert panel.result["depth"] == 8 and "ResNet-8" in panel.summary.value
    assert panel.image.value != image and panel.summary.value != summary
    image = panel.image.value
    panel.controls["when"].value = "trained"
    assert panel.result["when"] == "trained" and panel.image.value != image
    assert len(panel.figure.axes) == 2 and panel.last_update_ms > 0


def test_depth_panel_updated_in_place_shows_what_a_fresh_panel_shows(runs):
    panel = depth_panel(runs)
    build = lambda depth, when: depth_panel(runs, depth, when)  # noqa: E731
    for change in [("depth", 8), ("when", "trained"), ("depth", 14), ("when", "init"),
                   ("depth", 8)]:
        assert_shows_like_a_fresh_panel(panel, build, [change])
    loss_ax, grad_ax = panel.figure.axes
    assert [t.get_text() for t in loss_ax.get_legend().get_texts()] == ["plain-8", "ResNet-8"]
    assert grad_ax.get_title() == "Gradient norm per layer, at initialisation"
    np.testing.assert_allclose(grad_ax.lines[0].get_ydata(), runs[8]["plain"].grad_norms_init)
    np.testing.assert_allclose(loss_ax.lines[1].get_ydata(),
                               smooth(runs[8]["residual"].step_losses))
    top, (low, high) = shared_limits(runs)          # the y axes stay while the slider moves
    assert loss_ax.get_ylim() == pytest.approx((0, top))
    assert grad_ax.get_ylim() == pytest.approx((10.0 ** low, 10.0 ** high))


def test_shared_limits_fit_every_run_and_moment(runs):
    top, (low, high) = shared_limits(runs)
    every = [run for pair in runs.values() for run in pair.values()]
    assert max(smooth(run.step_losses).max() for run in every) < top
    norms = np.concatenate([np.r_[r.grad_norms_init, r.grad_norms_trained] for r in every])
    assert 10.0 ** low <= norms.min() and norms.max() <= 10.0 ** high
    assert 10.0 ** (low + 1) > norms.min() and norms.max() > 10.0 ** (high - 1)  # no spare


def test_smooth_is_a_running_mean():
    np.testing.assert_allclose(smooth([1.0, 3.0, 5.0, 7.0], window=3), [1, 2, 3, 5])


def test_plots_draw_a_line_per_run_and_per_strategy(runs):
    fig = Figure()
    plot_degradation(fig, runs)
    left, right = fig.axes
    assert len(left.lines) == 4 and len(right.lines) == 2
    accuracy = {"scratch": np.array([[0.4, 0.6], [0.6, 0.6]]),      # (sizes, seeds)
                "fine-tuning": np.array([[0.7, 0.7], [0.8, 0.9]])}
    result = TransferResult([2, 5], accuracy, {"scratch": 10, "fine-tuning": 10})
    ax = Figure().subplots()
    plot_transfer(ax, result)
    np.testing.assert_allclose([line.get_ydata() for line in ax.lines], [[0.5, 0.6], [0.7, 0.85]])
    band = ax.collections[0].get_paths()[0].vertices[:, 1]          # scratch: min to max
    assert band.min() == 0.4 and band.max() == 0.6
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "all (5)"]
    assert ax.get_legend() is not None and ax.get_xlabel() and ax.get_title()


def test_plot_segmentation_shows_image_truth_and_each_prediction():
    from dlcourse.chapters.resnets_transfer.plots import plot_segmentation

    images = torch.rand(4, 1, 8, 16)
    masks = torch.randint(0, 4, (4, 8, 16))
    predictions = {"pretrained": masks.flip(2), "random": torch.zeros_like(masks)}
    fig = Figure(layout="constrained")
    plot_segmentation(fig, images, masks, predictions, count=2)
    assert len(fig.axes) == 2 * 4
    shown = [ax.images[0].get_array() for ax in fig.axes[:4]]        # first row
    np.testing.assert_array_equal(shown[0], images[0, 0].numpy())
    np.testing.assert_array_equal(shown[1], masks[0].numpy())
    np.testing.assert_array_equal(shown[2], masks[0].flip(1).numpy())
    assert [ax.get_title() for ax in fig.axes[:4]] == [
        "image", "true mask", "pretrained backbone", "random backbone"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["background", "7", "8", "9"]
