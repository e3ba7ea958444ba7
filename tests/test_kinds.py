"""The check kinds (autograder/kinds/): each module holds both halves of its kind, a verdict
is a pure function of the numbers, and a new kind is its module and a line in the registry."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import kinds, points

ROOT = Path(__file__).resolve().parent.parent
LATENCY = {"full_at": 0.6, "zero_at": 1.0}


def verdict(ratio, low, high, busy=0.0, rounds=1, **params):
    return kinds.latency.verdict(ratio, low, high, params={**LATENCY, **params}, worth=3,
                                 rounds=rounds, busy=busy, cpus=2)


@pytest.mark.parametrize("ratio, low, high, status", [
    (0.30, 0.28, 0.32, "pass"),  # the whole interval under full_at
    (0.80, 0.76, 0.84, "fail"),  # the whole interval over it
    (0.61, 0.58, 0.64, "borderline"),  # full_at inside an interval of +/-5%: passed
    (0.61, 0.30, 0.92, "noisy"),  # full_at inside one of +/-51%: nothing decided
])
def test_a_latency_verdict_is_where_its_interval_lies(ratio, low, high, status):
    got, score, note = verdict(ratio, low, high, rounds=3)
    assert got == status
    assert score == points.linear_score(3, ratio, LATENCY["full_at"], LATENCY["zero_at"])
    assert ("after 3 rounds" in note) == (status == "borderline")
    assert ("quieter machine" in note) == (status == "noisy")


@pytest.mark.parametrize("ratio, quiet, busy", [
    (0.30, "pass", "pass"), (0.80, "fail", "noisy"), (0.61, "borderline", "noisy")])
def test_on_a_busy_machine_only_full_points_are_decided(ratio, quiet, busy):
    """Past a quarter of the CPUs busy with other work, a ratio short of full points may be
    the other work's: not decided. Full points are full points however busy; a load not
    known (no /proc/stat) is not held against the measurement."""
    low, high = ratio * 0.95, ratio * 1.05
    assert verdict(ratio, low, high, busy=kinds.latency.BUSY * 2 + 0.1)[0] == busy
    assert verdict(ratio, low, high, busy=kinds.latency.BUSY * 2 - 0.1)[0] == quiet
    assert verdict(ratio, low, high, busy=None)[0] == quiet


def test_max_halfwidth_sets_how_wide_a_borderline_may_be():
    assert verdict(0.61, 0.50, 0.72)[0] == "noisy"
    assert verdict(0.61, 0.50, 0.72, max_halfwidth=0.2)[0] == "borderline"


def test_the_interval_is_never_narrower_than_the_resolution():
    ratio, low, high = kinds.latency.interval([0.5] * 18, 0.05)
    assert (ratio, low, high) == pytest.approx((0.5, 0.475, 0.525))


@pytest.mark.parametrize("name", sorted(kinds.KINDS))
def test_every_kind_has_both_halves(name):
    kind = kinds.KINDS[name]
    for grader_side in ("grade", "expected", "rule"):
        assert callable(getattr(kind, grader_side, None)), (name, grader_side)
    assert callable(getattr(kind, "run", None)) or callable(getattr(kind, "main", None)), name


# A kind that was not there: "defines" passes when the program defines the names its check
# lists -- the whole kind, both halves, in one module.
DEFINES = '''"""defines: the program defines each name the check's names list."""

from .. import sandbox
from ..result import Result


def expected(check):
    return ()


def rule(check):
    return "defines " + ", ".join(check.params["names"])


def grade(check, lab, program, workdir):
    task = {"kind": "defines", "names": check.params["names"]}
    why = sandbox.run_task(lab, program, task, workdir, check.id).failure
    return Result(check, "fail", 0, detail=why) if why else Result(check, "pass", check.points)


# -- in the sandbox --

def run(ns, task, spec):
    missing = [name for name in task["names"] if name not in ns]
    return {"ok": not missing, "error": "not defined: " + ", ".join(missing)}
'''
CHECK = '''
[[checks]]
id = "defines"
kind = "defines"
name = "defines the codec"
points = 1
names = ["encode", "send_all", {also}]
'''


def test_a_new_kind_is_its_module_and_one_line_in_the_registry(clone, tmp_path):
    """Added to a copy of the course and used by a check of Lab 1, the kind is described and
    graded -- run in the sandbox, through the real harness -- with no other file changed."""
    (clone / "autograder" / "kinds" / "defines.py").write_text(DEFINES)
    registry = clone / "autograder" / "kinds" / "__init__.py"
    text = registry.read_text()
    line = '"fault": fault, "score": score}'
    assert text.count(line) == 1
    registry.write_text(text.replace("from . import allocations,", "from . import defines, allocations,")
                        .replace(line, '"fault": fault, "score": score, "defines": defines}'))
    solution = ROOT / "labs" / "solutions" / "01-escape" / "escape.ipynb"
    checks = clone / "autograder" / "labs" / "01-escape.toml"
    base = checks.read_text()

    def grade(also):
        checks.write_text(base + CHECK.format(also=also))
        out = tmp_path / "graded.json"
        run = subprocess.run(
            [sys.executable, "-m", "autograder", "grade", "01-escape", str(solution),
             "--check", "defines", "--json", str(out)],
            cwd=clone, capture_output=True, text=True, timeout=300,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{clone}:{clone / 'reference'}"})
        return run, json.loads(out.read_text()) if out.exists() else None

    run, graded = grade('"encode_naive"')
    assert graded, run.stderr
    (check,) = graded["checks"]
    assert (check["id"], check["status"], check["score"]) == ("defines", "pass", 1), check
    run, graded = grade('"decode_all"')
    (check,) = graded["checks"]
    assert check["status"] == "fail" and "not defined: decode_all" in check["detail"], check
    described = subprocess.run([sys.executable, "-m", "autograder", "describe", "01-escape"],
                               cwd=clone, capture_output=True, text=True, timeout=60,
                               env={"PATH": "/usr/bin:/bin",
                                    "PYTHONPATH": f"{clone}:{clone / 'reference'}"})
    assert "defines encode, send_all, decode_all" in described.stdout, described.stderr
