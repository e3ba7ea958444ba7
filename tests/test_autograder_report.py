"""The report a learner reads: it fits a terminal, every number a check measured has a line of
its own with its own bound and margin, and the notebook's table and the files for CI say the
same. Reports are built from the labs' real checks (autograder/labs/*.toml); the lines the
grader prints as it grades, from real gradings of Lab 3 (seconds each)."""

import html
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

import lab_variants
from autograder import cli, jupyter, kinds, report, sandbox
from autograder import lab as labs
from autograder.grade import Report
from autograder.metric import Metric
from autograder.result import Result

ROOT = Path(__file__).resolve().parent.parent

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
                        for m in kinds.expected(check))
        if check.kind == "latency" and status != "unmeasured":
            metrics = tuple(replace(m, interval=(m.value * 0.95, m.value * 1.05))
                            for m in metrics)
        detail = (f"cell {check.id}: Traceback (most recent call last): File {SUBMISSION}, "
                  "line 12, in request: ConnectionRefusedError: [Errno 111] Connection "
                  "refused; 36525 of 40000 requests failed (ConnectionRefusedError 36525)")
        results.append(Result(check, status, 0, metrics, detail))
    return Report(lab, SUBMISSION, results, 15.3, sandbox.description())


def squeezed(text):
    return re.sub(r"\s+", "", text)


def without_points(table):
    """A table's text without its points column, at the end of each check's first line."""
    return "\n".join(re.sub(r" +[\d.]+/[\d.]+$", "", line) for line in table.splitlines())


def too_long(text):
    return [line for line in text.splitlines() if len(line) > report.WIDTH]


@pytest.mark.parametrize("lab_id", labs.available())
def test_every_line_of_the_table_fits_100_columns_and_nothing_is_lost(lab_id):
    graded = every_status(labs.load(lab_id))
    table = report.table(graded)
    too_long = [line for line in table.splitlines() if len(line) > report.WIDTH]
    assert report.WIDTH == 100 and not too_long, "\n".join(too_long)
    # Wrapped, not cut: every name, number, detail, hint and the long path are all there
    # (the points column, at the end of a check's first line, left out of the text).
    text_only = without_points(table)
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
    monkeypatch.setattr(sandbox, "run_task", fake_run)
    result = kinds.metrics.grade(check, lab, [], tmp_path)
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


def test_every_format_says_each_checks_notes(primary_down):
    """One rule for what is said of a check besides its numbers (report.notes): its detail,
    and its hint when the code failed it -- in the terminal, the notebook, CI and Gradescope."""
    (result,) = primary_down.results
    said = report.notes(result)
    assert said == ["the breaker opened late", f"hint: {result.check.hint}"]
    data = json.loads(json.dumps(report.to_dict(primary_down)))
    for shown in (report.table(primary_down), report.html(primary_down),
                  repr(jupyter.Graded(data)), jupyter.Graded(data)._repr_html_(),
                  report.junit(primary_down), report.markdown([primary_down]),
                  report.gradescope(primary_down)["tests"][0]["output"]):
        text = html.unescape(re.sub(r"<[^>]+>", "", shown))  # what HTML and XML show
        for note in said:
            assert squeezed(note) in squeezed(text), (note, shown[:200])


@pytest.mark.parametrize("lab_id", labs.available())
def test_a_report_read_back_from_its_json_is_the_same_report(lab_id):
    """What a notebook's grading cell renders is the grader's own Report, rebuilt from the
    JSON the grader wrote: every field, number and note as they were."""
    graded = every_status(labs.load(lab_id))
    data = json.loads(json.dumps(report.to_dict(graded)))
    again = report.read(data)
    assert json.loads(json.dumps(report.to_dict(again))) == data
    assert report.table(again) == report.table(graded) and \
        report.html(again) == report.html(graded)


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
                             zip(kinds.expected(check), (0.19, 12, 64)))
    assert (news.ok, news.margin, news.line) == (None, "", "12 new() calls, yours -- not judged")
    result = Result(check, "pass", 3, (share, news, baseline))
    assert result.margin == "0.14 under"  # only the judged number has one


