"""Workloads for Lab 4's measured checks, run in the sandbox on the notebook's namespace.

Each takes ns -- the lab's given cells and the submission's solution cells, executed -- and
returns what its check kind measures. The threads are a probes.Crew, started before anything
is measured; the pool's new() is a probes.Counted, so the count is the grader's own.
"""

import queue
import threading
import time

from autograder import probes

VALUES = 20_000  # pushed by the producer in each run of the exactly-once check
RUNS = 3
SLOTS = 256  # the ring under test: small enough to fill and wrap hundreds of times per run
THIEVES = 3
PATIENCE = 2.0  # seconds a producer waits on a ring that refuses every push: jammed
TILES = 1000  # per worker, in the new() calls check
TIMED_TILES = 50  # per worker, in each timed pass of the latency check


def exactly_once(ns):
    """concurrency: one producer and three thieves on the learner's Ring, every value once."""
    crew = probes.Crew(1 + THIEVES)
    totals = {"lost": 0, "twice": 0, "foreign": 0, "jammed": 0}
    stolen = 0
    for _ in range(RUNS):
        taken, jammed = _run_ring(ns["Ring"](SLOTS), crew)
        for name, n in _audit(taken).items():
            totals[name] += n
        totals["jammed"] += jammed
        stolen += sum(len(t) for t in taken[1:])
    detail = (f"{RUNS} runs: a producer pushed 0..{VALUES - 1} into a Ring({SLOTS}), popping "
              f"its head after every 8th push, while {THIEVES} thieves popped the tail, every "
              f"line of the notebook's code a place where the GIL may change hands; the "
              f"thieves took {stolen / (RUNS * VALUES):.0%} of the values")
    if totals["jammed"]:
        detail += (f"; in {totals['jammed']} run(s) push_head refused every push for "
                   f"{PATIENCE:g} s while thieves popped: a slot never cleared, or head_tail "
                   "out of step with the slots")
    wrong = [story for schedule in SCHEDULES
             if (story := _force(ns["Ring"], ns["EMPTY"], **schedule))]
    detail += (f"; {len(SCHEDULES) - len(wrong)} of {len(SCHEDULES)} forced interleavings "
               "came through")
    return {**totals, "forced": len(wrong), "detail": "; ".join([detail, *wrong])}


# The classic interleavings of a work-stealing ring, each forced: one thread is stopped at a
# line of the notebook's Ring (probes.Stall) while the other makes the calls in "meanwhile".
CLAIM = r"\bcas\(|head_tail\s*=[^=]"  # the line that moves an end: a cas, or a plain store
SLOT = r"vals\["  # a line that reads or writes a slot
STORE = r"vals\[.+\]\s*=[^=]"  # a line that writes a slot
SCHEDULES = [
    # Both see one value; one claim must fail. A plain store of head_tail undoes the other's.
    {"name": "the owner and a thief race for the last value", "size": 4, "first": [0],
     "stopped": ("thief", "pop_tail"), "where": CLAIM, "meanwhile": [("pop_head",)]},
    # ABA (Go's poolqueue.go loads the slot only after its CAS has claimed it): the owner
    # pops the value and pushes another into the same slot, so head_tail is as the thief read
    # it and its cas succeeds -- on a slot whose value it must read only now.
    {"name": "ABA: a thief stalled before its claim while the owner pops and pushes",
     "size": 4, "first": [0], "stopped": ("thief", "pop_tail"), "where": CLAIM,
     "meanwhile": [("pop_head",), ("push_head", 1)]},
    # The tail has moved past the slot but the thief has not read it yet: the ring looks one
    # short of full, and the slot push_head would use is still taken (Go: "a pop is still in
    # progress").
    {"name": "a full ring with a pop still in progress", "size": 2, "first": [0, 1],
     "stopped": ("thief", "pop_tail"), "after": CLAIM, "where": SLOT,
     "meanwhile": [("push_head", 2)]},
    # A head published before its slot is written lets a thief claim a slot with nothing in it.
    {"name": "a push stalled before it writes its slot", "size": 4, "first": [],
     "stopped": ("owner", "push_head", 0), "where": STORE, "meanwhile": [("pop_tail",)]},
]


