"""How measurements become points: linear latency scores; a ratio decided by its interval,
measured again while the threshold lies inside it, and called borderline -- the same verdict
every time -- when it stays there; bounds on measured numbers."""

import dataclasses
import os
import random
import resource
import subprocess
import sys

import pytest

from autograder import kinds, lab as labs, points, sandbox
from measure import load, timing


def test_latency_score_is_linear_between_full_and_zero_and_clamped():
    assert points.linear_score(3, 0.3, 0.7, 1.0) == 3
    assert points.linear_score(3, 0.7, 0.7, 1.0) == 3
    assert points.linear_score(3, 0.85, 0.7, 1.0) == 1.5
    assert points.linear_score(3, 1.0, 0.7, 1.0) == 0
    assert points.linear_score(3, 2.5, 0.7, 1.0) == 0


def test_the_interval_of_a_median_holds_it_as_often_as_it_claims():
    rng = random.Random(1)
    for n in (12, 18, 36):
        held = 0
        for _ in range(2000):
            values = [rng.lognormvariate(0, 0.1) for _ in range(n)]  # true median 1.0
            _, low, high = timing.median_interval(values)
            held += low <= 1.0 <= high
        assert 0.95 <= held / 2000 <= 0.995, (n, held)


def test_one_outlier_moves_neither_the_ratio_nor_its_interval():
    values = [0.50, 0.51, 0.52, 0.53, 0.54, 0.55] * 3
    base = timing.median_interval(values)
    assert timing.median_interval(values[:-1] + [5.0]) == pytest.approx(base, abs=0.011)


@pytest.fixture
def latency_check():
    lab = labs.load("01-escape")
    return lab, next(c for c in lab.checks if c.kind == "latency")


def measured(monkeypatch, tmp_path, rounds, smoke=()):
    """Make the latency check see these pyperf rounds (each a list of values), and its smoke
    runs report smoke's fields (a list: one dict per smoke run, in turn)."""
    attempts = []
    smokes = iter(smoke if isinstance(smoke, list) else [smoke] * 9)

    def fake_run(lab, program, task, workdir, name, seconds=None):
        if task["kind"] == "latency" and not task.get("smoke"):
            attempts.append(task)
            (tmp_path / task["output"].split("/")[-1]).write_text("{}")
        fields = dict(next(smokes)) if task.get("smoke") else {}
        return sandbox.Outcome(records=[{"event": "result", "ok": True, **fields}])

    monkeypatch.setattr(sandbox, "run_task", fake_run)
    given = iter(rounds)
    monkeypatch.setattr(timing, "ratio_values", lambda path: next(given))
    return attempts


def spread(center, n=18, width=0.02):
    """n values evenly spread over center +/- width."""
    return [center - width + 2 * width * i / (n - 1) for i in range(n)]


def test_a_ratio_clearly_under_the_threshold_passes_after_one_round(monkeypatch, tmp_path,
                                                                     latency_check):
    lab, check = latency_check
    attempts = measured(monkeypatch, tmp_path, [spread(0.35)])
    result = kinds.latency.grade(check, lab, [], tmp_path)
    assert (result.status, result.score, len(attempts)) == ("pass", 3, 1)
    assert result.measured.startswith("0.35 times the baseline's, 95% 0.33-0.37")  # >= +/-5%
    assert result.margin == f"{check.params['full_at'] - 0.35:.2f} under"


def test_a_ratio_clearly_over_the_threshold_fails_after_one_round(monkeypatch, tmp_path,
                                                                  latency_check):
    lab, check = latency_check
    attempts = measured(monkeypatch, tmp_path, [spread(0.75)])
    result = kinds.latency.grade(check, lab, [], tmp_path)
    assert (result.status, len(attempts)) == ("fail", 1)
    assert not result.passed and 0 < result.score < check.points


def test_a_threshold_inside_the_interval_is_measured_again_and_decided(monkeypatch, tmp_path,
                                                                       latency_check):
    lab, check = latency_check
    full_at = check.params["full_at"]
    # Round one straddles the threshold; with round two pooled the interval lies above it.
    attempts = measured(monkeypatch, tmp_path,
                        [spread(full_at + 0.01, width=0.05), spread(full_at + 0.05, width=0.01)])
    result = kinds.latency.grade(check, lab, [], tmp_path)
    assert (len(attempts), result.status) == (2, "fail")


def test_a_ratio_that_stays_on_the_threshold_is_borderline_and_passes(monkeypatch, tmp_path,
                                                                      latency_check):
    lab, check = latency_check
    full_at = check.params["full_at"]
    attempts = measured(monkeypatch, tmp_path, [spread(full_at + 0.005)] * 3)
    result = kinds.latency.grade(check, lab, [], tmp_path)
    assert (len(attempts), result.status, result.passed) == (3, "borderline", True)
    assert "too close to call" in result.detail
    assert result.score == points.linear_score(check.points, full_at + 0.005, full_at,
                                                check.params["zero_at"])


def test_an_interval_too_wide_to_decide_is_noisy_and_not_passed(monkeypatch, tmp_path,
                                                                latency_check):
    lab, check = latency_check
    full_at = check.params["full_at"]
    measured(monkeypatch, tmp_path, [spread(full_at, width=0.9 * full_at)] * 3)
    result = kinds.latency.grade(check, lab, [], tmp_path)
    assert (result.status, result.passed) == ("noisy", False)
    assert "too noisy to decide" in result.detail