@pytest.mark.parametrize("lab_id", labs.available())
def test_describe_fits_100_columns_and_names_every_check_with_its_id_and_rule(lab_id):
    lab = labs.load(lab_id)
    text = cli.describe_text(lab)
    assert not too_long(text), "\n".join(too_long(text))
    for c in lab.checks:  # wrapped, not cut; the id is what --check takes
        assert squeezed(f"{c.id}: {c.name}") in squeezed(text), c.id
        assert squeezed(kinds.of(c).rule(c)) in squeezed(text), c.id


@pytest.mark.parametrize("lab_id", labs.available())
def test_the_notebooks_text_fits_100_columns_and_nothing_is_lost(lab_id):
    graded = every_status(labs.load(lab_id))
    shown = repr(jupyter.Graded(json.loads(json.dumps(report.to_dict(graded))),
                                stale=["a_cell_with_a_long_name"] * 8))
    assert not too_long(shown), "\n".join(too_long(shown))
    text_only = without_points(shown)  # the terminal's table
    for r in graded.results:
        for text in (r.check.name, *(m.line for m in r.metrics),
                     r.check.hint if r.needs_hint else ""):
            assert squeezed(text) in squeezed(text_only), text


# Lab 3's solution graded under a path longer than a line, as the grader prints it.
DEEP = "/".join(["a-very-deeply-nested-course-folder"] * 4)


