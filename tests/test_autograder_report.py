"""The report a learner reads: it fits a terminal, every number a check measured has a line of
its own with its own bound and margin, and the notebook's table and the files for CI say the
same. Reports are built from the labs' real checks (autograder/labs/*.toml)."""

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from autograder import checks, jupyter, report, sandbox
from autograder import lab as labs
from autograder.grade import Report
from autograder.metric import Metric

# A path longer than a line: no space in it to break at.
SUBMISSION = Path("/home/learner/" + "/".join(["a-very-deeply-nested-course-folder"] * 4)
                  + "/fallback.ipynb")
STATUSES = list(report.MARK)  # pass, fail, borderline, noisy, unmeasured, info


def far_outside(m):
    """A value well outside the metric's bound, with as many digits as a count can have."""
    return 123456.789 if m.max is not None or m.min is None else -123456.789


def every_status(lab):
    """A report of lab in which the checks take every status in turn, each with its measured
    numbers (none measured where the grader could not measure), a long detail naming a long
    path, and its hint: the longest lines a report of this lab can have."""
    results = []
    for i, check in enumerate(lab.checks):
        status = STATUSES[i % len(STATUSES)]
        metrics = tuple(m if status == "unmeasured" else replace(m, value=far_outside(m))
                        for m in checks.expected(check))
        if check.kind == "latency" and status != "unmeasured":
            metrics = tuple(replace(m, interval=(m.value * 0.95, m.value * 1.05))
                            for m in metrics)
        detail = (f"cell {check.id}: Traceback (most recent call last): File {SUBMISSION}, "
                  "line 12, in request: ConnectionRefusedError: [Errno 111] Connection "
                  "refused; 36525 of 40000 requests failed (ConnectionRefusedError 36525)")
        results.append(checks.Result(check, status, 0, metrics, detail))
    return Report(lab, SUBMISSION, results, 15.3, sandbox.description())


def squeezed(text):
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("lab_id", labs.available())
def test_every_line_of_the_table_fits_100_columns_and_nothing_is_lost(lab_id):
    graded = every_status(labs.load(lab_id))
    table = report.table(graded)
    too_long = [line for line in table.splitlines() if len(line) > report.WIDTH]
    assert report.WIDTH == 100 and not too_long, "\n".join(too_long)
    # Wrapped, not cut: every name, number, detail, hint and the long path are all there
    # (the points column, at the end of a check's first line, left out of the text).
    text_only = "\n".join(re.sub(r" +[\d.]+/[\d.]+$", "", line) for line in table.splitlines())
    for r in graded.results:
        hint = r.check.hint if r.needs_hint else ""
        for text in (r.check.name, *(m.line for m in r.metrics), r.detail, hint):
            assert squeezed(text) in squeezed(text_only), text
    assert squeezed(str(SUBMISSION)) in squeezed(text_only)
    for status in {r.status for r in graded.results}:
        assert re.search(rf"^{report.MARK[status]} ", table, re.M), status


@pytest.fixture
def primary_down(monkeypatch, tmp_path):
    """Lab 5's "primary down" judged by the grader's own code on numbers its workload reported:
    few requests failed, but the breaker opened thousands of requests late."""
    lab = labs.load("05-fallback")
    check = next(c for c in lab.checks if c.id == "primary_down")
    got = {"failed": 0.0002, "to_open": 36525, "to_close": 0.05}

    def fake_run(lab, program, task, workdir, name, seconds=None):
        return sandbox.Outcome(records=[{"event": "result", "ok": True, "metrics": got,
                                         "detail": "the breaker opened late"}])
    monkeypatch.setattr(checks, "run_sandboxed", fake_run)
    result = checks.metrics(check, lab, [], tmp_path)
    return Report(lab, tmp_path / "fallback.ipynb", [result], 15.3, "none")


THREE_MARGINS = ["0.0002 of requests failed -- at most 0.01: 0.0098 under",
                 "36525 requests to the down primary until it opened -- at most 20: 36505 over",
                 "0.050 s after recovery until it closed -- at most 1: 0.950 under"]


def test_a_check_with_three_numbers_shows_three_labelled_margins(primary_down):
    (result,) = primary_down.results
    assert (result.status, result.score) == ("fail", 0)  # one number outside its bound
    lines = [line.strip() for line in report.table(primary_down).splitlines()]
    assert [line for line in lines if " -- at most " in line] == THREE_MARGINS
    assert lines[lines.index(THREE_MARGINS[-1]) + 1] == "the breaker opened late"


def test_the_notebooks_table_has_a_row_per_number_with_its_bound_and_margin(primary_down):
    data = json.loads(json.dumps(report.to_dict(primary_down)))  # as the grading cell reads it
    shown = jupyter.Graded(data)._repr_html_()
    rows = shown.split("<tr>")
    for line in THREE_MARGINS:
        measured, rest = line.split(" -- ")
        bound, margin = rest.split(": ")
        (row,) = [row for row in rows if f">{measured}<" in row]
        assert f">{bound}<" in row and f">{margin}<" in row, row
    assert all(line in repr(jupyter.Graded(data)) for line in THREE_MARGINS)


def test_every_output_keeps_its_summary_and_lists_each_number(primary_down):
    (check,) = report.to_dict(primary_down)["checks"]
    assert check["margin"] == "36505 over"  # the number furthest outside its bound
    assert check["measured"].startswith("0.0002 of requests failed; 36525 requests")
    assert check["threshold"].startswith("of requests failed <= 0.01; requests to the down")
    assert [(m["name"], m["value"], m["margin"], m["ok"]) for m in check["metrics"]] == [
        ("failed", 0.0002, "0.0098 under", True), ("to_open", 36525, "36505 over", False),
        ("to_close", 0.05, "0.950 under", True)]
    junit = report.junit(primary_down)
    scope = report.gradescope(primary_down)["tests"][0]["output"]
    summary = report.markdown([primary_down])
    for line in THREE_MARGINS:
        assert line in junit and line in scope and line in summary


@pytest.mark.parametrize("value, margin, ok", [
    (0.995, "0.5% above", True), (0.9, "9.0% below", False),  # a minimum
])
def test_a_minimum_is_judged_above_or_below(value, margin, ok):
    served = Metric("rate", "of requests served", ".1%", min=0.99, value=value)
    assert (served.margin, served.ok) == (margin, ok)
    assert served.line == f"{value:.1%} of requests served -- at least 99%: {margin}"


@pytest.mark.parametrize("value, margin", [(2.5, "0.5 above"), (9, "1 under"), (12, "2 over"),
                                           (1, "1 below")])
def test_a_number_with_two_bounds_is_judged_by_the_nearer(value, margin):
    assert Metric("n", "threads", min=2, max=10, value=value).margin == margin


def test_a_number_without_a_bound_is_shown_not_judged():
    lab = labs.load("03-victim")
    check = next(c for c in lab.checks if c.id == "news_after_cleanup")
    share, news, baseline = (replace(m, value=v) for m, v in
                             zip(checks.expected(check), (0.19, 12, 64)))
    assert (news.ok, news.margin, news.line) == (None, "", "12 new() calls, yours -- not judged")
    result = checks.Result(check, "pass", 3, (share, news, baseline))
    assert result.margin == "0.14 under"  # only the judged number has one
