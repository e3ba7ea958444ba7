"""How measurements become points: linear latency scores, noisy measurements re-measured and
reported, never silently failed."""

import pytest

from autograder import checks, lab as labs, measure, sandbox


def test_latency_score_is_linear_between_full_and_zero_and_clamped():
    assert measure.linear_score(3, 0.3, 0.7, 1.0) == 3
    assert measure.linear_score(3, 0.7, 0.7, 1.0) == 3
    assert measure.linear_score(3, 0.85, 0.7, 1.0) == 1.5
    assert measure.linear_score(3, 1.0, 0.7, 1.0) == 0
    assert measure.linear_score(3, 2.5, 0.7, 1.0) == 0


@pytest.fixture
def latency_check():
    lab = labs.load("01-escape")
    return lab, next(c for c in lab.checks if c.kind == "latency")


def measured(monkeypatch, tmp_path, runs):
    """Make the latency check see these (ratio, relative stdev, values) pyperf runs."""
    attempts = []

    def fake_run(lab, program, task, workdir, name, seconds=None):
        if task["kind"] == "latency":
            attempts.append(task)
            (tmp_path / task["output"].split("/")[-1]).write_text("{}")
        return sandbox.Outcome(records=[{"event": "result", "ok": True}])

    monkeypatch.setattr(checks, "run_sandboxed", fake_run)
    results = iter(runs)
    monkeypatch.setattr(measure, "latency_ratio", lambda path: next(results))
    return attempts


def test_a_precise_measurement_is_taken_at_once(monkeypatch, tmp_path, latency_check):
    lab, check = latency_check
    attempts = measured(monkeypatch, tmp_path, [(0.35, 0.05, 12)])
    result = checks.latency(check, lab, [], tmp_path)
    assert (result.status, result.score, len(attempts)) == ("pass", 3, 1)
    assert result.margin == f"{check.params['full_at'] - 0.35:.2f} under"


def test_a_noisy_measurement_is_repeated_and_the_steadiest_run_decides(monkeypatch, tmp_path,
                                                                      latency_check):
    lab, check = latency_check
    attempts = measured(monkeypatch, tmp_path, [(0.9, 0.6, 12), (0.4, 0.1, 12)])
    result = checks.latency(check, lab, [], tmp_path)
    assert len(attempts) == 2
    assert (result.status, result.measured) == ("pass", "0.40x")


def test_a_measurement_that_stays_noisy_is_reported_as_noisy_not_failed(monkeypatch, tmp_path,
                                                                       latency_check):
    lab, check = latency_check
    measured(monkeypatch, tmp_path, [(0.9, 0.6, 12), (0.75, 0.5, 12), (0.85, 0.7, 12)])
    result = checks.latency(check, lab, [], tmp_path)
    assert result.status == "noisy"
    assert "too noisy to decide" in result.detail
    p = check.params
    assert result.score == measure.linear_score(check.points, 0.75, p["full_at"], p["zero_at"])
