"""probes.Stall, the forced interleavings of the concurrency checks: a thread stopped before
a chosen line of the submission's cells has not run it while other threads act, and goes on
when let go."""

import threading

import pytest

from autograder import probes
from autograder.program import run_cell

STEPS = '''def steps(log, lock=None):
    log.append('check')
    if lock:
        lock.acquire()
    log.append('act')
    log.append('act again')
    if lock:
        lock.release()
    return len(log)
'''


@pytest.fixture
def ns():
    cells = {}
    run_cell("steps", STEPS, cells)
    return cells


def test_a_thread_stops_before_the_line_until_let_go(ns):
    log = []
    stall = probes.Stall(r"'act", cell="steps")
    assert stall.start(lambda: stall.call(ns["steps"], log))
    assert stall.at == ("steps", 5, "log.append('act')") and log == ["check"]
    log.append("other thread")
    assert stall.go() == (4, None) and log == ["check", "other thread", "act", "act again"]


def test_after_arms_the_stop_once_its_line_has_run(ns):
    log = []
    stall = probes.Stall(r"'act", after=r"'act'\)")
    assert stall.start(lambda: stall.call(ns["steps"], log))
    assert stall.at[1:] == (6, "log.append('act again')") and log == ["check", "act"]
    assert stall.go() == (3, None)


@pytest.mark.parametrize("where, cell", [(r"no such line", None), (r"'act", "another cell")])
def test_a_job_that_reaches_no_such_line_runs_to_its_end(ns, where, cell):
    stall = probes.Stall(where, cell=cell)
    assert not stall.start(lambda: stall.call(ns["steps"], []))
    assert stall.at is None and stall.go() == (3, None)


def test_meanwhile_lets_the_stopped_thread_go_first_when_it_holds_what_the_call_waits_for(ns):
    """A pool or ring with a lock of its own: the stopped thread holds it, so the other
    thread's call waits for it, and the schedule becomes the stopped thread's, then the
    call's -- not a hung grader."""
    log, lock = [], threading.Lock()
    stall = probes.Stall(r"'act'", cell="steps")
    assert stall.start(lambda: stall.call(ns["steps"], log, lock))

    def blocked():
        with lock:
            return log.copy()

    assert stall.meanwhile(blocked, wait=0.2) == (["check", "act", "act again"], None)
    assert stall.go() == (3, None)
    assert stall.meanwhile(lambda: 1 / 0)[1].__class__ is ZeroDivisionError


def test_a_stopped_thread_that_never_ends_is_stuck_not_a_hung_grader(ns):
    forever = threading.Event()
    stall = probes.Stall(r"'act'", cell="steps", timeout=0.2)
    assert stall.start(lambda: (stall.call(ns["steps"], []), forever.wait()))
    with pytest.raises(probes.Stuck):
        stall.go()
    forever.set()


FIRST_FIT = '''def take(free):
    for i, x in enumerate(free):
        if x > 0:
            del free[i]
            return x
    return None
'''


@pytest.mark.parametrize("yields", [False, True])
def test_a_yielding_crew_splits_a_one_line_window_that_threads_share(yields):
    """Four threads take from one list, first fit, no lock: between finding an item and
    deleting it another thread can delete it first (IndexError) or take the same one. With
    yields the split comes within one run; without, the GIL's interval alone may miss it --
    so only the yielding run is required to split it, and neither may split the lock-free
    code of a thread alone."""
    cells = {}
    run_cell("take", FIRST_FIT, cells)
    crew = probes.Crew(4)
    taken, shared = [], list(range(1, 4001))

    def job(i):
        while (x := cells["take"](shared)) is not None:
            taken.append(x)

    errors = crew.run(job, timeout=30, yields=yields)
    split = bool(errors) or len(taken) != len(set(taken))
    if yields:
        assert split, "4000 first-fit takes on four yielding threads never split the window"
    alone, single = list(range(1, 201)), []
    assert not crew.run(lambda i: i == 0 and single.extend(
        iter(lambda: cells["take"](alone), None)), timeout=30, yields=yields)
    assert sorted(single) == list(range(1, 201))
