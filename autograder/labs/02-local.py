"""Workloads for Lab 2's measured checks, run in the sandbox on the notebook's namespace.

Each takes ns -- the lab's given cells and the submission's solution cells, executed -- and
returns what its check kind measures. Threads come from a probes.Crew started before any
timed or counted region, as Go's b.RunParallel starts its goroutines before the timer.
"""

import gc
import itertools
import statistics
import sys
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from itertools import repeat

from autograder import probes

THREADS = 4


class Token:
    """A pooled object the grader can number and mark with its current holder."""

    __slots__ = ("number", "holder")

    def __init__(self, number):
        self.number = number
        self.holder = None  # the crew thread that has it out of the pool, if any


def rounds(pool_, n, on_get=None, on_put=None):
    """n rounds of get, get, put, put: the private slot and the shared deque both in use."""
    get, put = pool_.get, pool_.put
    for _ in repeat(None, n):
        a = get()
        if on_get:
            on_get(a)
        b = get()
        if on_get:
            on_get(b)
        if on_put:
            on_put(b)
        put(b)
        if on_put:
            on_put(a)
        put(a)


RUNS = 3  # of the random-preemption phase, each on a fresh pool: races are run many times


def no_double_handout(ns, per_thread=20_000):
    """concurrency: THREADS threads hammer a LocalPool, every line of it a possible switch,
    RUNS times; then a forced check-then-pop."""
    crew = probes.Crew(THREADS)
    made = twice = lost = raised = 0
    notes = []
    for number in range(1, RUNS + 1):
        try:
            run = hammer(ns["LocalPool"], crew, per_thread)
        except probes.Stuck as e:
            return {"twice": 0, "lost": 0, "raised": 0, "stuck": e.stuck, "forced": 0,
                    "detail": str(e)}
        made += run["made"]
        twice, lost, raised = twice + run["twice"], lost + run["lost"], raised + run["raised"]
        if run["notes"] and not notes:  # how the first run that went wrong did
            notes = [f"in run {number}, " + "; ".join(run["notes"])]
    forced = check_then_pop(ns["LocalPool"])
    notes.insert(0, f"{RUNS} runs, each of {THREADS * per_thread * 2} gets on a new pool: "
                    f"{made} objects made in all")
    if forced:
        notes.append(forced)
    return {"twice": twice, "lost": lost, "raised": raised, "stuck": 0,
            "forced": int(bool(forced)), "detail": "; ".join(notes)}


def hammer(pool_class, crew, per_thread):
    """One run on a new pool: the crew's rounds with preemption, then each thread drains its
    own deque; what went wrong, counted, with notes that say how."""
    numbers = itertools.count()
    new = probes.Counted(lambda: Token(next(numbers)))
    pool_ = pool_class(new)
    twice = []

    def job(i):
        def taken(x):
            if x.holder is not None:  # someone still has it: handed out twice
                twice.append((x.number, x.holder, i))
            x.holder = i

        def returned(x):
            x.holder = None

        rounds(pool_, per_thread, taken, returned)

    errors = crew.run(job, timeout=10, preempt=True)
    made = new.calls
    # Every object made is back in its thread's pool: each thread drains its own until
    # the pool has to call new() for it.
    drained = [[] for _ in range(THREADS)]

    def drain(i):
        while True:
            x = pool_.get()
            if x.number >= made:
                return
            drained[i].append(x.number)

    if not errors:
        errors = crew.run(drain, timeout=5)
    back = [n for mine in drained for n in mine]
    lost = made - len(set(back)) if not errors else 0
    notes = []
    if twice:
        number, holder, taker = twice[0]
        notes.append(f"object {number} went to thread {taker} while thread {holder} had it "
                     f"({len(twice)} times in a run)")
    if lost:
        notes.append(f"{lost} objects were put back and never came out again")
    if len(back) > len(set(back)):
        notes.append(f"{len(back) - len(set(back))} objects came out of the pool twice")
        lost += len(back) - len(set(back))
    if errors:
        i, e = errors[0]
        notes.append(f"thread {i} raised {type(e).__name__}: {e}")
    return {"made": made, "twice": len(twice), "lost": lost, "raised": len(errors),
            "notes": notes}


