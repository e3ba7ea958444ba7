"""concurrency: threads hammer the submission at once; the workload reports what went wrong
(an object handed out twice, one lost) as numbers the check's expect table bounds."""

from .metrics import expected, grade, run  # noqa: F401 -- the kind's grader and sandbox sides
from .metrics import rule as _rule


def rule(check):
    return _rule(check, "threads at once")
