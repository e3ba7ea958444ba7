"""What the labs' workloads measure with: counters the grader owns, crews of threads, and
open file descriptors.

Workloads (autograder/labs/<lab>.py) run in the sandbox on the submission's namespace. The
submission gets a callable; the count behind it stays on the grader's side, so the number a
check reads is one the grader made, not one the submission reported.
"""

import os
import sys
import threading

from pool.local import count, counter


class Counted:
    """fn, with every call counted: hand it to the submission as its ``new``, read ``calls``."""

    __slots__ = ("fn", "_calls")

    def __init__(self, fn):
        self.fn = fn
        self._calls = counter()  # advanced without allocating, and atomically under the GIL

    def __call__(self, *args):
        next(self._calls)
        return self.fn(*args)

    @property
    def calls(self):
        return count(self._calls)


class Stuck(Exception):
    """Some of a crew's threads did not finish their work in time."""

    def __init__(self, stuck, size, seconds):
        super().__init__(f"{stuck} of {size} threads had not finished after {seconds:g} s: a "
                         "deadlock, or a thread waiting for something that never comes")
        self.stuck = stuck


class Crew:
    """``size`` threads, started once, that run one function together as often as asked.

    Go's b.RunParallel starts its goroutines before the timer; a crew is started before the
    timed region for the same reason -- ``run`` then costs two barrier crossings, not the
    creation of ``size`` threads. The threads are daemons, so a stuck one cannot keep the
    sandboxed process alive.
    """

    def __init__(self, size):
        self.size = size
        self._job = None
        self._preempt = False
        self._errors = []
        self._done = [False] * size
        self._start = threading.Barrier(size + 1)
        self._finish = threading.Barrier(size + 1)
        for i in range(size):
            threading.Thread(target=self._work, args=(i,), name=f"crew-{i}", daemon=True).start()

    def _work(self, i):
        try:
            while True:
                self._start.wait()
                if self._preempt:
                    sys.settrace(_at_each_cell_line)  # per thread: set it in each
                try:
                    self._job(i)
                except BaseException as e:  # noqa: BLE001 -- reported to run()'s caller
                    self._errors.append((i, e))
                finally:
                    sys.settrace(None)
                self._done[i] = True
                self._finish.wait()
        except threading.BrokenBarrierError:
            return  # run() gave up on a stuck crew: this thread is done too

    def run(self, job, timeout=None, preempt=False):
        """job(i) on thread i, all released at once; the [(i, exception)] they raised.

        Raises Stuck when not all of them finish within timeout seconds (None: wait forever).
        With preempt, every line of the submission's code is a place where a thread may lose
        the GIL. Under the GIL, CPython switches threads only at some instructions (calls,
        backward jumps), so a slot read on one line and cleared on the next is, in practice,
        never split -- on the free-threaded build another core can split it. A line tracer on
        the submission's cells runs a Python function at each of their lines, and with the
        switch interval cut to 10 microseconds the GIL changes hands there: the interleavings
        that free threading allows become likely within a run of a second.
        """
        self._job, self._errors, self._done = job, [], [False] * self.size
        self._preempt = preempt
        interval = sys.getswitchinterval()
        if preempt:
            sys.setswitchinterval(PREEMPT_INTERVAL)
        try:
            self._start.wait()
            self._finish.wait(timeout)
        except threading.BrokenBarrierError:
            raise Stuck(self._done.count(False), self.size, timeout) from None
        finally:
            # getswitchinterval() reads a value set below 1 us back as 0, which cannot be set.
            sys.setswitchinterval(max(interval, 1e-6))
        return self._errors


PREEMPT_INTERVAL = 1e-5  # seconds


def _at_each_cell_line(frame, event, arg):
    """sys.settrace's global function: trace lines of the submission's cells, nothing else."""
    if frame.f_code.co_filename.startswith("<cell"):  # harness.run_cell names them so
        return _line
    return None


def _line(frame, event, arg):
    return _line  # being a Python call is the point: the GIL may change hands here


def open_fds():
    """How many file descriptors this process has open (Linux: /proc/self/fd)."""
    return len(os.listdir("/proc/self/fd")) - 1  # less the one listdir itself opened