def check_then_pop(pool_class):
    """A forced interleaving: None if the pool comes through it, else what went wrong.

    Thread A puts a and b (its private slot, then its deque), gets a, and calls get again,
    stopped before the line that pops; thread B calls get; then A goes on. Each thread owns
    its deque, so B gets a new object and A gets b. A deque that B can reach gives B an
    object A put -- and if A checked it before B emptied it, A then pops an empty deque.
    """
    pool_ = pool_class(lambda: Token(0))
    a, b = Token(1), Token(2)
    stall = probes.Stall(r"\.pop(left)?\(", cell="local_pool")

    def thread_a():
        pool_.put(a)
        pool_.put(b)
        return pool_.get(), stall.call(pool_.get)

    try:
        stopped = stall.start(thread_a)
        # A pool with a lock may make B wait for A: then A goes on first.
        got_b, b_raised = stall.meanwhile(pool_.get)
        value, error = stall.go()
    except probes.Stuck as e:
        return f"forced interleaving (check, then pop): {e}"
    where = (f"stopped before `{stall.at[2]}` (line {stall.at[1]} of cell {stall.at[0]})"
             if stopped else "ran no line that pops, so it did not stop")
    story = [f"forced interleaving: thread A put a, put b and got a; its next get {where}"]
    wrong = False
    if b_raised is not None:
        story.append(f"thread B's get raised {type(b_raised).__name__}: {b_raised}")
        wrong = True
    else:
        crossed = got_b is a or got_b is b
        whose = "an object thread A put" if crossed else "a new object"
        story.append(f"thread B's get returned {whose}")
        wrong |= crossed
    if error is not None:
        story.append(f"then thread A raised {type(error).__name__}: {error}")
        wrong = True
    elif value is not None and value != (a, b):
        story.append("then thread A did not get back a, b")
        wrong = True
    return "; ".join(story) if wrong else None


def steady_state(ns, n=10_000):
    """allocations: (run, units) -- n rounds on a warm LocalPool, one thread; then as many on
    a warm CappedPool(new, CAP), which stays under its cap -- once Task 2 is written: one that
    is not yet (it raises NotImplementedError) leaves Task 1's count as it was."""
    pools = [ns["LocalPool"](ns["new_buffer"])]
    try:
        pools.append(ns["CappedPool"](ns["new_buffer"], CAP))
        rounds(pools[-1], 2)
    except NotImplementedError:
        del pools[1:]
    rounds(pools[0], 2)  # warm: this thread's Local exists, its private slot and deque are used

    def run():
        for pool_ in pools:
            rounds(pool_, n)
    return run, 2 * n * len(pools)


def contention(ns, per_thread=2000):
    """latency: (baseline, candidate) -- THREADS threads, each per_thread get+put, per call.

    At the default 5 ms switch interval a call of milliseconds seldom sees a switch catch the
    lock held; over seconds it does, and a convoy forms at the lock. Switching every 50 us
    (as the notebook's time_per_op does) shows in each call what seconds of traffic show.
    Whether a convoy forms at all depends on the interpreter: ``convoy`` measures it.
    """
    sys.setswitchinterval(ns["SWITCH_INTERVAL"])  # this process only measures
    crew = probes.Crew(THREADS)
    new = ns["new_buffer"]
    return (on_every_thread(crew, ns["LockedPool"](new), per_thread),
            on_every_thread(crew, ns["LocalPool"](new), per_thread))


def on_every_thread(crew, pool_, per_thread):
    """A call in which each of the crew's threads does per_thread get+put on pool_."""
    def job(i):
        get, put = pool_.get, pool_.put
        for _ in repeat(None, per_thread):
            put(get())

    def call():
        errors = crew.run(job)
        if errors:
            raise errors[0][1]
    return call


def convoy(ns, per_thread=2000, runs=7, tries=5):
    """probe: LockedPool's time per get+put at THREADS threads / at one thread -- the median
    of tries, each with fresh threads and the ratio of the medians of runs.

    What the latency check compares against: a lock that the threads queue at. On 3.11 a
    waiter takes the released lock without the GIL (on another core) and then holds it while
    it waits for the GIL: a convoy. CPython 3.13's threading.Lock is a PyMutex, whose waiter
    takes the GIL back before it retries the lock (Python/parking_lot.c) and is handed the
    lock only after waiting 1 ms (Python/lock.c): four threads then cost what one does.
    A convoy is a state the threads fall into, not a constant: on 3.11 a try now and then
    measures no convoy even on a quiet machine (bench/results/probes-02-local-<python>.txt
    lists each try), hence the median of several.
    """
    sys.setswitchinterval(ns["SWITCH_INTERVAL"])
    locked = ns["LockedPool"](ns["new_buffer"])
    seen = []
    for _ in range(tries):
        per_op = {}
        for threads in (1, THREADS):
            call = on_every_thread(probes.Crew(threads), locked, per_thread)
            call()  # warm: every thread has been through the lock once
            per_op[threads] = statistics.median(
                _seconds(call) for _ in range(runs)) / (threads * per_thread) * 1e9
        seen.append((per_op[THREADS] / per_op[1], per_op[1], per_op[THREADS]))
    ratio, one, four = sorted(seen)[tries // 2]
    return {"value": ratio,
            "detail": f"the median of {tries} tries: {', '.join(f'{r:.2f}x' for r, *_ in seen)}; "
                      f"in it LockedPool took {one:.0f} ns per get+put at 1 thread, "
                      f"{four:.0f} ns at {THREADS}"}


def _seconds(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def hit_rate(ns, per_thread=20_000):
    """counter: the share of gets at THREADS threads served without calling new()."""
    new = probes.Counted(ns["new_buffer"])
    pool_ = ns["LocalPool"](new)
    errors = probes.Crew(THREADS).run(lambda i: rounds(pool_, per_thread), timeout=10)
    if errors:
        raise errors[0][1]
    gets = THREADS * per_thread * 2
    return {"hits": 1 - new.calls / gets,
            "detail": f"{new.calls} new() calls in {gets} gets (Go's pool keeps no such count: "
                      "golang/go issue 11834)"}


# Task 2: CappedPool(new, cap). Its cap and the bound on what it keeps beyond the threads'
# caps, as the notebook's Task 2 states them: at most cap objects per thread, and at most
# SHARED_CAPS * cap more in all.
CAP = 16
SHARED_CAPS = 4


class Held:
    """A pooled object whose life the grader follows with a weak reference."""

    __slots__ = ("__weakref__",)


class Kept:
    """new() for a CappedPool: Held objects, each made counted and followed."""

    def __init__(self):
        self.refs = []
        self.new = probes.Counted(self.make)

    def make(self):
        x = Held()
        self.refs.append(weakref.ref(x))
        return x

    def alive(self):
        gc.collect()
        return sum(r() is not None for r in self.refs)


LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))
TAKE, GIVE = {"acquire", "acquire_lock", "__enter__"}, {"release", "release_lock", "__exit__"}


