"""What a check's grading came to: a status, its points, the numbers it judged or showed."""

from dataclasses import dataclass

PASSING = ("pass", "borderline", "info")


@dataclass
class Result:
    check: object  # lab.Check
    # "pass", "fail", "borderline" (a latency whose threshold lies within its measurement's
    # uncertainty: passed), "noisy" (a latency too noisy to decide: not passed, scored anyway),
    # "unmeasured" (the grader's instrument reads wrong on this Python: not judged, no points)
    # or "info" (a number reported, not judged)
    status: str
    score: float
    metrics: tuple = ()  # a Metric for each number the check judges or shows; none: a test
    detail: str = ""
    ran: bool = True  # False: not run, as the code did not load (failed, no points, no hint)

    @property
    def passed(self):
        return self.status in PASSING

    # measured, threshold and margin: the metrics in one string each (the JSON's summary
    # fields, for a reader that shows one line per check).
    @property
    def measured(self):
        """Every number with its label, '; '-joined; a test's outcome for a functional check."""
        if not self.metrics:
            return "passed" if self.passed else "failed"
        if all(m.value is None for m in self.metrics):
            return "not measured"
        return "; ".join(m.measured for m in self.metrics)

    @property
    def threshold(self):
        if not self.metrics:
            return "passes"
        return "; ".join(filter(None, (m.threshold for m in self.metrics))) or \
            "reported, not scored"

    @property
    def margin(self):
        """The margin of the number nearest to its bound (or furthest outside it)."""
        judged = [m for m in self.metrics if m.ok is not None]
        return min(judged, key=lambda m: m.slack).margin if judged else ""

    @property
    def needs_hint(self):
        """A check the code failed: not one the grader could not measure here, nor one not
        run (the report says why the code did not load instead)."""
        return not self.passed and self.status != "unmeasured" and self.ran


def unmeasured(check, metrics, why):
    """The grader's own instrument reads wrong on this interpreter (an allocation probe off, a
    baseline that does not show what a latency compares against): no verdict, no points."""
    return Result(check, "unmeasured", 0, metrics,
                  why + " -- not judged, and not held against your code (the README's "
                  "\"Python versions\" says what each Python measures)")
