"""What the labs' workloads measure with: counters the grader owns, crews of threads, and
open file descriptors.

Workloads (autograder/labs/<lab>.py) run in the sandbox on the submission's namespace. The
submission gets a callable; the count behind it stays on the grader's side, so the number a
check reads is one the grader made, not one the submission reported.
"""

import linecache
import os
import random
import re
import sys
import threading
import time

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
        self._yields = False
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
                    # per thread: set it in each
                    sys.settrace(_yielding_cell_lines if self._yields else _at_each_cell_line)
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

    def run(self, job, timeout=None, preempt=False, yields=False):
        """job(i) on thread i, all released at once; the [(i, exception)] they raised.

        Raises Stuck when not all of them finish within timeout seconds (None: wait forever).
        With preempt, every line of the submission's code is a place where a thread may lose
        the GIL. Under the GIL, CPython switches threads only at some instructions (calls,
        backward jumps), so a slot read on one line and cleared on the next is, in practice,
        never split -- on the free-threaded build another core can split it. A line tracer on
        the submission's cells runs a Python function at each of their lines, and with the
        switch interval cut to 10 microseconds the GIL changes hands there: the interleavings
        that free threading allows become likely within a run of a second. With yields, a
        thread also gives the GIL away at random, at YIELD_SHARE of its cells' lines
        (time.sleep(0)), whether or not the interval has passed: a window of one line between
        finding an object and taking it, in code that every thread runs, is then split many
        times a second -- the interval alone left such a race unseen in one run of three.
        """
        self._job, self._errors, self._done = job, [], [False] * self.size
        self._preempt, self._yields = preempt or yields, yields
        interval = sys.getswitchinterval()
        if self._preempt:
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


class Stall:
    """A forced interleaving: one thread stopped at a chosen line of the submission's code
    while other threads act, then let go.

    Random preemption finds a race whose window is common; a check-then-act whose window is
    one line, or a stale read before a compare-and-swap, needs a schedule. ``call(fn)``, on
    the thread to be stopped, runs fn with a line tracer on the submission's cells (or on
    ``cell`` alone); before the first line whose text ``where`` matches runs -- once a line
    matching ``after`` has run, if given -- the thread stops there (``at`` says where) until
    ``go()``. A tracer sees lines, not the operations inside one, so a check and an act
    written on one line are never split.
    """

    def __init__(self, where, *, after=None, cell=None, timeout=5):
        self.where = re.compile(where)
        self._after = re.compile(after) if after else None
        self._file = f"<cell {cell}>" if cell else "<cell"
        self.timeout = timeout
        self.at = None  # (cell, line number, text) where the thread stopped
        self._stopped, self._go = threading.Event(), threading.Event()
        self._thread, self._out = None, {}

    def start(self, job):
        """Run job() on a thread of its own; return once it has stopped (True) or ended."""
        self._thread = _Job(job, "stalled", self._stopped.set)
        if not self._stopped.wait(self.timeout):
            raise Stuck(1, 1, self.timeout)
        return self.at is not None

    def call(self, fn, *args):
        """fn(*args), stopping at the first line that where matches (on the calling thread)."""
        sys.settrace(self._trace)
        try:
            return fn(*args)
        finally:
            sys.settrace(None)

    def meanwhile(self, fn, *args, wait=1.0):
        """(value, exception) of fn(*args), run on another thread while this one is stopped.

        If fn has not returned after wait seconds, it waits for the stopped thread (a lock
        that thread holds, say): the stopped thread goes on first, then fn finishes.
        """
        other = _Job(lambda: fn(*args), "meanwhile")
        other.join(wait)
        if other.is_alive():
            self._go.set()
            other.join(self.timeout)
            if other.is_alive():
                raise Stuck(2, 2, self.timeout)
        return other.result()

    def go(self):
        """Let the stopped thread finish: (what its job returned, the exception it raised)."""
        self._go.set()
        self._thread.join(self.timeout)
        if self._thread.is_alive():
            raise Stuck(1, 1, self.timeout)
        return self._thread.result()

    def _trace(self, frame, event, arg):
        return self._line if frame.f_code.co_filename.startswith(self._file) else None

    def _line(self, frame, event, arg):
        if event != "line" or self.at is not None:
            return self._line
        text = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
        if self._after is not None:
            if self._after.search(text):
                self._after = None  # armed: stop at a later line (this one runs first)
        elif self.where.search(text):
            self.at = (frame.f_code.co_filename[len("<cell "):-1], frame.f_lineno, text)
            self._stopped.set()
            self._go.wait()
        return self._line


class _Job(threading.Thread):
    """fn() on a daemon thread of its own, its return value or exception kept for result()."""

    def __init__(self, fn, name, then=None):
        super().__init__(name=name, daemon=True)
        self._fn, self._then, self._out = fn, then, (None, None)
        self.start()

    def run(self):
        try:
            self._out = (self._fn(), None)
        except BaseException as e:  # noqa: BLE001 -- the schedule's caller judges it
            self._out = (None, e)
        finally:
            if self._then:
                self._then()

    def result(self):
        return self._out


PREEMPT_INTERVAL = 1e-5  # seconds


def _at_each_cell_line(frame, event, arg):
    """sys.settrace's global function: trace lines of the submission's cells, nothing else."""
    if frame.f_code.co_filename.startswith("<cell"):  # program.run_cell names them so
        return _line
    return None


def _line(frame, event, arg):
    return _line  # being a Python call is the point: the GIL may change hands here


YIELD_SHARE = 0.2  # of the submission's lines, where a yielding crew gives the GIL away


def _yielding_cell_lines(frame, event, arg):
    """_at_each_cell_line, giving the GIL away at random lines."""
    if frame.f_code.co_filename.startswith("<cell"):
        return _yielding_line
    return None


def _yielding_line(frame, event, arg):
    if event == "line" and random.random() < YIELD_SHARE:
        time.sleep(0)  # releases the GIL: a thread waiting for it runs now
    return _yielding_line


def open_fds():
    """How many file descriptors this process has open (Linux: /proc/self/fd)."""
    return len(os.listdir("/proc/self/fd")) - 1  # less the one listdir itself opened