def cli_run(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


@pytest.fixture(scope="module")
def lab3(tmp_path_factory):
    """Lab 3 graded, each way once when a test first asks: "whole", "partial" (only two checks,
    --check) or "broken" (an answer cell that raises as the notebook loads) -> (run, JSON
    report, the path its JUnit and Gradescope files start with); each takes seconds."""
    folder = tmp_path_factory.mktemp("graded") / DEEP
    folder.mkdir(parents=True)
    solution = ROOT / "labs" / "solutions" / "03-victim" / "victim.ipynb"
    whole = shutil.copy(solution, folder / "victim.ipynb")
    (answer,) = [c.source for c in labs.load("03-victim").cells if c.grade_id == "victim_pool"]
    broken = lab_variants.variant(solution, folder / "broken.ipynb",
                                  {"victim_pool": "helper = make_helper()\n" + answer})
    stopped = lab_variants.variant(solution, folder / "stopped.ipynb",
                                   {"victim_pool": "import os\nos._exit(3)\n" + answer})
    runs = {"whole": (whole,), "partial": (whole, "--check", "latency,memory_released"),
            "broken": (broken,), "stopped": (stopped,)}
    done = {}

    def graded(name):
        if name not in done:
            path, *more = runs[name]
            files = folder / name
            run = cli_run("grade", "03-victim", path, *more, "--json", f"{files}.json",
                          "--junit", f"{files}.xml", "--gradescope", f"{files}.gs.json")
            assert Path(f"{files}.json").exists(), run.stderr
            done[name] = (run, json.loads(Path(f"{files}.json").read_text()), files)
        return done[name]
    return graded


@pytest.mark.parametrize("name", ["whole", "partial", "broken", "stopped"])
def test_every_line_a_grading_prints_fits_100_columns(lab3, name):
    run, result, _ = lab3(name)
    printed = run.stdout + run.stderr
    assert not too_long(printed), "\n".join(too_long(printed))
    assert squeezed(DEEP) in squeezed(run.stderr)  # the progress line names the notebook
    assert result["checks"]  # it graded


def test_a_notebook_whose_code_did_not_load_says_so_first_and_which_cell(lab3):
    run, result, files = lab3("stopped")
    assert run.returncode == 1, run.stderr
    title, lead, *_ = (" ".join(p.split()) for p in run.stdout.split("\n\n"))
    assert title.startswith("Lab 3 - ")
    assert lead.startswith("DID NOT LOAD: no check ran, because the run ended in cell "
                           "victim_pool (it begins `import os`)"), lead
    assert "Run All Cells" in run.stdout and "grade again" in run.stdout
    # Each check: failed, no points, and only this to say -- no hint, no wall of errors.
    assert run.stdout.count("not run: the code did not load") == len(result["checks"])
    assert "hint:" not in run.stdout
    assert all((c["status"], c["score"], c["ran"], c["detail"]) ==
               ("fail", 0, False, "not run: the code did not load") for c in result["checks"])
    loading = result["did_not_load"]
    assert (loading["cell"], loading["first_line"], loading["stopped"]) == \
        ("victim_pool", "import os", True)
    assert result["score"] == 0 and result["verdict"] == "NOT PASSED"
    # The files for CI and Gradescope lead with it too.
    suite = ET.parse(f"{files}.xml").getroot()[0]
    first = suite[0]
    assert first.get("name") == "the notebook's code loads"
    assert "cell victim_pool" in first[0].get("message")
    scope = json.loads(Path(f"{files}.gs.json").read_text())
    assert scope["output"].startswith("DID NOT LOAD") and "victim_pool" in scope["output"]
    # And the notebook's table.
    shown = jupyter.Graded(result)
    html, text = shown._repr_html_(), repr(shown)
    assert html.index("did not load") < html.index("<table>") and "victim_pool" in html
    _, lead, *_ = (" ".join(p.split()) for p in text.split("\n\n"))  # the terminal's table
    assert lead.startswith("DID NOT LOAD: no check ran, because the run ended in cell")


def test_a_cell_that_raised_as_it_loaded_is_named_first_and_every_check_still_runs(lab3):
    """The other cells loaded: each check runs, and those needing the cell's class fail."""
    run, result, files = lab3("broken")
    assert run.returncode == 1, run.stderr
    _, lead, *_ = (" ".join(p.split()) for p in run.stdout.split("\n\n"))
    assert lead.startswith("A CELL FAILED AS IT LOADED: cell victim_pool (it begins "
                           "`helper = make_helper()`) failed: NameError: name 'make_helper' "
                           "is not defined"), lead
    assert "Run All Cells" in run.stdout and "grade again" in run.stdout
    assert all(c["ran"] for c in result["checks"]), "every check runs"
    assert "not run: the code did not load" not in run.stdout
    loading = result["did_not_load"]
    assert (loading["cell"], loading["stopped"], loading["label"]) == \
        ("victim_pool", False, "a cell failed")
    assert result["verdict"] == "NOT PASSED"
    suite = ET.parse(f"{files}.xml").getroot()[0]
    assert suite[0].get("name") == "the notebook's code loads"
    shown = jupyter.Graded(result)
    assert "A cell failed as it loaded" in shown._repr_html_()
    _, lead, *_ = (" ".join(p.split()) for p in repr(shown).split("\n\n"))
    assert lead.startswith("A CELL FAILED AS IT LOADED: cell victim_pool")
    assert repr(shown) == report.table(report.read(result))  # the terminal's table


def test_a_partial_grade_says_so_and_never_that_the_lab_passed(lab3):
    run, result, _ = lab3("partial")
    assert run.returncode == 0, run.stderr  # both checks run pass
    assert [c["id"] for c in result["checks"]] == ["memory_released", "latency"]
    checks_in_lab = len(labs.load("03-victim").checks)
    assert f"Score 5/5 of the checks run (partial: 2 of {checks_in_lab} checks) -- PARTIAL" in \
        " ".join(run.stdout.split())
    assert "PASSED" not in run.stdout
    assert (result["passed"], result["verdict"], result["partial"]) == (False, "PARTIAL", True)
    assert (result["max_score"], result["checks_run"], result["checks_in_lab"]) == \
        (5, 2, checks_in_lab)
    # Only the probe and those two checks ran.
    assert [word for line in run.stderr.splitlines() for word in line.split()[:1]
            if word in report.MARK.values()] == ["PASS", "PASS"]
    shown = jupyter.Graded(result)
    assert shown.metrics("memory_released") == {"alive": 0, "alive_after_one": 16, "mib": 0}
    assert 0 < shown.metrics("latency")["ratio"] < 0.5
    assert f"(partial: 2 of {checks_in_lab} checks)" in shown._repr_html_()
    with pytest.raises(KeyError, match="'news_after_cleanup' was not run"):
        shown.check("news_after_cleanup")
    _, whole, _ = lab3("whole")
    assert (whole["passed"], whole["verdict"], whole["partial"]) == (True, "PASSED", False)


def test_an_unknown_check_id_lists_the_labs_checks(tmp_path):
    solution = ROOT / "labs" / "solutions" / "03-victim" / "victim.ipynb"
    run = cli_run("grade", "03-victim", solution, "--check", "latency", "--check", "lantency")
    assert run.returncode == 2
    assert "03-victim has no check 'lantency'" in run.stderr
    assert "test_cleanup, test_primary_first" in " ".join(run.stderr.split())
    with pytest.raises(labs.LabError, match="no check 'lantency'"):
        jupyter.grade_notebook("03-victim", "lantency")
