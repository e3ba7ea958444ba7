"""The autograder, end to end on Lab 1: right answers pass, wrong ones fail, hostile ones
are graded without harm, and the verdict does not change from run to run."""

import csv
import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import lab_variants
from autograder import grade as grading
from autograder import lab as labs
from autograder import notebook, sandbox

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "labs" / "solutions" / "01-escape" / "escape.ipynb"
NAIVE = lab_variants.variants("01-escape")[0]["answers"]  # the codec the lab starts from


def variant(tmp_path, name, **answers):
    """Lab 1's solution notebook with some answer cells replaced, saved as name.ipynb."""
    return lab_variants.variant(SOLUTION, tmp_path / f"{name}.ipynb", answers)


def cli(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)


def said(text):
    """text with its lines joined: the grader wraps what it prints at the 100th column."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def lab():
    return labs.load("01-escape")


@pytest.fixture
def fast_lab(lab):
    """Lab 1 with short timeouts, for submissions that hang."""
    return dataclasses.replace(lab, limits={**lab.limits, "seconds": 4, "latency_seconds": 20})


def statuses(report):
    return {r.check.id: r.status for r in report.results}


def test_returning_a_view_of_a_pooled_buffer_fails_the_aliasing_check(lab, tmp_path):
    escaping = (
        "def encode(kind, body, buffers):\n"
        "    n = frame_size(kind, body)\n"
        "    buf = buffers.get(n)\n"
        "    view = memoryview(buf)\n"
        "    HEADER.pack_into(view, 0, len(body) + 1, kind)\n"
        "    view[HEADER.size:n] = body\n"
        "    buffers.put(buf)\n"
        "    return view[:n]  # escapes: buf is back in the pool\n")
    report = grading.grade(lab, variant(tmp_path, "escaping", encode=escaping))
    aliasing = next(r for r in report.results if r.check.id == "test_aliasing")
    assert aliasing.status == "fail"
    assert "changed after their buffers went back to the pool" in aliasing.detail


@pytest.mark.parametrize("answer, says", [
    ("def send_all(messages, send, buffers):\n    while True:\n        pass\n", "timed out"),
    ("def send_all(messages, send, buffers):\n    import sys\n    sys.exit(3)\n",
     "sys.exit(3)"),
    ("def send_all(messages, send, buffers):\n    import os\n    os._exit(0)\n",
     "without reporting a result"),
    ("def send_all(messages, send, buffers):\n    import os\n    os._exit(7)\n", "status 7"),
    ("def send_all(messages, send, buffers):\n    hog = bytearray(4 << 30)\n", "MemoryError"),
    ("import socket\n"  # an address off the machine: the sandbox has loopback at most
     "def send_all(messages, send, buffers):\n"
     "    socket.create_connection(('192.0.2.1', 9), timeout=1)\n", "Network is unreachable"),
])
def test_hostile_or_broken_send_all_is_graded_zero_without_harm(fast_lab, tmp_path, answer,
                                                                  says):
    report = grading.grade(fast_lab, variant(tmp_path, "hostile", send_all=answer))
    for r in report.results:
        if r.check.id in ("test_send_all", "frame_allocations", "latency"):
            assert r.status == "fail" and r.score == 0, (r.check.id, r.detail)
            assert says in r.detail, (r.check.id, r.detail)
    assert next(r for r in report.results if r.check.id == "test_encode").status == "pass"


def test_a_notebook_that_never_finishes_loading_scores_zero_quickly(fast_lab, tmp_path):
    stuck = variant(tmp_path, "stuck", encode="while True:\n    pass\n")
    report = grading.grade(fast_lab, stuck)
    assert report.score == 0
    assert report.did_not_load.headline.startswith(
        "the run ended in cell encode (it begins `while True:`): timed out"), \
        report.did_not_load.headline
    assert all(r.detail == "not run: the code did not load" for r in report.results)
    assert report.seconds < 20  # one timeout, not one per check


def test_printing_a_fake_score_or_fake_json_changes_nothing(tmp_path):
    fake = ('import json\n'
            'print(json.dumps({"score": 12, "max_score": 12, "passed": True}))\n'
            'print("Score 12/12 -- PASSED")\n'
            'def send_all(messages, send, buffers):\n'
            '    print(json.dumps({"event": "result", "ok": True}))\n'
            '    raise RuntimeError("wrong")\n')
    run = cli("grade", "01-escape", variant(tmp_path, "fake", send_all=fake),
              "--json", tmp_path / "r.json")
    assert run.returncode == 1
    result = json.loads((tmp_path / "r.json").read_text())
    by_id = {c["id"]: c for c in result["checks"]}
    assert by_id["test_send_all"]["score"] == by_id["frame_allocations"]["score"] == 0
    assert result["score"] == 2  # test_encode alone: test_aliasing runs send_all too


@pytest.mark.parametrize("make, says", [
    (lambda p: p.write_text("print('hello')\n"), "not valid JSON"),
    (lambda p: p.write_text('{"cells": [', encoding="utf-8"), "not valid JSON"),
    (lambda p: p.write_text('{"hello": 1}'), "not a Jupyter notebook"),
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe"), "not a text file"),
])
def test_a_file_that_is_not_a_notebook_is_a_broken_submission(tmp_path, make, says):
    path = tmp_path / "submission.ipynb"
    make(path)
    run = cli("grade", "01-escape", path)
    assert run.returncode == 2
    assert says in said(run.stderr)


def test_a_missing_function_or_a_wrong_signature_is_a_broken_submission(tmp_path):
    renamed = variant(tmp_path, "renamed",
                      send_all="def send_every(messages, send, buffers):\n    pass\n")
    run = cli("grade", "01-escape", renamed)
    assert run.returncode == 2
    assert "send_all() is missing" in said(run.stderr)
    assert "(messages, send, buffers)" in said(run.stderr)
    wrong = variant(tmp_path, "wrong", encode="def encode(kind, body):\n    pass\n")
    run = cli("grade", "01-escape", wrong)
    assert run.returncode == 2
    assert "encode() has parameters (kind, body)" in said(run.stderr)


@pytest.mark.parametrize("answer, says", [
    ("1 / 0\n", "failed: ZeroDivisionError: division by zero (cell send_all, line 1: 1 / 0)"),
    ("import sys\nsys.exit(3)\n", "failed: the code called sys.exit(3)"),
    ("hog = bytearray(4 << 30)\n", "failed: MemoryError"),
])
def test_an_answer_cell_that_fails_as_it_loads_is_named_and_graded_zero_on_what_needs_it(
        tmp_path, answer, says):
    """Like one that loops or calls os._exit there: graded (exit 1), not ungradable (exit 2);
    the report leads with the cell and what it raised, and the checks that do not need it
    score as usual."""
    run = cli("grade", "01-escape", variant(tmp_path, "fails", send_all=answer),
              "--json", tmp_path / "r.json")
    assert run.returncode == 1, run.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    loading = result["did_not_load"]
    assert loading["cell"] == "send_all" and says in loading["headline"], loading
    assert not loading["stopped"]
    checks = {c["id"]: c for c in result["checks"]}
    assert checks["test_encode"]["status"] == "pass"  # encode's cell loaded
    for check in ("test_send_all", "frame_allocations", "latency"):
        assert checks[check]["score"] == 0, checks[check]


def test_a_failed_allocation_check_names_the_line_of_the_learners_code(lab, tmp_path):
    slice_copy = lab_variants.module("01-escape").SLICE  # buf[a:b] = body copies it first
    report = grading.grade(lab, variant(tmp_path, "slice", **slice_copy))
    (allocations,) = [r for r in report.results if r.check.id == "frame_allocations"]
    assert allocations.status == "fail"
    assert ("24 at send_all, line 8 of cell send_all: `buf[HEADER.size:n] = body`"
            in allocations.detail), allocations.detail


def test_a_deleted_answer_cell_another_labs_notebook_and_a_missing_lab_say_what_to_do(
        tmp_path):
    nb = nbformat.read(SOLUTION, as_version=4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "encode"]
    path = tmp_path / "deleted.ipynb"
    nbformat.write(nb, path)
    run = cli("grade", "01-escape", path, "--check", "test_encode")
    assert run.returncode == 1 and "no answer cell 'encode'" in said(run.stdout), run.stdout
    run = cli("grade", "01-escape", lab_variants.solution(labs.load("02-local")))
    assert run.returncode == 2 and "it is not the 01-escape notebook" in said(run.stderr)
    run = cli("grade", "99-nothing", path)
    assert run.returncode == 2 and "there is no lab '99-nothing'" in said(run.stderr)
    run = cli("grade", "01-escape", tmp_path / "absent.ipynb")
    assert run.returncode == 2 and "no such file" in said(run.stderr)


def test_hidden_tests_can_come_from_another_folder(lab, tmp_path):
    private = tmp_path / "private"
    shutil.copytree(ROOT / "labs" / "solutions", private)
    source = private / "01-escape" / "escape.ipynb"
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_encode":
            cell.source += "\nassert False, 'a stricter hidden test'\n"
    nbformat.write(nb, source)
    run = cli("grade", "01-escape", SOLUTION, "--tests-from", private,
              "--json", tmp_path / "r.json")
    assert run.returncode == 1
    checks = {c["id"]: c for c in json.loads((tmp_path / "r.json").read_text())["checks"]}
    assert "a stricter hidden test" in checks["test_encode"]["detail"]


def test_a_folder_grades_a_class_into_a_csv_and_a_gradebook(tmp_path, handed_out):
    from nbgrader.api import Gradebook

    # A folder deep enough that a progress line naming a notebook is longer than a line.
    folder = tmp_path / "a-class-folder-with-a-name-long-enough-to-wrap" / "class"
    folder.mkdir(parents=True)
    shutil.copy(SOLUTION, folder / "alice.ipynb")
    shutil.copy(handed_out / "01-escape" / "escape.ipynb", folder / "bob.ipynb")
    (folder / "carol.ipynb").write_text("{ not json")
    variant(folder, "dave", send_all="1 / 0\n")
    run = cli("grade", "01-escape", folder, "--gradebook", tmp_path / "gradebook.db")
    assert run.returncode == 1, run.stderr
    assert "/8" in run.stderr  # the progress bar: 2 steps for each of 4 students
    printed = (run.stdout + run.stderr).splitlines()
    assert [line for line in printed if len(line) > 100] == []
    assert "not passed -- a cell failed: cell send_all (it begins `1 / 0`) failed: " \
        "ZeroDivisionError" in said(run.stdout)
    rows = {r["student"]: r for r in csv.DictReader(open(folder / "grades-01-escape.csv"))}
    assert (rows["alice"]["score"], rows["alice"]["passed"]) == ("12", "True")
    assert (rows["bob"]["score"], rows["bob"]["passed"], rows["bob"]["error"]) == \
        ("0", "False", "")
    assert "not valid JSON" in rows["carol"]["error"]
    assert rows["dave"]["passed"] == "False" and rows["dave"]["error"].startswith(
        "a cell failed: cell send_all (it begins `1 / 0`) failed: ZeroDivisionError")
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        assert gb.find_submission("01-escape", "alice").score == 12
        assert gb.find_submission("01-escape", "bob").score == 0


def test_verdicts_are_identical_over_five_gradings(lab, tmp_path):
    naive = variant(tmp_path, "naive", **NAIVE)
    for path in (SOLUTION, naive):
        seen = [statuses(grading.grade(lab, path)) for _ in range(5)]
        assert all(s == seen[0] for s in seen), seen


# A megabyte made, written through and freed, 50 times: the minor page faults of each.
FRESH_PAGES = """
import resource
block = b"x" * (1 << 20)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    memoryview(bytearray(1 << 20))[:] = block
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 50)
"""


@pytest.mark.parametrize("fixed", [True, False], ids=["graded", "glibc-default"])
def test_a_freed_megabyte_is_fresh_memory_again_in_every_graded_process(fixed):
    """What a frame costs in Lab 1 depends on whether glibc reuses a freed megabyte or hands it
    back to the kernel, which by default depends on what the process did before. Every graded
    process (sandbox.MEASURED_UNDER) gets fresh pages for it every time: 256 faults of 4 KiB
    per megabyte. By default (the control) only the first one does."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONMALLOC": "pymalloc",
           **(sandbox.MEASURED_UNDER if fixed else {})}
    done = subprocess.run([sys.executable, "-c", FRESH_PAGES], env=env, capture_output=True,
                          text=True, check=True)
    faults = float(done.stdout)
    assert faults >= 200 if fixed else faults < 30, faults


