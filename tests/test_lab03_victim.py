"""Lab 3 teaches the reference's mechanism: on the lab's traffic, the solution's VictimPool
makes exactly the new() calls pool.Pool makes, and the given NoVictimPool one per request; the
prediction the lab grades is that count."""

import pool
from autograder import notebook
from autograder import lab as labs
from autograder.program import load_program
from autograder.probes import Counted


def lab_namespace():
    """The solution notebook's given and answer cells, executed, as the grader runs them."""
    lab = labs.load("03-victim")
    program = notebook.assemble(lab, notebook.read(labs.SOURCES / lab.id / lab.notebook))
    return load_program({"program": program})


class ReferencePool:
    """pool.Pool with the lab's interface (the reference cleans up every pool at once)."""

    def __init__(self, new):
        self.pool = pool.Pool(new)
        self.get, self.put = self.pool.get, self.pool.put

    def cleanup(self):
        pool.cleanup()


def news_per_burst(ns, pool_class):
    new = Counted(ns["new_scratch"])
    return ns["replay"](pool_class(new), ns["TRAFFIC"], new)


def test_the_labs_victim_pool_makes_the_new_calls_pool_Pool_makes(quiet):
    ns = lab_namespace()
    lab = news_per_burst(ns, ns["VictimPool"])
    assert lab == news_per_burst(ns, ReferencePool)
    assert sum(lab) < sum(ns["TRAFFIC"]) / 3  # the cut the lab's new() check asks for


def test_the_labs_baseline_pays_a_new_call_for_every_request():
    ns = lab_namespace()
    assert news_per_burst(ns, ns["NoVictimPool"]) == ns["TRAFFIC"]


def test_the_prediction_the_lab_grades_is_the_count_pool_Pool_makes(quiet):
    """The hidden test's own count, from TRAFFIC alone, agrees: the solution scores its point."""
    ns = lab_namespace()
    assert ns["PREDICTED_NEWS"] == sum(news_per_burst(ns, ReferencePool))