class LockCalls:
    """Locks taken and released by the threads it is installed on, counted from the C calls a
    profile function sees: a `with lock:` block shows its __exit__, an explicit acquire and
    release both, a Condition or a queue.Queue the calls of the lock inside."""

    def __init__(self):
        self.taken = self.given = 0

    def __call__(self, frame, event, arg):
        if event == "c_call" and isinstance(getattr(arg, "__self__", None), LOCK_TYPES):
            if arg.__name__ in TAKE:
                self.taken += 1
            elif arg.__name__ in GIVE:
                self.given += 1

    @property
    def holds(self):
        return max(self.taken, self.given)


def fast_path_locks(ns, n=2000):
    """counter: locks held per get+put on a warm CappedPool, one thread, under its cap."""
    pool_ = ns["CappedPool"](ns["new_buffer"], CAP)
    rounds(pool_, 2)
    locks = LockCalls()
    sys.setprofile(locks)
    try:
        rounds(pool_, n)
    finally:
        sys.setprofile(None)
    return {"locks": locks.holds / (2 * n),
            "detail": f"{locks.taken} lock acquisitions and {locks.given} releases in "
                      f"{2 * n} get+puts on one thread, never more than 2 objects out "
                      f"(cap {CAP})"}


def kept_after_burst(ns, puts=50 * CAP):
    """One thread puts `puts` objects the pool has never seen and drops them: how many the
    pool keeps alive, in units of cap."""
    kept = Kept()
    pool_ = ns["CappedPool"](kept.new, CAP)
    for _ in repeat(None, puts):
        pool_.put(kept.make())
    return kept.alive()


def handoff_run(ns, rounds_=300, per_round=4):
    """Thread A gets per_round objects, hands them to thread B, which puts them; in rounds,
    one thread at a time, so every count is exact. Returns A's gets, new() calls, the objects
    alive after, and the locks A and B held."""
    kept = Kept()
    pool_ = ns["CappedPool"](kept.new, CAP)
    locks = LockCalls()
    a, b = ThreadPoolExecutor(1), ThreadPoolExecutor(1)  # one thread each, the same all along

    def counted(fn, *args):  # the executor's own locks are not counted: only fn's
        sys.setprofile(locks)
        try:
            return fn(*args)
        finally:
            sys.setprofile(None)

    def take():
        return [pool_.get() for _ in repeat(None, per_round)]

    def give(objects):
        for x in objects:
            pool_.put(x)

    try:
        for _ in repeat(None, rounds_):
            b.submit(counted, give, a.submit(counted, take).result()).result()
        alive = kept.alive()  # while A and B live: what their threading.locals hold counts
    finally:
        a.shutdown()
        b.shutdown()
    return {"gets": rounds_ * per_round, "news": kept.new.calls, "alive": alive,
            "holds": locks.holds, "taken": locks.taken, "given": locks.given}


def kept(ns):
    """counter: objects a CappedPool keeps alive, in units of cap, after a burst of puts on one
    thread and after a hand-off run between two threads."""
    burst = kept_after_burst(ns)
    run = handoff_run(ns)
    return {"burst": burst / CAP, "handoff": run["alive"] / CAP,
            "detail": f"cap {CAP}: {burst} objects alive after one thread put {50 * CAP} and "
                      f"dropped them (at most {CAP} + {SHARED_CAPS} x {CAP}); {run['alive']} "
                      f"alive after {run['gets']} gets on thread A each put back on thread B "
                      f"(at most 2 x {CAP} + {SHARED_CAPS} x {CAP})"}


def handoff(ns):
    """counter: new() calls per get on thread A, and locks held per get+put, when thread A
    gets and thread B puts."""
    run = handoff_run(ns)
    return {"news": run["news"] / run["gets"], "locks": run["holds"] / run["gets"],
            "detail": f"cap {CAP}: {run['news']} new() calls in {run['gets']} gets on thread A, "
                      f"each object put back on thread B; {run['taken']} lock acquisitions and "
                      f"{run['given']} releases in those {run['gets']} gets and puts"}