@pytest.mark.parametrize("center, status", [(0.35, "pass"), (0.75, "noisy")])
def test_on_a_busy_machine_a_latency_short_of_full_points_is_not_decided(
        monkeypatch, tmp_path, latency_check, center, status):
    lab, check = latency_check
    measured(monkeypatch, tmp_path, [spread(center)])
    busy = 0.75 * os.cpu_count()  # CPUs other processes kept busy while it was measured
    monkeypatch.setattr(load.OtherLoad, "cpus", property(lambda self: busy))
    result = kinds.latency.grade(check, lab, [], tmp_path)
    assert result.status == status and result.passed == (status == "pass")
    assert f"other processes kept {busy:.1f} of {os.cpu_count()} CPUs busy" in result.detail
    assert ("busy with other work" in result.detail) == (status == "noisy")


SPIN = "import time\nend = time.process_time() + 1.5\nwhile time.process_time() < end: pass"


@pytest.mark.parametrize("reported", [False, True])
def test_the_cpu_others_used_is_what_the_measurement_does_not_claim(reported):
    """A child spinning 1.5 s of CPU is someone else's load, unless the measurement reports
    that CPU as its own -- as the harness does for its pyperf processes."""
    if load._busy_seconds() is None:
        pytest.skip("no /proc/stat (not Linux): the load of other processes cannot be read")
    others = load.OtherLoad()
    others.start()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", SPIN], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    others.stop(mine=used if reported else 0.0)
    assert others.cpus < 0.3 if reported else others.cpus > 0.7, (others.cpus, used)


def metric_check(expect, points=2):
    return labs.Check(id="m", kind="counter", name="m", points=points, hint="",
                      params={"workload": "w", "expect": expect})


def reported(monkeypatch, metrics, detail=""):
    def fake_run(lab, program, task, workdir, name, seconds=None):
        return sandbox.Outcome(records=[{"event": "result", "ok": True, "metrics": metrics,
                                         "detail": detail}])
    monkeypatch.setattr(sandbox, "run_task", fake_run)


@pytest.fixture
def any_lab():
    lab = labs.load("01-escape")
    return dataclasses.replace(lab, limits={**lab.limits, "seconds": 10})


def test_every_bound_must_hold_and_the_tightest_sets_the_margin(monkeypatch, tmp_path, any_lab):
    check = metric_check({"rate": {"min": 0.99, "format": ".1%", "label": "served"},
                          "news": {"max": 0.1, "label": "new() calls per get"}})
    reported(monkeypatch, {"rate": 0.995, "news": 0.02}, detail="from the workload")
    result = kinds.metrics.grade(check, any_lab, [], tmp_path)
    assert (result.status, result.score) == ("pass", 2)
    assert result.measured == "99.5% served; 0.02 new() calls per get"
    assert result.threshold == "served >= 99%; new() calls per get <= 0.1"
    assert result.margin == "0.5% above" and result.detail == "from the workload"
    reported(monkeypatch, {"rate": 0.995, "news": 0.5})
    result = kinds.metrics.grade(check, any_lab, [], tmp_path)
    assert (result.status, result.score, result.margin) == ("fail", 0, "0.4 over")


def test_numbers_without_bounds_are_reported_not_scored(monkeypatch, tmp_path, any_lab):
    check = metric_check({"hits": {"label": "of gets hit the pool", "format": ".1%"}}, points=0)
    reported(monkeypatch, {"hits": 0.97})
    result = kinds.metrics.grade(check, any_lab, [], tmp_path)
    assert (result.status, result.passed, result.measured) == ("info", True,
                                                               "97.0% of gets hit the pool")


def test_a_number_the_workload_did_not_report_is_the_labs_fault(monkeypatch, tmp_path, any_lab):
    reported(monkeypatch, {"other": 1})
    result = kinds.metrics.grade(metric_check({"news": {"max": 1}}), any_lab, [], tmp_path)
    assert result.status == "fail" and "tell the instructor" in result.detail


@pytest.mark.parametrize("convoys, busy, status", [
    ([1.2, 1.2, 1.2], 0.0, "unmeasured"), ([11.0], 0.0, "pass"), ([1.0, 11.0], 0.0, "pass"),
    ([1.2, 1.2, 1.2], 1.0, "noisy")])
def test_a_latency_whose_baseline_does_not_show_its_effect_is_unmeasured(
        monkeypatch, tmp_path, convoys, busy, status):
    """Lab 2's check first asks whether its locked baseline convoys on this Python; where it
    does not, the ratio would judge nothing the check exists for: no verdict, no points --
    unless other processes kept the other cores busy, which hides a convoy too: noisy. A
    convoy forms only sometimes: a probe below its minimum is run again, in a new process,
    before it is believed (kinds.latency.PROBE_RUNS)."""
    lab = labs.load("02-local")
    check = next(c for c in lab.checks if c.kind == "latency")
    smokes = [{"probe": {"value": v, "detail": "LockedPool: ..."}, "python": "3.x"}
              for v in convoys]
    attempts = measured(monkeypatch, tmp_path, [spread(0.1)], smoke=smokes)
    monkeypatch.setattr(load.OtherLoad, "cpus", property(lambda self: busy * os.cpu_count()))
    result = kinds.latency.grade(check, lab, [], tmp_path)
    assert (result.status, result.passed) == (status, status == "pass")
    assert len(attempts) == (1 if status == "pass" else 0)
    if status != "pass":
        assert len(convoys) == kinds.latency.PROBE_RUNS
        seen = ", ".join(f"{v:.2f}x" for v in convoys)
        assert f"{seen} in 3 processes" in result.detail, result.detail
    assert result.score == (0 if status != "pass" else check.points)
    assert ("cannot measure this on this Python (3.x)" in result.detail) == (status == "unmeasured")
    assert ("grade again on a quieter machine" in result.detail) == (status == "noisy")
    assert result.needs_hint == (status == "noisy")
