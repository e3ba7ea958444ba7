"""Lab 2 beyond its variants: a submission that deadlocks under threads is a failed check
with that reason, within the check's limits -- not a hung grader."""

import dataclasses

import lab_variants
from autograder import grade as grading
from autograder import lab as labs

# A lock taken in get and never released: the second get of every round waits forever.
DEADLOCK = '''
class LocalPool:
    def __init__(self, new):
        self.new = new
        self.lock = threading.Lock()

    def get(self):
        self.lock.acquire()
        return self.new()

    def put(self, x):
        pass
'''


def test_a_deadlocking_pool_fails_the_concurrency_check_and_says_so(tmp_path):
    lab = labs.load("02-local")
    (check,) = [c for c in lab.checks if c.kind == "concurrency"]
    alone = dataclasses.replace(lab, checks=(check,))
    path = lab_variants.variant(lab_variants.solution(lab), tmp_path / "deadlock.ipynb",
                                {"local_pool": DEADLOCK})
    report = grading.grade(alone, path)
    (result,) = report.results
    assert result.status == "fail"
    assert "4 of 4 threads had not finished" in result.detail, result.detail
    assert report.seconds < lab.limits["seconds"]

