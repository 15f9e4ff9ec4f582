"""Chapter 10's two-stage section (dlcourse.chapters.detection.two_stage) and its plots."""

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from dlcourse.chapters.detection import plots as viz
from dlcourse.chapters.detection import two_stage as two
from dlcourse.detection import box_iou, decode_deltas
from dlcourse.zoo import small_cnn

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def scene():
    return two.anchor_example(seed=3)


def test_each_detector_of_the_family_is_faster_than_the_one_before():
    seconds = [p.seconds for p in two.PIPELINES]
    assert [p.name for p in two.PIPELINES][:3] == ["R-CNN", "Fast R-CNN", "Faster R-CNN"]
    assert all(a > 5 * b for a, b in zip(seconds, seconds[1:], strict=False))
    sources = " ".join(p.source for p in two.PIPELINES)
    for cited in ("Girshick et al., CVPR 2014", "Girshick, ICCV 2015", "Ren, He, Girshick"):
        assert cited in sources


def test_scene_has_eight_by_eight_cells_of_nine_anchors(scene):
    assert scene["anchors"].shape == (8 * 8 * 9, 4) and scene["k"] == 9


def test_scene_labels_follow_the_thresholds_and_every_object_has_a_positive(scene):
    iou = box_iou(scene["anchors"], scene["boxes"])
    labels, best = scene["anchor_labels"], iou.max(axis=1)
    assert (best[labels == 0] < 0.3).all()
    ignored_or_negative = labels != 1
    assert (best[ignored_or_negative] < 0.7).all()
    # the positives below 0.7 are exactly the best anchors of objects that reach no 0.7
    best_of_object = iou.argmax(axis=0)
    weak = {int(a) for a, g in zip(best_of_object, range(len(scene["boxes"])), strict=True)
            if iou[a, g] < 0.7}
    assert set(np.flatnonzero((labels == 1) & (best < 0.7)).tolist()) == weak
    assert set(scene["matched"][labels == 1].tolist()) == set(range(len(scene["boxes"])))


def test_scene_targets_decode_to_the_matched_objects(scene):
    positive = scene["anchor_labels"] == 1
    back = decode_deltas(scene["targets"], scene["anchors"][positive])
    np.testing.assert_allclose(back, scene["boxes"][scene["matched"][positive]], atol=1e-9)


def test_roi_example_pools_every_box_to_the_same_grid_from_block_averages(scene):
    image, boxes = scene["image"], scene["boxes"]
    roi = two.roi_example(image, boxes, stride=4, output_size=4)
    blocks = np.array([[image[4 * i:4 * i + 4, 4 * j:4 * j + 4].mean() for j in range(16)]
                       for i in range(16)])
    np.testing.assert_allclose(roi["features"], blocks, rtol=1e-6)
    assert roi["pooled"].shape == (len(boxes), 4, 4)
    for box, grid in zip(boxes, roi["pooled"], strict=True):
        c1, r1, c2, r2 = (int(np.floor(v / 4 + 0.5)) for v in box)   # corners to cells
        region = blocks[r1:min(r2, 15) + 1, c1:min(c2, 15) + 1]
        assert grid.max() == pytest.approx(region.max())


def test_rcnn_does_the_backbone_per_proposal_and_fast_rcnn_once():
    costs = two.proposal_costs(small_cnn(in_channels=1, num_classes=4), proposals=2000)
    conv1, conv2 = 16 * 1 * 9 * 16 * 16, 32 * 16 * 9 * 8 * 8   # on a 16x16 crop
    assert costs["backbone_crop"] == conv1 + conv2 == 331_776
    assert costs["head"] == 32 * 4                               # GAP, then Linear(32, 4)
    assert costs["backbone_image"] == 16 * (conv1 + conv2)       # 64x64 = 16 crops of pixels
    assert costs["rcnn"] == 2000 * (331_776 + 128)
    assert costs["fast_rcnn"] == 16 * 331_776 + 2000 * 128
    assert costs["ratio"] == pytest.approx(costs["rcnn"] / costs["fast_rcnn"])


def _rectangles(ax, colour):
    return [p for p in ax.patches if isinstance(p, Rectangle)
            and p.get_edgecolor() == to_rgba(colour, p.get_alpha() or 1.0)]


def test_plot_anchors_draws_one_cells_shapes_the_positives_and_the_objects(scene):
    ax = Figure().subplots()
    viz.plot_anchors(ax, scene, cell=37)
    shapes = _rectangles(ax, "tab:orange")
    assert len(shapes) == 9
    centres = {(r.get_x() + r.get_width() / 2, r.get_y() + r.get_height() / 2) for r in shapes}
    assert centres == {(5 * 8 + 4, 4 * 8 + 4)}                  # cell 37: row 4, column 5
    assert len(_rectangles(ax, "tab:green")) == 3
    assert len(_rectangles(ax, "w")) == len(scene["boxes"])
    assert "576 anchors: 526 negative, 47 ignored" == ax.get_title()


def test_plot_roi_pool_shows_the_map_and_one_grid_per_roi(scene):
    roi = two.roi_example(scene["image"], scene["boxes"])
    fig = Figure()
    viz.plot_roi_pool(fig, roi["features"], scene["boxes"], roi["pooled"], stride=4)
    map_ax, *grid_axes = fig.axes
    assert len(grid_axes) == len(scene["boxes"])
    assert len(map_ax.patches) == len(scene["boxes"])
    for ax, grid in zip(grid_axes, roi["pooled"], strict=True):
        np.testing.assert_array_equal(ax.images[0].get_array(), grid)
        assert "→ 4×4" in ax.get_title()
