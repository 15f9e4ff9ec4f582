"""ipywidgets panels: wire a plain, tested compute function to a plot — nothing else.

Every panel is a :class:`Panel`; the per-topic modules (``dlcourse.widgets.knn`` ...)
only choose controls, a compute function from the rest of dlcourse and a drawing
function from :mod:`dlcourse.viz`.
"""

from dlcourse.widgets.panel import Panel

__all__ = ["Panel"]
