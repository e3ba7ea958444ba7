"""Lab 6's notebook, as handed out, imports pool_off_score from here: the grader's points are
in autograder/points.py, its measurements in the measure package."""

from .points import pool_off_score  # noqa: F401