def _called(fn, *args):
    """(value, exception) of fn(*args), as Stall.go and Stall.meanwhile report a call."""
    try:
        return fn(*args), None
    except Exception as e:  # noqa: BLE001 -- the schedule judges it
        return None, e


def _force(ring_class, empty, name, size, first, stopped, where, meanwhile, after=None):
    """None if the Ring comes through the schedule with every value taken once, else its story.
    """
    ring = ring_class(size)
    pushed, taken = [], []

    def show(x):
        return "EMPTY" if x is empty else repr(x)

    def record(method, args, out):
        value, error = out
        if error is not None:
            return f"{method}({', '.join(map(show, args))}) raised {type(error).__name__}: {error}"
        if method == "push_head" and value is True:
            pushed.extend(args)
        elif method != "push_head" and isinstance(value, tuple) and value[1:] == (True,):
            taken.append(value[0])
        shown = (f"({show(value[0])}, {value[1]!r})" if isinstance(value, tuple) and len(value) == 2
                 else show(value))
        return f"{method}({', '.join(map(show, args))}) -> {shown}"

    for v in first:
        record("push_head", (v,), _called(ring.push_head, v))
    who, method, *args = stopped
    other = "thief" if who == "owner" else "owner"
    stall = probes.Stall(where, after=after, cell="ring")
    try:
        if stall.start(lambda: stall.call(getattr(ring, method), *args)):
            _, line, text = stall.at
            story = [f"the {who}'s {method} stopped before `{text}` (line {line} of the Ring "
                     "cell)"]
        else:
            story = [f"the {who}'s {method} ran no line where it could be stopped"]
        story += [f"the {other}'s " + record(m, a, stall.meanwhile(getattr(ring, m), *a))
                  for m, *a in meanwhile]
        story.append(f"the {who}'s " + record(method, args, stall.go()))
    except probes.Stuck as e:
        return f"forced, {name}: {e}"
    left = []
    for _ in range(size + 1):
        out = _called(ring.pop_tail)
        if out[1] is not None or not (isinstance(out[0], tuple) and out[0][1:] == (True,)):
            break
        left.append(out[0][0])
    taken += left
    counts = {v: taken.count(v) for v in pushed}
    wrong = [f"{show(v)} lost" for v, n in counts.items() if n == 0]
    wrong += [f"{show(v)} taken {n} times" for v, n in counts.items() if n > 1]
    wrong += [f"{show(x)} taken, never pushed" for x in taken if x not in counts]
    if not wrong and not any(" raised " in line for line in story):
        return None
    state = ", ".join(map(show, first)) or "nothing"
    story.append(f"then pop_tail until empty -> {', '.join(map(show, left)) or 'nothing'}")
    return (f"forced, {name}: Ring({size}) holding {state}; " + "; ".join(story)
            + f": {', '.join(wrong) or 'an exception'}")


def _run_ring(ring, crew):
    """[values taken by the producer, by each thief], and whether the ring jammed."""
    taken = [[] for _ in range(crew.size)]
    done = threading.Event()
    jammed = []

    def job(i):
        mine = taken[i]
        if i == 0:
            try:
                _produce(ring, mine, jammed)
            finally:
                done.set()  # the thieves stop once the ring is empty
            return
        # A thief stops when the producer is done and the ring empty -- or once it holds
        # more values than were ever pushed (a ring that never runs dry).
        while len(mine) <= VALUES:
            x, ok = ring.pop_tail()
            if ok:
                mine.append(x)
            elif done.is_set():
                x, ok = ring.pop_tail()  # anything pushed just before done
                if not ok:
                    return
                mine.append(x)

    # Under the GIL, threads switch only at calls and backward jumps, once the 5 ms switch
    # interval has passed; with a thief spinning on an empty ring, nearly every switch falls
    # where the ring is empty, and a ring without compare-and-swap went unnoticed in every
    # run measured at the default interval. Preempted, any line may be split from the next.
    _raise_first(crew.run(job, preempt=True))
    for _ in range(SLOTS + 1):  # what the thieves left, if the ring kept some
        x, ok = ring.pop_tail()
        if not ok:
            break
        taken[0].append(x)
    return taken, bool(jammed)


