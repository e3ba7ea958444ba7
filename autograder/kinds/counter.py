"""counter: a count the grader owns (new() calls, hits, stolen objects), from a workload run
on the submission, judged against the bounds in the check's expect table."""

from .metrics import expected, grade, run  # noqa: F401 -- the kind's grader and sandbox sides
from .metrics import rule as _rule


def rule(check):
    return _rule(check, "counted by the grader")
