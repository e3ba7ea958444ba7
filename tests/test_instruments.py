"""The grader checks its instruments before it judges: probes of known count read true on
this Python with the grader's own rule, read wrong without it, and a broken rule leaves an
allocations check not decided -- never failed -- with the exit status and the class CSV
saying so."""

import csv
import dataclasses
import shutil

import pytest

import lab_variants
from autograder import cli, instruments
from measure import allocations
from autograder import grade as grading
from autograder import lab as labs


@pytest.mark.parametrize("min_block, exclude", [(1, True), (65536, False)],
                         ids=["every allocation, memray's left out", "buffer-sized blocks"])
def test_every_probe_reads_its_true_count_as_the_labs_count(tmp_path, min_block, exclude):
    probes = instruments.run_allocation_probes(str(tmp_path / "c"), min_block, exclude)
    assert [p["name"] for p in probes] == ["c_method_calls", "c_method_calls_far",
                                           "python_calls", "one_object"]
    assert instruments.allocation_probes_off(probes, min_block, exclude) == []


def test_without_the_exclusion_the_probes_see_what_memray_makes_cpython_allocate(tmp_path):
    probes = instruments.run_allocation_probes(str(tmp_path / "c"), 1, True)
    off = instruments.allocation_probes_off(probes, 1, exclude_observer=False)
    assert [o.split()[3] for o in off] == ["c_method_calls", "c_method_calls_far",
                                           "python_calls"], off


def frames_only(record):
    """An exclusion rule that knows frame objects but not the profiler's bound methods: what
    a rule written for one Python's native stacks does on the next."""
    names = [function for function, _, _ in record.native_stack_trace()]
    return "_PyFrame_MakeAndSetFrameObject" in names


def without_latency(*args):
    """Lab 2 as it loads, but for its latency check: whose verdict depends on how busy the
    machine is, which these tests are not about."""
    lab = LOAD(*args)
    return dataclasses.replace(lab, checks=tuple(c for c in lab.checks if c.kind != "latency"))


LOAD = labs.load


@pytest.fixture
def broken_rule(monkeypatch):
    monkeypatch.setattr(allocations, "_is_observer", frames_only)
    monkeypatch.setattr(labs, "load", without_latency)


SOLUTION = lab_variants.solution(labs.load("02-local"))


def test_a_broken_exclusion_rule_leaves_the_check_unmeasured_not_failed(broken_rule):
    report = grading.grade(labs.load("02-local"), SOLUTION)
    assert "latency" not in {r.check.kind for r in report.results}
    by_id = {r.check.id: r for r in report.results}
    allocations = by_id["steady_allocations"]
    assert (allocations.status, allocations.score) == ("unmeasured", 0)
    assert "cannot count allocations on this Python" in allocations.detail
    assert "c_method_calls measured" in allocations.detail, allocations.detail
    assert not allocations.needs_hint
    assert not [r for r in report.results if r.status == "fail"]
    assert report.verdict == "NOT DECIDED"


def test_not_decided_is_exit_status_3_and_not_measured_in_the_class_csv(broken_rule, tmp_path,
                                                                       capsys):
    assert cli.main(["grade", "02-local", str(SOLUTION)]) == cli.NOT_DECIDED
    assert "UNMEASURED" in capsys.readouterr().out
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(SOLUTION, folder / "ada.ipynb")
    out = tmp_path / "grades.csv"
    assert cli.main(["grade", "02-local", str(folder), "--csv", str(out)]) == cli.NOT_DECIDED
    (row,) = csv.DictReader(out.open())
    assert row["steady_allocations"] == "not measured"
    assert row["passed"] == "False"


def test_require_measurement_makes_it_an_error(broken_rule, capsys):
    assert cli.main(["grade", "02-local", str(SOLUTION), "--require-measurement"]) == cli.BROKEN
    assert "cannot count allocations on this Python" in capsys.readouterr().err
