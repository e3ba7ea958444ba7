"""Lab 4: what the generic lab tests cannot say -- a ring that hangs fails its check in time,
and the round whose steals the lab asks to predict has one outcome, the one its test counts."""

import time

import lab_variants
from autograder import kinds, notebook
from autograder import lab as labs
from autograder.program import load_program


def test_a_spinning_ring_fails_the_concurrency_check_within_its_wall_time(tmp_path):
    lab = labs.load("04-steal")
    spinning = lab_variants.module("04-steal").SPINNING  # retries a failed cas with stale values
    check = next(c for c in lab.checks if c.id == "ring_exactly_once")
    path = lab_variants.variant(lab_variants.solution(lab), tmp_path / "spinning.ipynb", spinning)
    program = notebook.assemble(lab, notebook.read(path))
    start = time.monotonic()
    result = kinds.of(check).grade(check, lab, program, tmp_path)
    seconds = time.monotonic() - start
    assert result.status == "fail" and result.score == 0
    assert f"did not finish within {check.params['wall']:g} s" in result.detail, result.detail
    assert seconds < lab.limits["seconds"], "the sandbox's own time limit had to end it"


def test_steal_round_serves_the_predicted_steals_every_time():
    """The solution's StealingPool steals exactly the number the hidden test counts from the
    given constants (the solution scores its point), run after run; LocalPool steals none."""
    lab = labs.load("04-steal")
    program = notebook.assemble(lab, notebook.read(lab_variants.solution(lab)))
    ns = load_program({"program": program})
    rounds = [ns["steal_round"](ns["StealingPool"]) for _ in range(3)]
    assert rounds == [ns["PREDICTED_STEALS"]] * 3
    assert ns["steal_round"](ns["LocalPool"]) == 0


def test_batch_round_has_one_outcome_and_the_thresholds_lie_between_the_designs():
    """batch_round is deterministic, and its two counter checks fall on either side of the
    designs: the solution's BatchPool (half, capped by its ring) within both bounds, stealing
    one (StealingPool) over the visits bound, stealing all over the new() calls bound."""
    lab = labs.load("04-steal")
    program = notebook.assemble(lab, notebook.read(lab_variants.solution(lab)))
    ns = load_program({"program": program})
    exec(lab_variants.module("04-steal").batch_all_source("TakeAll"), ns)  # noqa: S102
    bounds = {c.id: c.params["expect"] for c in lab.checks if c.kind == "counter"}
    visits = bounds["batch_visits"]["visits_per_get"]["max"]
    news = bounds["batch_news"]["news_per_get"]["max"]
    rounds = [ns["batch_round"](ns["BatchPool"]) for _ in range(3)]
    assert rounds[0] == rounds[1] == rounds[2]
    assert rounds[0]["visits_per_get"] <= visits / 1.5 and rounds[0]["news"] == 0, rounds[0]
    one = ns["batch_round"](ns["StealingPool"])
    assert one["visits_per_get"] >= 2 * visits and one["news"] == 0, one
    everything = ns["batch_round"](ns["TakeAll"])
    assert everything["news_per_get"] >= 8 * news, everything
