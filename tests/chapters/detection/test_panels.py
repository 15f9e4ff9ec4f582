"""Chapter 10 panel (dlcourse.chapters.detection.panels) and plots
(dlcourse.chapters.detection.plots)."""

import matplotlib
import numpy as np
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from dlcourse.chapters.detection import experiments as demo
from dlcourse.chapters.detection import plots as viz
from dlcourse.chapters.detection.panels import nms_panel
from tests.chapters.panel_checks import assert_shows_like_a_fresh_panel

matplotlib.use("Agg")


def test_nms_panel_starts_with_the_three_objects_and_follows_the_iou_slider():
    panel = nms_panel()
    assert panel.result["kept"].tolist() == [10, 0, 5]
    assert "keeps 3" in panel.summary.value
    image = panel.image.value
    panel.controls["iou_threshold"].value = 1.0       # nothing overlaps "more than" 1
    assert len(panel.result["kept"]) == len(panel.result["candidates"]) == 15
    assert "keeps 15" in panel.summary.value and panel.image.value != image
    assert panel.last_update_ms > 0


def test_nms_panel_score_threshold_removes_candidates_before_nms():
    panel = nms_panel()
    panel.controls["score_threshold"].value = 0.9
    r = panel.result
    assert (r["scores"][r["candidates"]] >= 0.9).all()
    assert (r["scores"][r["dropped"]] < 0.9).all()
    assert f"{len(r['dropped'])} boxes below" in panel.summary.value


def _rectangles(ax, color=None):
    """The (x1, y1, x2, y2) of every visible rectangle on ``ax`` (of one edge ``color``),
    rounded."""
    return {tuple(np.round([p.get_x(), p.get_y(), p.get_x() + p.get_width(),
                            p.get_y() + p.get_height()], 2)) for p in ax.patches
            if p.get_visible() and (color is None or to_hex(p.get_edgecolor()) == to_hex(color))}


def _as_set(boxes):
    return {tuple(np.round(b, 2)) for b in boxes}


def test_plot_nms_draws_every_candidate_and_the_kept_suppressed_split():
    r = demo.nms_explorer()
    fig = viz.plot_nms(Figure(), r)
    left, right = fig.axes
    assert _as_set(r["boxes"]) <= _rectangles(left)               # every detection
    assert _as_set(r["boxes"][r["kept"]]) <= _rectangles(right)   # and what NMS kept
    assert _as_set(r["objects"]) <= _rectangles(right)            # next to the objects
    assert "kept 3" in right.get_title()
    assert _rectangles(right, "tab:green") == _as_set(r["boxes"][r["kept"]])
    assert _rectangles(right, "tab:red") == _as_set(r["boxes"][r["suppressed"]])
    assert _rectangles(left, "0.6") == _as_set(r["boxes"][r["dropped"]])
    labels = {t.get_text() for t in right.texts if t.get_visible()}
    assert labels == {f"#{i} {r['scores'][i]:.2f}" for i in r["kept"]}


def test_nms_panel_updated_in_place_shows_what_a_fresh_panel_shows():
    panel = nms_panel()
    for change in [("iou_threshold", 0.1), ("iou_threshold", 0.7), ("score_threshold", 0.0),
                   ("score_threshold", 0.6), ("iou_threshold", 1.0), ("score_threshold", 1.0),
                   ("score_threshold", 0.3), ("iou_threshold", 0.5)]:
        assert_shows_like_a_fresh_panel(panel, nms_panel, [change])
    left, right = panel.figure.axes
    r = panel.result
    assert _rectangles(right, "tab:green") == _as_set(r["boxes"][r["kept"]])
    assert right.get_title().startswith("NMS at IoU 0.50: kept 3")


def test_plot_iou_fills_the_intersection_and_titles_the_value():
    ax = viz.plot_iou(Figure().add_subplot(), (2, 2, 8, 6), (5, 3, 11, 9), 9 / 51)
    assert _rectangles(ax) == {(2, 2, 8, 6), (5, 3, 11, 9), (5, 3, 8, 6)}  # A, B, A ∩ B
    assert ax.get_title() == "IoU(A, B) = 0.1765"


def test_plot_grid_highlights_one_cell_per_box():
    g = demo.grid_example()
    ax = viz.plot_grid(Figure().add_subplot(), g, names=("circle", "square", "triangle"))
    cell = g["size"] / g["S"]
    shaded = {(c * cell, r * cell, (c + 1) * cell, (r + 1) * cell) for r, c in g["cells"]}
    assert _rectangles(ax) == shaded | _as_set(g["boxes"])   # each object's box and its cell
    texts = [t.get_text() for t in ax.texts]
    row, col = g["cells"][0]
    assert any(f"cell ({row}, {col})" in t for t in texts)


def test_sliding_cost_detection_and_training_plots():
    cost = demo.sliding_window_cost(64, classifier_macs=1000)
    ax = viz.plot_sliding_cost(Figure().add_subplot(), cost, yolo_macs=5000)
    heights = [round(p.get_height()) for p in ax.patches]
    assert heights[:len(cost["rows"])] == [n * 1000 for *_, n in cost["rows"]]  # crops x MACs
    assert 5000 in heights and ax.get_yscale() == "log"                         # YOLO, once
    images = np.zeros((2, 1, 32, 32))
    gt = [np.array([[1.0, 1, 10, 10]]), np.array([[5.0, 5, 20, 20]])]
    fig = viz.plot_detections(Figure(), images, gt, gt, [np.array([0.9]), np.array([0.1])],
                              [np.array([0]), np.array([2])], n=2, min_score=0.3)
    assert [len(ax.patches) for ax in fig.axes] == [2, 1]   # the 0.1 detection is hidden
    run = demo.DetectionRun(None, train_loss=[3.0, 1.0], map50=0.5)
    ax = viz.plot_training(Figure().add_subplot(), run)
    assert "0.50" in ax.get_title()
