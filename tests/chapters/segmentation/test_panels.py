"""Chapter 09 panel (dlcourse.chapters.segmentation.panels) and plots
(dlcourse.chapters.segmentation.plots)."""

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from dlcourse.chapters.segmentation import plots as viz
from dlcourse.chapters.segmentation.panels import transposed_conv_panel
from dlcourse.chapters.segmentation.training import (
    SegmentationRun,
    small_object_case,
)
from dlcourse.chapters.segmentation.upsampling import (
    NOTES_INPUT,
    NOTES_KERNEL,
    notes_example,
    stamps,
    transposed_conv_explorer,
    upsample_four_ways,
)
from dlcourse.metrics import segmentation_metrics
from tests.chapters.panel_checks import assert_shows_like_a_fresh_panel

matplotlib.use("Agg")


def test_panel_starts_at_the_notes_5x5_and_padding_1_crops_it_to_3x3():
    panel = transposed_conv_panel()
    np.testing.assert_array_equal(panel.result["output"], notes_example())
    image, summary = panel.image.value, panel.summary.value
    assert "= 5" in summary
    panel.controls["padding"].value = 1
    np.testing.assert_array_equal(panel.result["output"], notes_example(padding=1))
    assert "= 3" in panel.summary.value and panel.image.value != image
    assert panel.last_update_ms > 0


def test_panel_ones_kernel_follows_the_kernel_size_slider():
    panel = transposed_conv_panel(kernel="ones")
    panel.controls["kernel_size"].value = 4
    assert panel.result["w"].shape == (4, 4) and panel.result["output"].shape == (6, 6)
    panel.controls["in_size"].value = 3
    panel.controls["stride"].value = 1
    assert panel.result["output"].shape == (6, 6)   # (3 - 1)*1 + 4


def test_panel_explains_an_invalid_output_padding_instead_of_failing():
    panel = transposed_conv_panel()
    panel.controls["output_padding"].value = 2
    assert "not a valid layer" in panel.summary.value
    panel.controls["stride"].value = 3
    assert panel.result["output"].shape == (8, 8)   # (2-1)*3 - 2*0 + 3 + 2


def test_panel_updated_in_place_shows_what_a_fresh_panel_shows():
    panel = transposed_conv_panel()
    for change in [("padding", 1), ("stride", 3), ("output_padding", 2), ("output_padding", 1),
                   ("kernel", "ones"), ("kernel_size", 5), ("in_size", 4), ("stride", 1),
                   ("in_size", 1), ("kernel", "notes"), ("padding", 0)]:
        assert_shows_like_a_fresh_panel(panel, transposed_conv_panel, [change])
    assert [t.get_text() for t in panel.figure.axes[0].texts] == [panel.result["error"]]
    panel.controls["output_padding"].value = 0      # stride 1 allows none: valid again
    texts = {t.get_text() for t in panel.figure.axes[0].texts}
    assert {"input I", "kernel K", "output 3×3"} <= texts and panel.result["error"] is None


def test_plot_scatter_add_frames_every_stamp_and_the_crop():
    fig = Figure()
    result = transposed_conv_explorer(padding=1)
    viz.plot_scatter_add(fig, result)
    ax = fig.axes[0]
    frames = [(p.get_width(), p.get_height()) for p in ax.patches]
    assert frames.count((3, 3)) == 4 + 1   # a 3x3 frame per input pixel's stamp, and the crop
    assert len(ax.images) == result["x"].size   # one stamp image per input pixel
    assert any(t.get_text() == "output 3×3" for t in ax.texts)


def test_plot_stamps_draws_one_panel_per_input_pixel_plus_sum_and_crop():
    fig = Figure()
    viz.plot_stamps(fig, NOTES_INPUT, NOTES_KERNEL, stamps(NOTES_INPUT, NOTES_KERNEL, 2),
                    stride=2, output=notes_example(padding=1), crop=(1, 1, 3))
    assert len(fig.axes) == 6 and fig.axes[-1].get_title() == "crop: 3×3"


def test_plot_upsamplings_titles_each_method_with_its_size():
    fig = Figure()
    viz.plot_upsamplings(fig, NOTES_INPUT, upsample_four_ways(NOTES_INPUT))
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["input 2×2", "nearest 4×4", "bilinear 4×4", "transposed 4×4",
                      "pixel shuffle 4×4"]


def test_mask_overlay_tints_objects_and_leaves_background_grey():
    image = np.full((2, 2), 0.5)
    rgb = viz.mask_overlay(image, np.array([[0, 2], [0, 0]]))
    np.testing.assert_allclose(rgb[0, 0], [0.5, 0.5, 0.5])
    assert not np.allclose(rgb[0, 1], [0.5, 0.5, 0.5])


def test_plot_segmentations_and_metric_cases_and_training_draw():
    rng = np.random.default_rng(0)
    masks = rng.integers(4, size=(3, 8, 8))
    fig = Figure()
    viz.plot_segmentations(fig, rng.random((3, 1, 8, 8)), masks, masks[::-1], n=3)
    assert len(fig.axes) == 9
    target, preds = small_object_case()
    metrics = {name: segmentation_metrics(target, p, 2) for name, p in preds.items()}
    fig = Figure()
    viz.plot_metric_cases(fig, target, preds, metrics)
    assert "pixel acc 0.965" in fig.axes[1].get_xlabel()
    run = SegmentationRun(model=None, train_loss=[1.0, 0.5], val_iou=[0.3, 0.6])
    ax = viz.plot_training(Figure().add_subplot(), run)
    assert len(ax.get_legend().get_texts()) == 2