def _produce(ring, mine, jammed):
    for v in range(VALUES):
        refused_since = None
        while not ring.push_head(v):
            now = time.monotonic()
            if refused_since is None:
                refused_since = now
            elif now - refused_since > PATIENCE:
                jammed.append(v)
                return
            time.sleep(0)  # full: let the thieves run
        if v % 8 == 7:  # the owner takes back its newest now and then, as Pool.get does
            x, ok = ring.pop_head()
            if ok:
                mine.append(x)


def _audit(taken):
    """How many pushed values were never taken, taken twice, and takes that were never pushed."""
    return _audit_values(taken, VALUES)


def _audit_values(taken, count):
    """_audit for the values 0..count-1."""
    seen = [0] * count
    foreign = 0
    for values in taken:
        for x in values:
            if type(x) is int and 0 <= x < count:
                seen[x] += 1
            else:
                foreign += 1  # e.g. the EMPTY of a slot another thread had already cleared
    # Values the producer never pushed (it gave up on a jammed ring) count as lost.
    return {"lost": seen.count(0), "twice": sum(n - 1 for n in seen if n > 1),
            "foreign": foreign}


def _raise_first(errors):
    if errors:
        raise errors[0][1]  # e.g. the stub's NotImplementedError, for the report


def _serving(ns, buffers, crew, tiles):
    """A callable: the story's pipeline on crew's threads, tiles per worker."""
    outbox = queue.Queue(maxsize=ns["OUTBOX"])
    writer, worker = ns["writer"], ns["worker"]
    workers = crew.size - 1

    def job(i):
        if i == 0:
            writer(buffers, outbox, workers)
        else:
            worker(buffers, outbox, tiles)

    def run():
        _raise_first(crew.run(job))

    return run


def worker_news(ns):
    """counter: new() calls per worker get, the writer putting every buffer back."""
    crew = probes.Crew(1 + ns["WORKERS"])
    new = probes.Counted(ns["new_buffer"])
    _serving(ns, ns["StealingPool"](new), crew, TILES)()
    gets = TILES * ns["WORKERS"]
    return {"news_per_get": new.calls / gets, "news": new.calls,
            "detail": f"{gets} worker gets of {ns['BUFFER_SIZE'] >> 10} KiB buffers, "
                      f"{ns['WORKERS']} workers and one writer (the only thread that puts); "
                      f"the given LocalPool calls new() on every one of them"}


def serve_latency(ns):
    """latency: the pipeline's time with LocalPool (baseline) and with StealingPool."""
    crew = probes.Crew(1 + ns["WORKERS"])  # started once, before pyperf times anything
    new = ns["new_buffer"]
    return (_serving(ns, ns["LocalPool"](new), crew, TIMED_TILES),
            _serving(ns, ns["StealingPool"](new), crew, TIMED_TILES))


BATCH_VALUES = 1000  # pushed by the writer in each run of the batch steals' exactly-once check
BATCH_WORKERS = 3
CLAIM_PAUSES = 15  # GIL hand-overs between a claim on a worker's ring and its read of the slot


