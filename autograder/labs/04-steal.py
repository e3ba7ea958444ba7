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
    return {**totals, "detail": detail}


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
    seen = [0] * VALUES
    foreign = 0
    for values in taken:
        for x in values:
            if type(x) is int and 0 <= x < VALUES:
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