def test_a_submission_on_its_threshold_is_borderline_every_time(lab, tmp_path):
    """The naive send_all *is* the baseline, so its ratio is 1 by symmetry (the two alternate
    A-B-B-A): with full points at 1.0 it sits on the threshold on any machine. Graded alone on
    that check, five times: the same status, and the same exit status (0: counted as passed)."""
    (check,) = [c for c in lab.checks if c.kind == "latency"]
    on_edge = dataclasses.replace(check, params={**check.params, "full_at": 1.0, "zero_at": 1.3})
    edge_lab = dataclasses.replace(lab, checks=(on_edge,))
    naive = variant(tmp_path, "naive", **NAIVE)
    reports = [grading.grade(edge_lab, naive) for _ in range(5)]
    seen = [(r.results[0].status, r.passed) for r in reports]
    assert seen == [("borderline", True)] * 5, [r.results[0].detail for r in reports]
    assert all(", 95% " in r.results[0].measured for r in reports)
    assert all(r.seconds < 60 for r in reports)


def test_describe_prints_every_check_with_its_threshold_and_points():
    run = cli("describe", "01-escape")
    assert run.returncode == 0
    for text in ["at most 0.1 allocations of 65536+ bytes", "at most 0.6 for full points",
                 "total 12 points"]:
        assert text in run.stdout


