"""Lab 2 beyond its variants: a submission that deadlocks under threads is a failed check
with that reason, within the check's limits -- not a hung grader; and Task 2's counts see
every kind of lock and are the same at every run."""

import dataclasses
import importlib.util

import nbformat
import pytest

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


def task_2_namespace():
    """The notebook's given cells and reference answers, executed, and the lab's workloads."""
    lab = labs.load("02-local")
    ns = {}
    for cell in nbformat.read(lab_variants.solution(lab), as_version=4).cells:
        if cell.metadata["nbgrader"]["grade_id"] in ("setup", "local_pool", "capped_pool"):
            exec(cell.source, ns)  # noqa: S102 -- the course's own reference cells
    spec = importlib.util.spec_from_file_location("lab02_workloads", lab.workloads)
    workloads = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(workloads)
    return ns, workloads


# CappedPool's fast path with a lock taken on every call, in each of the ways a learner may
# take one: the lock counter must see every one of them.
LOCKED_FAST_PATHS = {
    "with a Lock": "with self.guard:\n            return {call}",
    "acquire and release": "self.guard.acquire()\n        try:\n            return {call}\n"
                           "        finally:\n            self.guard.release()",
    "with an RLock": "with self.rguard:\n            return {call}",
    "with a Condition": "with self.condition:\n            return {call}",
    "through a queue.Queue": "self.queue.put(1)\n        self.queue.get()\n        return {call}",
}


@pytest.mark.parametrize("how", LOCKED_FAST_PATHS)
def test_the_fast_path_lock_count_sees_every_kind_of_lock(how):
    ns, workloads = task_2_namespace()
    assert workloads.fast_path_locks(ns)["locks"] == 0  # the reference takes none
    body = LOCKED_FAST_PATHS[how]
    exec(f'''
import queue


class CappedPool(CappedPool):
    def __init__(self, new, cap):
        super().__init__(new, cap)
        self.guard, self.rguard = threading.Lock(), threading.RLock()
        self.condition, self.queue = threading.Condition(), queue.Queue()

    def get(self):
        {body.format(call="super().get()")}

    def put(self, x):
        {body.format(call="super().put(x)")}
''', ns)  # noqa: S102
    assert workloads.fast_path_locks(ns)["locks"] >= 1, how


def test_the_hand_off_counts_are_exact():
    """One thread at a time: the same counts at every run, so a bound is never flaky."""
    ns, workloads = task_2_namespace()
    runs = [workloads.handoff_run(ns) for _ in range(3)]
    assert all(run == runs[0] for run in runs), runs
    assert runs[0]["news"] < 0.2 * runs[0]["gets"]


def test_put_none_pooled_over_the_cap_fails_the_visible_contract_test(tmp_path, handed_out):
    """A CappedPool that drops None only on the way to the private slot: with the cap reached,
    None goes on, and a get returns it. The visible tests alone must say so."""
    none_goes_on = lab_variants.changed(
        "02-local", "capped_pool", ("        if x is None:\n            return\n", ""),
        ("        if local.private is None:\n            local.private = x\n",
         "        if local.private is None:\n            if x is not None:\n"
         "                local.private = x\n"))
    lab = labs.load("02-local", tests_from=handed_out)
    (check,) = [c for c in lab.checks if c.id == "test_capped_pool"]
    path = lab_variants.variant(lab_variants.solution(lab), tmp_path / "none.ipynb",
                                none_goes_on)
    (result,) = grading.grade(dataclasses.replace(lab, checks=(check,)), path).results
    assert result.status == "fail"
    assert "put(None) must be ignored" in result.detail, result.detail


def test_task_1_keeps_its_allocation_points_while_task_2_is_not_written(tmp_path):
    """The allocation check also runs its rounds on CappedPool -- once it is written: a
    CappedPool still handed out as a stub costs Task 2's checks, not Task 1's."""
    lab = labs.load("02-local")
    stub = "class CappedPool:\n" + "".join(
        f"    def {name}({params}):\n        raise NotImplementedError()\n\n"
        for name, params in (("__init__", "self, new, cap"), ("get", "self"), ("put", "self, x")))
    path = lab_variants.variant(lab_variants.solution(lab), tmp_path / "task1.ipynb",
                                {"capped_pool": stub})
    alone = dataclasses.replace(lab, checks=tuple(
        c for c in lab.checks if c.id in ("steady_allocations", "kept")))
    results = {r.check.id: r for r in grading.grade(alone, path).results}
    assert results["steady_allocations"].passed, results["steady_allocations"].detail
    assert "in 20000 get+puts" in results["steady_allocations"].detail
    assert not results["kept"].passed

