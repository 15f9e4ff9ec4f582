"""Chapter 10 panel: score threshold and IoU threshold of non-maximum suppression.

The compute is :func:`dlcourse.chapters.detection.experiments.nms_explorer` on a fixed crowded
scene; the drawing is :func:`dlcourse.chapters.detection.plots.plot_nms`, once: the scene
stays, so a threshold only shows or hides outlines and labels and rewrites the titles
(:func:`~dlcourse.chapters.detection.plots.set_nms`).

Examples
--------
>>> panel = nms_panel()
>>> panel.result["kept"].tolist()
[10, 0, 5]
>>> panel.controls["iou_threshold"].value = 0.05
>>> len(panel.result["kept"]) < 3   # the two overlapping objects now suppress each other
True
"""

from __future__ import annotations

import ipywidgets as widgets

from dlcourse.chapters.detection.experiments import nms_explorer
from dlcourse.chapters.detection.plots import nms_artists, plot_nms, set_nms
from dlcourse.ui.panel import Panel

__all__ = ["nms_panel"]


def _draw(fig, result):
    """The scene, its axes and every outline once; visibility and titles change."""
    fig.subplotpars.update(left=0.07, right=0.99, bottom=0.16, top=0.84, wspace=0.08)
    plot_nms(fig, result)
    artists = nms_artists(fig)     # drawn as plot_nms layers them: outlines, labels, titles
    return [artists[name] for name in ("dropped", "suppressed", "kept", "labels", "titles")]


def _update(artists, result):
    set_nms(artists[-1][0].figure, result)
    return (f"{len(result['dropped'])} boxes below the score threshold, "
            f"{len(result['candidates'])} candidates → NMS keeps {len(result['kept'])} "
            f"(indices {result['kept'].tolist()}), suppresses {len(result['suppressed'])}; "
            f"3 true objects")


def nms_panel(score_threshold: float = 0.3, iou_threshold: float = 0.5) -> Panel:
    """Slide the score and IoU thresholds; see which candidate boxes NMS keeps.

    Parameters
    ----------
    score_threshold, iou_threshold : float
        Initial values of the two sliders (see
        :func:`dlcourse.chapters.detection.experiments.nms_explorer`).
    """
    controls = {
        "score_threshold": widgets.FloatSlider(value=score_threshold, min=0.0, max=1.0,
                                               step=0.05, description="score threshold"),
        "iou_threshold": widgets.FloatSlider(value=iou_threshold, min=0.0, max=1.0, step=0.05,
                                             description="IoU threshold"),
    }
    return Panel(nms_explorer, _draw, controls, update=_update, figsize=(9.0, 3.2), dpi=72,
                 axes_layout="fixed")
