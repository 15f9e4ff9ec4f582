"""What every chapter's panels share: the Panel, image grids and the quiz.

* :class:`Panel` (:mod:`~dlcourse.ui.panel`) -- wires a plain, tested compute function to a
  drawing function and a dict of ipywidgets controls; nothing else.
* :mod:`~dlcourse.ui.images` -- one image-grid plotter for every chapter.
* :mod:`~dlcourse.ui.quiz` -- "check yourself" questions with answers to reveal.

A chapter's own panels live in ``dlcourse.chapters.<slug>.panels`` and its plots in
``dlcourse.chapters.<slug>.plots``.
"""

from dlcourse.ui.panel import Panel

__all__ = ["Panel"]
