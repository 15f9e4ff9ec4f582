"""Plotting helpers, one module per topic; no widgets here (see :mod:`dlcourse.widgets`).

Every function draws into a matplotlib ``Axes`` or ``Figure`` it is given (or creates one),
sets a title, axis labels and a legend, and returns what it drew on.
"""