def test_a_notebook_without_a_prediction_cell_is_graded_with_it_unanswered(tmp_path):
    """A value answer added to a lab after the notebook was handed out: the rest is graded."""
    victim = labs.load("03-victim")
    source = lab_variants.solution(victim)
    nb = nbformat.read(source, as_version=4)
    nb.cells = [c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") != "predicted_news"]
    program = dict(notebook.assemble(victim, nb))
    assert program["predicted_news"] == "PREDICTED_NEWS = None"
    nb = nbformat.read(source, as_version=4)
    nb.cells = [c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") != "victim_pool"]
    program = dict(notebook.assemble(victim, nb))
    assert "### BEGIN SOLUTION" not in program["victim_pool"]
    assert "raise NotImplementedError(" in program["victim_pool"]
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("solution")]
    with pytest.raises(notebook.BrokenSubmission, match="none of the 03-victim answer cells"):
        notebook.assemble(victim, nb)


def test_a_notebook_handed_out_before_a_task_is_graded_with_that_task_unanswered(tmp_path):
    """Lab 4's third task added after the notebook was handed out: its checks fail saying
    where the new cell is, every other check is graded as written."""
    steal = labs.load("04-steal")
    nb = nbformat.read(lab_variants.solution(steal), as_version=4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "batch"]
    old = tmp_path / "steal.ipynb"
    nbformat.write(nb, old)
    report = grading.grade(steal, old, check_ids=["test_ring_order", "test_batch"])
    ring, batch = report.results
    assert ring.status == "pass", ring.detail
    assert batch.status == "fail" and "make labs" in batch.detail, batch.detail
