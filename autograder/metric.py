"""One number a check measured: what it counts, its bound, and how far inside the bound it is.

A check may measure several numbers -- Lab 5's "primary down" measures the share of requests
that failed, the requests until the breaker opened and the seconds until it closed -- and each
is judged against its own bound, so each has its own margin. A number with no bound is shown
and not judged (it explains the others: "new() calls, yours"). The report prints one line per
number, in the lab's own words:

    0.0002 of requests failed -- at most 0.01: 0.0098 under
"""

import re
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Metric:
    name: str  # the workload's key ("failed"), or the kind's own ("allocations", "ratio")
    label: str  # what the number is, after it: "of requests failed"
    format: str = "g"  # how the value, its bounds and its margin print
    min: float | None = None
    max: float | None = None
    zero_at: float | None = None  # a scored ratio's value at which its points reach 0
    value: float | None = None  # None: not measured (the run failed before it)
    interval: tuple | None = None  # the value's 95% interval, where it has one (latency)

    def _number(self, x):
        return f"{x:{self.format}}"

    def _bound(self, x):
        """A bound as the lab's file wrote it, in the number's format: 0.01, not 0.0100."""
        text = self._number(x)
        return re.sub(r"\.?0+(?=%?$)", "", text) if "." in text else text

    @property
    def judged(self):
        return self.min is not None or self.max is not None

    def _nearer_is_max(self):
        """Whether the max is the bound the value is nearer to (or further outside of)."""
        if self.max is None:
            return False
        return self.min is None or self.max - self.value <= self.value - self.min

    @property
    def gap(self):
        """How far the value is inside its nearer bound, in its own unit (negative: outside);
        None when it is not judged or was not measured."""
        if not self.judged or self.value is None:
            return None
        return self.max - self.value if self._nearer_is_max() else self.value - self.min

    @property
    def ok(self):
        """True within its bounds, False outside, None when not judged or not measured."""
        return None if self.gap is None else self.gap >= 0

    @property
    def slack(self):
        """The gap relative to its bound, so that numbers in different units compare."""
        bound = self.max if self._nearer_is_max() else self.min
        return self.gap / (abs(bound) or 1)

    @property
    def measured(self):
        """'0.0002 of requests failed'; '?' for the number when it was not measured."""
        number = "?" if self.value is None else self._number(self.value)
        text = f"{number} {self.label}".strip()
        if self.interval and self.value is not None:
            text += f", 95% {self._number(self.interval[0])}-{self._number(self.interval[1])}"
        return text

    @property
    def bound(self):
        """'at most 0.01', 'at least 99%', both, or '' when not judged."""
        parts = [f"at least {self._bound(self.min)}"] if self.min is not None else []
        parts += [f"at most {self._bound(self.max)}"] if self.max is not None else []
        return " and ".join(parts) + self._zero()

    @property
    def threshold(self):
        """The bound in one short clause, for a one-line summary: 'of requests failed <= 0.01'."""
        parts = [f"{self.label} >= {self._bound(self.min)}".strip()] if self.min is not None else []
        if self.max is not None:
            parts.append(f"{self.label} <= {self._bound(self.max)}".strip())
        return ", ".join(parts) + self._zero()

    def _zero(self):
        return f" (0 points at {self._bound(self.zero_at)})" if self.zero_at is not None else ""

    @property
    def margin(self):
        """'0.0098 under' (a max) or '0.5% above' (a min), 'over' or 'below' when outside it."""
        if not self.judged:
            return ""
        if self.value is None:
            return "not measured"
        if self._nearer_is_max():
            side = "under" if self.ok else "over"
        else:
            side = "above" if self.ok else "below"
        return f"{self._number(abs(self.gap))} {side}"

    @property
    def line(self):
        """The report's line for this number: measured -- bound: margin."""
        if not self.judged:
            return f"{self.measured} -- not judged"
        return f"{self.measured} -- {self.bound}: {self.margin}"

    @classmethod
    def from_dict(cls, data):
        """The Metric to_dict wrote (its derived fields left out)."""
        fields = {k: data[k] for k in cls.__dataclass_fields__}
        return cls(**{**fields, "interval": fields["interval"] and tuple(fields["interval"])})

    def to_dict(self):
        return {**asdict(self), "measured": self.measured, "bound": self.bound,
                "margin": self.margin, "ok": self.ok, "line": self.line}
