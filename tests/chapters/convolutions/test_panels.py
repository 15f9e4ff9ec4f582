"""Chapter 05 panels redraw when a control changes; the plots they use are labelled."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from dlcourse.chapters.convolutions.geometry import convolution_geometry, edge_filters
from dlcourse.chapters.convolutions.panels import (
    STACKS,
    convolution_panel,
    explore_convolution,
    explore_receptive_field,
    receptive_field_panel,
)
from dlcourse.chapters.convolutions.plots import (
    plot_convolution,
    plot_maps,
    plot_matrix,
    plot_receptive_field,
)
from dlcourse.chapters.convolutions.receptive_fields import receptive_field_explorer
from tests.chapters.panel_checks import assert_shows_like_a_fresh_panel


def test_convolution_panel_reports_size_and_parameters_and_redraws():
    panel = convolution_panel()
    image, summary = panel.image.value, panel.summary.value
    assert panel.result["geometry"].output_size == 5 and "<b>28</b>" in summary  # 3*3*3 + 1
    panel.controls["out_channels"].value = 32
    assert "<b>896</b>" in panel.summary.value and panel.image.value != image  # 864 + 32
    panel.controls["padding"].value = 1
    assert panel.result["geometry"].output_size == 7 and panel.summary.value != summary


def test_convolution_panel_flags_a_stride_that_does_not_fit():
    panel = convolution_panel(input_size=8)
    assert "not an integer" not in panel.summary.value
    panel.controls["stride"].value = 2           # (8 - 3)/2 + 1 = 3.5
    assert "not an integer" in panel.summary.value and "7/2" in panel.summary.value
    assert panel.result["geometry"].output_size == 3


def test_convolution_panel_explains_an_impossible_kernel():
    panel = convolution_panel(input_size=3)
    panel.controls["kernel_size"].value = 5
    assert panel.result["geometry"] is None and "Impossible" in panel.summary.value
    assert explore_convolution(5, 3, dilation=3)["error"].startswith("the kernel covers 7")


def test_convolution_panel_window_number_moves_the_highlight():
    panel = convolution_panel()
    first = panel.image.value
    panel.controls["step"].value = 7
    assert panel.result["step"] == 7 and panel.image.value != first


def test_receptive_field_panel_grows_the_field_and_uses_presets():
    panel = receptive_field_panel()
    assert panel.result["rf"] == 14 and "14 x 14" in panel.summary.value
    presets = panel.children[0].children[0]
    presets.value = STACKS["three 3x3 convolutions"]
    assert panel.controls["layers"].value == "c3 c3 c3" and panel.result["rf"] == 7
    image = panel.image.value
    panel.controls["digit"].value = 5
    assert panel.image.value != image and panel.result["image"].shape == (28, 28)


def test_receptive_field_panel_shows_a_readable_error():
    panel = receptive_field_panel()
    panel.controls["layers"].value = "c3 q2"
    assert "cannot read layer 'q2'" in panel.summary.value
    assert explore_receptive_field("c9 c9 c9 c9")["error"].startswith("layer 4")


def test_plot_convolution_marks_the_dropped_pixels_in_the_legend():
    fig = Figure()
    summary = plot_convolution(fig, convolution_geometry(8, 3, stride=2), step=3)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "never reached" in labels and "not an integer" in summary
    assert fig.axes[0].get_title().startswith("input 8x8x1")


def test_plot_receptive_field_draws_each_layers_field_at_its_size():
    fig = Figure()
    result = receptive_field_explorer("c3 c3 p2", 28)
    plot_receptive_field(fig, result, np.zeros((28, 28)))
    ax = fig.axes[0]
    assert [(box.get_width(), box.get_height()) for box in ax.patches] == [(3, 3), (5, 5), (6, 6)]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "1: conv 3x3 → 3x3", "2: conv 3x3 → 5x5", "3: pool 2x2 s2 → 6x6"]
    assert ax.get_xlabel() == "image column"


def test_plot_maps_and_plot_matrix_label_what_they_show():
    fig = plot_maps(Figure(), np.stack(list(edge_filters().values())), list(edge_filters()))
    assert [ax.get_title() for ax in fig.axes] == list(edge_filters())
    ax = plot_matrix(Figure().add_subplot(), np.arange(6).reshape(2, 3), title="m")
    assert ax.get_title() == "m"
    assert sorted(float(t.get_text()) for t in ax.texts) == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("build, changes", [
    (convolution_panel, [("stride", 2), ("padding", 1), ("kernel_size", 5), ("dilation", 2),
                         ("input_size", 12), ("out_channels", 32), ("step", 4),
                         ("input_size", 3), ("input_size", 8), ("stride", 3), ("step", 2)]),
    (receptive_field_panel, [("layers", "c3 c3 c3"), ("digit", 3), ("layers", "c3 q2"),
                             ("layers", "c3 c3d2 c3d4"), ("layers", "c7"), ("digit", 9)]),
])
def test_panels_after_changes_show_what_a_fresh_panel_shows(build, changes):
    assert_shows_like_a_fresh_panel(build(), build, changes)


def test_convolution_panel_writes_one_number_per_output_cell_up_to_ten_by_ten():
    panel = convolution_panel(input_size=12, kernel_size=1)          # output 12 x 12: none
    assert len(panel.figure.axes[1].texts) == 0
    panel.controls["kernel_size"].value = 3                           # 10 x 10
    values = [float(t.get_text()) for t in panel.figure.axes[1].texts]
    assert values == panel.result["geometry"].output.ravel().tolist() and len(values) == 100
    legend = [t.get_text() for t in panel.figure.legends[0].get_texts()]
    assert legend == ["input", "kernel centres", "window 0 (taps)"]
    assert len(panel.figure.legends) == 1
