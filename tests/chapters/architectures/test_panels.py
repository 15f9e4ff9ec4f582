"""Chapter 06 panels and plots: the architecture explorer and the design-your-CNN panel."""

import numpy as np
import pytest
import torch
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from dlcourse.chapters.architectures import plots as viz
from dlcourse.chapters.architectures import tables as A
from dlcourse.chapters.architectures.panels import (
    architecture_panel,
    architecture_profile,
    design_counts,
    design_panel,
    other_architectures,
)
from dlcourse.ui import text_cache
from dlcourse.zoo import cam
from dlcourse.zoo.recipes import train_digits_cnn
from tests.chapters.panel_checks import assert_shows_like_a_fresh_panel

torch.set_num_threads(1)


def test_architecture_profile_totals_equal_the_summary_and_the_bars_add_up():
    out = architecture_profile("ResNet-50")
    assert out["params"] == 25_557_032     # torchvision's published count
    batch_norm = sum(r.params for r in A.architecture_summary("ResNet-50").rows
                     if r.type == "BatchNorm2d")
    assert sum(out["layer_params"]) == out["params"] - batch_norm   # bars: conv and FC only
    assert sum(out["layer_macs"]) == out["macs"]
    assert out["names"][1:5] == ["layer1", "layer2", "layer3", "layer4"]


def test_architecture_panel_redraws_for_another_architecture_and_grouping():
    panel = architecture_panel()
    image, summary = panel.image.value, panel.summary.value
    assert "61,100,840" in summary and "AlexNet" in summary
    panel.controls["name"].value = "GoogLeNet"
    assert panel.result["params"] == 6_624_904 and "inception4a" in panel.result["names"]
    assert panel.image.value != image and panel.summary.value != summary
    panel.controls["group"].value = False
    assert len(panel.result["names"]) == 58 and panel.last_update_ms > 0
    ax = panel.figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == panel.result["names"]
    assert ax.get_title() == "GoogLeNet: parameters and MACs per layer"


def test_architecture_panel_updated_in_place_shows_what_a_fresh_panel_shows():
    panel = architecture_panel()
    for change in [*(("name", name) for name in A.ARCHITECTURES), ("group", False),
                   ("name", "VGG-16"), ("name", "GoogLeNet"), ("group", True)]:
        assert_shows_like_a_fresh_panel(panel, architecture_panel, [change])


@pytest.mark.skipif(not text_cache.SUPPORTED, reason="the text caches need matplotlib 3.11")
def test_an_idle_architecture_explorer_lays_out_every_other_settings_layer_names():
    panel = architecture_panel("AlexNet", group=True)
    settings = other_architectures(panel.values())
    assert {(v["name"], v["group"]) for v in settings} == \
        {(name, group) for name in A.ARCHITECTURES for group in (True, False)} - {("AlexNet", True)}
    text_cache._layouts.clear()                  # whatever earlier tests showed
    list(panel.idle_work())
    for values in settings:
        names = architecture_profile(**values)["names"]
        assert all(any(name in key for key in text_cache._layouts) for name in names), values
    assert panel.figure.axes[0].get_title() == "AlexNet: parameters and MACs per layer"


def test_design_counts_report_errors_instead_of_raising():
    assert design_counts(A.DESIGN_64)["params"] == 699_306
    bad = design_counts("C8 Q", 64)
    assert bad["error"].startswith("cannot read") and bad["rows"] == []


def test_design_panel_recounts_when_the_design_or_image_size_changes():
    panel = design_panel()
    assert panel.result["params"] == 699_306 and "699,306" in panel.summary.value
    panel.controls["size"].value = 128      # the flattened features grow 4x
    assert panel.result["params"] == 699_306 + 3 * 2048 * 128
    panel.controls["spec"].value = "C16 R P Q"
    assert "cannot build" in panel.summary.value
    panel.controls["spec"].value = A.DESIGN_64_GAP
    assert panel.result["params"] == sum(r.params for r in A.count_design(
        A.DESIGN_64_GAP, (3, 128, 128)))