def batch_round(ns):
    """counter: the notebook's batch_round on the learner's BatchPool -- the round is a given
    cell, its rings count the visits, and new() is a probes.Counted: the counts are the
    grader's own."""
    got = ns["batch_round"](ns["BatchPool"])
    workers = ns["BATCH_LOCALS"] - 1
    gets = workers * ns["BATCH_GETS"]
    return {**got, "detail": (
        f"the writer's thread filled its private slot and its ring of {ns['SHARED_SLOTS']}; "
        f"{workers} workers, each with a ring of {ns['WORKER_SLOTS']}, took turns, one get "
        f"each, {gets} gets in all: {got['visits']} pop_tail calls on other threads' rings, "
        f"{got['news']} new() calls (StealingPool: {4 * gets} visits, 0 new() calls)")}


def _slow_claims(ring_class, pauses):
    """ring_class whose pops give the GIL away `pauses` times right after their claim, before
    they read and clear the slot: the moment when a ring's length says it has room and its
    head's slot is still taken -- which a switch between two lines of the notebook's code
    seldom finds, as the library's pop_tail is not the notebook's."""

    class SlowClaims(ring_class):
        def _cas(self, old, new):
            won = super()._cas(old, new)
            if won:
                for _ in range(pauses):
                    time.sleep(0)
            return won

    return SlowClaims


def batch_exactly_once(ns):
    """concurrency: a writer pushes 0, 1, 2, ... into its ring while workers get from the
    learner's BatchPool, each with a ring of WORKER_SLOTS: every value handed out or left in
    a ring exactly once."""
    crew = probes.Crew(1 + BATCH_WORKERS)
    nothing = object()  # what new() gives: not a value
    totals = {"lost": 0, "twice": 0, "foreign": 0}
    moved = 0
    # A worker's ring's claims are slow: a thief on it stays in that moment while its owner,
    # back from the writer's ring, pushes what it brought home.
    rings = [_slow_claims(ns["pool"].PoolDequeue, pauses) for pauses in (1, CLAIM_PAUSES)]
    for _ in range(RUNS):
        buffers = ns["BatchPool"](lambda: nothing)
        taken = [[] for _ in range(crew.size)]
        done = threading.Event()
        ended = []  # workers that stopped: the writer stops too once all have (one raised)

        def job(i, buffers=buffers, taken=taken, done=done, ended=ended):
            local = buffers.locals.mine()
            slots = ns["SHARED_SLOTS"] if i == 0 else ns["WORKER_SLOTS"]
            local.shared = rings[i > 0](slots)
            if i == 0:
                try:
                    for v in range(BATCH_VALUES):  # pushed, not put: a put may let a value go
                        while not local.shared.push_head(v):
                            if len(ended) == BATCH_WORKERS:
                                return
                            time.sleep(0)  # full: let the workers run
                finally:
                    done.set()
                return
            mine = taken[i]
            try:
                while len(mine) <= BATCH_VALUES:
                    finished = done.is_set()
                    x = buffers.get()
                    if x is not nothing:
                        mine.append(x)
                    elif finished:
                        return
            finally:
                ended.append(i)

        _raise_first(crew.run(job, preempt=True))
        left = []
        for local in buffers.locals.all:  # what the workers left: private slots and rings
            if local.private is not None:
                left.append(local.private)
            for _ in range(len(local.shared.vals) + 1):
                x, ok = local.shared.pop_tail()
                if not ok:
                    break
                left.append(x)
        moved += sum(len(t) for t in taken)
        counts = _audit_values(taken + [left], BATCH_VALUES)
        for name, n in counts.items():
            totals[name] += n
    detail = (f"{RUNS} runs: a writer pushed 0..{BATCH_VALUES - 1} into its ring of "
              f"{ns['SHARED_SLOTS']} while {BATCH_WORKERS} workers, each with a ring of "
              f"{ns['WORKER_SLOTS']}, got from your BatchPool until the writer was done and "
              "nothing was left to steal, every line of the notebook's code a place where the "
              "GIL may change hands, and every pop giving it away between its claim and its "
              f"read of the slot; the workers got {moved / (RUNS * BATCH_VALUES):.0%} of "
              "the values, the rest were left in rings")
    return {**totals, "detail": detail}
