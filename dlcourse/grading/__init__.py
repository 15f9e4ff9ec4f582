"""Exercises, instant checks, the isolated grader and the gradebook.

For learners: ``from dlcourse.grading import check`` and run the check cell under each
exercise.  For instructors: ``dlcourse exercises build``, ``dlcourse grade PATH...`` and
``dlcourse gradebook export --csv`` (see README).
"""

from dlcourse.grading.checks import check

__all__ = ["check"]