def test_design_panel_updated_in_place_shows_what_a_fresh_panel_shows():
    panel = design_panel()
    for change in [("spec", A.DESIGN_64_GAP), ("spec", "C16 R P L20"), ("size", 128),
                   ("spec", "C8 Q"), ("channels", 1), ("spec", "C512 R C512"),
                   ("spec", A.DESIGN_64), ("size", 32)]:
        assert_shows_like_a_fresh_panel(panel, design_panel, [change])
    ticks = [t.get_text() for t in panel.figure.axes[0].get_xticklabels()]
    assert ticks[-1] == "1e10"               # every design so far: the axis of the explorer
    panel.controls["size"].value = 128       # 512 * 512 * 9 * 128² = 3.9e10 MACs: it grows
    panel.controls["spec"].value = "C512 R C512"
    ticks = [t.get_text() for t in panel.figure.axes[0].get_xticklabels()]
    assert ticks[-1] == "1e11"
    assert panel.figure.axes[0].get_title() == "Your CNN: layers with parameters"
    panel.controls["spec"].value = "L10 C4"
    assert panel.figure.axes == [] and "cannot build" in panel.summary.value


def test_plots_draw_every_architecture_picture():
    fig = Figure()
    rows = A.overview()
    ax = viz.plot_overview(fig.add_subplot(), rows)
    shown = {t.get_text() for t in ax.texts}
    assert shown == {r.name for r in rows} and ax.get_xlabel().startswith("GMACs")
    points = [c.get_offsets()[0] for c in ax.collections]        # (GMACs, parameters in M)
    assert sorted(p[1] for p in points) == pytest.approx(sorted(r.params / 1e6 for r in rows))
    ax = viz.plot_ilsvrc(Figure().add_subplot())
    heights = [bar.get_height() for bar in ax.patches]
    assert heights == [err for _, _, err in A.ILSVRC] and ax.get_ylabel() == "top-5 error (%)"
    ax = viz.plot_inception(Figure().add_subplot(), A.inception_branches(), 192)
    assert "163,696" in ax.get_title()        # 12,352 + 129,248 + 15,920 + 6,176


def test_filter_feature_map_cam_and_training_plots_use_a_trained_model():
    result = train_digits_cnn("torch", epochs=1, width=4, train_samples=64, progress=False)
    x = np.random.default_rng(0).random((3, 1, 8, 8)).astype(np.float32)
    fig = viz.plot_filters(Figure(), cam.first_layer_filters(result.model))
    assert sum(ax.get_visible() for ax in fig.axes) == 4
    fig = viz.plot_feature_maps(Figure(), x[0], cam.feature_maps(result.model, x[:1], 2)[0])
    assert sum(ax.get_visible() for ax in fig.axes) == 5
    maps = cam.class_activation_maps(result.model, x)
    fig = viz.plot_cams(Figure(), x, maps.maps, [0, 1, 2], maps.class_index)
    assert len(fig.axes) == 6
    fig = viz.plot_training_comparison(Figure(), [result])
    assert len(fig.axes) == 3 and fig.axes[0].get_lines()


def test_layer_profile_plot_draws_a_pair_of_bars_per_layer_and_the_design_table_totals():
    names, params, macs = A.layer_profile("AlexNet")
    ax = viz.plot_layer_profile(Figure(), names, params, macs)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(names)
    for bars, counts, colour in zip(ax.collections, (params, macs), ("tab:blue", "tab:orange"),
                                    strict=True):
        assert to_hex(bars.get_facecolor()[0]) == to_hex(colour)
        corners = [(p.vertices.min(axis=0), p.vertices.max(axis=0)) for p in bars.get_paths()]
        spans = np.array([(high[0], (low[1] + high[1]) / 2) for low, high in corners])
        np.testing.assert_allclose(spans[:, 0], np.log10(np.maximum(counts, 1)))  # lengths
        offset = -0.2 if colour == "tab:blue" else 0.2        # parameters above, MACs below
        np.testing.assert_allclose(spans[:, 1], np.arange(len(names)) + offset)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["parameters", "multiply-adds (MACs)"]
    text = A.format_design(A.count_design("C16 R P L20"))
    assert text.splitlines()[-1].split()[:2] == ["total", "328,148"]
