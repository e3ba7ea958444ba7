"""Lab 4: what the generic lab tests cannot say -- a ring that hangs fails its check in time,
and the round whose steals the lab asks to predict has one outcome, the one its test counts."""

import time

import lab_variants
from autograder import checks, harness, notebook
from autograder import lab as labs


def test_a_spinning_ring_fails_the_concurrency_check_within_its_wall_time(tmp_path):
    lab = labs.load("04-steal")
    spinning = lab_variants.module("04-steal").SPINNING  # retries a failed cas with stale values
    check = next(c for c in lab.checks if c.id == "ring_exactly_once")
    path = lab_variants.variant(lab_variants.solution(lab), tmp_path / "spinning.ipynb", spinning)
    program = notebook.assemble(lab, notebook.read(path))
    start = time.monotonic()
    result = checks.KINDS[check.kind](check, lab, program, tmp_path)
    seconds = time.monotonic() - start
    assert result.status == "fail" and result.score == 0
    assert f"did not finish within {check.params['wall']:g} s" in result.detail, result.detail
    assert seconds < lab.limits["seconds"], "the sandbox's own time limit had to end it"


def test_steal_round_serves_the_predicted_steals_every_time():
    """The solution's StealingPool steals exactly the number the hidden test counts from the
    given constants (the solution scores its point), run after run; LocalPool steals none."""
    lab = labs.load("04-steal")
    program = notebook.assemble(lab, notebook.read(lab_variants.solution(lab)))
    ns = harness.load_program({"program": program})
    rounds = [ns["steal_round"](ns["StealingPool"]) for _ in range(3)]
    assert rounds == [ns["PREDICTED_STEALS"]] * 3
    assert ns["steal_round"](ns["LocalPool"]) == 0
