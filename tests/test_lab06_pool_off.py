"""Lab 6, the pool-off: the service and the score its notebook gives, and how the grader turns
a score into points, a verdict and a class CSV's columns."""

import csv

import pytest

from autograder import kinds, sandbox
from autograder import lab as labs
from autograder import report
from autograder.grade import Report
from autograder.points import pool_off_score
from autograder.result import Result

LAB = labs.load("06-pool-off")


@pytest.fixture(scope="module")
def ns():
    """The notebook's given cells, run as the grader runs them: the service and the score."""
    out = {"__name__": "__lab__"}
    for cell in LAB.cells:
        if cell.role == "given":
            exec(compile(cell.source, f"<cell {cell.grade_id}>", "exec"), out)
    return out


def test_the_score_weighs_time_and_memory_equally_and_caps_each_at_one():
    assert pool_off_score(1.0, 1.0) == 1.0
    assert pool_off_score(0.2, 1.0) == pytest.approx(0.6)
    assert pool_off_score(1.0, 0.2) == pytest.approx(0.6)
    assert pool_off_score(3.0, 0.5) == pytest.approx(0.75)  # faster than the baseline: still 1


def test_serve_stops_a_pool_that_hands_one_buffer_to_two_holders(ns):
    class Shared:
        buf = bytearray(1 << 20)

        def get(self, size):
            return self.buf

        def put(self, buf):
            pass

        def cleanup(self):
            pass

    trace = ns["Trace"]("two", {4096: 1}, requests=50, hold=4)
    with pytest.raises(ns["Broken"], match="two holders at once"):
        ns["serve"](Shared(), trace)


@pytest.mark.parametrize("made, says", [(bytes, "returned bytes"),
                                        (lambda size: bytearray(size - 1), "at least")])
def test_serve_stops_a_pool_that_gives_the_wrong_buffer(ns, made, says):
    class Wrong(ns["NoPool"]):
        def get(self, size):
            return made(size)

    with pytest.raises(ns["Broken"], match=says):
        ns["serve"](Wrong(), ns["Trace"]("short", {100: 1}, requests=5))


def test_memory_held_counts_what_a_pool_keeps_after_idle_cleanups(ns):
    """Oracle keeps every buffer for good; NoPool keeps none; a pool that keeps buffers but
    lets a cleanup drop them all is back to NoPool's bytes once idle, though its peak is not."""
    class DropsAtCleanup(ns["Oracle"]):
        def cleanup(self):
            self.free.clear()

    bursts = next(t for t in ns["TRACES"] if t.name == "bursts")
    held = {p.__name__: ns["memory_held"](p, bursts)
            for p in (ns["NoPool"], ns["Oracle"], DropsAtCleanup)}
    assert held["Oracle"] > 1.5 * held["NoPool"], held
    assert held["DropsAtCleanup"] < 0.8 * held["Oracle"], held


def test_memory_held_catches_two_holders_that_the_stamps_would_miss(ns):
    """A get that returns a buffer still held is caught as it is handed out, by identity."""
    class Twice(ns["NoPool"]):
        last = None

        def get(self, size):
            if self.last is None or len(self.last) < size:
                self.last = bytearray(size)
            return self.last

    with pytest.raises(ns["Broken"], match="still held"):
        ns["memory_held"](Twice, ns["Trace"]("twice", {64: 1}, requests=10, hold=2))


def scored(monkeypatch, tmp_path, got):
    """The pool-off judged by the grader's own code on numbers its workload reported."""
    check = next(c for c in LAB.checks if c.kind == "score")

    def fake_run(lab, program, task, workdir, name, seconds=None):
        return sandbox.Outcome(records=[{"event": "result", "ok": True, "metrics": got,
                                         "detail": "five hidden traces"}])
    monkeypatch.setattr(sandbox, "run_task", fake_run)
    return kinds.of(check).grade(check, LAB, [], tmp_path)


PARTS = {f"{part}_{trace}": 0.9 for part in ("time", "memory")
         for trace in ("mixed", "bursts", "handoff", "threads", "small")}


@pytest.mark.parametrize("score, beat, status", [(0.9, 0.78, "pass"), (0.7, 0.78, "fail")])
def test_a_score_earns_its_share_of_the_points_and_passes_above_both_baselines(
        monkeypatch, tmp_path, score, beat, status):
    result = scored(monkeypatch, tmp_path, {"score": score, "beat": beat, "no_pool": 0.7,
                                            "oracle": beat, **PARTS})
    assert result.status == status
    assert result.score == pytest.approx(round(result.check.points * score, 1))
    (line,) = [m.line for m in result.metrics if m.name == "score"]
    assert line.startswith(f"{score:.3f} your score") and f"at least {beat:g}" in line


def test_a_run_that_failed_scores_nothing_and_says_why(monkeypatch, tmp_path):
    check = next(c for c in LAB.checks if c.kind == "score")

    def fake_run(lab, program, task, workdir, name, seconds=None):
        return sandbox.Outcome(records=[{"event": "result", "ok": False,
                                         "error": "Broken: one buffer, two holders"}])
    monkeypatch.setattr(sandbox, "run_task", fake_run)
    result = kinds.of(check).grade(check, LAB, [], tmp_path)
    assert (result.status, result.score) == ("fail", 0)
    assert "two holders" in result.detail


def test_the_class_csv_has_a_column_for_each_part_of_the_score(monkeypatch, tmp_path):
    result = scored(monkeypatch, tmp_path, {"score": 0.9, "beat": 0.78, "no_pool": 0.7,
                                            "oracle": 0.78, **PARTS, "time_small": 0.5})
    tests = [Result(c, "pass", c.points) for c in LAB.checks if c.kind == "functional"]
    graded = Report(LAB, tmp_path / "pool_off.ipynb", [*tests, result], 20.0, "none")
    out = tmp_path / "grades.csv"
    report.write_csv(out, LAB, [("ada", graded, None)])
    (row,) = csv.DictReader(out.open())
    assert row["pool_off.score"] == "0.900" and row["pool_off.time_small"] == "0.500"
    assert row["pool_off.memory_threads"] == "0.900" and row["pool_off"] == "10.8"
    assert "0.50 time on small" in report.markdown([graded])  # the CI job's summary too


def test_the_score_counts_only_for_a_pool_that_passes_its_tests():
    check = next(c for c in LAB.checks if c.kind == "score")
    tests = [c for c in LAB.checks if c.kind == "functional"]
    passing = [Result(c, "pass", c.points) for c in tests]
    assert set(check.params["gate"]) == {c.id for c in tests}
    assert kinds.score.settled(check, passing) is None
    assert kinds.score.settled(check, []) is None  # a grading of the score alone: nothing to hold
    failing = [Result(tests[0], "pass", 2),
               Result(tests[1], "fail", 0, detail="IndexError: pop from empty list")]
    shut = kinds.score.settled(check, failing)
    assert (shut.status, shut.score) == ("fail", 0)
    assert tests[1].name in shut.detail and tests[0].name not in shut.detail
    assert shut.detail.endswith("the first failed: IndexError: pop from empty list")

